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

What each view holds, by audience of the events it folds:

* public events: the room, the agenda (removed items too, so they can be
  restored), the phase and the parties' phase proposals, the agenda lock, the
  round timer, the process notes, whether a caucus is open, and the items in
  the split under seal (created value, halves and transfer only);
* one party's own events: its private figures and notes;
* events of one party and the neutral (``with_neutral``): that party's caucus
  thread, its figures shared under seal and their status, and the access log
  of those figures. A party's view therefore holds only its own seals; the
  neutral's holds both parties' seals, and only what was shared with it.

Numbering: a view's ``seq`` counts the events folded into it. That count is
the sequence number the role's members see on the wire, so a role's numbers
run 1, 2, 3, ... without gaps, whatever other audiences saw in between.

``apply`` has no I/O and no clock: replaying the same events always yields the
same views (an event's ``at`` is data like any other). It updates a view in
place for speed (a room applies every event to up to three views on the hot
path) and returns it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from valueroom.domain.events import Event
from valueroom.domain.method import CORE_QUESTIONS, FIRST_PHASE
from valueroom.domain.rules import Rules
from valueroom.domain.visibility import PARTIES, ROLES, is_public, visible

__all__ = [
    "EVENT_NAMES",
    "KEPT_ACCESS",
    "KEPT_MESSAGES",
    "KEPT_PULSES",
    "KEPT_REVISIONS",
    "OPS_KEPT",
    "PUBLIC_VIEW",
    "Access",
    "Commitment",
    "FigureRecord",
    "Item",
    "Message",
    "Note",
    "RoomInfo",
    "RoomState",
    "Seal",
    "View",
    "apply",
]

PUBLIC_VIEW = "public"

#: How many client op ids each view remembers (the op-id dedupe window): the
#: ops of its last 4,096 commands that made events. A command re-sent with an
#: op id older than that is decided again. Counted, not timed, so that every
#: fold of the same log (live, from a snapshot, in another process) forgets
#: the same ids; a client re-sends its unacknowledged ops right after each
#: welcome, far inside the window.
OPS_KEPT = 4096

#: Histories a view keeps, newest last, so that a view (and every welcome and
#: snapshot) stays bounded however long the session: the last 100 public
#: revisions per item, the last 500 messages per caucus thread and the last
#: 100 access-log entries per item. The log keeps all of them (replay). Equal
#: to the schema's ``kept_*`` limits (a test checks), and the browser's fold
#: keeps the same.
KEPT_REVISIONS = 100
KEPT_MESSAGES = 500
KEPT_ACCESS = 100
#: The last 200 trust pulses of a room (the schema's ``kept_pulses``).
KEPT_PULSES = 200


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
    """A party's own registration for one item, as that party's team sees it.

    ``range`` is ``{"value_low", "value_high", "cost_low", "cost_high"}`` when
    the party gave one, else None (see :mod:`valueroom.domain.commands.figures`).
    """

    value: int
    cost: int
    note: str
    range: dict[str, int] | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"value": self.value, "cost": self.cost, "note": self.note}
        if self.range is not None:
            wire["range"] = dict(self.range)
        return wire


@dataclass(slots=True)
class Seal:
    """One party's figures for one item as shared with the neutral under seal.

    ``status`` is ``shared`` until the neutral acts on this version, then
    ``verified`` or ``disputed``. ``outdated`` turns true when the party
    registers different figures afterwards: the copy no longer matches and
    must be shared again (a new ``version``) before it can be verified again.
    """

    version: int
    value: int
    cost: int
    status: str = "shared"
    outdated: bool = False
    comment: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "value": self.value,
            "cost": self.cost,
            "status": self.status,
            "outdated": self.outdated,
            "comment": self.comment,
        }


@dataclass(slots=True)
class Access:
    """The neutral received a party's sealed figures: who, which version, how, when."""

    party: str
    version: int
    member: str
    how: str
    at: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "version": self.version,
            "member": self.member,
            "how": self.how,
            "at": self.at,
        }


