"""The split as each audience may see it, computed from that audience's view.

* The shared split is computed from the public view, which is folded from
  public events only: whatever it shows, everyone was already allowed to see.
* A party's preview is computed from that party's own view: its own figures
  for every item it registered, the other side's only where revealed. It is
  sent to that party's team and nobody else.
"""

from __future__ import annotations

from valueroom.domain.split import Figures, Split, compute_split
from valueroom.domain.state import Item, RoomState

__all__ = ["preview_split", "shared_split"]

Entry = tuple[str, Figures | None, Figures | None]


def _revealed(item: Item) -> Entry:
    b, s = item.figures["buyer"], item.figures["seller"]
    return (item.id, Figures(b["value"], b["cost"]), Figures(s["value"], s["cost"]))


def shared_split(state: RoomState) -> Split:
    """The split over revealed items; every other live item is listed as excluded."""
    entries: list[Entry] = []
    excluded: list[str] = []
    for item in state.public.live_items():
        if item.revealed:
            entries.append(_revealed(item))
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
        record = view.private.get(item.id)
        if record is None:
            excluded.append(item.id)
            continue
        own = Figures(record.value, record.cost)
        entries.append((item.id, own, None) if party == "buyer" else (item.id, None, own))
    return compute_split(entries, excluded)
