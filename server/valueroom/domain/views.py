"""The split as each audience may see it, computed from that audience's view.

* The shared split is computed from the public view, which is folded from
  public events only: whatever it shows, everyone was already allowed to see.
  It holds the revealed items, and the items the neutral put into the split
  under seal (marked ``sealed``: created value, halves and transfer, from the
  public ``split.sealed`` event, never value or cost).
* A party's preview is computed from that party's own view: its own figures
  for every item it registered, the other side's only where revealed, and the
  attested line where the item is in the split under seal. It is sent to that
  party's team and nobody else.
"""

from __future__ import annotations

from valueroom.domain.split import Entry, Figures, Split, compute_split, sealed_line
from valueroom.domain.state import Item, RoomState

__all__ = ["SPLIT_EVENTS", "preview_split", "shared_split"]

# Events after which a split may have changed (for some audience).
SPLIT_EVENTS = frozenset(
    {
        "item.added",
        "item.moved",
        "item.deleted",
        "item.withdrawn",
        "item.restored",
        "figures.registered",
        "consent.changed",
        "item.revealed",
        "figures.revised",
        "split.sealed",
        "split.unsealed",
    }
)


def _revealed(item: Item) -> Entry:
    b, s = item.figures["buyer"], item.figures["seller"]
    return (item.id, Figures(b["value"], b["cost"]), Figures(s["value"], s["cost"]))


def _sealed(item: Item) -> Entry:
    assert item.sealed is not None
    return sealed_line(item.id, item.sealed["net"], item.sealed["fair"], item.sealed["transfer"])


def shared_split(state: RoomState) -> Split:
    """The split over revealed and sealed items; every other live item is listed as excluded."""
    entries: list[Entry] = []
    excluded: list[str] = []
    for item in state.public.live_items():
        if item.revealed:
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
    for item in view.live_items():
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
        own = Figures(record.value, record.cost)
        entries.append((item.id, own, None) if party == "buyer" else (item.id, None, own))
    return compute_split(entries, excluded)