@dataclass(slots=True)
class Note:
    """A process note of the neutral, visible to everyone."""

    id: str
    text: str
    by: str
    at: int

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "by": self.by, "at": self.at}


@dataclass(slots=True)
class Message:
    """One message in a caucus thread (one party's team and the neutral)."""

    role: str
    name: str
    text: str
    at: int

    def to_wire(self) -> dict[str, Any]:
        return {"role": self.role, "name": self.name, "text": self.text, "at": self.at}


@dataclass(slots=True)
class Commitment:
    """A promise made in the negotiation: who, what, by when, about which item; kept or not."""

    id: str
    who: str
    what: str
    due: str | None
    item_id: str | None
    by: str
    at: int
    status: str = "open"
    comment: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "who": self.who,
            "what": self.what,
            "due": self.due,
            "item_id": self.item_id,
            "by": self.by,
            "at": self.at,
            "status": self.status,
            "comment": self.comment,
        }


def _keys() -> dict[str, bool]:
    return dict.fromkeys(PARTIES, False)


def _choices() -> dict[str, str | None]:
    return dict.fromkeys(PARTIES)


@dataclass(slots=True)
class Item:
    id: str
    kind: str
    title: str
    description: str
    options: list[dict[str, str]]
    position: str
    parked: bool = False
    # None while on the agenda; "deleted" or "withdrawn" once removed (restorable).
    removed: str | None = None
    agreed: dict[str, bool] = field(default_factory=_keys)
    consent: dict[str, bool] = field(default_factory=_keys)
    # Two-key withdrawal of a protected item.
    withdrawal: dict[str, bool] = field(default_factory=_keys)
    revealed: bool = False
    # Public figures: filled by the reveal, then by public revisions. Per party
    # {"value", "cost"} and, when that party gave one, "range".
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    # In the split under seal: {"net", "fair", "transfer"}, never value or cost.
    sealed: dict[str, Any] | None = None
    # The option each party agreed on (items with options), else None.
    chosen: dict[str, str | None] = field(default_factory=_choices)
    # The last time a change voided the agreement: {"by", "changes": [{field, old, new}]}.
    voided: dict[str, Any] | None = None

    @property
    def deleted(self) -> bool:
        """Not on the agenda: deleted or withdrawn."""
        return self.removed is not None

    @property
    def agreed_by_both(self) -> bool:
        """Both parties agreed, and on the same option when the item has options."""
        return (
            self.agreed["buyer"]
            and self.agreed["seller"]
            and self.chosen["buyer"] == self.chosen["seller"]
        )

    @property
    def protected(self) -> str | None:
        """Why nobody may delete this item (it can only be withdrawn by both), or None."""
        if self.agreed["buyer"] or self.agreed["seller"]:
            return "agreed"
        if self.revealed:
            return "revealed"
        if self.sealed is not None:
            return "sealed"
        return None

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "description": self.description,
            "options": [dict(option) for option in self.options],
            "position": self.position,
            "parked": self.parked,
            "removed": self.removed,
            "agreed": dict(self.agreed),
            "consent": dict(self.consent),
            "withdrawal": dict(self.withdrawal),
            "revealed": self.revealed,
            "figures": {party: _figures_copy(f) for party, f in self.figures.items()},
            "revisions": [dict(r) for r in self.revisions],
            "sealed": _sealed_to_wire(self.sealed),
            "chosen": dict(self.chosen),
            "voided": _voided_to_wire(self.voided),
        }


