"""Uncertain figures: a range around each figure, and the split's sensitivity to it.

Decided in the pure core: what a range is, who may see it, what it does to
the split (nothing to the expected numbers; a low and a high end besides).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.domainkit import BUYER, NEUTRAL, SELLER, Room
from valueroom.domain.agreement import deal_sheet, export_content
from valueroom.domain.errors import InvalidFigure
from valueroom.domain.events import Draft, Event
from valueroom.domain.money import MAX_UNITS
from valueroom.domain.snapshot import from_record, to_record
from valueroom.domain.split import (
    Entry,
    Figures,
    Range,
    SplitLine,
    compute_split,
    sealed_line,
    to_wire,
)
from valueroom.domain.views import preview_split, shared_split
from valueroom.domain.visibility import BUYER as BUYER_BIT
from valueroom.protocol.exports import render
from valueroom.protocol.schema import check_server_frame

C = 100
RANGE_ARGS = {"value_low": "100000", "value_high": "130000", "cost_high": "15000"}
BUYER_RANGE = {
    "value_low": 10_000_000,
    "value_high": 13_000_000,
    "cost_low": 1_000_000,
    "cost_high": 1_500_000,
}


def stock(buyer_range: bool = True) -> Room:
    """The brief's worked example; the buyer gives a range around its figures."""
    room = Room(phase="dividing")
    room.add("stock", "Consignment stock")
    extra = RANGE_ARGS if buyer_range else {}
    room.do(BUYER, "figures.set", item_id="stock", value="120000", cost="10000", **extra)
    room.do(SELLER, "figures.set", item_id="stock", value="20000", cost="50000")
    return room


def reveal(room: Room, item: str = "stock") -> list[Event]:
    room.do(BUYER, "consent.set", item_id=item, consent=True)
    return room.do(SELLER, "consent.set", item_id=item, consent=True)


# -- registering a range -------------------------------------------------------------


def test_range_is_registered_for_the_registering_party_only() -> None:
    room = Room()
    room.add("stock")
    (event,) = room.do(
        BUYER, "figures.set", item_id="stock", value="120000", cost="10000", **RANGE_ARGS
    )
    assert event.vis == BUYER_BIT
    assert event.data["range"] == BUYER_RANGE
    assert room.state.view("buyer").private["stock"].range == BUYER_RANGE
    assert room.state.view("buyer").private["stock"].to_wire()["range"] == BUYER_RANGE
    for role in ("seller", "neutral"):
        assert "stock" not in room.state.view(role).private
    assert "stock" not in room.state.public.private


def test_figures_without_range_register_exactly_as_before() -> None:
    room = Room()
    room.add("stock")
    (event,) = room.do(BUYER, "figures.set", item_id="stock", value="120000", cost="10000")
    assert event.data == {
        "item_id": "stock",
        "party": "buyer",
        "value": 12_000_000,
        "cost": 1_000_000,
        "note": "",
    }
    assert room.state.view("buyer").private["stock"].to_wire() == {
        "value": 12_000_000,
        "cost": 1_000_000,
        "note": "",
    }


def test_range_equal_to_the_figures_is_no_range() -> None:
    room = Room()
    room.add("stock")
    ends = {"value_low": "5", "value_high": "5", "cost_low": "2", "cost_high": "2"}
    (event,) = room.do(BUYER, "figures.set", item_id="stock", value="5", cost="2", **ends)
    assert "range" not in event.data
    assert room.state.view("buyer").private["stock"].range is None


def test_range_resent_unchanged_is_a_no_op_and_a_new_range_is_an_event() -> None:
    room = stock()
    args = {"item_id": "stock", "value": "120000", "cost": "10000"}
    assert room.do(BUYER, "figures.set", **args, **RANGE_ARGS) == []
    (event,) = room.do(BUYER, "figures.set", **args, value_low="90000")
    assert event.data["range"]["value_low"] == 9_000_000
    assert event.data["range"]["value_high"] == 12_000_000  # omitted: the expected value
    (event,) = room.do(BUYER, "figures.set", **args)
    assert "range" not in event.data
    assert room.state.view("buyer").private["stock"].range is None


