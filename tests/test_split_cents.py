"""The odd-cent rule over whole agendas: every item adds up, the totals stay within a cent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from valueroom.domain.money import MAX_UNITS
from valueroom.domain.split import (
    Entry,
    Figures,
    PerParty,
    compute_split,
    sealed_line,
    split_line,
)

figures = st.builds(
    Figures,
    value=st.integers(min_value=-MAX_UNITS, max_value=MAX_UNITS),
    cost=st.integers(min_value=0, max_value=MAX_UNITS),
)
small = st.builds(
    Figures,
    value=st.integers(min_value=-7, max_value=7),
    cost=st.integers(min_value=0, max_value=7),
)


def test_three_odd_items_leave_the_totals_one_cent_apart_at_most() -> None:
    # The case: with the seller getting every odd cent, three odd items
    # put the halves two cents apart (and a long agenda drifts further).
    odd = ("x", Figures(1, 0), Figures(0, 0))
    split = compute_split([(f"i{n}", *odd[1:]) for n in range(3)], [])
    assert [(line.fair.buyer, line.fair.seller) for line in split.lines] == [(0, 1), (1, 0), (0, 1)]
    assert split.total is not None
    assert split.total.fair == PerParty(1, 2)


def test_a_hundred_odd_items_split_the_total_evenly() -> None:
    split = compute_split([(f"i{n}", Figures(3, 0), Figures(0, 0)) for n in range(100)], [])
    assert split.total is not None
    assert split.total.fair == PerParty(150, 150)
    assert split.total.transfer == PerParty(-150, 150)


def test_even_items_do_not_change_whose_turn_the_odd_cent_is() -> None:
    split = compute_split(
        [
            ("a", Figures(1, 0), Figures(0, 0)),
            ("even", Figures(4, 0), Figures(0, 0)),
            ("b", Figures(-1, 0), Figures(0, 0)),
        ],
        [],
    )
    assert [line.fair for line in split.lines] == [PerParty(0, 1), PerParty(2, 2), PerParty(0, -1)]


@settings(max_examples=300)
@given(entries=st.lists(st.tuples(small | figures, small | figures), min_size=1, max_size=120))
def test_every_split_adds_up_per_item_and_stays_within_a_cent_in_total(
    entries: list[tuple[Figures, Figures]],
) -> None:
    split = compute_split([(f"i{n}", b, s) for n, (b, s) in enumerate(entries)], [])
    running = 0
    for line, (b, s) in zip(split.lines, entries, strict=True):
        assert line.own == PerParty(b.own, s.own)
        assert line.net == b.own + s.own
        assert line.fair.buyer + line.fair.seller == line.net
        assert abs(line.fair.buyer - line.fair.seller) <= 1
        assert line.transfer.buyer == -line.transfer.seller
        assert line.own.buyer + line.transfer.buyer == line.fair.buyer
        running += line.fair.seller - line.fair.buyer
        # Every prefix of the agenda is within a cent as well, in the seller's favour.
        assert running in (0, 1)
    total = split.total
    assert total is not None
    assert total.fair.buyer + total.fair.seller == total.net
    assert abs(total.fair.buyer - total.fair.seller) <= 1
    # The total halves are the rule applied to the total net.
    assert total.fair == PerParty(total.net // 2, total.net - total.net // 2)


@settings(max_examples=200)
@given(
    entries=st.lists(st.tuples(small, small, st.booleans()), min_size=1, max_size=60),
)
def test_sealed_lines_take_their_turn_in_the_alternation(
    entries: list[tuple[Figures, Figures, bool]],
) -> None:
    mixed: list[Entry] = []
    for n, (b, s, sealed) in enumerate(entries):
        if sealed:
            line = split_line(f"i{n}", b, s)
            mixed.append(
                sealed_line(line.item_id, line.net, line.fair.to_wire(), line.transfer.to_wire())
            )
        else:
            mixed.append((f"i{n}", b, s))
    split = compute_split(mixed, [])
    assert split.total is not None
    assert abs(split.total.fair.buyer - split.total.fair.seller) <= 1
    for line, (b, s, sealed) in zip(split.lines, entries, strict=True):
        assert line.sealed == sealed
        assert line.own == PerParty(b.own, s.own)
        assert line.fair.buyer + line.fair.seller == line.net


@settings(max_examples=200)
@given(entries=st.lists(st.tuples(small, small), min_size=1, max_size=60))
def test_without_destroyers_is_the_split_of_the_lines_that_create_value(
    entries: list[tuple[Figures, Figures]],
) -> None:
    split = compute_split([(f"i{n}", b, s) for n, (b, s) in enumerate(entries)], [])
    keep = [(f"i{n}", b, s) for n, (b, s) in enumerate(entries) if b.own + s.own >= 0]
    if len(keep) == len(entries):
        assert split.without_destroyers is None
        return
    without = split.without_destroyers
    assert without is not None
    assert without.net == sum(b.own + s.own for _, b, s in keep)
    assert without.net >= 0
    assert abs(without.fair.buyer - without.fair.seller) <= 1
    assert without.fair.buyer + without.fair.seller == without.net
