"""Figures under seal: a party shows its figures to the neutral only.

The flow, per item and party:

1. ``seal.share``: the party shares a snapshot of its current registered
   value and cost (never its note) with the neutral: ``seal.shared``, visible
   to that party's team and the neutral, numbered ``version`` 1, 2, 3, ...
2. Until the neutral acts on it, the party may ``seal.withdraw`` it
   (``seal.withdrawn``; the neutral's view drops the figures, though the
   access log keeps that the neutral received them).
3. The neutral, who may ask questions in the caucus, marks the version it saw
   ``seal.verified`` or ``seal.disputed``, with a comment (same audience). It
   names the version, so it never judges figures it has not seen.
4. When both sides' figures for an item are sealed, current and verified,
   the neutral may put the item into the split under seal: ``split.sealed``,
   a public event with that item's created value, the fair halves and the
   transfer, and nothing else. From these anyone can work out each side's own
   net (value minus cost), nothing finer: never value or cost.

Re-registering after sealing: when the party registers a value or cost that
differs from the shared copy, the copy is marked ``seal.outdated`` (the
neutral learns *that* it no longer matches, not the new figures). An outdated
copy cannot be verified; the party shares again (a new version) and the
neutral verifies again. If the item was in the split under seal, it leaves the
split at once in a public ``split.unsealed`` event, and returns only when the
neutral attests it again. Disputing a version that is in the split under seal
takes the item out of the split the same way.

Access log: every time a neutral's connection receives sealed figures (the
live event, a welcome snapshot, a resume), the room appends ``seal.accessed``
(:func:`record_access`; member name, item, version, how) for the owning party
and the neutral. It carries no figures, so recording it never records again.
"""

from __future__ import annotations

from typing import Any, Final

from valueroom.domain.commands.common import Handler, live_item, own_party, require_neutral
from valueroom.domain.errors import InvalidCommand
from valueroom.domain.events import Actor, Draft, Event
from valueroom.domain.split import Figures, split_line
from valueroom.domain.state import Item, RoomState, View
from valueroom.domain.visibility import PARTIES, PUBLIC, with_neutral

__all__ = [
    "ACCESS_WAYS",
    "HANDLERS",
    "after_registration",
    "record_access",
    "sealed_in_event",
    "sealed_in_view",
]

ACCESS_WAYS: Final = ("live", "welcome", "resume", "history")

Sealed = tuple[str, str, int]
"""(item id, party, version) of sealed figures someone received."""


