"""Shared fixtures. Stores: a real redis-server per session, a fresh store per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis

from tests.redisproc import running_redis
from valueroom.store import Store, open_store

# --- Redis ------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url_session() -> Iterator[str]:
    """One real redis-server for the whole session (started only if a test asks)."""
    with running_redis() as url:
        yield url


@pytest.fixture
def redis_url(redis_url_session: str) -> str:
    """The session's redis-server, emptied before the test."""
    with redis.Redis.from_url(redis_url_session) as client:
        client.flushall()
    return redis_url_session


# --- Stores -----------------------------------------------------------------

STORE_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]


@pytest.fixture(params=STORE_KINDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL naming an empty store, once per adapter."""
    if request.param == "sqlite":
        # An absolute path after "sqlite:///" gives the four-slash absolute form.
        return "sqlite:///" + str(tmp_path / "store.db")
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """An open store on ``store_url``, closed after the test."""
    opened = open_store(store_url)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


# --- Reporting ----------------------------------------------------------------


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how much the confidentiality property test actually inspected."""
    import sys

    module = sys.modules.get("tests.test_confidentiality")
    stats = getattr(module, "STATS", None)
    if stats and stats["sessions"]:
        terminalreporter.write_line(
            "confidentiality property: {sessions} sessions, {connections} connections, "
            "{frames} frames and {http} HTTP responses inspected".format(**stats)
        )
