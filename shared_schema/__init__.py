"""The one definition of every valueroom frame, shared by server and browser.

``schema.json`` is the source; this package only says where it is, so that the
server (``valueroom.protocol.schema``) and the HTTP route that serves it to the
browser read the very same bytes.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_PATH", "load"]

SCHEMA_PATH = Path(__file__).with_name("schema.json")


@cache
def load() -> dict[str, Any]:
    """Return the parsed schema (parsed once per process)."""
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data
