"""The shared agenda: add, edit, move, park, agree, delete, withdraw, restore.

Every agenda event is public. The content of the agenda is the parties'; the
neutral moderates it (order, parking, tidying up, restoring), as the
permission table says.

While the neutral has locked the agenda, the parties cannot change its set or
order: add, delete, withdraw, restore, move, park (refused with
``agenda.locked``). Wording, options and agreement stay open.

An item either party agreed to, whose figures were revealed, or that is in the
split under seal is *protected*: nobody, the neutral included, deletes it
(``item.protected``). It leaves the agenda only when both parties turn their
withdrawal key (two-key, like transparency; a key can be turned back until the
second one turns). A deleted or withdrawn item stays in the log and can be
restored as it was; only its position may be nudged if another item took it.
"""

from __future__ import annotations

from typing import Any

import fractional_indexing

from valueroom.domain.commands.common import (
    Handler,
    acting_party,
    live_item,
    not_found,
    unlocked,
)
from valueroom.domain.errors import InvalidCommand, ItemExists, LimitReached, NotPermitted
from valueroom.domain.events import Actor, Draft
from valueroom.domain.method import RELATIONSHIP_MODELS
from valueroom.domain.state import RoomState, View
from valueroom.domain.visibility import PUBLIC, other

__all__ = ["HANDLERS"]


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


def _place(
    state: RoomState, view: View, wanted: str | None, moving: str | None = None
) -> tuple[str, list[Draft]]:
    """The position to grant, and the ``item.moved`` events of a rebalance if one is needed.

    Keys nudged between close neighbours grow; one longer than the schema's
    limit (``Rules.max_position``) would make a frame no client accepts. The
    agenda is then rebalanced: every other live item gets a fresh short key
    in its current order (public ``item.moved`` events, decided before the
    placing event), and the placed item the key of its slot among them.
    """
    position = _free_position(view, wanted, moving)
    if len(position) <= state.rules.max_position:
        return position, []
    others = sorted(
        (item.position, item.id)
        for item in view.items.values()
        if not item.deleted and item.id != moving
    )
    slot = sum(1 for key, _ in others if key < position)
    keys = [
        str(k) for k in fractional_indexing.generate_n_keys_between(None, None, len(others) + 1)
    ]
    granted = keys.pop(slot)
    moves = [
        Draft("item.moved", {"item_id": item_id, "position": key}, PUBLIC)
        for (old, item_id), key in zip(others, keys, strict=True)
        if old != key
    ]
    return granted, moves


def _room_for_one_more(state: RoomState, view: View) -> None:
    most = state.rules.max_items
    if sum(1 for item in view.items.values() if not item.deleted) >= most:
        raise LimitReached(
            f"an agenda holds at most {most} items", reason="agenda.full", params={"max": most}
        )
    # Removed items stay in the room (restorable), so they count here: the
    # room's state, and every welcome, stays bounded.
    records = state.rules.max_item_records
    if len(view.items) >= records:
        raise LimitReached(
            f"a room holds at most {records} items, removed ones included",
            reason="agenda.records_full",
            params={"max": records},
        )


def _item_add(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    unlocked(state, actor)
    view = state.view(actor.role)
    item_id = args["item_id"]
    if item_id in view.items:
        raise ItemExists(
            f"an item with id {item_id!r} already exists", reason="item.exists", field="item_id"
        )
    _room_for_one_more(state, view)
    kind = args["kind"]
    options = args.get("options")
    if options is None:
        options = [dict(o) for o in RELATIONSHIP_MODELS] if kind == "relationship" else []
    _check_options(options)
    position, moves = _place(state, view, args.get("position"))
    data = {
        "item_id": item_id,
        "kind": kind,
        "title": args["title"],
        "description": args.get("description", ""),
        "options": options,
        "position": position,
    }
    return [*moves, Draft("item.added", data, PUBLIC)]


def _item_edit(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    item = live_item(state.view(actor.role), args["item_id"])
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
    unlocked(state, actor)
    view = state.view(actor.role)
    item = live_item(view, args["item_id"])
    if args["position"] == item.position:
        return []
    position, moves = _place(state, view, args["position"], moving=item.id)
    return [*moves, Draft("item.moved", {"item_id": item.id, "position": position}, PUBLIC)]


def _item_park(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    unlocked(state, actor)
    item = live_item(state.view(actor.role), args["item_id"])
    if item.parked == args["parked"]:
        return []
    return [Draft("item.parked", {"item_id": item.id, "parked": args["parked"]}, PUBLIC)]


def _item_agree(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    """Agree (or take agreement back); on an item with options, agree on one of them.

    Agreeing on another option than the one both parties agreed on changes
    what was agreed: both agreements are voided and the party's new choice
    stands alone until the other side agrees on it too.
    """
    party = acting_party(actor)
    item = live_item(state.view(actor.role), args["item_id"])
    agreed = args["agreed"]
    option = args.get("option") if agreed else None
    labels = {o["id"]: o["label"] for o in item.options}
    if agreed and labels and option is None:
        raise InvalidCommand(
            "choose the option you agree on", reason="agree.option_required", field="option"
        )
    if option is not None and option not in labels:
        raise InvalidCommand(
            f"this item has no option {option!r}", reason="option.unknown", field="option"
        )
    if item.agreed[party] == agreed and item.chosen[party] == option:
        return []
    drafts: list[Draft] = []
    before = item.chosen[party]
    if agreed and item.agreed_by_both and before != option:
        change = {
            "field": "option",
            "old": labels.get(before or "", ""),
            "new": labels[option or ""],
        }
        voided = {"item_id": item.id, "by": party, "changes": [change]}
        drafts.append(Draft("item.agreement_voided", voided, PUBLIC))
    data = {"item_id": item.id, "party": party, "agreed": agreed, "option": option}
    drafts.append(Draft("item.agreed", data, PUBLIC))
    return drafts


def _item_delete(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    unlocked(state, actor)
    item = live_item(state.view(actor.role), args["item_id"])
    why = item.protected
    if why is not None:
        raise NotPermitted(
            f"this item is protected ({why}): it can only be withdrawn with both parties' consent",
            reason="item.protected",
            params={"why": why},
        )
    return [Draft("item.deleted", {"item_id": item.id}, PUBLIC)]


def _item_withdraw(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    unlocked(state, actor)
    party = acting_party(actor)
    item = live_item(state.view(party), args["item_id"])
    withdraw = args["withdraw"]
    if item.withdrawal[party] == withdraw:
        return []
    drafts = [
        Draft(
            "withdrawal.changed",
            {"item_id": item.id, "party": party, "withdraw": withdraw},
            PUBLIC,
        )
    ]
    if withdraw and item.withdrawal[other(party)]:
        drafts.append(Draft("item.withdrawn", {"item_id": item.id}, PUBLIC))
    return drafts


def _item_restore(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    unlocked(state, actor)
    view = state.view(actor.role)
    item = view.items.get(args["item_id"])
    if item is None:
        raise not_found(args["item_id"])
    if not item.deleted:
        return []
    _room_for_one_more(state, view)
    position, moves = _place(state, view, item.position, moving=item.id)
    return [*moves, Draft("item.restored", {"item_id": item.id, "position": position}, PUBLIC)]


HANDLERS: dict[str, Handler] = {
    "item.add": _item_add,
    "item.edit": _item_edit,
    "item.move": _item_move,
    "item.park": _item_park,
    "item.agree": _item_agree,
    "item.delete": _item_delete,
    "item.withdraw": _item_withdraw,
    "item.restore": _item_restore,
}
