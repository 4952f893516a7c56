"""The 50/50 split: the brief's worked example, the odd-cent rule, totals, pending items."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valueroom.domain.money import MAX_UNITS
from valueroom.domain.split import (
    TOTAL_ID,
    Figures,
    Pending,
    PerParty,
    Split,
    SplitLine,
    compute_split,
    sealed_line,
    split_line,
    to_wire,
)
from valueroom.protocol.schema import SchemaViolation, check_server_frame

C = 100  # minor units per euro

figures = st.builds(
    Figures,
    value=st.integers(min_value=-MAX_UNITS, max_value=MAX_UNITS),
    cost=st.integers(min_value=0, max_value=MAX_UNITS),
)


def assert_line_identities(line: SplitLine) -> None:
    assert line.net == line.own.buyer + line.own.seller
    assert line.fair.buyer + line.fair.seller == line.net
    assert line.transfer.buyer == -line.transfer.seller
    for party in ("buyer", "seller"):
        assert line.own[party] + line.transfer[party] == line.fair[party]
    assert line.destroys_value == (line.net < 0)


def test_split_worked_example_consignment_stock() -> None:
    line = split_line(
        "consignment",
        Figures(value=120_000 * C, cost=10_000 * C),
        Figures(value=20_000 * C, cost=50_000 * C),
    )
    assert line.own == PerParty(buyer=110_000 * C, seller=-30_000 * C)
    assert line.net == 80_000 * C
    assert line.fair == PerParty(buyer=40_000 * C, seller=40_000 * C)
    # The buyer pays the seller 70,000.
    assert line.transfer == PerParty(buyer=-70_000 * C, seller=70_000 * C)
    assert line.destroys_value is False
    assert line.item_id == "consignment"


def test_figures_own_is_value_minus_cost() -> None:
    assert Figures(value=500, cost=800).own == -300
    assert Figures(value=-200, cost=50).own == -250


@pytest.mark.parametrize(
    ("net", "fair_buyer", "fair_seller"),
    [
        (5, 2, 3),
        (1, 0, 1),
        (-1, -1, 0),
        (-5, -3, -2),
        (4, 2, 2),
        (-4, -2, -2),
        (0, 0, 0),
    ],
)
def test_split_odd_cent_rule(net: int, fair_buyer: int, fair_seller: int) -> None:
    # All of the net comes from the buyer's side, so the transfer shows the rule clearly.
    line = split_line("i", Figures(value=net, cost=0), Figures(value=0, cost=0))
    assert line.net == net
    assert line.fair == PerParty(buyer=fair_buyer, seller=fair_seller)
    assert line.transfer == PerParty(buyer=fair_buyer - net, seller=fair_seller)
    assert_line_identities(line)


def test_split_odd_cent_positive_seller_gets_the_cent() -> None:
    # Buyer own 1.01, seller own 0.00: net 101 cents, buyer 50, seller 51; buyer pays 51.
    line = split_line("i", Figures(value=201, cost=100), Figures(value=300, cost=300))
    assert line.fair == PerParty(buyer=50, seller=51)
    assert line.transfer == PerParty(buyer=-51, seller=51)


def test_split_odd_cent_negative_seller_bears_less() -> None:
    # Net -101 cents: buyer's half -51 (floor), seller's -50.
    line = split_line("i", Figures(value=0, cost=1), Figures(value=0, cost=100))
    assert line.net == -101
    assert line.fair == PerParty(buyer=-51, seller=-50)
    assert line.transfer == PerParty(buyer=-50, seller=50)


def test_split_flags_value_destroyer() -> None:
    line = split_line("rush", Figures(value=10_000, cost=0), Figures(value=0, cost=30_000))
    assert line.net == -20_000
    assert line.destroys_value is True
    assert line.fair == PerParty(buyer=-10_000, seller=-10_000)
    assert line.transfer == PerParty(buyer=-20_000, seller=20_000)


def test_split_zero_net_is_not_a_value_destroyer() -> None:
    line = split_line("even", Figures(value=100, cost=0), Figures(value=0, cost=100))
    assert line.net == 0
    assert line.destroys_value is False


def test_split_total_equals_sums_of_lines() -> None:
    split = compute_split(
        [
            ("a", Figures(120_000 * C, 10_000 * C), Figures(20_000 * C, 50_000 * C)),
            ("b", Figures(1, 0), Figures(0, 0)),  # first odd line: buyer 0, seller 1
            ("c", Figures(0, 0), Figures(0, 3)),  # second odd line: buyer -1, seller -2
            ("d", Figures(10, 50), Figures(5, 0)),  # destroys value, even
        ],
        excluded=["x", "y"],
    )
    assert [line.item_id for line in split.lines] == ["a", "b", "c", "d"]
    assert split.excluded == ("x", "y")
    total = split.total
    assert total is not None
    assert total.item_id == TOTAL_ID == "total"
    for field in ("own", "fair", "transfer"):
        for party in ("buyer", "seller"):
            assert getattr(total, field)[party] == sum(
                getattr(line, field)[party] for line in split.lines
            )
    assert total.net == sum(line.net for line in split.lines)
    assert total.net == 80_000 * C + 1 - 3 - 35
    assert total.fair == PerParty(buyer=40_000 * C + 0 - 1 - 18, seller=40_000 * C + 1 - 2 - 17)
    assert total.transfer == PerParty(
        buyer=-70_000 * C - 1 - 1 + 22, seller=70_000 * C + 1 + 1 - 22
    )
    assert total.destroys_value is False
    assert_line_identities(total)


def test_split_total_destroys_value_when_total_net_negative() -> None:
    split = compute_split(
        [("a", Figures(100, 0), Figures(0, 0)), ("b", Figures(0, 0), Figures(0, 150))],
        excluded=[],
    )
    assert split.lines[0].destroys_value is False
    assert split.lines[1].destroys_value is True
    assert split.total is not None
    assert split.total.net == -50
    assert split.total.destroys_value is True


def test_split_without_destroyers_is_the_split_of_the_other_lines() -> None:
    split = compute_split(
        [
            ("a", Figures(101, 0), Figures(0, 0)),
            ("d", Figures(0, 0), Figures(0, 41)),  # destroys value, odd
            ("b", Figures(3, 0), Figures(0, 0)),
        ],
        excluded=[],
    )
    assert split.total is not None
    assert split.total.net == 101 - 41 + 3
    without = split.without_destroyers
    assert without is not None
    assert without.net == 104
    # Re-split without the destroyer: a (odd) gives the seller 51, b (odd) gives the buyer 2.
    assert without.fair == PerParty(buyer=50 + 2, seller=51 + 1)
    assert without.own == PerParty(buyer=104, seller=0)
    assert_line_identities(without)
    assert compute_split([("a", Figures(1, 0), Figures(0, 0))], []).without_destroyers is None


def test_split_of_only_destroyers_without_them_is_zero() -> None:
    split = compute_split([("d", Figures(0, 5), Figures(0, 0))], [])
    assert split.without_destroyers is not None
    assert split.without_destroyers.net == 0
    assert split.without_destroyers.fair == PerParty(0, 0)


def test_split_pending_items_are_carried_without_made_up_figures() -> None:
    split = compute_split([], excluded=[], pending=[Pending("p", "buyer", 500)])
    assert split.lines == ()
    assert split.total is None
    assert to_wire(split)["pending"] == [{"item_id": "p", "party": "buyer", "own": 500}]


def test_split_without_lines_has_no_total() -> None:
    split = compute_split([], excluded=["a", "b"])
    assert split == Split(lines=(), total=None, excluded=("a", "b"))
    assert split.without_destroyers is None
    assert split.pending == ()


def test_split_refuses_duplicate_item_ids() -> None:
    with pytest.raises(ValueError, match="more than once"):
        compute_split([("a", Figures(0, 0), Figures(0, 0))] * 2, excluded=[])
    with pytest.raises(ValueError, match="more than once"):
        compute_split([("a", Figures(0, 0), Figures(0, 0))], excluded=["a"])
    with pytest.raises(ValueError, match="more than once"):
        compute_split([], excluded=["a"], pending=[Pending("a", "buyer", 1)])


def test_split_line_is_frozen() -> None:
    line = split_line("a", Figures(1, 0), Figures(1, 0))
    with pytest.raises(AttributeError):
        line.net = 5  # type: ignore[misc]


def test_per_party_reads_like_a_mapping() -> None:
    pair = PerParty(buyer=3, seller=-4)
    assert dict(pair) == {"buyer": 3, "seller": -4}
    assert list(pair) == ["buyer", "seller"]
    assert pair["seller"] == -4
    assert "buyer" in pair
    assert "neutral" not in pair
    with pytest.raises(KeyError):
        pair["neutral"]


def test_split_to_wire_shape() -> None:
    split = compute_split(
        [("consignment", Figures(120_000 * C, 10_000 * C), Figures(20_000 * C, 50_000 * C))],
        excluded=["secret"],
    )
    line = {
        "item_id": "consignment",
        "own": {"buyer": 11_000_000, "seller": -3_000_000},
        "net": 8_000_000,
        "fair": {"buyer": 4_000_000, "seller": 4_000_000},
        "transfer": {"buyer": -7_000_000, "seller": 7_000_000},
        "destroys_value": False,
        "sealed": False,
    }
    assert to_wire(split) == {
        "lines": [line],
        "total": {**line, "item_id": "total"},
        "without_destroyers": None,
        "excluded": ["secret"],
        "pending": [],
    }


def test_split_to_wire_empty() -> None:
    assert to_wire(compute_split([], excluded=[])) == {
        "lines": [],
        "total": None,
        "without_destroyers": None,
        "excluded": [],
        "pending": [],
    }


def test_split_to_wire_matches_shared_schema() -> None:
    big = Figures(value=MAX_UNITS, cost=0)
    split = compute_split(
        [(f"i{n}", big, big) for n in range(300)] + [("d", Figures(0, 1), Figures(0, 0))],
        excluded=["x"],
        pending=[Pending("p", "seller", -1)],
    )
    wire = to_wire(split)
    # The total exceeds the Units range; the schema's Total type must still accept it.
    assert wire["total"]["net"] > MAX_UNITS
    assert check_server_frame({"type": "split", "shared": wire, "preview": wire}) == "split"
    empty = to_wire(compute_split([], excluded=[]))
    assert check_server_frame({"type": "split", "shared": empty, "preview": None}) == "split"


def test_split_to_wire_refused_by_schema_when_field_missing() -> None:
    wire = to_wire(compute_split([("a", Figures(1, 0), Figures(1, 0))], excluded=[]))
    broken = copy.deepcopy(wire)
    del broken["lines"][0]["sealed"]
    with pytest.raises(SchemaViolation):
        check_server_frame({"type": "split", "shared": broken, "preview": None})


@given(buyer=figures, seller=figures)
def test_split_transfers_sum_to_zero(buyer: Figures, seller: Figures) -> None:
    line = split_line("i", buyer, seller)
    assert line.transfer.buyer + line.transfer.seller == 0


@given(buyer=figures, seller=figures)
def test_split_fair_halves_sum_to_net(buyer: Figures, seller: Figures) -> None:
    line = split_line("i", buyer, seller)
    assert line.net == buyer.own + seller.own
    assert line.fair.buyer + line.fair.seller == line.net


@given(buyer=figures, seller=figures)
def test_split_own_plus_transfer_is_fair(buyer: Figures, seller: Figures) -> None:
    line = split_line("i", buyer, seller)
    assert line.own.buyer + line.transfer.buyer == line.fair.buyer
    assert line.own.seller + line.transfer.seller == line.fair.seller


@given(buyer=figures, seller=figures)
def test_split_fair_halves_differ_by_at_most_one(buyer: Figures, seller: Figures) -> None:
    line = split_line("i", buyer, seller)
    assert abs(line.fair.buyer - line.fair.seller) <= 1
    # On its own an item is the first line of its split: the odd cent goes to the seller.
    assert line.fair.seller - line.fair.buyer in (0, 1)


@given(
    entries=st.lists(
        st.tuples(figures, figures),
        max_size=20,
    )
)
def test_split_total_is_sum_of_lines_property(
    entries: list[tuple[Figures, Figures]],
) -> None:
    split = compute_split([(f"i{n}", b, s) for n, (b, s) in enumerate(entries)], excluded=["gone"])
    assert len(split.lines) == len(entries)
    for line in split.lines:
        assert_line_identities(line)
    if not entries:
        assert split.total is None
        return
    total = split.total
    assert total is not None
    assert total.net == sum(line.net for line in split.lines)
    assert total.own == PerParty(
        sum(line.own.buyer for line in split.lines), sum(line.own.seller for line in split.lines)
    )
    assert total.fair == PerParty(
        sum(line.fair.buyer for line in split.lines), sum(line.fair.seller for line in split.lines)
    )
    assert total.transfer == PerParty(
        sum(line.transfer.buyer for line in split.lines),
        sum(line.transfer.seller for line in split.lines),
    )
    assert total.destroys_value == (total.net < 0)
    assert total.fair.buyer + total.fair.seller == total.net
    assert total.transfer.buyer == -total.transfer.seller


def test_sealed_line_equals_the_line_of_the_figures_it_was_attested_from() -> None:
    line = split_line("stock", Figures(120_000 * C, 10_000 * C), Figures(20_000 * C, 50_000 * C))
    sealed = sealed_line("stock", line.net, line.fair.to_wire(), line.transfer.to_wire())
    assert sealed.sealed
    assert (sealed.own, sealed.net, sealed.fair, sealed.transfer, sealed.destroys_value) == (
        line.own,
        line.net,
        line.fair,
        line.transfer,
        line.destroys_value,
    )
    split = compute_split([sealed, ("other", Figures(5, 0), Figures(0, 2))], excluded=[])
    assert split.total is not None
    assert split.total.sealed
    assert [entry["sealed"] for entry in to_wire(split)["lines"]] == [True, False]


def test_sealed_line_refuses_numbers_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="do not add up"):
        sealed_line("x", 10, {"buyer": 5, "seller": 6}, {"buyer": 0, "seller": 0})
