"""The method's guidance in the core: the two core questions, the transparency plan, trust pulses,
and item kinds without figures."""

from __future__ import annotations

import pytest

from tests.domainkit import BUYER, NEUTRAL, SELLER, Room
from valueroom.domain.errors import InvalidCommand
from valueroom.domain.views import shared_split
from valueroom.domain.visibility import PUBLIC, party_only


def answer(room: Room, actor: object, valuable: str, cooperation: str) -> None:
    room.do(actor, "opening.answer", question="valuable", answer=valuable)  # type: ignore[arg-type]
    room.do(actor, "opening.answer", question="cooperation", answer=cooperation)  # type: ignore[arg-type]


def test_core_answers_stay_with_their_party_until_both_share() -> None:
    room = Room()
    answer(room, BUYER, "Yes: they keep our lines running", "Too transactional")
    assert all(e.vis == party_only("buyer") for e in room.log if e.name == "opening.answered")
    assert room.state.view("buyer").answers == {
        "valuable": "Yes: they keep our lines running",
        "cooperation": "Too transactional",
    }
    for role in ("seller", "neutral"):
        assert room.state.view(role).answers is None
    (ready,) = room.do(BUYER, "opening.share")
    # Ready says only who, never what.
    assert (ready.name, ready.data, ready.vis) == ("opening.ready", {"party": "buyer"}, PUBLIC)
    assert room.state.public.shared_answers is None

    answer(room, SELLER, "Yes", "We would like a multi-year framework")
    events = room.do(SELLER, "opening.share")
    assert [e.name for e in events] == ["opening.ready", "opening.shared"]
    shared = events[1]
    assert shared.vis == PUBLIC
    assert shared.data["answers"] == {
        "buyer": {
            "valuable": "Yes: they keep our lines running",
            "cooperation": "Too transactional",
        },
        "seller": {"valuable": "Yes", "cooperation": "We would like a multi-year framework"},
    }
    for role in ("buyer", "seller", "neutral"):
        assert room.state.view(role).shared_answers == shared.data["answers"]


def test_sharing_needs_both_answers_and_fixes_them() -> None:
    room = Room()
    room.do(BUYER, "opening.answer", question="valuable", answer="Yes")
    with pytest.raises(InvalidCommand) as refused:
        room.do(BUYER, "opening.share")
    assert refused.value.reason == "opening.unanswered"
    room.do(BUYER, "opening.answer", question="cooperation", answer="   ")
    with pytest.raises(InvalidCommand):
        room.do(BUYER, "opening.share")
    room.do(BUYER, "opening.answer", question="cooperation", answer="Fine")
    room.do(BUYER, "opening.share")
    assert room.do(BUYER, "opening.share") == []
    with pytest.raises(InvalidCommand) as late:
        room.do(BUYER, "opening.answer", question="valuable", answer="No")
    assert late.value.reason == "opening.already_ready"


def test_transparency_plan_is_public_per_item_and_party() -> None:
    room = Room()
    room.add("stock", kind="measure")
    (event,) = room.do(SELLER, "plan.set", item_id="stock", open=True)
    assert (event.name, event.vis) == ("plan.changed", PUBLIC)
    assert room.do(SELLER, "plan.set", item_id="stock", open=True) == []
    room.do(BUYER, "plan.set", item_id="stock", open=False)
    for role in ("buyer", "seller", "neutral"):
        assert room.state.view(role).plan == {"stock": {"buyer": False, "seller": True}}


@pytest.mark.parametrize("kind", ["question", "note"])
def test_items_without_figures_take_no_figures_plan_or_consent(kind: str) -> None:
    room = Room()
    room.add("q", kind=kind)
    room.to_phase("exploring")
    for name, args in (
        ("figures.set", {"value": "5", "cost": "0"}),
        ("consent.set", {"consent": True}),
        ("plan.set", {"open": True}),
    ):
        with pytest.raises(InvalidCommand) as refused:
            room.do(BUYER, name, item_id="q", **args)
        assert refused.value.reason == "item.no_figures"
        assert refused.value.params == {"kind": kind}
    assert shared_split(room.state).excluded == ("q",)


def test_trust_pulses_are_public_and_never_counted() -> None:
    room = Room()
    (event,) = room.do(SELLER, "trust.pulse", behaviour="keep_commitments")
    room.do(BUYER, "trust.pulse", behaviour="listen_first")
    room.do(BUYER, "trust.pulse", behaviour="listen_first")
    assert event.vis == PUBLIC
    assert event.data == {"party": "seller", "behaviour": "keep_commitments"}
    pulses = room.state.view("neutral").pulses
    assert [(p["party"], p["behaviour"]) for p in pulses] == [
        ("seller", "keep_commitments"),
        ("buyer", "listen_first"),
        ("buyer", "listen_first"),
    ]
    wire = room.state.view("neutral").to_wire()["guide"]
    assert set(wire) == {"own", "ready", "shared", "plan", "pulses"}
    with pytest.raises(Exception, match="may not"):
        room.do(NEUTRAL, "trust.pulse", behaviour="respect")
