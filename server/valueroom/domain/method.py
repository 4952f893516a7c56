"""The method's fixed vocabulary: what the article names and the room offers.

Ids are stable and travel on the wire; labels here are the English defaults
stored in an item when its author gives none. The browser shows its own
translation for an id it knows (``client/src/lang``) and the label otherwise.

The phases follow the article's course of a value-oriented negotiation: each
side prepares alone, the parties open with the two core questions ("are we
valuable enough to each other?" and "are our form and style of cooperation
optimal?"), explore and create value together, divide it fairly, agree, and
close. Which command may be sent in which phase is
:mod:`valueroom.domain.permissions`.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CLOSED",
    "CORE_QUESTIONS",
    "FIRST_PHASE",
    "KINDS_WITHOUT_FIGURES",
    "PHASES",
    "PHASE_IDS",
    "RELATIONSHIP_MODELS",
    "TRUST_BEHAVIOURS",
    "catalog",
]

# The article's two core questions for an open dialogue, answered by each side
# on its own first and then shared (``opening.answer``, ``opening.share``).
CORE_QUESTIONS: Final = ("valuable", "cooperation")

# Covey's 13 trust-building behaviours, as the article lists them. Either side
# may give the other a light, public pulse naming one; there is no score.
TRUST_BEHAVIOURS: Final = (
    "straight_talk",
    "respect",
    "transparency",
    "right_wrongs",
    "loyalty",
    "results",
    "get_better",
    "confront_reality",
    "clarify_expectations",
    "accountability",
    "listen_first",
    "keep_commitments",
    "extend_trust",
)

# Agenda items that carry no figures: an open question, a note. They take no
# private registration, no transparency and no place in the split.
KINDS_WITHOUT_FIGURES: Final = frozenset({"question", "note"})

# The four supplier relationship models (Vitasek, Vested Sourcing), offered as
# the options of a "relationship" item when the author gives none.
RELATIONSHIP_MODELS: Final[tuple[dict[str, str], ...]] = (
    {"id": "transactional", "label": "Transactional"},
    {"id": "preferred", "label": "Preferred"},
    {"id": "performance", "label": "Performance-based"},
    {"id": "outcome", "label": "Outcome-based"},
)

# The phases of a room, in the method's order. A room starts in the first;
# ``closed`` is final: nothing changes a closed room any more.
PHASES: Final[tuple[dict[str, str], ...]] = (
    {"id": "preparation", "label": "Preparation"},
    {"id": "opening", "label": "Opening"},
    {"id": "exploring", "label": "Exploring and creating value"},
    {"id": "dividing", "label": "Dividing"},
    {"id": "agreeing", "label": "Agreeing"},
    {"id": "closed", "label": "Closed"},
)
PHASE_IDS: Final[tuple[str, ...]] = tuple(phase["id"] for phase in PHASES)
FIRST_PHASE: Final = "preparation"
CLOSED: Final = "closed"


def catalog() -> dict[str, list[dict[str, str]]]:
    """The vocabulary sent to every client in its welcome (fresh copies)."""
    return {
        "relationship_models": [dict(model) for model in RELATIONSHIP_MODELS],
        "phases": [dict(phase) for phase in PHASES],
    }
