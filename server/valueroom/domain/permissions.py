"""Who may send which command in which phase: the one table.

:data:`TABLE` maps every command name to the roles that may send it and, per
role, the phases in which it may. A second member of a party's team joins
with that party's invite link and so has that party's role and rights.
:func:`check` is the first thing :func:`valueroom.domain.decide.decide` does;
it refuses with :class:`~valueroom.domain.errors.NotPermitted` and one of
three reasons:

``permission.role``
    this role may never send this command (the neutral registering figures,
    a party verifying sealed figures);
``phase.closed``
    the room is closed: it is final and read-only;
``permission.phase``
    not in the room's current phase (consent before the room explores).

Refusals that depend on the room's state rather than on role and phase (a
locked agenda, a protected item, the state of a seal, a room without a
neutral) stay with the command's handler and carry their own reasons.

Why the phases gate what they gate (the article's course):

* the agenda is shaped from preparation until the division; while agreeing
  it is fixed, so the parties agree on what they see;
* figures are registered while the agenda is shaped and the value divided;
  while agreeing they stand still;
* transparency and sharing figures under seal belong to exploring and
  dividing; the neutral puts an item into the split under seal only while
  dividing;
* the process (phase, moderation, caucus) runs in every phase but closed;
* the deal sheet is signed while agreeing, when the agenda stands still;
* commitments are recorded in every phase but closed;
* nothing changes a closed room, except that a commitment can still be
  marked kept or broken and the neutral can still witness the signed sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from valueroom.domain.errors import NotPermitted
from valueroom.domain.method import CLOSED, PHASE_IDS
from valueroom.domain.visibility import PARTIES, ROLES

__all__ = ["COMMANDS", "TABLE", "allowed_for", "check", "may"]

_NEUTRAL: Final = ("neutral",)
_PARTIES_AND_NEUTRAL: Final = ROLES

# Every phase in which anything can happen.
OPEN: Final = frozenset(p for p in PHASE_IDS if p != CLOSED)
# The agenda and the figures take shape.
SHAPING: Final = frozenset({"preparation", "opening", "exploring", "dividing"})
# Transparency and sharing under seal.
TALKS: Final = frozenset({"exploring", "dividing"})
AGREEMENT: Final = frozenset({"exploring", "dividing", "agreeing"})
DIVIDING: Final = frozenset({"dividing"})
AGREEING: Final = frozenset({"agreeing"})
# After the agreement, commitments are kept or broken and the neutral may witness.
ALWAYS: Final = frozenset(PHASE_IDS)
SIGN_OFF: Final = frozenset({"agreeing", CLOSED})


def _rule(roles: Iterable[str], phases: frozenset[str]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType(dict.fromkeys(roles, phases))


TABLE: Final[Mapping[str, Mapping[str, frozenset[str]]]] = MappingProxyType(
    {
        # The agenda: its content is the parties'; the neutral moderates it.
        "item.add": _rule(PARTIES, SHAPING),
        "item.edit": _rule(PARTIES, SHAPING),
        "item.move": _rule(_PARTIES_AND_NEUTRAL, SHAPING),
        "item.park": _rule(_PARTIES_AND_NEUTRAL, SHAPING),
        "item.agree": _rule(PARTIES, AGREEMENT),
        "item.delete": _rule(_PARTIES_AND_NEUTRAL, SHAPING),
        "item.withdraw": _rule(PARTIES, SHAPING),
        "item.restore": _rule(_PARTIES_AND_NEUTRAL, SHAPING),
        # Private figures and two-key transparency.
        "figures.set": _rule(PARTIES, SHAPING),
        "consent.set": _rule(PARTIES, TALKS),
        # The phase: the neutral moves it; without one, both parties do.
        "phase.set": _rule(_NEUTRAL, OPEN),
        "phase.propose": _rule(PARTIES, OPEN),
        # Moderation.
        "agenda.lock": _rule(_NEUTRAL, OPEN),
        "timer.set": _rule(_NEUTRAL, OPEN),
        "timer.clear": _rule(_NEUTRAL, OPEN),
        "note.add": _rule(_NEUTRAL, OPEN),
        "note.edit": _rule(_NEUTRAL, OPEN),
        "note.remove": _rule(_NEUTRAL, OPEN),
        # Caucus: the neutral and one party's team.
        "caucus.open": _rule(_PARTIES_AND_NEUTRAL, OPEN),
        "caucus.close": _rule(_PARTIES_AND_NEUTRAL, OPEN),
        "caucus.post": _rule(_PARTIES_AND_NEUTRAL, OPEN),
        "caucus.note": _rule(_PARTIES_AND_NEUTRAL, OPEN),
        # Figures under seal: shared with the neutral only, verified, attested.
        "seal.share": _rule(PARTIES, TALKS),
        "seal.withdraw": _rule(PARTIES, TALKS),
        "seal.verify": _rule(_NEUTRAL, TALKS),
        "seal.dispute": _rule(_NEUTRAL, TALKS),
        "seal.attest": _rule(_NEUTRAL, DIVIDING),
        # The method's guidance: the core questions and the transparency plan
        # while the agenda takes shape; trust pulses in every open phase.
        "opening.answer": _rule(PARTIES, SHAPING),
        "opening.share": _rule(PARTIES, SHAPING),
        "plan.set": _rule(PARTIES, SHAPING),
        "trust.pulse": _rule(PARTIES, OPEN),
        # The end: commitments, sign-off by the parties, the neutral's witness.
        "commitment.add": _rule(_PARTIES_AND_NEUTRAL, OPEN),
        "commitment.set": _rule(_PARTIES_AND_NEUTRAL, ALWAYS),
        "deal.sign": _rule(PARTIES, AGREEING),
        "deal.witness": _rule(_NEUTRAL, SIGN_OFF),
    }
)

COMMANDS: Final[tuple[str, ...]] = tuple(TABLE)


def may(name: str, role: str, phase: str) -> bool:
    """True when ``role`` may send command ``name`` while the room is in ``phase``."""
    return phase in TABLE[name].get(role, frozenset())


def check(name: str, role: str, phase: str) -> None:
    """Refuse (NotPermitted) unless ``role`` may send ``name`` in ``phase``."""
    phases = TABLE[name].get(role)
    if phases is None:
        raise NotPermitted(
            f"the {role} may not send {name}",
            reason="permission.role",
            params={"command": name, "role": role},
        )
    if phase == CLOSED and CLOSED not in phases:
        raise NotPermitted(
            "the negotiation is closed; the room is read-only",
            reason="phase.closed",
            params={"command": name},
        )
    if phase not in phases:
        raise NotPermitted(
            f"{name} is not possible in the {phase} phase",
            reason="permission.phase",
            params={"command": name, "phase": phase},
        )


def allowed_for(role: str) -> list[dict[str, object]]:
    """The table's rows for one role, in the wire's form: ``[{command, phases}]``.

    Sent in the welcome so the browser offers exactly what the server allows;
    phases are listed in the method's order.
    """
    return [
        {"command": name, "phases": [p for p in PHASE_IDS if p in rule[role]]}
        for name, rule in TABLE.items()
        if role in rule
    ]
