"""The 50/50 split of created value, in integer minor units.

For each agenda item and each party ``p`` (buyer, seller), with the figures
that party registered for it:

- own net:          ``own[p] = value[p] - cost[p]``
- created value:    ``net = own[buyer] + own[seller]``
- fair result:      ``fair[buyer] + fair[seller] == net``, the two halves of ``net``
- balancing transfer to ``p``: ``transfer[p] = fair[p] - own[p]``

**The odd-cent rule.** When ``net`` is even, each half is ``net / 2``. When it
is odd, the halves are ``net // 2`` and ``net // 2 + 1`` (floor division, so
also for negative nets) and the larger one goes to one party: walking the
lines of a split in agenda order, the first odd line gives the larger half to
the seller, the next odd line to the buyer, and so on, alternating. Even
lines do not change whose turn it is. Consequences, for every split of any
length:

- per line, ``fair[buyer] + fair[seller] == net`` exactly, and
  ``abs(fair[buyer] - fair[seller]) <= 1``;
- ``transfer[buyer] == -transfer[seller]``: one party pays what the other gets;
- ``own[p] + transfer[p] == fair[p]``;
- in the total, the two halves differ by at most one cent as well (the
  alternation keeps the running difference at 0 or 1 in the seller's
  favour), so the total halves equal the rule applied to the total net.

An item's halves may therefore move by one cent when an odd item before it
is added, removed or moved: the price of a fair total. A single item on its
own (:func:`split_line`) is the first line of its split, so the seller gets
its odd cent.

A positive ``transfer[p]`` is money ``p`` receives; a negative one is money
``p`` pays. An item with ``net < 0`` destroys value and is flagged
``destroys_value``; ``Split.without_destroyers`` is the total the split would
have without those items (the same rule applied to the other lines), so the
two can be shown side by side.

The total is the field-by-field sum of the lines, so its transfer is exactly
what changes hands when every line is settled.

A line is only ever computed from both sides' figures. Where a party knows
its own figures but not the other side's (its private preview), the item is
listed in ``Split.pending`` with the party's own net and nothing else: no
created value, half or transfer is made up for it.

A line *under seal* (:func:`sealed_line`) is built from the public numbers a
neutral attested (created value, halves, transfer) rather than from value and
cost, which nobody but the neutral saw. Its ``own`` per party is
``fair - transfer``: exactly what the public numbers already imply, nothing
finer. In a split it takes its place in the odd-cent alternation like any
other line (its own nets and created value are kept; the halves follow the
rule). It is marked ``sealed``.

**Sensitivity (uncertain figures).** A party may give each figure a range
around it: ``value_low <= value <= value_high`` and ``cost_low <= cost <=
cost_high`` (:class:`Range`). The expected figures are the ones split above;
a range never changes a number of the split. Besides them, a split whose
entries carry a range is computed twice more, at its *low end* (every
party's own net at its lowest: ``value_low - cost_high``) and at its *high
end* (``value_high - cost_low``), by the same rule, odd cents included. A
line with a range carries those two ends (``low``/``high``: own nets,
created value, halves, transfer); the total carries them when any line does.
A line without a range is the same at both ends, and a sealed line keeps its
attested numbers. So at both ends every identity above holds, and
``low.net <= net <= high.net`` per line and in total. A party's private
preview shows its own range for an item whose other side it does not know
(``Pending.low``/``high``) and nothing about the other side.

Everything here is pure: no I/O, no clock, no randomness. Python ints do not
overflow; keeping results within the wire's ``Total`` range is the job of the
input bounds (``money.MAX_UNITS``, the agenda size limit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from valueroom.domain.visibility import PARTIES

__all__ = [
    "TOTAL_ID",
    "Entry",
    "Figures",
    "Pending",
    "PerParty",
    "Range",
    "Split",
    "SplitLine",
    "compute_split",
    "sealed_line",
    "split_line",
    "to_wire",
]

TOTAL_ID = "total"


@dataclass(frozen=True, slots=True)
class Range:
    """How far a party's figures may lie from the expected ones: low and high per figure.

    Taken as given, like :class:`Figures`: ``value_low <= value <= value_high``
    and ``cost_low <= cost <= cost_high`` are enforced where figures enter.
    """

    value_low: int
    value_high: int
    cost_low: int
    cost_high: int

    @classmethod
    def from_wire(cls, data: Mapping[str, int] | None) -> Range | None:
        """The range of a wire/event ``range`` field (None stays None)."""
        if data is None:
            return None
        return cls(data["value_low"], data["value_high"], data["cost_low"], data["cost_high"])

    def to_wire(self) -> dict[str, int]:
        """``{"value_low", "value_high", "cost_low", "cost_high"}``."""
        return {
            "value_low": self.value_low,
            "value_high": self.value_high,
            "cost_low": self.cost_low,
            "cost_high": self.cost_high,
        }


@dataclass(frozen=True, slots=True)
class Figures:
    """One party's private figures for one item, in minor units, with an optional range.

    Taken as given: bounds (``|x| <= MAX_UNITS``, ``cost >= 0``) are enforced
    where figures enter the system, not here.
    """

    value: int
    cost: int
    range: Range | None = None

    @property
    def own(self) -> int:
        """The party's own net result: ``value - cost``."""
        return self.value - self.cost

    @property
    def own_low(self) -> int:
        """The lowest own net the range allows: ``value_low - cost_high`` (``own`` without a range)."""
        r = self.range
        return self.own if r is None else r.value_low - r.cost_high

    @property
    def own_high(self) -> int:
        """The highest own net the range allows: ``value_high - cost_low`` (``own`` without a range)."""
        r = self.range
        return self.own if r is None else r.value_high - r.cost_low