def _figures_copy(figures: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of one party's public figures (the range is a dict of its own)."""
    copy = dict(figures)
    if "range" in copy:
        copy["range"] = dict(copy["range"])
    return copy


def _voided_to_wire(voided: dict[str, Any] | None) -> dict[str, Any] | None:
    if voided is None:
        return None
    return {"by": voided["by"], "changes": [dict(change) for change in voided["changes"]]}


def _sealed_to_wire(sealed: dict[str, Any] | None) -> dict[str, Any] | None:
    if sealed is None:
        return None
    return {
        "net": sealed["net"],
        "fair": dict(sealed["fair"]),
        "transfer": dict(sealed["transfer"]),
    }


@dataclass(slots=True)
class View:
    """One audience's knowledge of the room. ``seq`` counts the events folded into it."""

    role: str
    seq: int = 0
    room: RoomInfo | None = None
    items: dict[str, Item] = field(default_factory=dict)
    private: dict[str, FigureRecord] = field(default_factory=dict)
    phase: str = FIRST_PHASE
    proposals: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(PARTIES))
    locked: bool = False
    timer: dict[str, Any] | None = None
    notes: dict[str, Note] = field(default_factory=dict)
    caucus: dict[str, bool] = field(default_factory=_keys)
    threads: dict[str, list[Message]] = field(
        default_factory=lambda: {party: [] for party in PARTIES}
    )
    # Per caucus, the note its party's team and the neutral keep together.
    caucus_notes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(PARTIES, ""))
    # item id -> party -> the seal as shared with the neutral.
    seals: dict[str, dict[str, Seal]] = field(default_factory=dict)
    # (item id, party) -> the last version shared, also after a withdrawal.
    seal_versions: dict[tuple[str, str], int] = field(default_factory=dict)
    # item id -> every time the neutral received sealed figures of that item.
    access: dict[str, list[Access]] = field(default_factory=dict)
    # The agreement's end: commitments, signatures of the deal sheet, the agreement.
    commitments: dict[str, Commitment] = field(default_factory=dict)
    # role -> {"hash", "name", "at"}: who signed (a party) or witnessed (the neutral) what.
    signatures: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The last time a change voided the signatures: {"by", "hash"}.
    unsigned: dict[str, Any] | None = None
    # Once both parties signed one hash: {"hash", "sheet", "at"}; the room is closed.
    agreement: dict[str, Any] | None = None
    # (actor role, actor name, client op id) -> this view's number of the op's
    # last event, for ops of this view's own role (the last OPS_KEPT of them);
    # makes a re-sent command idempotent across reconnects, restarts and
    # processes. The name is part of the key: teammates on one link are
    # different senders, and one's op id never swallows another's command.
    ops: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # The method's guidance: this party's own answers to the two core
    # questions (its own view only), who is ready to share them, both sides'
    # answers once both were, the transparency plan per item (party -> intends
    # to open, or None: not said) and the trust pulses, oldest first.
    answers: dict[str, str] | None = None
    ready: dict[str, bool] = field(default_factory=_keys)
    shared_answers: dict[str, dict[str, str]] | None = None
    plan: dict[str, dict[str, bool | None]] = field(default_factory=dict)
    pulses: list[dict[str, Any]] = field(default_factory=list)

    def live_items(self) -> list[Item]:
        """Items on the agenda (not removed), in agenda order (position, then id)."""
        return sorted(
            (item for item in self.items.values() if not item.deleted),
            key=lambda item: (item.position, item.id),
        )

    def removed_items(self) -> list[Item]:
        """Deleted and withdrawn items, in agenda order: they can be restored."""
        return sorted(
            (item for item in self.items.values() if item.deleted),
            key=lambda item: (item.position, item.id),
        )

    def seal(self, item_id: str, party: str) -> Seal | None:
        return self.seals.get(item_id, {}).get(party)

    def to_wire(self) -> dict[str, Any]:
        """The welcome snapshot of this view."""
        return {
            "room": None if self.room is None else self.room.to_wire(),
            "items": [item.to_wire() for item in self.live_items()],
            "removed": [item.to_wire() for item in self.removed_items()],
            "private": {
                item_id: record.to_wire()
                for item_id, record in self.private.items()
                if item_id in self.items
            },
            "phase": self.phase,
            "proposals": dict(self.proposals),
            "locked": self.locked,
            "timer": None if self.timer is None else dict(self.timer),
            "notes": [note.to_wire() for note in self.notes.values()],
            "caucus": {
                party: {
                    "open": self.caucus[party],
                    "messages": [m.to_wire() for m in self.threads[party]],
                    "note": self.caucus_notes[party],
                }
                for party in PARTIES
            },
            "seals": {
                item_id: {party: seal.to_wire() for party, seal in by_party.items()}
                for item_id, by_party in self.seals.items()
                if by_party
            },
            "access": {
                item_id: [entry.to_wire() for entry in entries]
                for item_id, entries in self.access.items()
            },
            "guide": {
                "own": None if self.answers is None else dict(self.answers),
                "ready": dict(self.ready),
                "shared": (
                    None
                    if self.shared_answers is None
                    else {p: dict(a) for p, a in self.shared_answers.items()}
                ),
                "plan": {item_id: dict(by_party) for item_id, by_party in self.plan.items()},
                "pulses": [dict(pulse) for pulse in self.pulses],
            },
            "commitments": [c.to_wire() for c in self.commitments.values()],
            "signatures": {role: dict(s) for role, s in self.signatures.items()},
            "unsigned": None if self.unsigned is None else dict(self.unsigned),
            "agreement": None if self.agreement is None else dict(self.agreement),
        }


