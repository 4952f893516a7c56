"""The 50/50 split of created value, in integer minor units.

For each agenda item and each party ``p`` (buyer, seller), with the figures
that party registered for it:

- own net:          ``own[p] = value[p] - cost[p]``
- created value:    ``net = own[buyer] + own[seller]``
- fair result:      ``fair[buyer] = net // 2``, ``fair[seller] = net - net // 2``
- balancing transfer to ``p``: ``transfer[p] = fair[p] - own[p]``

The odd-cent rule: when ``net`` is odd, the buyer's fair half is ``net // 2``
(floor division, rounding toward minus infinity) and the seller's is
``net - net // 2``. So the seller receives the odd minor unit when ``net`` is
positive (net 5 -> buyer 2, seller 3) and bears it when ``net`` is negative
(net -5 -> buyer -3, seller -2). Consequences that hold for every line:

- ``fair[buyer] + fair[seller] == net``, exactly;
- ``transfer[buyer] == -transfer[seller]``: one party pays what the other gets;
- ``own[p] + transfer[p] == fair[p]``;
- ``abs(fair[buyer] - fair[seller]) <= 1``.

A positive ``transfer[p]`` is money ``p`` receives; a negative one is money
``p`` pays. An item with ``net < 0`` destroys value and is flagged
``destroys_value``.

The total is the field-by-field sum of the lines (not the rule re-applied to
the summed net), so its transfer is exactly what changes hands when every line
is settled; the first three identities hold for the total too, the last one
only per line.

A side whose figures are unknown (``None``) counts as zero value and zero cost
and marks the line ``partial``. That only makes sense in a party's private
preview; the shared split contains revealed items and items under seal only,
so never partial lines.

A line *under seal* (:func:`sealed_line`) is built from the public numbers a
neutral attested (created value, halves, transfer) rather than from value and
cost, which nobody but the neutral saw. Its ``own`` per party is
``fair - transfer``: exactly what the public numbers already imply, nothing
finer. It is marked ``sealed`` and obeys every identity above.

Everything here is pure: no I/O, no clock, no randomness. Python ints do not
overflow; keeping results within the wire's ``Total`` range is the job of the
input bounds (``money.MAX_UNITS``, the agenda size limit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from valueroom.domain.visibility import PARTIES

__all__ = [
    "TOTAL_ID",
    "Entry",
    "Figures",
    "PerParty",
    "Split",
    "SplitLine",
    "compute_split",
    "sealed_line",
    "split_line",
    "to_wire",
]

TOTAL_ID = "total"


@dataclass(frozen=True, slots=True)
class Figures:
    """One party's private figures for one item, in minor units.

    Taken as given: bounds (``|x| <= MAX_UNITS``, ``cost >= 0``) are enforced
    where figures enter the system, not here.
    """

    value: int
    cost: int

    @property
    def own(self) -> int:
        """The party's own net result: ``value - cost``."""
        return self.value - self.cost


_ZERO = Figures(0, 0)


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
    partial: bool
    """One side's figures were unknown and counted as zero (private preview only)."""
    sealed: bool = False
    """Put into the split under seal by the neutral: figures verified, never shown."""


@dataclass(frozen=True, slots=True)
class Split:
    """The split of a set of items.

    ``lines`` are in the order given; ``total`` is ``None`` exactly when there
    are no lines; ``excluded`` lists the ids of items not in the split, in
    agenda order, and carries no figures for them.
    """

    lines: tuple[SplitLine, ...]
    total: SplitLine | None
    excluded: tuple[str, ...]


def split_line(item_id: str, buyer: Figures | None, seller: Figures | None) -> SplitLine:
    """Split one item 50/50 per the module docstring, odd-cent rule included.

    A ``None`` side counts as ``Figures(0, 0)`` and makes the line ``partial``.
    """
    own = PerParty((buyer or _ZERO).own, (seller or _ZERO).own)
    net = own.buyer + own.seller
    # Floor division for the buyer and the remainder for the seller: the two
    # halves then add up to net for odd and negative nets alike.
    fair = PerParty(net // 2, net - net // 2)
    transfer = PerParty(fair.buyer - own.buyer, fair.seller - own.seller)
    return SplitLine(
        item_id=item_id,
        own=own,
        net=net,
        fair=fair,
        transfer=transfer,
        destroys_value=net < 0,
        partial=buyer is None or seller is None,
    )


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
        item_id, own, net, fair_pp, transfer_pp, net < 0, False
    ):
        raise ValueError(f"the sealed numbers of {item_id!r} do not add up")
    return SplitLine(
        item_id=item_id,
        own=own,
        net=net,
        fair=fair_pp,
        transfer=transfer_pp,
        destroys_value=net < 0,
        partial=False,
        sealed=True,
    )


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
        partial=any(line.partial for line in lines),
        sealed=any(line.sealed for line in lines),
    )


Entry = tuple[str, Figures | None, Figures | None] | SplitLine


def compute_split(entries: Sequence[Entry], excluded: Sequence[str]) -> Split:
    """Split each ``(item_id, buyer_figures, seller_figures)`` entry, in order, and total them.

    An entry may also be a ready line (a :func:`sealed_line`), taken as is.
    ``excluded`` is copied through as given (the caller passes agenda order).
    Raises :class:`ValueError` if an item id occurs twice across ``entries``
    and ``excluded``, since a repeated item would be counted twice or be both
    in and out of the split. The total is ``sealed`` when any line is.
    """
    lines = tuple(
        entry if isinstance(entry, SplitLine) else split_line(*entry) for entry in entries
    )
    ids = [line.item_id for line in lines] + list(excluded)
    if len(set(ids)) != len(ids):
        raise ValueError("an item id occurs more than once in the split")
    return Split(lines=lines, total=_total(lines), excluded=tuple(excluded))


def _line_to_wire(line: SplitLine) -> dict[str, Any]:
    return {
        "item_id": line.item_id,
        "own": line.own.to_wire(),
        "net": line.net,
        "fair": line.fair.to_wire(),
        "transfer": line.transfer.to_wire(),
        "destroys_value": line.destroys_value,
        "partial": line.partial,
        "sealed": line.sealed,
    }


def to_wire(split: Split) -> dict[str, Any]:
    """The plain-dict form of ``split``, matching the ``Split`` type in the shared schema.

    ``{"lines": [line, ...], "total": line | None, "excluded": [id, ...]}``
    where a line is ``{"item_id", "own", "net", "fair", "transfer",
    "destroys_value", "partial", "sealed"}`` and ``own``/``fair``/``transfer`` are
    ``{"buyer": int, "seller": int}``. Fresh objects: mutating the result does
    not touch ``split``.
    """
    return {
        "lines": [_line_to_wire(line) for line in split.lines],
        "total": None if split.total is None else _line_to_wire(split.total),
        "excluded": list(split.excluded),
    }
