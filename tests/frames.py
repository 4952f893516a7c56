"""Helpers for inspecting decoded frames."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["walk"]


def walk(value: Any) -> Iterator[Any]:
    """Every map key and every leaf value in a decoded frame, depth first."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)
    else:
        yield value
