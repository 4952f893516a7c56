"""What was agreed stays agreed: the deal sheet, its hash, and what voids agreements.

**Agreement integrity.** A party's agreement on an item is bound to the
item's content (kind, title, description, options, the revealed figures, its
line in the split under seal) and, for items with options, to the option it
agreed on. :func:`consequences` runs after every command's handler: it folds
the command's public drafts onto a copy of the items they touch and, for each
item either party had agreed to whose content changed, appends a public
``item.agreement_voided`` event with what changed (field, old, new). The
item must then be agreed again. No handler has to remember this: a future
command that changes an agreed item voids it the same way.

**The deal sheet** (:func:`deal_sheet`) is built from the *public* view only,
so the buyer, the seller and the neutral get the very same document. It
holds, in this order of keys (the canonical encoding sorts them anyway):

``room``
    id, title, currency, the two organisations, whether a neutral takes part;
``agreed``
    items on the agenda agreed by both parties (on the same option), in
    agenda order: id, kind, title, description, the chosen option or null;
``relationship``
    the first agreed item of kind ``relationship`` with its chosen model, or null;
``split``
    the shared split's lines (item, title, created value, halves, transfer,
    under seal or not) and its total; a line whose revealed figures carry a
    range (and then the total) also has ``low`` and ``high``: created value,
    halves and transfer at each end (sensitivity; absent without ranges, so
    the sheet and its hash are what they were before ranges existed);
``settlement``
    the one net payment: ``{"payer", "payee", "amount"}`` from the total's
    transfer, or payer and payee null and amount 0 when nothing changes hands;
``open``
    the other items on the agenda (not agreed by both), with ``parked``;
``commitments``
    every commitment: who, what, due, item, status, comment.

Its hash is :func:`valueroom.domain.canonical.digest` of it: SHA-256 over
the canonical JSON (sorted keys, no whitespace, UTF-8, integers only).
Signatures are not part of the sheet: they sign its hash. While any
signature stands, :func:`consequences` also compares the sheet before and
after the command and appends ``deal.unsigned`` when it changed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import fractional_indexing

from valueroom.domain.canonical import digest
from valueroom.domain.errors import InvalidCommand
from valueroom.domain.events import Actor, Draft, Event
from valueroom.domain.split import SplitLine
from valueroom.domain.state import Item, RoomState, View, apply
from valueroom.domain.views import public_split
from valueroom.domain.visibility import PARTIES, PUBLIC, is_public, party_only

__all__ = [
    "DEAL_EVENTS",
    "consequences",
    "deal_hash",
    "deal_sheet",
    "export_content",
    "next_round",
    "settlement",
    "touches_deal",
]

# Events after which the deal sheet may have changed.
DEAL_EVENTS = frozenset(
    {
        "item.added",
        "item.edited",
        "item.moved",
        "item.parked",
        "item.agreed",
        "item.agreement_voided",
        "item.deleted",
        "item.withdrawn",
        "item.restored",
        "item.revealed",
        "figures.revised",
        "split.sealed",
        "split.unsealed",
        "commitment.added",
        "commitment.updated",
        "deal.agreed",
    }
)


def touches_deal(public: View, events: Iterable[Event]) -> bool:
    """Whether ``events`` (already applied to ``public``) may have changed the deal sheet.

    The sheet is built from the public view only, so an event not every role
    sees never changes it. A description edit of an item not agreed by both
    does not either: only agreed items carry their description (if the item
    was agreed before the edit, :func:`consequences` voided it and that
    ``item.agreement_voided`` event answers yes). Everything else in
    ``DEAL_EVENTS`` may. A cheap test, so the live room rebuilds and hashes
    the sheet only after batches that may have changed it: typing in an open
    item's description, the most frequent edit there is, costs no rebuild.
    """
    for event in events:
        if event.name not in DEAL_EVENTS or not is_public(event.vis):
            continue
        if event.name == "item.edited" and event.data.keys() <= {"item_id", "description"}:
            item = public.items.get(event.data["item_id"])
            if item is not None and not item.agreed_by_both:
                continue
        return True
    return False


# Commands whose own job is the sign-off: they never void a signature.
_SIGNING = frozenset({"deal.sign", "deal.witness"})


def _option(item: Item, option_id: str | None) -> dict[str, str] | None:
    for option in item.options:
        if option["id"] == option_id:
            return {"id": option["id"], "label": option["label"]}
    return None


def _per_party(values: Any) -> dict[str, int]:
    return {party: int(values[party]) for party in PARTIES}


def _end(line: SplitLine) -> dict[str, Any]:
    return {"net": line.net, "fair": _per_party(line.fair), "transfer": _per_party(line.transfer)}


def _line(line: SplitLine, titles: dict[str, str]) -> dict[str, Any]:
    sheet_line = {
        "item_id": line.item_id,
        "title": titles.get(line.item_id, ""),
        "net": line.net,
        "fair": _per_party(line.fair),
        "transfer": _per_party(line.transfer),
        "sealed": line.sealed,
    }
    if line.low is not None and line.high is not None:
        sheet_line["low"] = _end(line.low)
        sheet_line["high"] = _end(line.high)
    return sheet_line


def settlement(transfer_to_buyer: int) -> dict[str, Any]:
    """Who pays whom how much, from the buyer's total transfer (positive: the buyer receives)."""
    if transfer_to_buyer > 0:
        return {"payer": "seller", "payee": "buyer", "amount": transfer_to_buyer}
    if transfer_to_buyer < 0:
        return {"payer": "buyer", "payee": "seller", "amount": -transfer_to_buyer}
    return {"payer": None, "payee": None, "amount": 0}


