"""What the command modules share: the handler signature and the usual refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from valueroom.domain.errors import InvalidCommand, ItemNotFound, NotPermitted
from valueroom.domain.events import Actor, Draft
from valueroom.domain.method import KINDS_WITHOUT_FIGURES
from valueroom.domain.state import Item, RoomState, View
from valueroom.domain.visibility import Party, as_party, is_party

__all__ = [
    "Handler",
    "acting_party",
    "item_with_figures",
    "live_item",
    "not_found",
    "own_party",
    "require_neutral",
    "unlocked",
]

Handler = Callable[[RoomState, Actor, dict[str, Any]], list[Draft]]
"""``handler(state, actor, args) -> drafts``; raises a DomainError to refuse."""


def not_found(item_id: str) -> ItemNotFound:
    """The refusal for an item id that names no item (on the agenda)."""
    return ItemNotFound(
        f"there is no item {item_id!r} on the agenda", reason="item.not_found", field="item_id"
    )


def live_item(view: View, item_id: str) -> Item:
    """The item on the agenda with this id; ItemNotFound if unknown, deleted or withdrawn."""
    item = view.items.get(item_id)
    if item is None or item.deleted:
        raise not_found(item_id)
    return item


def item_with_figures(view: View, item_id: str) -> Item:
    """A live item of a kind that carries figures; refused for questions and notes."""
    item = live_item(view, item_id)
    if item.kind in KINDS_WITHOUT_FIGURES:
        raise InvalidCommand(
            f"a {item.kind} carries no figures",
            reason="item.no_figures",
            field="item_id",
            params={"kind": item.kind},
        )
    return item


def acting_party(actor: Actor) -> Party:
    """The actor's party. The permission table lets only parties reach the callers."""
    return as_party(actor.role)


def own_party(actor: Actor, party: str, *, reason: str) -> Party:
    """``party`` as named in the command, which a party may only name as its own.

    The neutral may name either party; a party naming the other one is refused
    with ``reason`` (it cannot seal, or talk in the caucus of, the other side).
    """
    if is_party(actor.role) and actor.role != party:
        raise NotPermitted(
            f"the {actor.role} can only do this for its own side",
            reason=reason,
            field="party",
        )
    return as_party(party)


def require_neutral(state: RoomState) -> None:
    """Refuse in a room created without a neutral third party."""
    room = state.public.room
    if room is None or not room.neutral:
        raise InvalidCommand(
            "this room has no neutral third party", reason="room.no_neutral", field=None
        )


def unlocked(state: RoomState, actor: Actor) -> None:
    """Refuse a party's change to the agenda's set or order while the neutral has locked it."""
    if state.public.locked and is_party(actor.role):
        raise NotPermitted(
            "the neutral has locked the agenda: items cannot be added, removed or reordered now",
            reason="agenda.locked",
        )
