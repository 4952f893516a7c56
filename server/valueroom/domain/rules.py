"""The room's limits and currencies, handed to the core rather than read by it.

The values come from ``shared_schema/schema.json`` (the one definition shared
with the browser); :func:`valueroom.protocol.schema.rules` reads them once and
the rooms layer passes them in. The core never opens a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Rules"]


@dataclass(frozen=True, slots=True)
class Rules:
    """Limits every room obeys. The defaults equal the shared schema's (a test checks)."""

    max_items: int = 300
    # Items ever added, removed ones included (they stay restorable).
    max_item_records: int = 1000
    max_options: int = 20
    max_notes: int = 200
    max_amount_units: int = 999_999_999_999
    # The longest agenda order key a frame may carry (the schema's Position).
    max_position: int = 64
    currencies: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(
            {
                "EUR": 2,
                "USD": 2,
                "GBP": 2,
                "CHF": 2,
                "SEK": 2,
                "NOK": 2,
                "DKK": 2,
                "PLN": 2,
                "JPY": 0,
            }
        )
    )

    def decimals(self, currency: str) -> int:
        """Minor-unit digits of ``currency`` (2 for EUR, 0 for JPY)."""
        return self.currencies[currency]
