"""Commands decided into events: permissions, invariants and privacy, with no I/O.

``decide(state, actor, name, args)`` returns the drafts a command produces, or
raises a :class:`~valueroom.domain.errors.DomainError`. Arguments arrive
already checked against the shared schema (types, lengths, sizes); this module
checks what only the room's state can tell. An empty list means the command is
valid and changes nothing (it is acknowledged at the current sequence number).

Visibility is decided here, per draft: agenda events are public; a party's
registration is for its own team only; the reveal is public and carries both
parties' figures in one event, so both sides learn them at the same moment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fractional_indexing

from valueroom.domain.errors import (
    InvalidCommand,
    ItemExists,
    ItemNotFound,
    LimitReached,
    NotPermitted,
    TransparencyError,
)
from valueroom.domain.events import Actor, Draft
from valueroom.domain.method import RELATIONSHIP_MODELS
from valueroom.domain.money import parse_amount
from valueroom.domain.state import Item, RoomState, View
from valueroom.domain.visibility import (
    PARTIES,
    PUBLIC,
    Party,
    as_party,
    is_party,
    other,
    party_only,
)

__all__ = ["create_room", "decide"]


def create_room(
    room_id: str, title: str, buyer_org: str, seller_org: str, currency: str, neutral: bool
) -> list[Draft]:
    """The first event of every room's log."""
    data = {
        "id": room_id,
        "title": title,
        "buyer_org": buyer_org,
        "seller_org": seller_org,
        "currency": currency,
        "neutral": neutral,
    }
    return [Draft("room.created", data, PUBLIC)]


def decide(state: RoomState, actor: Actor, name: str, args: dict[str, Any]) -> list[Draft]:
    """Decide command ``name`` sent by ``actor``; raise a DomainError to refuse it."""
    handler = _HANDLERS[name]
    return handler(state, actor, args)


def _live_item(view: View, item_id: str) -> Item:
    item = view.items.get(item_id)
    if item is None or item.deleted:
        raise ItemNotFound(
            f"there is no item {item_id!r} on the agenda", reason="item.not_found", field="item_id"
        )
    return item


def _party(actor: Actor, doing: str) -> Party:
    if not is_party(actor.role):
        raise NotPermitted(
            f"only the buyer and the seller can {doing}",
            reason="role.parties_only",
            params={"action": doing},
        )
    return as_party(actor.role)


def _check_options(options: list[dict[str, str]]) -> None:
    ids = [option["id"] for option in options]
    if len(set(ids)) != len(ids):
        raise InvalidCommand(
            "option ids must be unique within an item",
            reason="options.duplicate_id",
            field="options",
        )


def _free_position(view: View, wanted: str | None, moving: str | None = None) -> str:
    """The position the server grants: ``wanted`` if free, else just after it.

    Two people dropping different items into the same gap pick the same key;
    the one decided second is nudged between that key and its successor, so
    every item keeps a distinct position and the order is total.
    """
    taken = sorted(
        item.position for item in view.items.values() if not item.deleted and item.id != moving
    )
    if wanted is None:
        return str(fractional_indexing.generate_key_between(taken[-1] if taken else None, None))
    try:
        fractional_indexing.validate_order_key(wanted)
    except fractional_indexing.FIError as exc:
        raise InvalidCommand(
            "position is not a valid order key", reason="position.invalid", field="position"
        ) from exc
    if wanted not in taken:
        return wanted
    successor = next((p for p in taken if p > wanted), None)
    return str(fractional_indexing.generate_key_between(wanted, successor))


