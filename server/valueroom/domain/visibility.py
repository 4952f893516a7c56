"""Roles, audiences, and who may see an event: the single privacy filter.

This module is the one definition of the roles and parties of a room.

Every event carries ``vis``, a bit set of the audiences allowed to see it:

======  =====  ==============================================================
bits    name   who receives it
======  =====  ==============================================================
1       buyer  the buyer's team only (its private figures and notes)
2       seller the seller's team only
4       neutral the neutral only
5, 6    caucus one party's team and the neutral (a caucus, figures under seal)
7       public everyone in the room
======  =====  ==============================================================

Every outbound path (live fan-out, the welcome snapshot, catch-up after a
reconnect, history and replay, exports, HTTP answers) decides with
:func:`visible` and nothing else. A role's view of the room is the fold of
exactly the events ``visible`` admits for it (see
:mod:`valueroom.domain.state`), so a snapshot cannot hold anything the live
stream would not have delivered.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "BUYER",
    "NEUTRAL",
    "PARTIES",
    "PUBLIC",
    "ROLES",
    "SELLER",
    "Party",
    "Role",
    "as_party",
    "bit",
    "is_party",
    "is_public",
    "other",
    "party_only",
    "visible",
    "with_neutral",
]

Role = Literal["buyer", "seller", "neutral"]
Party = Literal["buyer", "seller"]

BUYER: Final = 1
SELLER: Final = 2
NEUTRAL: Final = 4
PUBLIC: Final = BUYER | SELLER | NEUTRAL

ROLES: Final[tuple[Role, ...]] = ("buyer", "seller", "neutral")
PARTIES: Final[tuple[Party, ...]] = ("buyer", "seller")
_BITS: Final[dict[str, int]] = {"buyer": BUYER, "seller": SELLER, "neutral": NEUTRAL}


def bit(role: str) -> int:
    """The audience bit of ``role``."""
    return _BITS[role]


def is_party(role: str) -> bool:
    """True for the buyer and the seller; the neutral is not a party."""
    return role in PARTIES


def other(party: str) -> Party:
    """The other party: seller for buyer and buyer for seller."""
    if party == "buyer":
        return "seller"
    if party == "seller":
        return "buyer"
    raise ValueError(f"{party!r} is not a party")


def as_party(role: str) -> Party:
    """``role`` typed as a party; raises ValueError for the neutral."""
    if role == "buyer":
        return "buyer"
    if role == "seller":
        return "seller"
    raise ValueError(f"{role!r} is not a party")


def party_only(party: str) -> int:
    """Visible to that party's team and nobody else (not even the neutral)."""
    return _BITS[as_party(party)]


def with_neutral(party: str) -> int:
    """Visible to that party's team and the neutral: a caucus, or figures under seal."""
    return _BITS[as_party(party)] | NEUTRAL


def visible(vis: int, role: str) -> bool:
    """True when an event with visibility ``vis`` may reach a member of ``role``."""
    return bool(vis & _BITS[role])


def is_public(vis: int) -> bool:
    """True when every role may see an event with visibility ``vis``."""
    return vis & PUBLIC == PUBLIC