@pytest.mark.parametrize(
    ("ends", "reason", "field"),
    [
        ({"value_low": "120000.01"}, "figure.range_low", "value_low"),
        ({"value_high": "119999.99"}, "figure.range_high", "value_high"),
        ({"cost_low": "10000.01"}, "figure.range_low", "cost_low"),
        ({"cost_high": "9999"}, "figure.range_high", "cost_high"),
        ({"cost_low": "-1"}, "figure.negative", "cost_low"),
        ({"value_high": "1.234,56"}, "figure.not_a_number", "value_high"),
        ({"value_high": "10000000000"}, "figure.too_large", "value_high"),
        ({"value_low": ""}, "figure.empty", "value_low"),
    ],
)
def test_bad_range_is_refused_with_a_reason_and_changes_nothing(
    ends: dict[str, str], reason: str, field: str
) -> None:
    room = stock()
    before = room.state.view("buyer").private["stock"]
    seq = room.state.seq
    args = {"item_id": "stock", "value": "120000", "cost": "10000"}
    with pytest.raises(InvalidFigure) as refused:
        room.do(BUYER, "figures.set", **args, **ends)
    assert (refused.value.reason, refused.value.field) == (reason, field)
    assert room.state.seq == seq
    assert room.state.view("buyer").private["stock"] == before


def test_negative_value_range_is_allowed() -> None:
    room = Room()
    room.add("x")
    (event,) = room.do(SELLER, "figures.set", item_id="x", value="-10", cost="0", value_low="-20")
    assert event.data["range"]["value_low"] == -2000


def test_old_registration_event_without_range_folds_as_before() -> None:
    room = Room()
    room.add("stock")
    data = {"item_id": "stock", "party": "buyer", "value": 7, "cost": 3, "note": "n"}
    room.system(BUYER, Draft("figures.registered", data, BUYER_BIT))
    record = room.state.view("buyer").private["stock"]
    assert (record.value, record.cost, record.note, record.range) == (7, 3, "n", None)


# -- the reveal and revisions ---------------------------------------------------------


def test_reveal_carries_both_sides_figures_with_their_ranges() -> None:
    room = stock()
    revealed = reveal(room)[-1]
    assert revealed.name == "item.revealed"
    assert revealed.data["buyer"] == {"value": 12_000_000, "cost": 1_000_000, "range": BUYER_RANGE}
    assert revealed.data["seller"] == {"value": 2_000_000, "cost": 5_000_000}
    item = room.state.public.items["stock"]
    assert item.to_wire()["figures"]["buyer"]["range"] == BUYER_RANGE


def test_changing_only_the_range_after_the_reveal_is_a_public_revision() -> None:
    room = stock()
    reveal(room)
    args = {"item_id": "stock", "value": "120000", "cost": "10000"}
    _registered, revised = room.do(BUYER, "figures.set", **args)
    assert revised.name == "figures.revised"
    assert revised.data["before"]["range"] == BUYER_RANGE
    assert revised.data["after"] == {"value": 12_000_000, "cost": 1_000_000}
    assert "range" not in room.state.public.items["stock"].figures["buyer"]
    assert shared_split(room.state).lines[0].low is None


def test_range_is_not_shared_under_seal_and_a_range_change_keeps_the_seal() -> None:
    room = stock()
    (shared,) = room.do(BUYER, "seal.share", item_id="stock", party="buyer")
    assert "range" not in shared.data
    assert "range" not in room.state.view("neutral").seals["stock"]["buyer"].to_wire()
    args = {"item_id": "stock", "value": "120000", "cost": "10000"}
    (event,) = room.do(BUYER, "figures.set", **args, value_low="50000")
    assert event.name == "figures.registered"  # no seal.outdated: the sealed figures still hold
    assert room.do(NEUTRAL, "seal.verify", item_id="stock", party="buyer", version=1, comment="")


def test_snapshot_keeps_ranges() -> None:
    room = stock()
    reveal(room)
    restored = from_record(to_record(room.state))
    assert restored.view("buyer").private["stock"].range == BUYER_RANGE
    assert restored.public.items["stock"].figures == room.state.public.items["stock"].figures


# -- the split's sensitivity ---------------------------------------------------------


