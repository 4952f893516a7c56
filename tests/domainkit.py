"""Build rooms in the pure core, without sockets or stores."""

from __future__ import annotations

from typing import Any

from valueroom.domain.decide import create_room, decide
from valueroom.domain.events import Actor, Draft, Event
from valueroom.domain.method import FIRST_PHASE
from valueroom.domain.state import RoomState

__all__ = ["BUYER", "BUYER2", "NEUTRAL", "SELLER", "Room"]

BUYER = Actor("buyer", "Bea")
BUYER2 = Actor("buyer", "Bob")  # a second member of the buyer's team
SELLER = Actor("seller", "Sam")
NEUTRAL = Actor("neutral", "Nora")


class Room:
    """A room's log and state, driven through ``decide`` exactly as the server does.

    ``phase`` moves the new room to that phase first (the neutral moves it,
    or both parties when the room has no neutral), so tests start where the
    method uses what they test.
    """

    def __init__(
        self, currency: str = "EUR", neutral: bool = True, phase: str = FIRST_PHASE
    ) -> None:
        self.state = RoomState()
        self.log: list[Event] = []
        self.neutral = neutral
        for draft in create_room("room1", "Deal", "B", "S", currency, neutral):
            self._append(None, None, draft.name, draft.data, draft.vis)
        self.to_phase(phase)

    def _append(
        self, actor: Actor | None, op: str | None, name: str, data: dict[str, Any], vis: int
    ) -> Event:
        event = Event(len(self.log) + 1, 1000 + len(self.log), actor, op, vis, name, data)
        self.state.apply(event)
        self.log.append(event)
        return event

    def do(self, actor: Actor, name: str, op: str | None = None, **args: Any) -> list[Event]:
        drafts = decide(self.state, actor, name, args)
        op = op or f"op{len(self.log)}"
        return [self._append(actor, op, d.name, d.data, d.vis) for d in drafts]

    def system(self, actor: Actor, draft: Draft) -> Event:
        """Append an event the room writes by itself (an access-log entry)."""
        return self._append(actor, None, draft.name, draft.data, draft.vis)

    def to_phase(self, phase: str) -> None:
        """Move the room to ``phase`` the way the method allows (no-op if it is there)."""
        if self.state.phase == phase:
            return
        if self.neutral:
            self.do(NEUTRAL, "phase.set", phase=phase)
        else:
            self.do(BUYER, "phase.propose", phase=phase)
            self.do(SELLER, "phase.propose", phase=phase)
        assert self.state.phase == phase

    def add(self, item_id: str, title: str = "Item", kind: str = "term", **extra: Any) -> Event:
        (event,) = self.do(BUYER, "item.add", item_id=item_id, kind=kind, title=title, **extra)
        return event

    def order(self, role: str = "buyer") -> list[str]:
        return [item.id for item in self.state.view(role).live_items()]
