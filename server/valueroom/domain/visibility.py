"""Who may see an event: the single privacy filter.

Every event carries ``vis``, a bit set of the audiences allowed to see it.
Every outbound path (live fan-out, the welcome snapshot, catch-up after a
reconnect, replay, exports, HTTP answers) decides with :func:`visible` and
nothing else. A role's view of the room is the fold of exactly the events
``visible`` admits for it (see :mod:`valueroom.domain.state`), so a snapshot
cannot hold anything the live stream would not have delivered.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "BUYER",
    "NEUTRAL",
    "PUBLIC",
    "ROLES",
    "SELLER",
    "Party",
    "Role",
    "bit",
    "party_only",
    "visible",
]

Role = Literal["buyer", "seller", "neutral"]
Party = Literal["buyer", "seller"]

BUYER: Final = 1
SELLER: Final = 2
NEUTRAL: Final = 4
PUBLIC: Final = BUYER | SELLER | NEUTRAL

ROLES: Final[tuple[Role, ...]] = ("buyer", "seller", "neutral")
_BITS: Final[dict[str, int]] = {"buyer": BUYER, "seller": SELLER, "neutral": NEUTRAL}


def bit(role: str) -> int:
    """The audience bit of ``role``."""
    return _BITS[role]


def party_only(party: Party) -> int:
    """Visible to that party's team and nobody else (not even the neutral)."""
    return _BITS[party]


def visible(vis: int, role: str) -> bool:
    """True when an event with visibility ``vis`` may reach a member of ``role``."""
    return bool(vis & _BITS[role])