# -- the agenda ----------------------------------------------------------------


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
    d = event.data
    item = view.items[d["item_id"]]
    item.agreed[d["party"]] = d["agreed"]
    item.chosen[d["party"]] = d.get("option") if d["agreed"] else None


def _agreement_voided(view: View, event: Event) -> None:
    item = view.items[event.data["item_id"]]
    item.agreed = _keys()
    item.chosen = _choices()
    item.voided = {
        "by": event.data["by"],
        "changes": [dict(change) for change in event.data["changes"]],
    }


def _item_deleted(view: View, event: Event) -> None:
    view.items[event.data["item_id"]].removed = "deleted"


def _withdrawal_changed(view: View, event: Event) -> None:
    d = event.data
    view.items[d["item_id"]].withdrawal[d["party"]] = d["withdraw"]


def _item_withdrawn(view: View, event: Event) -> None:
    item = view.items[event.data["item_id"]]
    item.removed = "withdrawn"
    item.withdrawal = _keys()


def _item_restored(view: View, event: Event) -> None:
    item = view.items[event.data["item_id"]]
    item.removed = None
    item.position = event.data["position"]


# -- figures and transparency -------------------------------------------------------


def _figures_registered(view: View, event: Event) -> None:
    d = event.data
    ranged = d.get("range")
    view.private[d["item_id"]] = FigureRecord(
        value=d["value"],
        cost=d["cost"],
        note=d["note"],
        range=None if ranged is None else dict(ranged),
    )


def _consent_changed(view: View, event: Event) -> None:
    view.items[event.data["item_id"]].consent[event.data["party"]] = event.data["consent"]


def _item_revealed(view: View, event: Event) -> None:
    item = view.items[event.data["item_id"]]
    item.revealed = True
    item.figures = {party: _figures_copy(event.data[party]) for party in PARTIES}


def _figures_revised(view: View, event: Event) -> None:
    d = event.data
    item = view.items[d["item_id"]]
    item.figures[d["party"]] = _figures_copy(d["after"])
    item.revisions.append(
        {
            "party": d["party"],
            "before": _figures_copy(d["before"]),
            "after": _figures_copy(d["after"]),
            # This view's own number for the event (``apply`` counts it next),
            # never the log's: that would tell how many events others saw.
            "seq": view.seq + 1,
        }
    )
    if len(item.revisions) > KEPT_REVISIONS:
        del item.revisions[0]


# -- the process: phase, moderation, caucus ---------------------------------------


def _phase_proposed(view: View, event: Event) -> None:
    view.proposals[event.data["party"]] = event.data["phase"]


def _phase_changed(view: View, event: Event) -> None:
    view.phase = event.data["phase"]
    view.proposals = dict.fromkeys(PARTIES)


def _agenda_locked(view: View, event: Event) -> None:
    view.locked = event.data["locked"]


def _timer_started(view: View, event: Event) -> None:
    view.timer = {
        "seconds": event.data["seconds"],
        "label": event.data["label"],
        "started_at": event.at,
    }


def _timer_cleared(view: View, event: Event) -> None:
    view.timer = None


def _actor_name(event: Event) -> str:
    return "" if event.actor is None else event.actor.name