def deal_sheet(public: View) -> dict[str, Any]:
    """The deal sheet of a public view (see the module docstring for its contents)."""
    room = public.room
    items = public.live_items()
    titles = {item.id: item.title for item in items}
    agreed = [item for item in items if item.agreed_by_both]
    relationship = next((item for item in agreed if item.kind == "relationship"), None)
    split = public_split(public)
    total = split.total
    return {
        "room": {
            "id": room.id if room else "",
            "title": room.title if room else "",
            "currency": room.currency if room else "",
            "buyer_org": room.buyer_org if room else "",
            "seller_org": room.seller_org if room else "",
            "neutral": bool(room and room.neutral),
        },
        "agreed": [
            {
                "item_id": item.id,
                "kind": item.kind,
                "title": item.title,
                "description": item.description,
                "option": _option(item, item.chosen["buyer"]),
            }
            for item in agreed
        ],
        "relationship": None
        if relationship is None
        else {
            "item_id": relationship.id,
            "title": relationship.title,
            "option": _option(relationship, relationship.chosen["buyer"]),
        },
        "split": {
            "lines": [_line(line, titles) for line in split.lines],
            "total": None if total is None else _line(total, titles),
        },
        "settlement": settlement(0 if total is None else total.transfer.buyer),
        "open": [
            {"item_id": item.id, "title": item.title, "parked": item.parked}
            for item in items
            if not item.agreed_by_both
        ],
        "commitments": [
            {
                "id": c.id,
                "who": c.who,
                "what": c.what,
                "due": c.due,
                "item_id": c.item_id,
                "status": c.status,
                "comment": c.comment,
            }
            for c in public.commitments.values()
        ],
    }


def deal_hash(public: View) -> str:
    """The hash both parties sign: SHA-256 of the deal sheet's canonical encoding."""
    return digest(deal_sheet(public))


# -- what a command's drafts void ------------------------------------------------


def _figures_text(figures: dict[str, int] | None) -> str:
    return "" if figures is None else f"{figures['value']}/{figures['cost']}"


def _content(item: Item) -> dict[str, str]:
    """The parts of an item an agreement is bound to, each as the text shown when it changes."""
    content = {
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "options": " / ".join(option["label"] for option in item.options),
        "split": "" if item.sealed is None else str(item.sealed["net"]),
    }
    for party in PARTIES:
        content[f"figures.{party}"] = _figures_text(item.figures.get(party))
    return content


def _fold(view: View, drafts: Iterable[Draft], actor: Actor) -> View:
    for draft in drafts:
        apply(view, Event(view.seq + 1, 0, actor, None, draft.vis, draft.name, draft.data))
    return view


def _voids(state: RoomState, actor: Actor, drafts: list[Draft]) -> list[Draft]:
    """``item.agreement_voided`` for every agreed item whose agreed content the drafts change."""
    touched: dict[str, Item] = {}
    for draft in drafts:
        item_id = draft.data.get("item_id")
        item = state.public.items.get(item_id) if isinstance(item_id, str) else None
        if item is not None and (item.agreed["buyer"] or item.agreed["seller"]):
            touched[item.id] = item
    if not touched:
        return []
    scratch = View(role="public", seq=state.public.seq, room=state.public.room)
    scratch.items = {item_id: copy.deepcopy(item) for item_id, item in touched.items()}
    voided_before = {item_id: item.voided for item_id, item in scratch.items.items()}
    relevant = [d for d in drafts if d.data.get("item_id") in touched]
    _fold(scratch, relevant, actor)
    voids: list[Draft] = []
    for item_id, before in touched.items():
        after = scratch.items[item_id]
        if after.voided is not voided_before[item_id]:
            continue  # the command voided it itself (another option chosen)
        if not (after.agreed["buyer"] or after.agreed["seller"]):
            continue  # both took their agreement back in the same command
        old, new = _content(before), _content(after)
        changes = [
            {"field": key, "old": old[key], "new": new[key]} for key in old if old[key] != new[key]
        ]
        if changes:
            data = {"item_id": item_id, "by": actor.role, "changes": changes}
            voids.append(Draft("item.agreement_voided", data, PUBLIC))
    return voids


