"""Room state as a fold over events.

A :class:`View` is what one role knows: the fold of the events visible to that
role, in sequence order. :class:`RoomState` holds one view per role and feeds
each event only to the views :func:`~valueroom.domain.visibility.visible`
admits, so the state the server keeps for the seller is built from exactly the
bytes the seller was sent. There is no "full" state with everyone's secrets in
one place; a decision that needs both parties' private figures (the reveal)
reads both parties' views explicitly.

Besides the three role views there is the *public* view, the fold of the
events every role sees. It is what all may know, and the shared split is
computed from it (the neutral's view may hold figures shared with it under
seal, so it is not that).

Numbering: a view's ``seq`` counts the events folded into it. That count is
the sequence number the role's members see on the wire, so a role's numbers
run 1, 2, 3, ... without gaps, whatever other audiences saw in between.

``apply`` has no I/O and no clock: replaying the same events always yields the
same views. It updates a view in place for speed (a room applies every event
to up to three views on the hot path) and returns it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from valueroom.domain.events import Event
from valueroom.domain.rules import Rules
from valueroom.domain.visibility import PARTIES, ROLES, is_public, visible

__all__ = ["PUBLIC_VIEW", "FigureRecord", "Item", "RoomInfo", "RoomState", "View", "apply"]

PUBLIC_VIEW = "public"


@dataclass(slots=True)
class RoomInfo:
    id: str
    title: str
    buyer_org: str
    seller_org: str
    currency: str
    neutral: bool
    created_at: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "buyer_org": self.buyer_org,
            "seller_org": self.seller_org,
            "currency": self.currency,
            "neutral": self.neutral,
            "created_at": self.created_at,
        }


@dataclass(slots=True)
class FigureRecord:
    """A party's own registration for one item, as that party's team sees it."""

    value: int
    cost: int
    note: str

    def to_wire(self) -> dict[str, Any]:
        return {"value": self.value, "cost": self.cost, "note": self.note}


@dataclass(slots=True)
class Item:
    id: str
    kind: str
    title: str
    description: str
    options: list[dict[str, str]]
    position: str
    parked: bool = False
    deleted: bool = False
    agreed: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(PARTIES, False))
    consent: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(PARTIES, False))
    revealed: bool = False
    # Public figures: filled by the reveal, then by public revisions.
    figures: dict[str, dict[str, int]] = field(default_factory=dict)
    revisions: list[dict[str, Any]] = field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "description": self.description,
            "options": [dict(option) for option in self.options],
            "position": self.position,
            "parked": self.parked,
            "agreed": dict(self.agreed),
            "consent": dict(self.consent),
            "revealed": self.revealed,
            "figures": {party: dict(f) for party, f in self.figures.items()},
            "revisions": [dict(r) for r in self.revisions],
        }


@dataclass(slots=True)
class View:
    """One audience's knowledge of the room. ``seq`` counts the events folded into it."""

    role: str
    seq: int = 0
    room: RoomInfo | None = None
    items: dict[str, Item] = field(default_factory=dict)
    private: dict[str, FigureRecord] = field(default_factory=dict)
    # (actor role, client op id) -> this view's number of the op's last event;
    # makes a re-sent command idempotent across reconnects, restarts and processes.
    ops: dict[tuple[str, str], int] = field(default_factory=dict)

    def live_items(self) -> list[Item]:
        """Items not deleted, in agenda order (position, then id as tie-break)."""
        return sorted(
            (item for item in self.items.values() if not item.deleted),
            key=lambda item: (item.position, item.id),
        )

    def to_wire(self) -> dict[str, Any]:
        """The welcome snapshot of this view."""
        return {
            "room": None if self.room is None else self.room.to_wire(),
            "items": [item.to_wire() for item in self.live_items()],
            "private": {
                item_id: record.to_wire()
                for item_id, record in self.private.items()
                if item_id in self.items and not self.items[item_id].deleted
            },
        }


def _room_created(view: View, event: Event) -> None:
    d = event.data
    view.room = RoomInfo(
        id=d["id"],
        title=d["title"],
        buyer_org=d["buyer_org"],
        seller_org=d["seller_org"],
        currency=d["currency"],
        neutral=d["neutral"],
        created_at=event.at,
    )


