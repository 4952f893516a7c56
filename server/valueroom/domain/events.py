"""Events: the only record of what happened in a room.

A command is decided into :class:`Draft` events (pure, no sequence number yet);
the room's writer stamps them with the store's sequence number and time,
appends them durably, and only then applies, acknowledges and broadcasts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from valueroom.protocol.codec import encode

__all__ = ["Actor", "Draft", "Event"]


@dataclass(frozen=True, slots=True)
class Actor:
    role: str
    name: str

    def to_wire(self) -> dict[str, str]:
        return {"role": self.role, "name": self.name}


@dataclass(frozen=True, slots=True)
class Draft:
    """An event decided but not yet appended."""

    name: str
    data: dict[str, Any]
    vis: int


@dataclass(frozen=True, slots=True)
class Event:
    """An appended event. ``seq`` is the room's total order, starting at 1."""

    seq: int
    at: int
    actor: Actor | None
    op: str | None
    vis: int
    name: str
    data: dict[str, Any]
    _packed: bytes | None = field(default=None, compare=False, repr=False)

    def packed(self) -> bytes:
        """The msgpack bytes of the ``event`` frame, encoded once and reused.

        The same bytes are stored in the log and sent to every recipient.
        """
        if self._packed is None:
            object.__setattr__(self, "_packed", encode(self.to_wire()))
        assert self._packed is not None
        return self._packed

    def to_wire(self) -> dict[str, Any]:
        """The ``event`` frame, identical for every recipient allowed to see it."""
        return {
            "type": "event",
            "seq": self.seq,
            "at": self.at,
            "actor": None if self.actor is None else self.actor.to_wire(),
            "op": self.op,
            "vis": self.vis,
            "name": self.name,
            "data": self.data,
        }

    @classmethod
    def from_wire(cls, frame: dict[str, Any]) -> Event:
        actor = frame["actor"]
        return cls(
            seq=frame["seq"],
            at=frame["at"],
            actor=None if actor is None else Actor(actor["role"], actor["name"]),
            op=frame["op"],
            vis=frame["vis"],
            name=frame["name"],
            data=frame["data"],
        )