@dataclass(frozen=True, slots=True)
class PerParty(Mapping[str, int]):
    """An int per party; reads as ``x.buyer`` or ``x["buyer"]``, iterates buyer then seller."""

    buyer: int
    seller: int

    def __getitem__(self, party: str) -> int:
        if party == "buyer":
            return self.buyer
        if party == "seller":
            return self.seller
        raise KeyError(party)

    def __iter__(self) -> Iterator[str]:
        return iter(PARTIES)

    def __len__(self) -> int:
        return 2

    def __add__(self, other: PerParty) -> PerParty:
        return PerParty(self.buyer + other.buyer, self.seller + other.seller)

    def to_wire(self) -> dict[str, int]:
        """``{"buyer": int, "seller": int}``."""
        return {"buyer": self.buyer, "seller": self.seller}


@dataclass(frozen=True, slots=True)
class SplitLine:
    """The split of one item (or the total; then ``item_id == "total"``).

    Built by :func:`split_line` and :func:`compute_split`, which guarantee the
    identities listed in the module docstring.
    """

    item_id: str
    own: PerParty
    net: int
    fair: PerParty
    transfer: PerParty
    destroys_value: bool
    """``net < 0``: implementing the item loses more than it gains."""
    sealed: bool = False
    """Put into the split under seal by the neutral: figures verified, never shown."""
    low: SplitLine | None = None
    """This line at the low end of its figures' ranges; None when no figure has a range."""
    high: SplitLine | None = None
    """This line at the high end of its figures' ranges; None exactly when ``low`` is."""


@dataclass(frozen=True, slots=True)
class Pending:
    """An item a party registered figures for whose other side it does not know.

    Only the party's own net is known; what the item creates and who pays
    whom depends on the other side, so nothing else is stated.
    """

    item_id: str
    party: str
    own: int
    low: int | None = None
    """The party's lowest own net by its range; None (with ``high``) when it gave none."""
    high: int | None = None


@dataclass(frozen=True, slots=True)
class Split:
    """The split of a set of items.

    ``lines`` are in the order given; ``total`` is ``None`` exactly when there
    are no lines; ``without_destroyers`` is the total of the lines that do
    not destroy value, ``None`` when no line does (then it would equal
    ``total``); ``excluded`` lists the ids of items not in the split, in
    agenda order, and carries no figures for them; ``pending`` lists a
    party's own nets of items whose other side it does not know (private
    previews only).
    """

    lines: tuple[SplitLine, ...]
    total: SplitLine | None
    excluded: tuple[str, ...]
    without_destroyers: SplitLine | None = None
    pending: tuple[Pending, ...] = ()