def _item_added(view: View, event: Event) -> None:
    d = event.data
    view.items[d["item_id"]] = Item(
        id=d["item_id"],
        kind=d["kind"],
        title=d["title"],
        description=d["description"],
        options=[dict(option) for option in d["options"]],
        position=d["position"],
    )


def _item_edited(view: View, event: Event) -> None:
    item = view.items[event.data["item_id"]]
    for key, value in event.data.items():
        if key == "options":
            item.options = [dict(option) for option in value]
        elif key != "item_id":
            setattr(item, key, value)


def _item_moved(view: View, event: Event) -> None:
    view.items[event.data["item_id"]].position = event.data["position"]


def _item_parked(view: View, event: Event) -> None:
    view.items[event.data["item_id"]].parked = event.data["parked"]


def _item_agreed(view: View, event: Event) -> None:
    view.items[event.data["item_id"]].agreed[event.data["party"]] = event.data["agreed"]


def _item_deleted(view: View, event: Event) -> None:
    view.items[event.data["item_id"]].deleted = True


def _figures_registered(view: View, event: Event) -> None:
    d = event.data
    view.private[d["item_id"]] = FigureRecord(value=d["value"], cost=d["cost"], note=d["note"])


def _consent_changed(view: View, event: Event) -> None:
    view.items[event.data["item_id"]].consent[event.data["party"]] = event.data["consent"]


def _item_revealed(view: View, event: Event) -> None:
    item = view.items[event.data["item_id"]]
    item.revealed = True
    item.figures = {party: dict(event.data[party]) for party in PARTIES}


def _figures_revised(view: View, event: Event) -> None:
    d = event.data
    item = view.items[d["item_id"]]
    item.figures[d["party"]] = dict(d["after"])
    item.revisions.append(
        {
            "party": d["party"],
            "before": dict(d["before"]),
            "after": dict(d["after"]),
            # This view's own number for the event (``apply`` counts it next),
            # never the log's: that would tell how many events others saw.
            "seq": view.seq + 1,
        }
    )


_APPLY = {
    "room.created": _room_created,
    "item.added": _item_added,
    "item.edited": _item_edited,
    "item.moved": _item_moved,
    "item.parked": _item_parked,
    "item.agreed": _item_agreed,
    "item.deleted": _item_deleted,
    "figures.registered": _figures_registered,
    "consent.changed": _consent_changed,
    "item.revealed": _item_revealed,
    "figures.revised": _figures_revised,
}


def apply(view: View, event: Event) -> View:
    """Fold one event (already known to be visible to ``view.role``) into ``view``."""
    _APPLY[event.name](view, event)
    view.seq += 1
    if event.op is not None and event.actor is not None:
        view.ops[(event.actor.role, event.op)] = view.seq
    return view


class RoomState:
    """The views of one room (three roles and the public one) and its last sequence number."""

    __slots__ = ("public", "rules", "seq", "views")

    def __init__(self, rules: Rules | None = None) -> None:
        self.seq = 0
        self.rules = rules or Rules()
        self.views: dict[str, View] = {role: View(role) for role in ROLES}
        self.public = View(PUBLIC_VIEW)

    @classmethod
    def fold(cls, events: Iterable[Event], rules: Rules | None = None) -> RoomState:
        state = cls(rules)
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: Event) -> dict[str, int]:
        """Apply ``event`` to every view allowed to see it. Events must come in order.

        Returns the number each role that sees the event gives it (its view's
        new ``seq``); roles that do not see it are absent.
        """
        if event.seq != self.seq + 1:
            raise ValueError(f"event {event.seq} applied after {self.seq}: the log has a gap")
        numbers: dict[str, int] = {}
        for role, view in self.views.items():
            if visible(event.vis, role):
                numbers[role] = apply(view, event).seq
        if is_public(event.vis):
            apply(self.public, event)
        self.seq = event.seq
        return numbers

    def view(self, role: str) -> View:
        return self.views[role]
