"""The agenda in the pure core: add, edit, move, park, agree, delete; no sockets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domainkit import BUYER, NEUTRAL, SELLER, Room
from valueroom.domain.errors import (
    InvalidCommand,
    ItemExists,
    ItemNotFound,
    LimitReached,
    NotPermitted,
)
from valueroom.domain.rules import Rules
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PUBLIC


def test_item_add_appends_at_the_end_with_increasing_positions() -> None:
    room = Room()
    for i in range(5):
        room.add(f"i{i}")
    assert room.order() == [f"i{i}" for i in range(5)]
    positions = [item.position for item in room.state.view("buyer").live_items()]
    assert positions == sorted(positions)
    assert len(set(positions)) == 5


def test_item_add_is_public_and_seen_by_every_role() -> None:
    room = Room()
    event = room.add("i1", "Delivery time")
    assert event.vis == PUBLIC
    for role in ("buyer", "seller", "neutral"):
        assert room.state.view(role).items["i1"].title == "Delivery time"


def test_relationship_item_gets_the_four_models_as_options() -> None:
    room = Room()
    room.add("rel", "Relationship model", kind="relationship")
    ids = [o["id"] for o in room.state.view("seller").items["rel"].options]
    assert ids == ["transactional", "preferred", "performance", "outcome"]


def test_item_add_refuses_a_duplicate_id() -> None:
    room = Room()
    room.add("i1")
    with pytest.raises(ItemExists):
        room.add("i1")


def test_item_add_refuses_duplicate_option_ids() -> None:
    room = Room()
    with pytest.raises(InvalidCommand):
        room.add("i1", options=[{"id": "a", "label": "A"}, {"id": "a", "label": "B"}])


def test_item_edit_is_last_writer_wins_per_property() -> None:
    room = Room()
    room.add("i1", "Price")
    room.do(BUYER, "item.edit", item_id="i1", title="Unit price")
    room.do(SELLER, "item.edit", item_id="i1", description="per pallet")
    room.do(SELLER, "item.edit", item_id="i1", title="Price per pallet")
    item = room.state.view("neutral").items["i1"]
    assert (item.title, item.description) == ("Price per pallet", "per pallet")


def test_item_edit_without_a_change_produces_no_event() -> None:
    room = Room()
    room.add("i1", "Price")
    assert room.do(SELLER, "item.edit", item_id="i1", title="Price") == []


def test_item_move_to_a_taken_position_is_nudged_after_it() -> None:
    room = Room()
    for i in range(3):
        room.add(f"i{i}")
    target = room.state.view("buyer").items["i0"].position
    (moved,) = room.do(SELLER, "item.move", item_id="i2", position=target)
    assert moved.data["position"] != target
    assert room.order() == ["i0", "i2", "i1"]


def test_two_concurrent_moves_into_the_same_gap_both_land_in_order() -> None:
    room = Room()
    for i in range(4):
        room.add(f"i{i}")
    first = room.state.view("buyer").items["i0"].position
    second = room.state.view("buyer").items["i1"].position
    import fractional_indexing

    gap = fractional_indexing.generate_key_between(first, second)
    room.do(BUYER, "item.move", item_id="i3", position=gap)
    room.do(SELLER, "item.move", item_id="i2", position=gap)
    assert room.order() == ["i0", "i3", "i2", "i1"]


def test_item_move_refuses_an_invalid_order_key() -> None:
    room = Room()
    room.add("i1")
    with pytest.raises(InvalidCommand):
        room.do(BUYER, "item.move", item_id="i1", position="a00")


def test_park_and_unpark() -> None:
    room = Room()
    room.add("i1")
    room.do(SELLER, "item.park", item_id="i1", parked=True)
    assert room.state.view("buyer").items["i1"].parked
    assert room.do(SELLER, "item.park", item_id="i1", parked=True) == []
    room.do(BUYER, "item.park", item_id="i1", parked=False)
    assert not room.state.view("seller").items["i1"].parked


def test_agree_is_per_party_and_refused_to_the_neutral() -> None:
    room = Room(phase="exploring")
    room.add("i1")
    room.do(BUYER, "item.agree", item_id="i1", agreed=True)
    room.do(SELLER, "item.agree", item_id="i1", agreed=True)
    assert room.state.view("neutral").items["i1"].agreed == {"buyer": True, "seller": True}
    with pytest.raises(NotPermitted):
        room.do(NEUTRAL, "item.agree", item_id="i1", agreed=True)


def test_deleted_item_is_gone_and_refuses_further_edits() -> None:
    room = Room()
    room.add("i1")
    room.do(SELLER, "item.delete", item_id="i1")
    assert room.order() == []
    assert room.state.view("buyer").to_wire()["items"] == []
    with pytest.raises(ItemNotFound):
        room.do(BUYER, "item.edit", item_id="i1", title="x")
    with pytest.raises(ItemExists):
        room.add("i1")


def test_agenda_refuses_more_than_the_item_limit() -> None:
    room = Room()
    from valueroom.protocol.schema import limit

    for i in range(limit("max_items")):
        room.add(f"i{i}")
    with pytest.raises(LimitReached):
        room.add("one-too-many")


def test_fold_of_the_log_rebuilds_the_same_views() -> None:
    room = Room()
    room.add("i1")
    room.add("i2")
    room.do(SELLER, "item.edit", item_id="i2", title="Quality")
    room.do(BUYER, "item.move", item_id="i2", position="Zz")
    room.do(BUYER, "item.delete", item_id="i1")
    again = RoomState.fold(room.log)
    for role in ("buyer", "seller", "neutral"):
        assert again.view(role).to_wire() == room.state.view(role).to_wire()


def test_state_refuses_a_gap_in_the_log() -> None:
    room = Room()
    room.add("i1")
    state = RoomState()
    with pytest.raises(ValueError, match="gap"):
        state.apply(room.log[1])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["buyer", "seller"]), st.integers(0, 5), st.integers(0, 6)),
        max_size=30,
    )
)
def test_any_sequence_of_moves_keeps_positions_distinct(moves: list[tuple[str, int, int]]) -> None:
    import fractional_indexing

    room = Room()
    for i in range(6):
        room.add(f"i{i}")
    actors = {"buyer": BUYER, "seller": SELLER}
    for who, item_index, slot in moves:
        order = room.order()
        keys = [room.state.view("buyer").items[i].position for i in order]
        before = keys[slot - 1] if 0 < slot <= len(keys) else None
        after = keys[slot] if slot < len(keys) else None
        if before is not None and after is not None and before >= after:
            continue
        key = fractional_indexing.generate_key_between(before, after)
        room.do(actors[who], "item.move", item_id=f"i{item_index}", position=key)
    positions = [item.position for item in room.state.view("buyer").live_items()]
    assert len(set(positions)) == len(positions) == 6
    assert sorted(room.order()) == [f"i{i}" for i in range(6)]


def test_removed_items_count_toward_the_rooms_item_records() -> None:
    room = Room()
    room.state.rules = Rules(max_items=3, max_item_records=5)
    for n in range(5):
        room.add(f"i{n}")
        if n % 2 == 0:
            room.do(BUYER, "item.delete", item_id=f"i{n}")
    assert len(room.order()) == 2  # room left on the agenda, none in the room
    before = len(room.log)
    with pytest.raises(LimitReached) as refused:
        room.add("one-more")
    assert refused.value.reason == "agenda.records_full"
    assert refused.value.params == {"max": "5"}
    assert len(room.log) == before
    # The live limit is still its own refusal.
    room.state.rules = Rules(max_items=2, max_item_records=50)
    with pytest.raises(LimitReached) as full:
        room.add("one-more")
    assert full.value.reason == "agenda.full"
