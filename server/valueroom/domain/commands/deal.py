"""The end of a negotiation: commitments, the two-key sign-off, the agreement.

Sign-off: each party signs the deal sheet's *current* hash
(:func:`valueroom.domain.agreement.deal_hash`); a hash that is not the
current one is refused (``deal.stale_hash``), and so is signing the same hash
twice (``deal.already_signed``) or an empty deal sheet (``deal.empty``).
When the second party signs the hash the first one signed, the same command
appends ``deal.agreed`` (carrying the deal sheet exactly as signed) and moves
the room to ``closed``: from then on every changing command is refused by the
permission table, except a commitment's status and the neutral's witness.
A change to the deal sheet while signatures stand voids them all
(``deal.unsigned``, see :func:`valueroom.domain.agreement.consequences`).

The neutral may countersign as witness (``deal.witness``): the current hash
before the agreement, the signed hash after it.

Commitments (the article's trust behaviour "keep commitments"): anyone
records one (who, what, by when, about which item); anyone marks it kept,
broken or open again, with a comment, also after the agreement.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from valueroom.domain.agreement import deal_hash, deal_sheet
from valueroom.domain.commands.common import Handler, acting_party, live_item
from valueroom.domain.errors import InvalidCommand, LimitReached
from valueroom.domain.events import Actor, Draft
from valueroom.domain.method import CLOSED
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PUBLIC, other

__all__ = ["HANDLERS", "MAX_COMMITMENTS"]

MAX_COMMITMENTS = 200


def _stale(current: str) -> InvalidCommand:
    return InvalidCommand(
        "the deal sheet changed since you saw it: check it again before signing",
        reason="deal.stale_hash",
        field="hash",
        params={"current": current},
    )


def _already() -> InvalidCommand:
    return InvalidCommand(
        "you have already signed this deal sheet", reason="deal.already_signed", field="hash"
    )


def _deal_sign(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = acting_party(actor)
    public = state.public
    current = deal_hash(public)
    if args["hash"] != current:
        raise _stale(current)
    mine = public.signatures.get(party)
    if mine is not None and mine["hash"] == current:
        raise _already()
    sheet = deal_sheet(public)
    if not sheet["agreed"]:
        raise InvalidCommand(
            "nothing is agreed yet: agree on items before signing",
            reason="deal.empty",
            field="hash",
        )
    drafts = [Draft("deal.signed", {"role": party, "hash": current}, PUBLIC)]
    theirs = public.signatures.get(other(party))
    if theirs is not None and theirs["hash"] == current:
        drafts.append(Draft("deal.agreed", {"hash": current, "sheet": sheet}, PUBLIC))
        drafts.append(Draft("phase.changed", {"phase": CLOSED, "from": state.phase}, PUBLIC))
    return drafts


def _deal_witness(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    public = state.public
    expected = public.agreement["hash"] if public.agreement else deal_hash(public)
    if args["hash"] != expected:
        raise _stale(expected)
    mine = public.signatures.get(actor.role)
    if mine is not None and mine["hash"] == expected:
        raise _already()
    return [Draft("deal.signed", {"role": actor.role, "hash": expected}, PUBLIC)]


def _due(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InvalidCommand(
            "the due date must be a date such as 2027-03-31", reason="date.invalid", field="due"
        ) from exc


def _commitment_add(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    public = state.public
    commitment_id = args["commitment_id"]
    if commitment_id in public.commitments:
        raise InvalidCommand(
            f"a commitment with id {commitment_id!r} already exists",
            reason="commitment.exists",
            field="commitment_id",
        )
    if len(public.commitments) >= MAX_COMMITMENTS:
        raise LimitReached(
            f"a room holds at most {MAX_COMMITMENTS} commitments",
            reason="commitments.full",
            params={"max": MAX_COMMITMENTS},
        )
    item_id = args.get("item_id")
    if item_id is not None:
        live_item(public, item_id)
    data = {
        "commitment_id": commitment_id,
        "who": args["who"],
        "what": args["what"],
        "due": _due(args.get("due")),
        "item_id": item_id,
    }
    return [Draft("commitment.added", data, PUBLIC)]


def _commitment_set(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    commitment = state.public.commitments.get(args["commitment_id"])
    if commitment is None:
        raise InvalidCommand(
            f"there is no commitment {args['commitment_id']!r}",
            reason="commitment.not_found",
            field="commitment_id",
        )
    status, comment = args["status"], args.get("comment", "")
    if (commitment.status, commitment.comment) == (status, comment):
        return []
    data = {"commitment_id": commitment.id, "status": status, "comment": comment}
    return [Draft("commitment.updated", data, PUBLIC)]


HANDLERS: dict[str, Handler] = {
    "deal.sign": _deal_sign,
    "deal.witness": _deal_witness,
    "commitment.add": _commitment_add,
    "commitment.set": _commitment_set,
}
