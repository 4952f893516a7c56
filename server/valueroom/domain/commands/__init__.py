"""Command handlers, one module per concern, joined into one dispatch table.

Each module exports ``HANDLERS`` (command name -> handler). A new concern adds
its module here and its rows to :data:`valueroom.domain.permissions.TABLE`;
a test checks that both name exactly the commands of the shared schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from valueroom.domain.commands import (
    agenda,
    caucus,
    deal,
    figures,
    guide,
    moderation,
    phase,
    seal,
)
from valueroom.domain.commands.common import Handler

__all__ = ["HANDLERS", "Handler"]


def _join(*tables: Mapping[str, Handler]) -> Mapping[str, Handler]:
    joined: dict[str, Handler] = {}
    for table in tables:
        for name, handler in table.items():
            if name in joined:
                raise RuntimeError(f"two handlers for {name}")
            joined[name] = handler
    return MappingProxyType(joined)


HANDLERS: Final = _join(
    agenda.HANDLERS,
    figures.HANDLERS,
    phase.HANDLERS,
    moderation.HANDLERS,
    caucus.HANDLERS,
    seal.HANDLERS,
    guide.HANDLERS,
    deal.HANDLERS,
)
