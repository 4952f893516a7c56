"""Agenda order keys never outgrow the schema's limit: the agenda is rebalanced instead."""

from __future__ import annotations

import fractional_indexing
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domainkit import BUYER, SELLER, Room
from valueroom.protocol.schema import SCHEMA

LONGEST = SCHEMA["types"]["Position"]["max"]
# The longest valid key: integer part "a0", then a fraction that does not end in "0".
LONG_KEY = "a0" + "V" * (LONGEST - 2)
# The next key of that length: nothing fits between the two without growing.
NEXT_KEY = LONG_KEY[:-1] + "W"


def positions(room: Room) -> dict[str, str]:
    return {item.id: item.position for item in room.state.view("buyer").live_items()}


def test_order_keys_an_add_that_would_outgrow_the_limit_rebalances() -> None:
    room = Room()
    room.add("first", position=LONG_KEY)
    room.add("end", position=NEXT_KEY)
    events = room.do(BUYER, "item.add", item_id="mid", kind="term", title="M", position=LONG_KEY)
    assert [e.name for e in events][-1] == "item.added"
    assert {e.name for e in events[:-1]} == {"item.moved"}
    assert all(len(e.data["position"]) <= LONGEST for e in events)
    assert room.order() == ["first", "mid", "end"]
    assert room.order("seller") == room.order("neutral") == ["first", "mid", "end"]


def test_order_keys_a_move_and_a_restore_rebalance_too() -> None:
    room = Room()
    for item_id in ("a", "b", "c"):
        room.add(item_id)
    room.do(BUYER, "item.move", item_id="a", position=LONG_KEY)
    room.do(BUYER, "item.move", item_id="c", position=NEXT_KEY)
    rebalanced = room.do(SELLER, "item.move", item_id="b", position=LONG_KEY)
    assert {e.data["item_id"] for e in rebalanced} == {"a", "b", "c"}
    assert room.order() == ["a", "b", "c"]
    for _ in range(3):  # each asks for the slot just after a's key
        room.do(SELLER, "item.move", item_id="b", position=positions(room)["a"])
        room.do(SELLER, "item.move", item_id="c", position=positions(room)["a"])
    assert all(len(p) <= LONGEST for p in positions(room).values())
    room.do(BUYER, "item.delete", item_id="c")
    room.do(BUYER, "item.move", item_id="b", position=LONG_KEY)
    room.do(BUYER, "item.restore", item_id="c")
    assert all(len(p) <= LONGEST for p in positions(room).values())
    assert len(set(positions(room).values())) == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.booleans()), max_size=40))
def test_order_keys_any_crowding_stays_within_the_limit(
    steps: list[tuple[int, int, bool]],
) -> None:
    room = Room()
    for n in range(6):
        room.add(f"i{n}", position={0: LONG_KEY, 1: NEXT_KEY}.get(n))
    for mover, anchor, add in steps:
        placed = positions(room)
        wanted = sorted(placed.values())[anchor % len(placed)]
        if add and len(placed) < 40:
            room.do(BUYER, "item.add", item_id=f"n{len(room.log)}", kind="term", title="N",
                    position=wanted)  # fmt: skip
        else:
            room.do(BUYER, "item.move", item_id=f"i{mover}", position=wanted)
        placed = positions(room)
        assert all(len(p) <= LONGEST for p in placed.values())
        for key in placed.values():
            fractional_indexing.validate_order_key(key)
        assert len(set(placed.values())) == len(placed)