def _note_added(view: View, event: Event) -> None:
    d = event.data
    view.notes[d["note_id"]] = Note(d["note_id"], d["text"], _actor_name(event), event.at)


def _note_edited(view: View, event: Event) -> None:
    note = view.notes[event.data["note_id"]]
    note.text = event.data["text"]


def _note_removed(view: View, event: Event) -> None:
    del view.notes[event.data["note_id"]]


def _caucus_opened(view: View, event: Event) -> None:
    view.caucus[event.data["party"]] = True


def _caucus_closed(view: View, event: Event) -> None:
    view.caucus[event.data["party"]] = False


def _caucus_noted(view: View, event: Event) -> None:
    view.caucus_notes[event.data["party"]] = event.data["text"]


def _caucus_posted(view: View, event: Event) -> None:
    role = "" if event.actor is None else event.actor.role
    message = Message(role, _actor_name(event), event.data["text"], event.at)
    thread = view.threads[event.data["party"]]
    thread.append(message)
    if len(thread) > KEPT_MESSAGES:
        del thread[0]


# -- figures under seal ------------------------------------------------------------


def _seal_shared(view: View, event: Event) -> None:
    d = event.data
    view.seals.setdefault(d["item_id"], {})[d["party"]] = Seal(d["version"], d["value"], d["cost"])
    view.seal_versions[(d["item_id"], d["party"])] = d["version"]


def _seal_withdrawn(view: View, event: Event) -> None:
    d = event.data
    by_party = view.seals.get(d["item_id"], {})
    by_party.pop(d["party"], None)
    if not by_party:
        view.seals.pop(d["item_id"], None)


def _seal_judged(status: str) -> Callable[[View, Event], None]:
    def judge(view: View, event: Event) -> None:
        seal = view.seals[event.data["item_id"]][event.data["party"]]
        seal.status = status
        seal.comment = event.data["comment"]

    return judge


def _seal_outdated(view: View, event: Event) -> None:
    view.seals[event.data["item_id"]][event.data["party"]].outdated = True


def _seal_accessed(view: View, event: Event) -> None:
    d = event.data
    entry = Access(d["party"], d["version"], d["member"], d["how"], event.at)
    entries = view.access.setdefault(d["item_id"], [])
    entries.append(entry)
    if len(entries) > KEPT_ACCESS:
        del entries[0]


def _split_sealed(view: View, event: Event) -> None:
    d = event.data
    view.items[d["item_id"]].sealed = {
        "net": d["net"],
        "fair": dict(d["fair"]),
        "transfer": dict(d["transfer"]),
    }


def _split_unsealed(view: View, event: Event) -> None:
    view.items[event.data["item_id"]].sealed = None


# -- the method's guidance ------------------------------------------------------


def _opening_answered(view: View, event: Event) -> None:
    d = event.data
    answers = view.answers or dict.fromkeys(CORE_QUESTIONS, "")
    answers[d["question"]] = d["answer"]
    view.answers = answers


def _opening_ready(view: View, event: Event) -> None:
    view.ready[event.data["party"]] = True


def _opening_shared(view: View, event: Event) -> None:
    view.shared_answers = {p: dict(a) for p, a in event.data["answers"].items()}


def _plan_changed(view: View, event: Event) -> None:
    d = event.data
    view.plan.setdefault(d["item_id"], dict.fromkeys(PARTIES))[d["party"]] = d["open"]


def _trust_pulsed(view: View, event: Event) -> None:
    d = event.data
    view.pulses.append({"party": d["party"], "behaviour": d["behaviour"], "at": event.at})
    if len(view.pulses) > KEPT_PULSES:
        del view.pulses[0]


# -- the end: commitments, sign-off, agreement ----------------------------------------


def _commitment_added(view: View, event: Event) -> None:
    d = event.data
    view.commitments[d["commitment_id"]] = Commitment(
        id=d["commitment_id"],
        who=d["who"],
        what=d["what"],
        due=d["due"],
        item_id=d["item_id"],
        by=_actor_name(event),
        at=event.at,
    )


