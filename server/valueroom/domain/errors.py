"""The domain's exception hierarchy. Each leaf maps to one typed error frame.

::

    DomainError                 code            meaning
     ├── NotPermitted           not_permitted   the actor's role may not do this
     ├── ItemNotFound           item_not_found  no such item, or it was deleted
     ├── ItemExists             item_exists     an item with that id already exists
     ├── InvalidCommand         invalid_command well-formed but makes no sense here
     ├── LimitReached           limit_reached   the room is full (items, options)
     ├── InvalidFigure          invalid_figure  an amount that is not acceptable money
     └── TransparencyError      transparency    consent or reveal rules refuse it

Besides ``code`` every error has a ``reason`` (a stable key such as
``figure.too_many_decimals``), the ``field`` it concerns (or None) and
``params`` (short strings the message refers to). The browser shows the reason
in the page's language and marks the field; ``message`` is the English text
for logs and for clients that know no better.

Messages and params are written for the person who sent the command. They
never quote another party's data, nor the text that was typed: an error is
sent only to the sender, but it is still an outbound byte and obeys the same
privacy rule as everything else.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "DomainError",
    "InvalidCommand",
    "InvalidFigure",
    "ItemExists",
    "ItemNotFound",
    "LimitReached",
    "NotPermitted",
    "TransparencyError",
]


class DomainError(Exception):
    """A command was refused. Nothing was appended."""

    code = "domain_error"

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        field: str | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.field = field
        self.params = {key: str(value) for key, value in (params or {}).items()}


class NotPermitted(DomainError):
    code = "not_permitted"


class ItemNotFound(DomainError):
    code = "item_not_found"


class ItemExists(DomainError):
    code = "item_exists"


class InvalidCommand(DomainError):
    code = "invalid_command"


class LimitReached(DomainError):
    code = "limit_reached"


class InvalidFigure(DomainError):
    code = "invalid_figure"


class TransparencyError(DomainError):
    code = "transparency"