def consequences(state: RoomState, actor: Actor, name: str, drafts: list[Draft]) -> list[Draft]:
    """The command's drafts plus what they void: agreements on changed items, signatures.

    Pure and cheap in the common case: nothing is copied unless a draft is
    public and touches an agreed item, or a signature stands.
    """
    public = [draft for draft in drafts if is_public(draft.vis)]
    if not public:
        return drafts
    drafts = drafts + _voids(state, actor, public)
    if state.public.signatures and state.public.agreement is None and name not in _SIGNING:
        before = deal_hash(state.public)
        after_view = _fold(
            copy.deepcopy(state.public), (d for d in drafts if is_public(d.vis)), actor
        )
        if deal_hash(after_view) != before:
            drafts.append(Draft("deal.unsigned", {"by": actor.role, "hash": before}, PUBLIC))
    return drafts


# -- the next round ------------------------------------------------------------


def next_round(state: RoomState, carrier: str | None) -> list[Draft]:
    """The first events of the next round's room, after its ``room.created``.

    From a room whose agreement was signed: every item agreed by both (the
    relationship model among them) becomes an item of the new agenda, with
    its kind, title, description and options, in the same order. Private
    figures are not carried, except ``carrier``'s own when that party chose
    so (``figures.registered`` for its own team only, as in the old room).
    Raises :class:`InvalidCommand` (``round.not_agreed``) for a room that has
    no signed agreement.
    """
    public = state.public
    if public.agreement is None:
        raise InvalidCommand(
            "only a room whose agreement both parties signed has a next round",
            reason="round.not_agreed",
        )
    drafts: list[Draft] = []
    position: str | None = None
    carried = state.view(carrier).private if carrier in PARTIES else {}
    for item in public.live_items():
        if not item.agreed_by_both:
            continue
        position = str(fractional_indexing.generate_key_between(position, None))
        data = {
            "item_id": item.id,
            "kind": item.kind,
            "title": item.title,
            "description": item.description,
            "options": [dict(option) for option in item.options],
            "position": position,
        }
        drafts.append(Draft("item.added", data, PUBLIC))
        record = carried.get(item.id)
        if record is not None and carrier is not None:
            figures = {"item_id": item.id, "party": carrier, "value": record.value,
                       "cost": record.cost, "note": record.note}  # fmt: skip
            drafts.append(Draft("figures.registered", figures, party_only(carrier)))
    return drafts


# -- exports ---------------------------------------------------------------------


def export_content(state: RoomState, role: str) -> dict[str, Any]:
    """Everything a role's export holds, taken from that role's own view.

    The deal sheet and the sign-off come from the role's view too (every role
    sees every public event, so they equal the public view's). A party adds
    its own registered figures (``own_figures``, with ``range`` when it gave
    one); the neutral adds the
    figures it was shown under seal (``sealed_figures``). Nothing else: no
    other view is read, so an export holds only what the role saw in the room.
    """
    view = state.view(role)
    items = {item.id: item for item in view.live_items()}
    content: dict[str, Any] = {
        "role": role,
        "deal_sheet": deal_sheet(view),
        "hash": deal_hash(view),
        "signatures": {r: dict(s) for r, s in view.signatures.items()},
        "agreement": None
        if view.agreement is None
        else {"hash": view.agreement["hash"], "at": view.agreement["at"]},
    }
    if role in PARTIES:
        content["own_figures"] = [
            {
                "item_id": item_id,
                "title": items[item_id].title,
                "value": record.value,
                "cost": record.cost,
                "note": record.note,
                **({} if record.range is None else {"range": dict(record.range)}),
            }
            for item_id, record in view.private.items()
            if item_id in items
        ]
    else:
        content["sealed_figures"] = [
            {
                "item_id": item_id,
                "title": items[item_id].title,
                "party": party,
                "version": seal.version,
                "value": seal.value,
                "cost": seal.cost,
                "status": seal.status,
                "comment": seal.comment,
            }
            for item_id, by_party in view.seals.items()
            if item_id in items
            for party, seal in by_party.items()
        ]
    return content
