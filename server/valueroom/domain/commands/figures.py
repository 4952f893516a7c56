"""Private figures and two-key transparency.

A party's registration is for its own team only; the reveal is public and
carries both parties' figures in one event, so both sides learn them at the
same moment. After the reveal, changes are public revisions (old and new).
A party that shared its figures under seal and then registers different ones
outdates the shared copy (see :mod:`valueroom.domain.commands.seal`).

Uncertain figures: with its value and cost a party may register a range
(``value_low``/``value_high``, ``cost_low``/``cost_high``; an omitted end is
the expected figure itself). ``low <= expected <= high`` or the command is
refused (``figure.range_low`` / ``figure.range_high``, in the end's field). A range equal to the figures is no range:
the event then carries no ``range`` field, exactly as before ranges existed,
and a command without range fields registers figures without a range. The
range travels with the figures it belongs to: in the party's own
``figures.registered``, in ``item.revealed`` and in public revisions (a
changed range after the reveal is a public revision). It is never shared
under seal: the neutral attests the expected figures, which are the ones
the split uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from valueroom.domain.commands.common import Handler, acting_party, item_with_figures
from valueroom.domain.commands.seal import after_registration
from valueroom.domain.errors import InvalidFigure, TransparencyError
from valueroom.domain.events import Actor, Draft
from valueroom.domain.money import parse_amount
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PARTIES, PUBLIC, other, party_only

__all__ = ["HANDLERS"]


def _bound(
    args: dict[str, Any], field: str, expected: int, parse: Callable[[str, str], int]
) -> int:
    """One end of a range: the amount given in ``field``, or ``expected`` when omitted."""
    text = args.get(field)
    return expected if text is None else parse(text, field)


def _range(
    args: dict[str, Any], value: int, cost: int, parse: Callable[[str, str], int]
) -> dict[str, int] | None:
    """The range the command gives around ``value`` and ``cost``; None when it is no range."""
    ends = {
        "value_low": _bound(args, "value_low", value, parse),
        "value_high": _bound(args, "value_high", value, parse),
        "cost_low": _bound(args, "cost_low", cost, parse),
        "cost_high": _bound(args, "cost_high", cost, parse),
    }
    for figure, expected in (("value", value), ("cost", cost)):
        if ends[f"{figure}_low"] > expected:
            raise InvalidFigure(
                f"{figure}_low must be at most the {figure} itself",
                reason="figure.range_low",
                field=f"{figure}_low",
            )
        if ends[f"{figure}_high"] < expected:
            raise InvalidFigure(
                f"{figure}_high must be at least the {figure} itself",
                reason="figure.range_high",
                field=f"{figure}_high",
            )
    if ends == {"value_low": value, "value_high": value, "cost_low": cost, "cost_high": cost}:
        return None
    return ends


def _public(value: int, cost: int, ranged: dict[str, int] | None) -> dict[str, Any]:
    """A party's figures as the reveal and revisions carry them: the range only when there is one."""
    figures: dict[str, Any] = {"value": value, "cost": cost}
    if ranged is not None:
        figures["range"] = dict(ranged)
    return figures


def _figures_set(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = acting_party(actor)
    view = state.view(party)
    item = item_with_figures(view, args["item_id"])
    assert view.room is not None
    decimals = state.rules.decimals(view.room.currency)
    most = state.rules.max_amount_units

    def parse(text: str, field: str) -> int:
        negative = field.startswith("value")
        return parse_amount(text, decimals, allow_negative=negative, field=field, max_units=most)

    value = parse(args["value"], "value")
    cost = parse(args["cost"], "cost")
    ranged = _range(args, value, cost, parse)
    previous = view.private.get(item.id)
    note = args.get("note", previous.note if previous is not None else "")
    if previous is not None and (
        previous.value,
        previous.cost,
        previous.note,
        previous.range,
    ) == (value, cost, note, ranged):
        return []
    data: dict[str, Any] = {
        "item_id": item.id,
        "party": party,
        "value": value,
        "cost": cost,
        "note": note,
    }
    if ranged is not None:
        data["range"] = dict(ranged)
    drafts = [Draft("figures.registered", data, party_only(party))]
    if item.revealed:
        current = item.figures[party]
        before = _public(current["value"], current["cost"], current.get("range"))
        after = _public(value, cost, ranged)
        if before != after:
            data = {"item_id": item.id, "party": party, "before": before, "after": after}
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
        figures: dict[str, dict[str, Any]] = {}
        for side in PARTIES:
            record = state.view(side).private[item.id]
            figures[side] = _public(record.value, record.cost, record.range)
        drafts.append(Draft("item.revealed", {"item_id": item.id, **figures}, PUBLIC))
    return drafts


HANDLERS: dict[str, Handler] = {
    "figures.set": _figures_set,
    "consent.set": _consent_set,
}