def _line(item_id: str, own: PerParty, net: int, seller_gets_odd: bool, sealed: bool) -> SplitLine:
    low = net // 2
    high = net - low
    # An odd net: ``high`` is the larger half (floor division makes that true
    # for negative nets too); the caller decides whose turn it is.
    fair = PerParty(high, low) if not seller_gets_odd else PerParty(low, high)
    transfer = PerParty(fair.buyer - own.buyer, fair.seller - own.seller)
    return SplitLine(
        item_id=item_id,
        own=own,
        net=net,
        fair=fair,
        transfer=transfer,
        destroys_value=net < 0,
        sealed=sealed,
    )


def split_line(item_id: str, buyer: Figures, seller: Figures) -> SplitLine:
    """Split one item 50/50 on its own: the first line of a split, so an odd cent goes to the seller."""
    own = PerParty(buyer.own, seller.own)
    return _line(item_id, own, own.buyer + own.seller, seller_gets_odd=True, sealed=False)


def sealed_line(
    item_id: str, net: int, fair: Mapping[str, int], transfer: Mapping[str, int]
) -> SplitLine:
    """The line of an item in the split under seal, from the numbers the neutral attested.

    Raises :class:`ValueError` if the numbers break the split's identities
    (they come from :func:`split_line`, so they never do unless tampered with).
    """
    fair_pp = PerParty(fair["buyer"], fair["seller"])
    transfer_pp = PerParty(transfer["buyer"], transfer["seller"])
    own = PerParty(fair_pp.buyer - transfer_pp.buyer, fair_pp.seller - transfer_pp.seller)
    if split_line(item_id, Figures(own.buyer, 0), Figures(own.seller, 0)) != SplitLine(
        item_id, own, net, fair_pp, transfer_pp, net < 0
    ):
        raise ValueError(f"the sealed numbers of {item_id!r} do not add up")
    return _line(item_id, own, net, seller_gets_odd=True, sealed=True)


def _total(lines: Sequence[SplitLine]) -> SplitLine | None:
    if not lines:
        return None
    own = PerParty(0, 0)
    fair = PerParty(0, 0)
    transfer = PerParty(0, 0)
    net = 0
    for line in lines:
        own += line.own
        fair += line.fair
        transfer += line.transfer
        net += line.net
    return SplitLine(
        item_id=TOTAL_ID,
        own=own,
        net=net,
        fair=fair,
        transfer=transfer,
        destroys_value=net < 0,
        sealed=any(line.sealed for line in lines),
    )


def _allocate(lines: Sequence[SplitLine]) -> tuple[SplitLine, ...]:
    """Re-split ``lines`` in order with the alternating odd-cent rule."""
    out: list[SplitLine] = []
    seller_turn = True
    for line in lines:
        out.append(_line(line.item_id, line.own, line.net, seller_turn, line.sealed))
        if line.net % 2:
            seller_turn = not seller_turn
    return tuple(out)


Entry = tuple[str, Figures, Figures] | SplitLine


def compute_split(
    entries: Sequence[Entry], excluded: Sequence[str], pending: Sequence[Pending] = ()
) -> Split:
    """Split each ``(item_id, buyer_figures, seller_figures)`` entry, in order, and total them.

    An entry may also be a ready line (a :func:`sealed_line`): its own nets
    and created value are kept, its halves follow the odd-cent rule.
    ``excluded`` and ``pending`` are copied through as given (the caller
    passes agenda order). Raises :class:`ValueError` if an item id occurs
    twice across ``entries``, ``excluded`` and ``pending``, since a repeated
    item would be counted twice or be both in and out of the split. The total
    is ``sealed`` when any line is.
    """
    lines = _allocate(
        [entry if isinstance(entry, SplitLine) else split_line(*entry) for entry in entries]
    )
    ids = [line.item_id for line in lines] + list(excluded) + [p.item_id for p in pending]
    if len(set(ids)) != len(ids):
        raise ValueError("an item id occurs more than once in the split")
    without: SplitLine | None = None
    if any(line.destroys_value for line in lines):
        kept = _allocate([line for line in lines if not line.destroys_value])
        without = _total(kept) or _line(TOTAL_ID, PerParty(0, 0), 0, True, False)
    total = _total(lines)
    if total is not None and any(_ranged(entry) for entry in entries):
        lines, total = _with_ends(entries, lines, total)
    return Split(
        lines=lines,
        total=total,
        excluded=tuple(excluded),
        without_destroyers=without,
        pending=tuple(pending),
    )


