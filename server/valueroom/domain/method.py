"""The method's fixed vocabulary: what the article names and the room offers.

Ids are stable and travel on the wire; labels here are the English defaults
stored in an item when its author gives none. The browser shows its own
translation for an id it knows (``client/src/lang``) and the label otherwise.
"""

from __future__ import annotations

from typing import Final

__all__ = ["RELATIONSHIP_MODELS", "catalog"]

# The four supplier relationship models (Vitasek, Vested Sourcing), offered as
# the options of a "relationship" item when the author gives none.
RELATIONSHIP_MODELS: Final[tuple[dict[str, str], ...]] = (
    {"id": "transactional", "label": "Transactional"},
    {"id": "preferred", "label": "Preferred"},
    {"id": "performance", "label": "Performance-based"},
    {"id": "outcome", "label": "Outcome-based"},
)


def catalog() -> dict[str, list[dict[str, str]]]:
    """The vocabulary sent to every client in its welcome (fresh copies)."""
    return {"relationship_models": [dict(model) for model in RELATIONSHIP_MODELS]}