def test_sensitivity_of_the_worked_example() -> None:
    room = stock()
    reveal(room)
    split = shared_split(room.state)
    (line,) = split.lines
    # Expected: exactly the brief's numbers.
    assert (line.net, line.fair.buyer, line.transfer.buyer) == (
        80_000 * C,
        40_000 * C,
        -70_000 * C,
    )
    assert line.low is not None
    assert line.high is not None
    # Buyer's own net from 100,000 - 15,000 = 85,000 to 130,000 - 10,000 = 120,000.
    assert line.low.own.buyer == 85_000 * C
    assert line.high.own.buyer == 120_000 * C
    assert line.low.net == 55_000 * C
    assert line.high.net == 90_000 * C
    assert line.low.transfer.buyer == -57_500 * C
    assert line.high.transfer.buyer == -75_000 * C
    assert split.total is not None
    assert split.total.low == replace(line.low, item_id="total")
    wire = to_wire(split)
    assert wire["lines"][0]["low"]["net"] == 55_000 * C
    assert wire["total"]["high"]["net"] == 90_000 * C
    assert check_server_frame({"type": "split", "shared": wire, "preview": wire}) == "split"


def test_split_without_ranges_has_no_ends_on_the_wire() -> None:
    room = stock(buyer_range=False)
    reveal(room)
    wire = to_wire(shared_split(room.state))
    assert "low" not in wire["lines"][0]
    assert "low" not in wire["total"]


def test_preview_shows_the_party_its_own_range_and_nothing_of_the_other_side() -> None:
    room = stock()
    (pending,) = preview_split(room.state, "buyer").pending
    assert (pending.own, pending.low, pending.high) == (110_000 * C, 85_000 * C, 120_000 * C)
    wire = to_wire(preview_split(room.state, "buyer"))
    assert wire["pending"] == [
        {"item_id": "stock", "party": "buyer", "own": 110_000 * C, "low": 85_000 * C,
         "high": 120_000 * C}
    ]  # fmt: skip
    assert wire["lines"] == []
    assert wire["total"] is None
    (seller,) = to_wire(preview_split(room.state, "seller"))["pending"]
    assert seller == {"item_id": "stock", "party": "seller", "own": -30_000 * C}


def test_a_line_without_range_in_a_ranged_split_has_no_ends_but_counts_in_the_total_ends() -> None:
    ranged = Figures(10, 0, Range(5, 20, 0, 0))
    split = compute_split([("a", ranged, Figures(0, 0)), ("b", Figures(3, 0), Figures(0, 0))], [])
    assert split.lines[1].low is None
    assert split.total is not None
    assert split.total.low is not None
    assert split.total.high is not None
    assert (split.total.low.net, split.total.net, split.total.high.net) == (8, 13, 23)


def test_sealed_line_keeps_its_numbers_at_both_ends() -> None:
    sealed = sealed_line("s", 7, {"buyer": 3, "seller": 4}, {"buyer": 1, "seller": -1})
    ranged = Figures(10, 0, Range(0, 10, 0, 0))
    split = compute_split([sealed, ("a", ranged, Figures(0, 0))], [])
    assert split.lines[0].low is None
    assert split.total is not None
    assert split.total.low is not None
    assert split.total.low.net == 7
    assert split.total.net == 17


units = st.integers(min_value=-MAX_UNITS, max_value=MAX_UNITS)
costs = st.integers(min_value=0, max_value=MAX_UNITS)


@st.composite
def ranged_figures(draw: st.DrawFn) -> Figures:
    value, cost = draw(units), draw(costs)
    if draw(st.booleans()):
        return Figures(value, cost)
    bounds = Range(
        draw(st.integers(-MAX_UNITS, value)),
        draw(st.integers(value, MAX_UNITS)),
        draw(st.integers(0, cost)),
        draw(st.integers(cost, MAX_UNITS)),
    )
    return Figures(value, cost, bounds)


def bare(line: SplitLine) -> SplitLine:
    return replace(line, low=None, high=None)


def assert_identities(line: SplitLine) -> None:
    assert line.net == line.own.buyer + line.own.seller
    assert line.fair.buyer + line.fair.seller == line.net
    assert abs(line.fair.buyer - line.fair.seller) <= 1
    assert line.transfer.buyer == -line.transfer.seller
    for party in ("buyer", "seller"):
        assert line.own[party] + line.transfer[party] == line.fair[party]


