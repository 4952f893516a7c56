"""Events: the only record of what happened in a room.

A command is decided into :class:`Draft` events (pure, no sequence number yet);
the room's writer stamps them with the store's sequence number and time,
appends them durably, and only then applies, acknowledges and broadcasts them.

``Event.seq`` is the room's total order (1, 2, 3, ...), known to the store and
the server only. A client never sees it: each role numbers the events it may
see 1, 2, 3, ... on its own (see :class:`valueroom.domain.state.RoomState`), so
nobody can count the events another audience saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Actor", "Draft", "Event"]


@dataclass(frozen=True, slots=True)
class Actor:
    role: str
    name: str


@dataclass(frozen=True, slots=True)
class Draft:
    """An event decided but not yet appended."""

    name: str
    data: dict[str, Any]
    vis: int


@dataclass(frozen=True, slots=True)
class Event:
    """An appended event. ``seq`` is the room's total order, starting at 1.

    ``salt``, ``leaf`` and ``chain`` are its tamper evidence (see
    :mod:`valueroom.store.chain`): set by the room's writer just before the
    append, ``None`` on an event not yet chained. ``salt`` (32 random bytes, only
    on events not every role sees) never leaves the server except to an audience
    that may see the event.
    """

    seq: int
    at: int
    actor: Actor | None
    op: str | None
    vis: int
    name: str
    data: dict[str, Any]
    salt: bytes | None = None
    leaf: bytes | None = None
    chain: bytes | None = None
