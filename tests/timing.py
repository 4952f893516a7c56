"""One factor for every timeout in the tests, for slow machines.

Set ``VALUEROOM_TEST_TIMEOUT_FACTOR`` (default 1) to stretch every timeout in
``tests/`` and ``e2e/`` alike, as python-websockets scales its test timeouts
by ``MS``. Timeouts bound how long a test waits for an event that should
come; no test passes or fails by how fast something happened, so a larger
factor only lets a slow machine finish, it never hides a bug.
"""

from __future__ import annotations

import os

__all__ = ["FACTOR", "timeout"]

FACTOR = float(os.environ.get("VALUEROOM_TEST_TIMEOUT_FACTOR", "1") or "1")
if FACTOR <= 0:
    raise ValueError("VALUEROOM_TEST_TIMEOUT_FACTOR must be a positive number")


def timeout(seconds: float) -> float:
    """``seconds`` scaled by the factor."""
    return seconds * FACTOR