def _item_add(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    view = state.view(actor.role)
    item_id = args["item_id"]
    if item_id in view.items:
        raise ItemExists(
            f"an item with id {item_id!r} already exists", reason="item.exists", field="item_id"
        )
    most = state.rules.max_items
    if sum(1 for item in view.items.values() if not item.deleted) >= most:
        raise LimitReached(
            f"an agenda holds at most {most} items", reason="agenda.full", params={"max": most}
        )
    kind = args["kind"]
    options = args.get("options")
    if options is None:
        options = [dict(o) for o in RELATIONSHIP_MODELS] if kind == "relationship" else []
    _check_options(options)
    data = {
        "item_id": item_id,
        "kind": kind,
        "title": args["title"],
        "description": args.get("description", ""),
        "options": options,
        "position": _free_position(view, args.get("position")),
    }
    return [Draft("item.added", data, PUBLIC)]


def _item_edit(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    item = _live_item(state.view(actor.role), args["item_id"])
    changes = {
        key: value
        for key, value in args.items()
        if key != "item_id" and getattr(item, key) != value
    }
    if "options" in changes:
        _check_options(changes["options"])
    if not changes:
        return []
    return [Draft("item.edited", {"item_id": item.id, **changes}, PUBLIC)]


def _item_move(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    view = state.view(actor.role)
    item = _live_item(view, args["item_id"])
    if args["position"] == item.position:
        return []
    position = _free_position(view, args["position"], moving=item.id)
    return [Draft("item.moved", {"item_id": item.id, "position": position}, PUBLIC)]


def _item_park(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    item = _live_item(state.view(actor.role), args["item_id"])
    if item.parked == args["parked"]:
        return []
    return [Draft("item.parked", {"item_id": item.id, "parked": args["parked"]}, PUBLIC)]


def _item_agree(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = _party(actor, "agree to an item")
    item = _live_item(state.view(actor.role), args["item_id"])
    if item.agreed[party] == args["agreed"]:
        return []
    data = {"item_id": item.id, "party": party, "agreed": args["agreed"]}
    return [Draft("item.agreed", data, PUBLIC)]


def _item_delete(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    item = _live_item(state.view(actor.role), args["item_id"])
    return [Draft("item.deleted", {"item_id": item.id}, PUBLIC)]


def _figures_set(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = _party(actor, "register figures")
    view = state.view(party)
    item = _live_item(view, args["item_id"])
    assert view.room is not None
    decimals = state.rules.decimals(view.room.currency)
    most = state.rules.max_amount_units
    value = parse_amount(
        args["value"], decimals, allow_negative=True, field="value", max_units=most
    )
    cost = parse_amount(args["cost"], decimals, allow_negative=False, field="cost", max_units=most)
    previous = view.private.get(item.id)
    note = args.get("note", previous.note if previous is not None else "")
    if previous is not None and (previous.value, previous.cost, previous.note) == (
        value,
        cost,
        note,
    ):
        return []
    drafts = [
        Draft(
            "figures.registered",
            {"item_id": item.id, "party": party, "value": value, "cost": cost, "note": note},
            party_only(party),
        )
    ]
    if item.revealed:
        before = item.figures[party]
        after = {"value": value, "cost": cost}
        if before != after:
            data = {"item_id": item.id, "party": party, "before": dict(before), "after": after}
            drafts.append(Draft("figures.revised", data, PUBLIC))
    return drafts


def _consent_set(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = _party(actor, "consent to transparency")
    view = state.view(party)
    item = _live_item(view, args["item_id"])
    consent = args["consent"]
    if item.revealed:
        if consent:
            return []
        raise TransparencyError(
            "the figures of this item are already revealed",
            reason="transparency.already_revealed",
            field="consent",
        )
    if item.consent[party] == consent:
        return []
    if consent and item.id not in view.private:
        raise TransparencyError(
            "register your figures for this item before consenting",
            reason="transparency.register_first",
            field="consent",
        )
    drafts = [
        Draft("consent.changed", {"item_id": item.id, "party": party, "consent": consent}, PUBLIC)
    ]
    if consent and item.consent[other(party)]:
        # Both keys turned: reveal both sides in one public event, so neither
        # learns the other's figures before its own are shown too.
        figures: dict[str, dict[str, int]] = {}
        for side in PARTIES:
            record = state.view(side).private[item.id]
            figures[side] = {"value": record.value, "cost": record.cost}
        drafts.append(Draft("item.revealed", {"item_id": item.id, **figures}, PUBLIC))
    return drafts


_Handler = Callable[[RoomState, Actor, dict[str, Any]], list[Draft]]

_HANDLERS: dict[str, _Handler] = {
    "item.add": _item_add,
    "item.edit": _item_edit,
    "item.move": _item_move,
    "item.park": _item_park,
    "item.agree": _item_agree,
    "item.delete": _item_delete,
    "figures.set": _figures_set,
    "consent.set": _consent_set,
}
