"""Build rooms in the pure core, without sockets or stores."""

from __future__ import annotations

from typing import Any

from valueroom.domain.decide import create_room, decide
from valueroom.domain.events import Actor, Event
from valueroom.domain.state import RoomState

__all__ = ["BUYER", "NEUTRAL", "SELLER", "Room"]

BUYER = Actor("buyer", "Bea")
SELLER = Actor("seller", "Sam")
NEUTRAL = Actor("neutral", "Nora")


class Room:
    """A room's log and state, driven through ``decide`` exactly as the server does."""

    def __init__(self, currency: str = "EUR", neutral: bool = True) -> None:
        self.state = RoomState()
        self.log: list[Event] = []
        for draft in create_room("room1", "Deal", "B", "S", currency, neutral):
            self._append(None, None, draft.name, draft.data, draft.vis)

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

    def add(self, item_id: str, title: str = "Item", kind: str = "term", **extra: Any) -> Event:
        (event,) = self.do(BUYER, "item.add", item_id=item_id, kind=kind, title=title, **extra)
        return event

    def order(self, role: str = "buyer") -> list[str]:
        return [item.id for item in self.state.view(role).live_items()]