@given(st.lists(st.tuples(ranged_figures(), ranged_figures()), max_size=12))
def test_ranges_never_change_the_expected_split_and_bracket_created_value(
    pairs: list[tuple[Figures, Figures]],
) -> None:
    entries: list[Entry] = [(f"i{n}", b, s) for n, (b, s) in enumerate(pairs)]
    plain: list[Entry] = [(f"i{n}", Figures(b.value, b.cost), Figures(s.value, s.cost))
                          for n, (b, s) in enumerate(pairs)]  # fmt: skip
    split, expected = compute_split(entries, ["x"]), compute_split(plain, ["x"])
    assert [bare(line) for line in split.lines] == list(expected.lines)
    assert (split.total and bare(split.total)) == expected.total
    assert split.without_destroyers == expected.without_destroyers
    for line, (buyer, seller) in zip([*split.lines], pairs, strict=True):
        has_range = buyer.range is not None or seller.range is not None
        assert (line.low is not None) == has_range == (line.high is not None)
        if line.low is not None and line.high is not None:
            assert line.low.net <= line.net <= line.high.net
            assert line.low.own.buyer == buyer.own_low
            assert line.high.own.seller == seller.own_high
            assert_identities(line.low)
            assert_identities(line.high)
    total = split.total
    if total is not None and total.low is not None and total.high is not None:
        assert total.low.net <= total.net <= total.high.net
        assert_identities(total.low)
        assert_identities(total.high)
        # The ends' totals are the sums of every line's end (a line without range at its figures).
        ends = [(line.low or line).net for line in split.lines]
        assert total.low.net == sum(ends)


# -- the deal sheet and the exports --------------------------------------------------


def test_deal_sheet_shows_the_sensitivity_of_revealed_items_and_only_then() -> None:
    plain = stock(buyer_range=False)
    reveal(plain)
    sheet = deal_sheet(plain.state.public)
    assert "low" not in sheet["split"]["lines"][0]
    assert "low" not in sheet["split"]["total"]
    room = stock()
    before = deal_sheet(room.state.public)
    assert "low" not in str(before)  # unrevealed: the range is nowhere in the public sheet
    reveal(room)
    (line,) = deal_sheet(room.state.public)["split"]["lines"]
    assert line["low"] == {
        "net": 55_000 * C,
        "fair": {"buyer": 27_500 * C, "seller": 27_500 * C},
        "transfer": {"buyer": -57_500 * C, "seller": 57_500 * C},
    }
    assert line["high"]["net"] == 90_000 * C
    assert deal_sheet(room.state.public)["split"]["total"]["high"] == line["high"]


def test_exports_carry_the_own_range_and_the_revealed_sensitivity() -> None:
    room = stock()
    buyer = export_content(room.state, "buyer")
    assert buyer["own_figures"][0]["range"] == BUYER_RANGE
    seller = export_content(room.state, "seller")
    assert "range" not in seller["own_figures"][0]
    assert "sealed_figures" not in seller
    rows = render(buyer, "csv", 2).splitlines()
    assert "own_range,stock,Consignment stock,value_low,,,100000.00," in rows
    assert "own_range,stock,Consignment stock,cost_high,,,15000.00," in rows
    assert not any(row.startswith("own_range") for row in render(seller, "csv", 2).splitlines())
    reveal(room)
    rows = render(export_content(room.state, "seller"), "csv", 2).splitlines()
    assert "split_low,stock,Consignment stock,transfer to,-57500.00,57500.00,55000.00," in rows
    assert "total_high,total,,transfer to,-75000.00,75000.00,90000.00," in rows


def test_a_range_only_revision_keeps_the_items_agreement_a_figure_revision_voids_it() -> None:
    room = stock()
    reveal(room)
    room.do(BUYER, "item.agree", item_id="stock", agreed=True)
    room.do(SELLER, "item.agree", item_id="stock", agreed=True)
    args = {"item_id": "stock", "value": "120000", "cost": "10000"}
    events = room.do(BUYER, "figures.set", **args, value_low="110000")
    # The split is unchanged, so what both agreed to still holds.
    assert [event.name for event in events] == ["figures.registered", "figures.revised"]
    assert room.state.public.items["stock"].agreed_by_both
    events = room.do(BUYER, "figures.set", **{**args, "value": "121000"}, value_low="110000")
    assert events[-1].name == "item.agreement_voided"
