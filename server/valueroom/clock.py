"""The one wall clock of the server: milliseconds since the Unix epoch.

Event times and room creation times come from here. The core never reads a
clock; the rooms layer stamps events with :func:`now_ms` (or a clock a test
passes in).
"""

from __future__ import annotations

import time

__all__ = ["now_ms"]


def now_ms() -> int:
    """Milliseconds since the epoch, as an int."""
    return time.time_ns() // 1_000_000
