"""The neutral third party in the pure core: phases, moderation, protected items, caucus, seal."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domainkit import BUYER, BUYER2, NEUTRAL, SELLER, Room
from valueroom.domain.commands.seal import record_access, sealed_in_event, sealed_in_view
from valueroom.domain.errors import InvalidCommand, ItemNotFound, NotPermitted
from valueroom.domain.split import Figures, split_line
from valueroom.domain.state import RoomState, View, apply
from valueroom.domain.views import preview_split, shared_split
from valueroom.domain.visibility import PUBLIC, visible, with_neutral

# -- phases --------------------------------------------------------------------------


def test_a_room_starts_in_preparation_and_the_neutral_moves_it_anywhere() -> None:
    room = Room()
    assert room.state.phase == "preparation"
    (event,) = room.do(NEUTRAL, "phase.set", phase="dividing")
    assert (event.name, event.vis, event.data) == (
        "phase.changed",
        PUBLIC,
        {"phase": "dividing", "from": "preparation"},
    )
    room.do(NEUTRAL, "phase.set", phase="opening")
    for role in ("buyer", "seller", "neutral"):
        assert room.state.view(role).phase == "opening"
    assert room.do(NEUTRAL, "phase.set", phase="opening") == []


def test_with_a_neutral_the_parties_cannot_move_the_phase() -> None:
    room = Room()
    with pytest.raises(NotPermitted) as refused:
        room.do(BUYER, "phase.propose", phase="opening")
    assert refused.value.reason == "phase.neutral_moves"
    with pytest.raises(NotPermitted) as refused:
        room.do(BUYER, "phase.set", phase="opening")
    assert refused.value.reason == "permission.role"
    assert room.state.phase == "preparation"


def test_without_a_neutral_a_phase_change_takes_both_parties() -> None:
    room = Room(neutral=False)
    (proposal,) = room.do(BUYER, "phase.propose", phase="exploring")
    assert (proposal.name, proposal.vis) == ("phase.proposed", PUBLIC)
    assert room.state.phase == "preparation"
    assert room.state.view("seller").proposals == {"buyer": "exploring", "seller": None}
    # A different proposal does not move it; the matching one does.
    room.do(SELLER, "phase.propose", phase="opening")
    assert room.state.phase == "preparation"
    (changed,) = room.do(SELLER, "phase.propose", phase="exploring")
    assert changed.name == "phase.changed"
    assert room.state.phase == "exploring"
    assert room.state.public.proposals == {"buyer": None, "seller": None}


def test_a_phase_proposal_can_be_withdrawn_before_the_other_accepts() -> None:
    room = Room(neutral=False)
    room.do(BUYER, "phase.propose", phase="exploring")
    (withdrawn,) = room.do(BUYER2, "phase.propose", phase=None)
    assert withdrawn.data == {"party": "buyer", "phase": None}
    room.do(SELLER, "phase.propose", phase="exploring")
    assert room.state.phase == "preparation"
    assert room.do(BUYER, "phase.propose", phase=None) == []
    with pytest.raises(InvalidCommand) as refused:
        room.do(BUYER, "phase.propose", phase="preparation")
    assert refused.value.reason == "phase.current"


def test_a_closed_room_refuses_every_command_and_stays_closed() -> None:
    room = Room(phase="exploring")
    room.to_phase("closed")
    for actor, name, args in [
        (NEUTRAL, "phase.set", {"phase": "exploring"}),
        (BUYER, "item.add", {"item_id": "x", "kind": "term", "title": "X"}),
        (NEUTRAL, "note.add", {"note_id": "n", "text": "t"}),
        (SELLER, "caucus.open", {"party": "seller"}),
    ]:
        with pytest.raises(NotPermitted) as refused:
            room.do(actor, name, **args)
        assert refused.value.reason == "phase.closed"
    assert room.state.phase == "closed"
    both = Room(neutral=False)
    both.to_phase("closed")
    with pytest.raises(NotPermitted):
        both.do(BUYER, "phase.propose", phase="exploring")


# -- moderation ----------------------------------------------------------------------


def test_locked_agenda_refuses_the_parties_changes_of_set_and_order() -> None:
    room = Room()
    room.add("i1")
    room.add("i2")
    room.do(BUYER, "item.delete", item_id="i2")
    (lock,) = room.do(NEUTRAL, "agenda.lock", locked=True)
    assert (lock.name, lock.vis, lock.data) == ("agenda.locked", PUBLIC, {"locked": True})
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("item.add", {"item_id": "i3", "kind": "term", "title": "New"}),
        ("item.delete", {"item_id": "i1"}),
        ("item.restore", {"item_id": "i2"}),
        ("item.move", {"item_id": "i1", "position": "a5"}),
        ("item.park", {"item_id": "i1", "parked": True}),
        ("item.withdraw", {"item_id": "i1", "withdraw": True}),
    ]
    before = [view.to_wire() for view in room.state.views.values()]
    for actor in (BUYER, SELLER, BUYER2):
        for name, args in attempts:
            with pytest.raises(NotPermitted) as refused:
                room.do(actor, name, **args)
            assert refused.value.reason == "agenda.locked", name
    assert [view.to_wire() for view in room.state.views.values()] == before
    # Wording stays open; the neutral moderates through the lock.
    room.do(SELLER, "item.edit", item_id="i1", title="Reworded")
    room.do(NEUTRAL, "item.park", item_id="i1", parked=True)
    room.do(NEUTRAL, "item.restore", item_id="i2")
    room.do(NEUTRAL, "agenda.lock", locked=False)
    room.do(BUYER, "item.add", item_id="i3", kind="term", title="After the lock")
    assert room.order() == ["i1", "i2", "i3"]


def test_timer_is_a_public_event_and_the_fold_keeps_its_start() -> None:
    room = Room()
    (started,) = room.do(NEUTRAL, "timer.set", seconds=300, label="Round 1")
    assert (started.vis, started.data) == (PUBLIC, {"seconds": 300, "label": "Round 1"})
    assert room.state.view("seller").timer == {
        "seconds": 300,
        "label": "Round 1",
        "started_at": started.at,
    }
    room.do(NEUTRAL, "timer.clear")
    assert room.state.view("buyer").timer is None
    assert room.do(NEUTRAL, "timer.clear") == []


def test_process_notes_are_added_edited_and_removed_by_the_neutral_for_all() -> None:
    room = Room()
    room.do(NEUTRAL, "note.add", note_id="n1", text="Listen first")
    room.do(NEUTRAL, "note.add", note_id="n2", text="Straight talk")
    room.do(NEUTRAL, "note.edit", note_id="n1", text="Listen first, then talk")
    room.do(NEUTRAL, "note.remove", note_id="n2")
    notes = room.state.view("buyer").to_wire()["notes"]
    assert [(n["id"], n["text"], n["by"]) for n in notes] == [
        ("n1", "Listen first, then talk", "Nora")
    ]
    with pytest.raises(InvalidCommand) as refused:
        room.do(NEUTRAL, "note.add", note_id="n1", text="again")
    assert refused.value.reason == "note.exists"
    with pytest.raises(InvalidCommand) as refused:
        room.do(NEUTRAL, "note.edit", note_id="n2", text="gone")
    assert refused.value.reason == "note.not_found"
    with pytest.raises(NotPermitted):
        room.do(BUYER, "note.add", note_id="n3", text="mine")


# -- protected items, withdrawal, restore -----------------------------------------------


def revealed_item(room: Room, item_id: str) -> None:
    room.add(item_id)
    room.do(BUYER, "figures.set", item_id=item_id, value="10", cost="1")
    room.do(SELLER, "figures.set", item_id=item_id, value="5", cost="2")
    room.do(BUYER, "consent.set", item_id=item_id, consent=True)
    room.do(SELLER, "consent.set", item_id=item_id, consent=True)


@pytest.mark.parametrize("why", ["agreed", "revealed", "sealed"])
def test_nobody_deletes_a_protected_item(why: str) -> None:
    room = Room(phase="dividing")
    if why == "agreed":
        room.add("p")
        room.do(SELLER, "item.agree", item_id="p", agreed=True)
    elif why == "revealed":
        revealed_item(room, "p")
    else:
        sealed_item(room, "p")
    log = len(room.log)
    for actor in (BUYER, SELLER, NEUTRAL, BUYER2):
        with pytest.raises(NotPermitted) as refused:
            room.do(actor, "item.delete", item_id="p")
        assert refused.value.reason == "item.protected"
        assert refused.value.params == {"why": why}
    assert len(room.log) == log
    assert room.order() == ["p"]


def test_a_protected_item_is_withdrawn_only_with_both_keys_and_either_may_cancel() -> None:
    room = Room(phase="dividing")
    revealed_item(room, "p")
    (key,) = room.do(BUYER, "item.withdraw", item_id="p", withdraw=True)
    assert (key.name, key.vis) == ("withdrawal.changed", PUBLIC)
    assert room.order() == ["p"]
    room.do(BUYER2, "item.withdraw", item_id="p", withdraw=False)  # the team cancels
    room.do(SELLER, "item.withdraw", item_id="p", withdraw=True)
    assert room.order() == ["p"]
    events = room.do(BUYER, "item.withdraw", item_id="p", withdraw=True)
    assert [e.name for e in events] == ["withdrawal.changed", "item.withdrawn"]
    assert room.order() == []
    assert shared_split(room.state).lines == ()
    with pytest.raises(NotPermitted):
        room.do(NEUTRAL, "item.withdraw", item_id="p", withdraw=True)


def test_a_removed_item_is_restored_as_it_was() -> None:
    room = Room(phase="dividing")
    revealed_item(room, "p")
    room.do(SELLER, "item.withdraw", item_id="p", withdraw=True)
    room.do(BUYER, "item.withdraw", item_id="p", withdraw=True)
    removed = room.state.view("seller").to_wire()["removed"]
    assert [(i["id"], i["removed"]) for i in removed] == [("p", "withdrawn")]
    split_before = shared_split(room.state)
    (restored,) = room.do(NEUTRAL, "item.restore", item_id="p")
    assert (restored.name, restored.vis) == ("item.restored", PUBLIC)
    item = room.state.view("buyer").items["p"]
    assert item.revealed
    assert item.removed is None
    assert item.withdrawal == {"buyer": False, "seller": False}
    assert room.state.view("buyer").private["p"].value == 1000
    assert len(shared_split(room.state).lines) == 1 != len(split_before.lines)
    # Deletions stay in the log.
    assert [e.name for e in room.log].count("item.withdrawn") == 1


def test_restore_nudges_a_taken_position_and_refuses_unknown_items() -> None:
    room = Room()
    room.add("a")
    position = room.state.view("buyer").items["a"].position
    room.do(BUYER, "item.delete", item_id="a")
    room.add("b", position=position)
    (restored,) = room.do(SELLER, "item.restore", item_id="a")
    assert restored.data["position"] != position
    assert room.order() == ["b", "a"]
    assert room.do(SELLER, "item.restore", item_id="a") == []
    with pytest.raises(ItemNotFound):
        room.do(SELLER, "item.restore", item_id="ghost")


# -- caucus ------------------------------------------------------------------------------


def test_caucus_messages_reach_that_party_and_the_neutral_only() -> None:
    room = Room()
    (opened,) = room.do(BUYER, "caucus.open", party="buyer")
    assert (opened.vis, opened.data) == (PUBLIC, {"party": "buyer"})
    (said,) = room.do(NEUTRAL, "caucus.post", party="buyer", text="What drives your cost?")
    (answer,) = room.do(BUYER2, "caucus.post", party="buyer", text="Transport, mostly")
    (noted,) = room.do(NEUTRAL, "caucus.note", party="buyer", text="Check the depot costs")
    for event in (said, answer, noted):
        assert event.vis == with_neutral("buyer")
        assert not visible(event.vis, "seller")
    seller = room.state.view("seller").to_wire()["caucus"]
    assert seller == {
        "buyer": {"open": True, "messages": [], "note": ""},
        "seller": {"open": False, "messages": [], "note": ""},
    }
    assert room.state.view("buyer").caucus_notes["buyer"] == "Check the depot costs"
    assert room.state.view("neutral").caucus_notes["buyer"] == "Check the depot costs"
    # The note is kept across caucuses, by either side; the same text again is no change.
    room.do(BUYER, "caucus.close", party="buyer")
    assert room.do(BUYER2, "caucus.note", party="buyer", text="Check the depot costs") == []
    room.do(BUYER2, "caucus.note", party="buyer", text="Depot costs: sent on Monday")
    assert room.state.view("neutral").caucus_notes["buyer"] == "Depot costs: sent on Monday"
    with pytest.raises(NotPermitted) as not_theirs:
        room.do(SELLER, "caucus.note", party="buyer", text="Let me read it")
    assert not_theirs.value.reason == "caucus.own_only"
    buyer = room.state.view("buyer").to_wire()["caucus"]["buyer"]["messages"]
    assert [(m["role"], m["name"], m["text"]) for m in buyer] == [
        ("neutral", "Nora", "What drives your cost?"),
        ("buyer", "Bob", "Transport, mostly"),
    ]
    assert room.state.view("neutral").to_wire()["caucus"]["buyer"]["messages"] == buyer
    room.do(NEUTRAL, "caucus.close", party="buyer")
    with pytest.raises(InvalidCommand) as refused:
        room.do(BUYER, "caucus.post", party="buyer", text="one more")
    assert refused.value.reason == "caucus.not_open"


def test_a_party_never_opens_or_writes_in_the_other_partys_caucus() -> None:
    room = Room()
    room.do(NEUTRAL, "caucus.open", party="seller")
    for name, args in [
        ("caucus.open", {"party": "seller"}),
        ("caucus.close", {"party": "seller"}),
        ("caucus.post", {"party": "seller", "text": "psst"}),
    ]:
        with pytest.raises(NotPermitted) as refused:
            room.do(BUYER, name, **args)
        assert refused.value.reason == "caucus.own_only"
        assert refused.value.field == "party"
    assert room.state.public.caucus == {"buyer": False, "seller": True}


def test_no_caucus_and_no_seal_without_a_neutral() -> None:
    room = Room(neutral=False, phase="dividing")
    room.add("i1")
    room.do(BUYER, "figures.set", item_id="i1", value="1", cost="0")
    for name, args in [
        ("caucus.open", {"party": "buyer"}),
        ("seal.share", {"item_id": "i1", "party": "buyer"}),
    ]:
        with pytest.raises(InvalidCommand) as refused:
            room.do(BUYER, name, **args)
        assert refused.value.reason == "room.no_neutral"


# -- figures under seal -------------------------------------------------------------------

BUYER_FIGURES = ("120000", "10000")  # the brief's worked example
SELLER_FIGURES = ("20000", "50000")


def sealed_item(room: Room, item_id: str) -> None:
    """Both sides register, share under seal, the neutral verifies and attests."""
    room.add(item_id)
    for actor, party, (value, cost) in (
        (BUYER, "buyer", BUYER_FIGURES),
        (SELLER, "seller", SELLER_FIGURES),
    ):
        room.do(actor, "figures.set", item_id=item_id, value=value, cost=cost, note="why")
        room.do(actor, "seal.share", item_id=item_id, party=party)
        version = room.state.view("neutral").seals[item_id][party].version
        room.do(NEUTRAL, "seal.verify", item_id=item_id, party=party, version=version, comment="ok")
    room.do(NEUTRAL, "seal.attest", item_id=item_id)


def test_sealed_figures_reach_the_party_and_the_neutral_never_the_other_party() -> None:
    room = Room(phase="exploring")
    room.add("stock")
    room.do(BUYER, "figures.set", item_id="stock", value="120000", cost="10000", note="secret")
    (shared,) = room.do(BUYER, "seal.share", item_id="stock", party="buyer")
    assert shared.vis == with_neutral("buyer")
    assert shared.data == {
        "item_id": "stock",
        "party": "buyer",
        "version": 1,
        "value": 12_000_000,
        "cost": 1_000_000,
    }
    assert "note" not in shared.data
    neutral = room.state.view("neutral").to_wire()
    assert neutral["seals"]["stock"]["buyer"]["value"] == 12_000_000
    assert neutral["private"] == {}
    seller = room.state.view("seller").to_wire()
    assert seller["seals"] == {}
    assert 12_000_000 not in _ints(seller)
    assert room.do(BUYER, "seal.share", item_id="stock", party="buyer") == []


def _ints(value: object) -> set[int]:
    if isinstance(value, dict):
        return {i for v in value.values() for i in _ints(v)}
    if isinstance(value, list):
        return {i for v in value for i in _ints(v)}
    if isinstance(value, int) and not isinstance(value, bool):
        return {value}
    return set()


def test_a_party_cannot_seal_for_the_other_party_nor_verify() -> None:
    room = Room(phase="dividing")
    room.add("i1")
    room.do(SELLER, "figures.set", item_id="i1", value="5", cost="1")
    room.do(SELLER, "seal.share", item_id="i1", party="seller")
    with pytest.raises(NotPermitted) as refused:
        room.do(BUYER, "seal.share", item_id="i1", party="seller")
    assert refused.value.reason == "seal.own_only"
    with pytest.raises(NotPermitted) as refused:
        room.do(BUYER, "seal.withdraw", item_id="i1", party="seller")
    assert refused.value.reason == "seal.own_only"
    for name in ("seal.verify", "seal.dispute"):
        with pytest.raises(NotPermitted) as refused:
            room.do(BUYER, name, item_id="i1", party="seller", version=1, comment="fine")
        assert refused.value.reason == "permission.role"
    with pytest.raises(NotPermitted) as refused:
        room.do(SELLER, "seal.verify", item_id="i1", party="seller", version=1, comment="me")
    assert refused.value.reason == "permission.role"


def test_sharing_needs_registered_figures_and_withdrawal_ends_when_the_neutral_acts() -> None:
    room = Room(phase="dividing")
    room.add("i1")
    with pytest.raises(InvalidCommand) as refused:
        room.do(BUYER, "seal.share", item_id="i1", party="buyer")
    assert refused.value.reason == "seal.register_first"
    room.do(BUYER, "figures.set", item_id="i1", value="5", cost="1")
    room.do(BUYER, "seal.share", item_id="i1", party="buyer")
    (withdrawn,) = room.do(BUYER, "seal.withdraw", item_id="i1", party="buyer")
    assert withdrawn.vis == with_neutral("buyer")
    assert room.state.view("neutral").seals == {}
    (again,) = room.do(BUYER, "seal.share", item_id="i1", party="buyer")
    assert again.data["version"] == 2
    room.do(NEUTRAL, "seal.dispute", item_id="i1", party="buyer", version=2, comment="source?")
    assert room.state.view("buyer").seals["i1"]["buyer"].status == "disputed"
    with pytest.raises(InvalidCommand) as refused:
        room.do(BUYER, "seal.withdraw", item_id="i1", party="buyer")
    assert refused.value.reason == "seal.already_acted"


def test_the_neutral_judges_only_the_version_it_saw() -> None:
    room = Room(phase="dividing")
    room.add("i1")
    room.do(BUYER, "figures.set", item_id="i1", value="5", cost="1")
    room.do(BUYER, "seal.share", item_id="i1", party="buyer")
    with pytest.raises(InvalidCommand) as refused:
        room.do(NEUTRAL, "seal.verify", item_id="i1", party="buyer", version=7, comment="ok")
    assert refused.value.reason == "seal.stale"
    with pytest.raises(InvalidCommand) as refused:
        room.do(NEUTRAL, "seal.verify", item_id="i1", party="seller", version=1, comment="ok")
    assert refused.value.reason == "seal.not_shared"


def test_attested_item_enters_the_shared_split_under_seal_without_value_or_cost() -> None:
    room = Room(phase="dividing")
    sealed_item(room, "stock")
    attest = room.log[-1]
    assert (attest.name, attest.vis) == ("split.sealed", PUBLIC)
    assert attest.data == {
        "item_id": "stock",
        "net": 8_000_000,
        "fair": {"buyer": 4_000_000, "seller": 4_000_000},
        "transfer": {"buyer": -7_000_000, "seller": 7_000_000},
    }
    (line,) = shared_split(room.state).lines
    expected = split_line("stock", Figures(12_000_000, 1_000_000), Figures(2_000_000, 5_000_000))
    assert line.sealed
    assert (line.own, line.net, line.fair, line.transfer) == (
        expected.own,
        expected.net,
        expected.fair,
        expected.transfer,
    )
    for party in ("buyer", "seller"):
        (preview,) = preview_split(room.state, party).lines
        assert preview == line
    # No public view nor the other party's view holds a value or cost.
    forbidden = {12_000_000, 1_000_000, 2_000_000, 5_000_000}
    assert not forbidden & _ints(room.state.public.to_wire())
    assert not {2_000_000, 5_000_000} & _ints(room.state.view("buyer").to_wire())
    assert not {12_000_000, 1_000_000} & _ints(room.state.view("seller").to_wire())


def test_attest_needs_both_sides_sealed_and_verified_and_only_while_dividing() -> None:
    room = Room(phase="dividing")
    room.add("i1")
    room.do(BUYER, "figures.set", item_id="i1", value="5", cost="1")
    room.do(BUYER, "seal.share", item_id="i1", party="buyer")
    room.do(NEUTRAL, "seal.verify", item_id="i1", party="buyer", version=1, comment="ok")
    with pytest.raises(InvalidCommand) as refused:
        room.do(NEUTRAL, "seal.attest", item_id="i1")
    assert refused.value.reason == "seal.not_verified"
    assert refused.value.params == {"party": "seller"}
    sealed_item(room, "i2")
    room.to_phase("exploring")
    with pytest.raises(NotPermitted) as not_now:
        room.do(NEUTRAL, "seal.attest", item_id="i2")
    assert not_now.value.reason == "permission.phase"


def test_re_registering_outdates_the_seal_and_takes_the_item_out_of_the_split() -> None:
    room = Room(phase="dividing")
    sealed_item(room, "stock")
    # A new note alone changes nothing the neutral saw.
    (note_only,) = room.do(
        SELLER, "figures.set", item_id="stock", value="20000", cost="50000", note="n2"
    )
    assert note_only.name == "figures.registered"
    events = room.do(SELLER, "figures.set", item_id="stock", value="25000", cost="50000")
    assert [(e.name, e.vis) for e in events] == [
        ("figures.registered", 2),
        ("seal.outdated", with_neutral("seller")),
        ("split.unsealed", PUBLIC),
    ]
    assert events[1].data == {"item_id": "stock", "party": "seller", "version": 1}
    assert events[2].data == {"item_id": "stock", "reason": "figures_changed"}
    assert 2_500_000 not in _ints(room.state.view("neutral").to_wire())
    assert shared_split(room.state).lines == ()
    with pytest.raises(InvalidCommand) as refused:
        room.do(NEUTRAL, "seal.verify", item_id="stock", party="seller", version=1, comment="x")
    assert refused.value.reason == "seal.stale"
    # Share again, verify again, attest again.
    (shared,) = room.do(SELLER, "seal.share", item_id="stock", party="seller")
    assert shared.data["version"] == 2
    room.do(NEUTRAL, "seal.verify", item_id="stock", party="seller", version=2, comment="ok")
    room.do(NEUTRAL, "seal.attest", item_id="stock")
    (line,) = shared_split(room.state).lines
    assert line.net == 8_500_000


def test_disputing_an_attested_seal_takes_the_item_out_of_the_split() -> None:
    room = Room(phase="dividing")
    sealed_item(room, "stock")
    events = room.do(
        NEUTRAL, "seal.dispute", item_id="stock", party="buyer", version=1, comment="recheck"
    )
    assert [e.name for e in events] == ["seal.disputed", "split.unsealed"]
    assert shared_split(room.state).lines == ()


def test_access_log_entries_carry_no_figures_and_reach_owner_and_neutral() -> None:
    room = Room(phase="dividing")
    room.add("i1")
    room.do(BUYER, "figures.set", item_id="i1", value="5", cost="1")
    (shared,) = room.do(BUYER, "seal.share", item_id="i1", party="buyer")
    assert sealed_in_event(shared) == [("i1", "buyer", 1)]
    assert sealed_in_view(room.state.view("neutral")) == [("i1", "buyer", 1)]
    assert sealed_in_view(room.state.view("seller")) == []
    event = room.system(NEUTRAL, record_access("Nora", ("i1", "buyer", 1), "welcome"))
    assert event.vis == with_neutral("buyer")
    assert event.data == {
        "item_id": "i1",
        "party": "buyer",
        "version": 1,
        "member": "Nora",
        "how": "welcome",
    }
    assert sealed_in_event(event) == []  # logging an access never logs again
    (entry,) = room.state.view("buyer").to_wire()["access"]["i1"]
    assert entry == {
        "party": "buyer",
        "version": 1,
        "member": "Nora",
        "how": "welcome",
        "at": event.at,
    }
    assert room.state.view("seller").to_wire()["access"] == {}
    with pytest.raises(ValueError, match="way of access"):
        record_access("Nora", ("i1", "buyer", 1), "telepathy")


def test_every_view_is_the_fold_of_its_visible_events_with_the_neutral_at_work() -> None:
    room = Room(phase="dividing")
    sealed_item(room, "stock")
    room.add("other")
    room.do(BUYER, "caucus.open", party="buyer")
    room.do(NEUTRAL, "caucus.post", party="buyer", text="hello")
    room.do(NEUTRAL, "agenda.lock", locked=True)
    room.do(NEUTRAL, "note.add", note_id="n1", text="note")
    room.do(NEUTRAL, "timer.set", seconds=60)
    room.do(NEUTRAL, "item.delete", item_id="other")
    room.system(NEUTRAL, record_access("Nora", ("stock", "seller", 1), "live"))
    for role in ("buyer", "seller", "neutral"):
        own = View(role)
        for event in room.log:
            if visible(event.vis, role):
                apply(own, event)
        assert own.to_wire() == room.state.view(role).to_wire()
    again = RoomState.fold(room.log)
    assert again.public.to_wire() == room.state.public.to_wire()
