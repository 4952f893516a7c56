"""The permission table, cell by cell: every command x role x phase, in the pure core.

Each cell starts from the same rich room (items in every state a command
needs, figures, seals, an open caucus, a note, a timer) moved to the phase
under test. A cell the table allows must produce exactly the expected events
(or, where the room's state rather than role and phase decides, the expected
typed refusal); a cell it refuses must raise ``NotPermitted`` with the typed
reason and leave every view and the log exactly as they were.

The fourth actor is a second member of the buyer's team: same link, same
role, same rights as the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import fractional_indexing
import pytest

from tests.domainkit import BUYER, BUYER2, NEUTRAL, SELLER, Room
from valueroom.domain import permissions
from valueroom.domain.agreement import deal_hash
from valueroom.domain.commands import HANDLERS
from valueroom.domain.errors import DomainError, InvalidCommand, NotPermitted
from valueroom.domain.events import Actor, Draft, Event
from valueroom.domain.method import PHASE_IDS
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PUBLIC
from valueroom.protocol.schema import SCHEMA

ACTORS = {"buyer": BUYER, "seller": SELLER, "neutral": NEUTRAL, "buyer2": BUYER2}
KINDS = ("with-neutral", "without-neutral")


@cache
def fixture_log(kind: str, phase: str) -> tuple[Event, ...]:
    """The room every cell starts from, as its log (folded afresh per cell)."""
    neutral = kind == "with-neutral"
    room = Room(neutral=neutral)
    for item_id in ("a", "d", "f", "s", "v"):
        room.add(item_id, title=item_id.upper())
    room.do(BUYER, "item.delete", item_id="d")
    for actor in (BUYER, SELLER):
        for question in ("valuable", "cooperation"):
            room.do(actor, "opening.answer", question=question, answer="Yes")
    room.add("g", title="G")
    room.do(BUYER, "commitment.add", commitment_id="c1", who="seller", what="Deliver by March")
    for item_id in ("a", "f", "s", "v"):
        room.do(BUYER, "figures.set", item_id=item_id, value="100", cost="10")
        room.do(SELLER, "figures.set", item_id=item_id, value="50", cost="80")
    if neutral:
        room.to_phase("dividing")
        for party, actor in (("buyer", BUYER), ("seller", SELLER)):
            room.do(actor, "seal.share", item_id="s", party=party)
            room.do(actor, "seal.share", item_id="v", party=party)
            room.do(NEUTRAL, "seal.verify", item_id="v", party=party, version=1, comment="ok")
            room.do(NEUTRAL, "caucus.open", party=party)
        room.do(NEUTRAL, "note.add", note_id="n1", text="Ground rules")
        room.do(NEUTRAL, "timer.set", seconds=600, label="Round 1")
    room.to_phase("dividing")
    for actor in (BUYER, SELLER):
        room.do(actor, "item.agree", item_id="g", agreed=True)
    room.to_phase(phase)
    return tuple(room.log)


def fresh(kind: str, phase: str) -> Room:
    room = Room.__new__(Room)
    room.neutral = kind == "with-neutral"
    room.log = list(fixture_log(kind, phase))
    room.state = RoomState.fold(room.log)
    return room


def snapshot(room: Room) -> Any:
    views = {role: view.to_wire() for role, view in room.state.views.items()}
    return (len(room.log), room.state.seq, views, room.state.public.to_wire())


def other_phase(phase: str) -> str:
    return "opening" if phase != "opening" else "exploring"


def party_of(role: str) -> str:
    return "seller" if role == "seller" else "buyer"


def after_last(room: Room) -> str:
    last = room.state.view("buyer").live_items()[-1].position
    return str(fractional_indexing.generate_key_between(last, None))


@dataclass
class Scenario:
    """How to send a command in the fixture room, and what an allowed sender gets."""

    args: Callable[[Room, str], dict[str, Any]]
    events: list[str]
    before: Callable[[Room], None] = lambda room: None
    # Refusals the room's state decides, per room kind: (error type, reason).
    refused_in: dict[str, tuple[type[DomainError], str]] = field(default_factory=dict)


def close_caucuses(room: Room) -> None:
    for party in ("buyer", "seller"):
        room.system(NEUTRAL, Draft("caucus.closed", {"party": party}, PUBLIC))


NO_NEUTRAL: dict[str, tuple[type[DomainError], str]] = {
    "without-neutral": (InvalidCommand, "room.no_neutral")
}

SCENARIOS: dict[str, Scenario] = {
    "item.add": Scenario(
        lambda room, role: {"item_id": "new", "kind": "term", "title": "New"}, ["item.added"]
    ),
    "item.edit": Scenario(lambda room, role: {"item_id": "a", "title": "A2"}, ["item.edited"]),
    "item.move": Scenario(
        lambda room, role: {"item_id": "a", "position": after_last(room)}, ["item.moved"]
    ),
    "item.park": Scenario(lambda room, role: {"item_id": "a", "parked": True}, ["item.parked"]),
    "item.delete": Scenario(lambda room, role: {"item_id": "a"}, ["item.deleted"]),
    "item.restore": Scenario(lambda room, role: {"item_id": "d"}, ["item.restored"]),
    "item.withdraw": Scenario(
        lambda room, role: {"item_id": "a", "withdraw": True}, ["withdrawal.changed"]
    ),
    "item.agree": Scenario(lambda room, role: {"item_id": "a", "agreed": True}, ["item.agreed"]),
    "figures.set": Scenario(
        lambda room, role: {"item_id": "a", "value": "7", "cost": "1"}, ["figures.registered"]
    ),
    "consent.set": Scenario(
        lambda room, role: {"item_id": "a", "consent": True}, ["consent.changed"]
    ),
    "phase.set": Scenario(
        lambda room, role: {"phase": other_phase(room.state.phase)}, ["phase.changed"]
    ),
    "phase.propose": Scenario(
        lambda room, role: {"phase": other_phase(room.state.phase)},
        ["phase.proposed"],
        refused_in={"with-neutral": (NotPermitted, "phase.neutral_moves")},
    ),
    "agenda.lock": Scenario(lambda room, role: {"locked": True}, ["agenda.locked"]),
    "timer.set": Scenario(lambda room, role: {"seconds": 90, "label": "R2"}, ["timer.started"]),
    "timer.clear": Scenario(lambda room, role: {}, ["timer.cleared"]),
    "note.add": Scenario(lambda room, role: {"note_id": "n2", "text": "Pause"}, ["note.added"]),
    "note.edit": Scenario(lambda room, role: {"note_id": "n1", "text": "Rules"}, ["note.edited"]),
    "note.remove": Scenario(lambda room, role: {"note_id": "n1"}, ["note.removed"]),
    "caucus.open": Scenario(
        lambda room, role: {"party": party_of(role)},
        ["caucus.opened"],
        before=close_caucuses,
        refused_in=NO_NEUTRAL,
    ),
    "caucus.close": Scenario(
        lambda room, role: {"party": party_of(role)}, ["caucus.closed"], refused_in=NO_NEUTRAL
    ),
    "caucus.post": Scenario(
        lambda room, role: {"party": party_of(role), "text": "A question"},
        ["caucus.posted"],
        refused_in=NO_NEUTRAL,
    ),
    "caucus.note": Scenario(
        lambda room, role: {"party": party_of(role), "text": "To check: transport cost"},
        ["caucus.noted"],
        refused_in=NO_NEUTRAL,
    ),
    "seal.share": Scenario(
        lambda room, role: {"item_id": "f", "party": party_of(role)},
        ["seal.shared"],
        refused_in=NO_NEUTRAL,
    ),
    "seal.withdraw": Scenario(
        lambda room, role: {"item_id": "s", "party": party_of(role)},
        ["seal.withdrawn"],
        refused_in=NO_NEUTRAL,
    ),
    "seal.verify": Scenario(
        lambda room, role: {"item_id": "s", "party": "buyer", "version": 1, "comment": "Fine"},
        ["seal.verified"],
    ),
    "seal.dispute": Scenario(
        lambda room, role: {"item_id": "s", "party": "seller", "version": 1, "comment": "Why?"},
        ["seal.disputed"],
    ),
    "seal.attest": Scenario(lambda room, role: {"item_id": "v"}, ["split.sealed"]),
    "opening.answer": Scenario(
        lambda room, role: {"question": "valuable", "answer": "Certainly"}, ["opening.answered"]
    ),
    "opening.share": Scenario(lambda room, role: {}, ["opening.ready"]),
    "plan.set": Scenario(lambda room, role: {"item_id": "a", "open": True}, ["plan.changed"]),
    "trust.pulse": Scenario(lambda room, role: {"behaviour": "listen_first"}, ["trust.pulsed"]),
    "commitment.add": Scenario(
        lambda room, role: {
            "commitment_id": "c9",
            "who": role,
            "what": "Send the forecast",
            "due": "2027-01-31",
            "item_id": "a",
        },
        ["commitment.added"],
    ),
    "commitment.set": Scenario(
        lambda room, role: {"commitment_id": "c1", "status": "kept", "comment": "Delivered"},
        ["commitment.updated"],
    ),
    "deal.sign": Scenario(
        lambda room, role: {"hash": deal_hash(room.state.public)}, ["deal.signed"]
    ),
    "deal.witness": Scenario(
        lambda room, role: {"hash": deal_hash(room.state.public)}, ["deal.signed"]
    ),
}


def cells() -> list[Any]:
    out = []
    for kind in KINDS:
        for phase in PHASE_IDS:
            for who in ACTORS:
                if kind == "without-neutral" and who == "neutral":
                    continue  # such a room has no neutral link
                for name in permissions.COMMANDS:
                    out.append(
                        pytest.param(kind, phase, who, name, id=f"{kind}-{phase}-{who}-{name}")
                    )
    return out


def test_every_schema_command_has_one_row_one_handler_and_one_scenario() -> None:
    schema_commands = SCHEMA["types"]["CommandName"]["values"]
    assert list(permissions.COMMANDS) == schema_commands
    assert set(HANDLERS) == set(schema_commands) == set(SCENARIOS)
    assert set(SCHEMA["commands"]) == set(schema_commands)
    for name, rule in permissions.TABLE.items():
        assert rule, f"{name}: nobody may send it"
        for role, phases in rule.items():
            assert role in ("buyer", "seller", "neutral")
            # A closed room changes only a commitment's status and the witness.
            if name not in ("commitment.set", "deal.witness"):
                assert phases <= set(PHASE_IDS) - {"closed"}, name
            assert phases, f"{name}: {role} in no phase"
    for party_row in ("buyer", "seller"):
        assert [r for r in permissions.TABLE.values() if party_row in r] == [
            r for r in permissions.TABLE.values() if "buyer" in r
        ]


def test_every_phase_can_be_left_except_closed() -> None:
    """Never trapped: from every open phase someone may move the phase on."""
    for phase in PHASE_IDS:
        movers = [
            role
            for role in ("buyer", "seller", "neutral")
            for name in ("phase.set", "phase.propose")
            if permissions.may(name, role, phase)
        ]
        assert bool(movers) == (phase != "closed"), phase


@pytest.mark.parametrize(("kind", "phase", "who", "name"), cells())
def test_permission_cell(kind: str, phase: str, who: str, name: str) -> None:
    room = fresh(kind, phase)
    actor: Actor = ACTORS[who]
    scenario = SCENARIOS[name]
    scenario.before(room)
    args = scenario.args(room, actor.role)
    before = snapshot(room)
    if not permissions.may(name, actor.role, phase):
        if actor.role not in permissions.TABLE[name]:
            reason = "permission.role"
        elif phase == "closed" and "closed" not in permissions.TABLE[name][actor.role]:
            reason = "phase.closed"
        else:
            reason = "permission.phase"
        with pytest.raises(NotPermitted) as refused:
            room.do(actor, name, **args)
        assert refused.value.reason == reason
        assert refused.value.code == "not_permitted"
        assert snapshot(room) == before
        return
    refusal = scenario.refused_in.get(kind)
    if refusal is not None:
        error, reason = refusal
        with pytest.raises(error) as state_refused:
            room.do(actor, name, **args)
        assert state_refused.value.reason == reason
        assert snapshot(room) == before
        return
    events = room.do(actor, name, **args)
    assert [e.name for e in events] == scenario.events
    assert all(e.actor == actor for e in events)
    assert snapshot(room) != before


def test_a_second_team_member_acts_for_the_party() -> None:
    room = fresh("without-neutral", "exploring")
    room.do(BUYER2, "phase.propose", phase="dividing")
    assert room.state.public.proposals["buyer"] == "dividing"
    # The first buyer turning the same key again is the same key: no change.
    assert room.do(BUYER, "phase.propose", phase="dividing") == []
    assert room.state.phase == "exploring"
    room.do(SELLER, "phase.propose", phase="dividing")
    assert room.state.phase == "dividing"
