"""Private figures and two-key transparency.

A party's registration is for its own team only; the reveal is public and
carries both parties' figures in one event, so both sides learn them at the
same moment. After the reveal, changes are public revisions (old and new).
A party that shared its figures under seal and then registers different ones
outdates the shared copy (see :mod:`valueroom.domain.commands.seal`).
"""

from __future__ import annotations

from typing import Any

from valueroom.domain.commands.common import Handler, acting_party, item_with_figures
from valueroom.domain.commands.seal import after_registration
from valueroom.domain.errors import TransparencyError
from valueroom.domain.events import Actor, Draft
from valueroom.domain.money import parse_amount
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PARTIES, PUBLIC, other, party_only

__all__ = ["HANDLERS"]


def _figures_set(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = acting_party(actor)
    view = state.view(party)
    item = item_with_figures(view, args["item_id"])
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
    drafts.extend(after_registration(state, party, item, value, cost))
    return drafts


def _consent_set(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = acting_party(actor)
    view = state.view(party)
    item = item_with_figures(view, args["item_id"])
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


HANDLERS: dict[str, Handler] = {
    "figures.set": _figures_set,
    "consent.set": _consent_set,
}