def _commitment_updated(view: View, event: Event) -> None:
    commitment = view.commitments[event.data["commitment_id"]]
    commitment.status = event.data["status"]
    commitment.comment = event.data["comment"]


def _deal_signed(view: View, event: Event) -> None:
    d = event.data
    view.signatures[d["role"]] = {"hash": d["hash"], "name": _actor_name(event), "at": event.at}


def _deal_unsigned(view: View, event: Event) -> None:
    view.signatures = {}
    view.unsigned = {"by": event.data["by"], "hash": event.data["hash"]}


def _deal_agreed(view: View, event: Event) -> None:
    d = event.data
    view.agreement = {"hash": d["hash"], "sheet": d["sheet"], "at": event.at}


_APPLY = {
    "room.created": _room_created,
    "item.added": _item_added,
    "item.edited": _item_edited,
    "item.moved": _item_moved,
    "item.parked": _item_parked,
    "item.agreed": _item_agreed,
    "item.deleted": _item_deleted,
    "withdrawal.changed": _withdrawal_changed,
    "item.withdrawn": _item_withdrawn,
    "item.restored": _item_restored,
    "figures.registered": _figures_registered,
    "consent.changed": _consent_changed,
    "item.revealed": _item_revealed,
    "figures.revised": _figures_revised,
    "phase.proposed": _phase_proposed,
    "phase.changed": _phase_changed,
    "agenda.locked": _agenda_locked,
    "timer.started": _timer_started,
    "timer.cleared": _timer_cleared,
    "note.added": _note_added,
    "note.edited": _note_edited,
    "note.removed": _note_removed,
    "caucus.opened": _caucus_opened,
    "caucus.closed": _caucus_closed,
    "caucus.posted": _caucus_posted,
    "caucus.noted": _caucus_noted,
    "seal.shared": _seal_shared,
    "seal.withdrawn": _seal_withdrawn,
    "seal.verified": _seal_judged("verified"),
    "seal.disputed": _seal_judged("disputed"),
    "seal.outdated": _seal_outdated,
    "seal.accessed": _seal_accessed,
    "split.sealed": _split_sealed,
    "split.unsealed": _split_unsealed,
    "opening.answered": _opening_answered,
    "opening.ready": _opening_ready,
    "opening.shared": _opening_shared,
    "plan.changed": _plan_changed,
    "trust.pulsed": _trust_pulsed,
    "item.agreement_voided": _agreement_voided,
    "commitment.added": _commitment_added,
    "commitment.updated": _commitment_updated,
    "deal.signed": _deal_signed,
    "deal.unsigned": _deal_unsigned,
    "deal.agreed": _deal_agreed,
}

EVENT_NAMES = frozenset(_APPLY)


def apply(view: View, event: Event) -> View:
    """Fold one event (already known to be visible to ``view.role``) into ``view``."""
    _APPLY[event.name](view, event)
    view.seq += 1
    # Only the actor's own view remembers the op: that is where a re-sent
    # command is looked up, and other views need not pay for it.
    if event.op is not None and event.actor is not None and event.actor.role == view.role:
        ops = view.ops
        ops[(event.actor.role, event.actor.name, event.op)] = view.seq
        if len(ops) > OPS_KEPT:
            del ops[next(iter(ops))]  # the oldest: dicts keep insertion order
    return view


class RoomState:
    """The views of one room (three roles and the public one) and its last sequence number."""

    __slots__ = ("public", "rules", "seq", "views")

    def __init__(self, rules: Rules | None = None, roles: Iterable[str] = ROLES) -> None:
        """``roles`` narrows the state to those roles' views (a seek needs one); a room has all."""
        self.seq = 0
        self.rules = rules or Rules()
        self.views: dict[str, View] = {role: View(role) for role in roles}
        self.public = View(PUBLIC_VIEW)

    @classmethod
    def fold(cls, events: Iterable[Event], rules: Rules | None = None) -> RoomState:
        state = cls(rules)
        for event in events:
            state.apply(event)
        return state

    @property
    def phase(self) -> str:
        """The room's current phase (public)."""
        return self.public.phase

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
