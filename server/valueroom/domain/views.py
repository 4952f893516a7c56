"""The split as each audience may see it, computed from that audience's view.

* The shared split is computed from the public view, which is folded from
  public events only: whatever it shows, everyone was already allowed to see.
  It holds the revealed items, and the items the neutral put into the split
  under seal (marked ``sealed``: created value, halves and transfer, from the
  public ``split.sealed`` event, never value or cost).
* A party's preview is computed from that party's own view: its own figures
  for every item it registered, the other side's only where revealed, and the
  attested line where the item is in the split under seal. It is sent to that
  party's team and nobody else. An item whose other side it does not know
  is listed in ``pending`` with the party's own net only (and its own range
  of it, when it gave one): nothing is made up for the side it cannot see.
* Revealed figures with a range give their lines low and high ends
  (sensitivity); the expected split is the same with or without ranges.
* A parked item is in no split (it is listed as excluded), whatever its
  figures: parking takes it off the table for now.
"""

from __future__ import annotations

from typing import Any

from valueroom.domain.split import (
    Entry,
    Figures,
    Pending,
    Range,
    Split,
    compute_split,
    sealed_line,
)
from valueroom.domain.state import Item, RoomState, View

__all__ = ["SPLIT_EVENTS", "preview_split", "public_split", "shared_split"]

# Events after which a split may have changed (for some audience).
SPLIT_EVENTS = frozenset(
    {
        "item.added",
        "item.moved",
        "item.deleted",
        "item.withdrawn",
        "item.restored",
        "item.parked",
        "figures.registered",
        "consent.changed",
        "item.revealed",
        "figures.revised",
        "split.sealed",
        "split.unsealed",
    }
)


def _public_figures(figures: dict[str, Any]) -> Figures:
    return Figures(figures["value"], figures["cost"], Range.from_wire(figures.get("range")))


def _revealed(item: Item) -> Entry:
    return (
        item.id,
        _public_figures(item.figures["buyer"]),
        _public_figures(item.figures["seller"]),
    )


def _sealed(item: Item) -> Entry:
    assert item.sealed is not None
    return sealed_line(item.id, item.sealed["net"], item.sealed["fair"], item.sealed["transfer"])


def shared_split(state: RoomState) -> Split:
    """The split over revealed and sealed items; every other live item is listed as excluded."""
    return public_split(state.public)


def public_split(public: View) -> Split:
    """:func:`shared_split` of a public view (the deal sheet folds drafts onto a copy)."""
    entries: list[Entry] = []
    excluded: list[str] = []
    for item in public.live_items():
        if item.parked:
            excluded.append(item.id)
        elif item.revealed:
            entries.append(_revealed(item))
        elif item.sealed is not None:
            entries.append(_sealed(item))
        else:
            excluded.append(item.id)
    return compute_split(entries, excluded)


def preview_split(state: RoomState, party: str) -> Split:
    """The split as ``party`` can foresee it: unrevealed items use its own figures only."""
    view = state.view(party)
    entries: list[Entry] = []
    excluded: list[str] = []
    pending: list[Pending] = []
    for item in view.live_items():
        if item.parked:
            excluded.append(item.id)
            continue
        if item.revealed:
            entries.append(_revealed(item))
            continue
        if item.sealed is not None:
            entries.append(_sealed(item))
            continue
        record = view.private.get(item.id)
        if record is None:
            excluded.append(item.id)
            continue
        own = Figures(record.value, record.cost, Range.from_wire(record.range))
        if own.range is None:
            pending.append(Pending(item.id, party, own.own))
        else:
            pending.append(Pending(item.id, party, own.own, own.own_low, own.own_high))
    return compute_split(entries, excluded, pending)