def _share(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    require_neutral(state)
    party = own_party(actor, args["party"], reason="seal.own_only")
    view = state.view(party)
    item = live_item(view, args["item_id"])
    if item.revealed:
        raise InvalidCommand(
            "the figures of this item are already revealed to both parties",
            reason="seal.already_revealed",
        )
    record = view.private.get(item.id)
    if record is None:
        raise InvalidCommand(
            "register your figures for this item before sharing them under seal",
            reason="seal.register_first",
        )
    seal = view.seal(item.id, party)
    if seal is not None and not seal.outdated:
        return []  # the current figures are shared already
    version = view.seal_versions.get((item.id, party), 0) + 1
    data = {
        "item_id": item.id,
        "party": party,
        "version": version,
        "value": record.value,
        "cost": record.cost,
    }
    return [Draft("seal.shared", data, with_neutral(party))]


def _withdraw(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    require_neutral(state)
    party = own_party(actor, args["party"], reason="seal.own_only")
    view = state.view(party)
    item = live_item(view, args["item_id"])
    seal = view.seal(item.id, party)
    if seal is None:
        return []
    if seal.status != "shared":
        raise InvalidCommand(
            "the neutral has already acted on these figures; they can no longer be withdrawn",
            reason="seal.already_acted",
        )
    data = {"item_id": item.id, "party": party, "version": seal.version}
    return [Draft("seal.withdrawn", data, with_neutral(party))]


def _judge(status: str) -> Handler:
    def judge(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
        view = state.view(actor.role)
        item = live_item(view, args["item_id"])
        party = own_party(actor, args["party"], reason="seal.own_only")
        seal = view.seal(item.id, party)
        if seal is None:
            raise InvalidCommand(
                f"the {party} has not shared figures for this item under seal",
                reason="seal.not_shared",
                field="party",
            )
        if seal.outdated or seal.version != args["version"]:
            raise InvalidCommand(
                "these are not the figures currently shared under seal",
                reason="seal.stale",
                field="version",
                params={"version": seal.version},
            )
        if seal.status == status and seal.comment == args["comment"]:
            return []
        data = {
            "item_id": item.id,
            "party": party,
            "version": seal.version,
            "comment": args["comment"],
        }
        drafts = [Draft(f"seal.{status}", data, with_neutral(party))]
        if status == "disputed" and item.sealed is not None:
            drafts.append(_unseal(item, "disputed"))
        return drafts

    return judge


def _attest(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    view = state.view(actor.role)
    item = live_item(view, args["item_id"])
    if item.revealed:
        raise InvalidCommand(
            "the figures of this item are revealed: it is in the split already",
            reason="seal.already_revealed",
        )
    figures: dict[str, Figures] = {}
    for party in PARTIES:
        seal = view.seal(item.id, party)
        if seal is None or seal.outdated or seal.status != "verified":
            raise InvalidCommand(
                f"the {party}'s figures for this item are not sealed and verified",
                reason="seal.not_verified",
                params={"party": party},
            )
        figures[party] = Figures(seal.value, seal.cost)
    line = split_line(item.id, figures["buyer"], figures["seller"])
    sealed = {
        "net": line.net,
        "fair": line.fair.to_wire(),
        "transfer": line.transfer.to_wire(),
    }
    if item.sealed == sealed:
        return []
    return [Draft("split.sealed", {"item_id": item.id, **sealed}, PUBLIC)]


def _unseal(item: Item, reason: str) -> Draft:
    return Draft("split.unsealed", {"item_id": item.id, "reason": reason}, PUBLIC)


def after_registration(
    state: RoomState, party: str, item: Item, value: int, cost: int
) -> list[Draft]:
    """What a party's new registration does to its figures under seal (see the module doc)."""
    seal = state.view(party).seal(item.id, party)
    if seal is None or seal.outdated or (seal.value, seal.cost) == (value, cost):
        return []
    data = {"item_id": item.id, "party": party, "version": seal.version}
    drafts = [Draft("seal.outdated", data, with_neutral(party))]
    if item.sealed is not None:
        drafts.append(_unseal(item, "figures_changed"))
    return drafts


def sealed_in_event(event: Event) -> list[Sealed]:
    """The sealed figures a member receives with ``event``, if any."""
    if event.name != "seal.shared":
        return []
    d = event.data
    return [(d["item_id"], d["party"], d["version"])]


def sealed_in_view(view: View) -> list[Sealed]:
    """The sealed figures a welcome snapshot of ``view`` holds."""
    return [
        (item_id, party, seal.version)
        for item_id, by_party in view.seals.items()
        for party, seal in by_party.items()
    ]


def record_access(member: str, sealed: Sealed, how: str) -> Draft:
    """The access-log entry for a neutral member who received ``sealed`` (live/welcome/resume)."""
    if how not in ACCESS_WAYS:
        raise ValueError(f"unknown way of access {how!r}")
    item_id, party, version = sealed
    data = {"item_id": item_id, "party": party, "version": version, "member": member, "how": how}
    return Draft("seal.accessed", data, with_neutral(party))


HANDLERS: dict[str, Handler] = {
    "seal.share": _share,
    "seal.withdraw": _withdraw,
    "seal.verify": _judge("verified"),
    "seal.dispute": _judge("disputed"),
    "seal.attest": _attest,
}