def _ranged(entry: Entry) -> bool:
    """Whether either party's figures of ``entry`` carry a range (a ready line never does)."""
    return not isinstance(entry, SplitLine) and (
        entry[1].range is not None or entry[2].range is not None
    )


def _end(entries: Sequence[Entry], high: bool) -> Split:
    """The split with every ranged party's own net at its low (or high) end."""
    moved: list[Entry] = []
    for entry in entries:
        if isinstance(entry, SplitLine):
            moved.append(entry)
            continue
        item_id, buyer, seller = entry
        if high:
            moved.append((item_id, Figures(buyer.own_high, 0), Figures(seller.own_high, 0)))
        else:
            moved.append((item_id, Figures(buyer.own_low, 0), Figures(seller.own_low, 0)))
    return compute_split(moved, ())


def _with_ends(
    entries: Sequence[Entry], lines: Sequence[SplitLine], total: SplitLine
) -> tuple[tuple[SplitLine, ...], SplitLine]:
    """``lines`` and ``total`` with their low and high ends (lines without a range keep none)."""
    low, high = _end(entries, high=False), _end(entries, high=True)
    out = tuple(
        replace(line, low=lo, high=hi) if _ranged(entry) else line
        for entry, line, lo, hi in zip(entries, lines, low.lines, high.lines, strict=True)
    )
    return out, replace(total, low=low.total, high=high.total)


def _end_to_wire(line: SplitLine) -> dict[str, Any]:
    return {
        "own": line.own.to_wire(),
        "net": line.net,
        "fair": line.fair.to_wire(),
        "transfer": line.transfer.to_wire(),
    }


def _line_to_wire(line: SplitLine) -> dict[str, Any]:
    wire = {
        "item_id": line.item_id,
        "own": line.own.to_wire(),
        "net": line.net,
        "fair": line.fair.to_wire(),
        "transfer": line.transfer.to_wire(),
        "destroys_value": line.destroys_value,
        "sealed": line.sealed,
    }
    if line.low is not None and line.high is not None:
        wire["low"] = _end_to_wire(line.low)
        wire["high"] = _end_to_wire(line.high)
    return wire


def _pending_to_wire(pending: Pending) -> dict[str, Any]:
    wire: dict[str, Any] = {"item_id": pending.item_id, "party": pending.party, "own": pending.own}
    if pending.low is not None and pending.high is not None:
        wire["low"] = pending.low
        wire["high"] = pending.high
    return wire


def to_wire(split: Split) -> dict[str, Any]:
    """The plain-dict form of ``split``, matching the ``Split`` type in the shared schema.

    ``{"lines": [line, ...], "total": line | None, "without_destroyers": line
    | None, "excluded": [id, ...], "pending": [{"item_id", "party", "own"}, ...]}``
    where a line is ``{"item_id", "own", "net", "fair", "transfer",
    "destroys_value", "sealed"}`` and ``own``/``fair``/``transfer`` are
    ``{"buyer": int, "seller": int}``. A line with ends (sensitivity) also has
    ``"low"`` and ``"high"``, each ``{"own", "net", "fair", "transfer"}``; a
    pending item with a range also has ``"low"`` and ``"high"`` (own nets).
    Without any range the result is exactly what it was before ranges
    existed. Fresh objects: mutating the result does
    not touch ``split``.
    """
    return {
        "lines": [_line_to_wire(line) for line in split.lines],
        "total": None if split.total is None else _line_to_wire(split.total),
        "without_destroyers": (
            None if split.without_destroyers is None else _line_to_wire(split.without_destroyers)
        ),
        "excluded": list(split.excluded),
        "pending": [_pending_to_wire(p) for p in split.pending],
    }
