"""Shared fixtures. Stores: a real redis-server per session, a fresh store per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis

from tests.redisproc import running_redis, running_redis_cluster
from tests.timing import FACTOR
from valueroom.store import Store, open_store

# --- Timeouts -----------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Stretch pytest-timeout's per-test bound by the same factor as every other timeout."""
    if FACTOR != 1:
        ini = float(config.getini("timeout") or 0)
        if ini and config.option.timeout is None:
            config.option.timeout = ini * FACTOR


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


@pytest.fixture(scope="session")
def redis_cluster_url_session() -> Iterator[str]:
    """One real 3-node Redis Cluster for the whole session (started only if a test asks)."""
    with running_redis_cluster() as url:
        yield url


@pytest.fixture
def redis_cluster_url(redis_cluster_url_session: str) -> str:
    """The session's Redis Cluster (``redis+cluster://``), every primary emptied before the test."""
    plain = redis_cluster_url_session.replace("redis+cluster://", "redis://", 1)
    with redis.RedisCluster.from_url(plain) as client:
        client.flushall(target_nodes=redis.RedisCluster.PRIMARIES)
    return redis_cluster_url_session


# --- Stores -----------------------------------------------------------------

# The durable stores a deployment runs on; live-server tests run on each.
STORE_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]
# Every adapter, the in-memory one included: the store contract runs on each
# (the Redis adapter also on a 3-node Redis Cluster).
ADAPTER_KINDS = [
    pytest.param("memory", id="memory"),
    *STORE_KINDS,
    pytest.param("cluster", id="cluster", marks=pytest.mark.redis),
]


def _url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "memory":
        # A name of its own per test: memory stores on one name share their rooms.
        return f"memory://{tmp_path.name}-{id(request)}"
    if kind == "sqlite":
        # An absolute path after "sqlite:///" gives the four-slash absolute form.
        return "sqlite:///" + str(tmp_path / "store.db")
    url: str = request.getfixturevalue("redis_cluster_url" if kind == "cluster" else "redis_url")
    return url


@pytest.fixture(params=STORE_KINDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL naming an empty durable store, once per durable adapter."""
    return _url(request.param, request, tmp_path)


@pytest.fixture(params=ADAPTER_KINDS)
def adapter_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL naming an empty store, once per adapter (memory included)."""
    return _url(request.param, request, tmp_path)


@pytest.fixture(params=["redis", "cluster"])
def shared_url(request: pytest.FixtureRequest) -> str:
    """A real Redis server, then a real 3-node Redis Cluster: the stores processes share."""
    url: str = request.getfixturevalue(
        "redis_cluster_url" if request.param == "cluster" else "redis_url"
    )
    return url


@pytest.fixture
async def store(adapter_url: str) -> AsyncIterator[Store]:
    """An open store on ``adapter_url``, closed after the test."""
    opened = open_store(adapter_url)
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
            "{frames} frames ({history} history events, {exports} exports), {sealed} sealed figures handed to the neutral, {caucus} caucus "
            "messages, {accesses} access-log entries, {log_records} log records and {http} "
            "HTTP responses inspected; {ranged_splits} splits with ranges checked".format(**stats)
        )
    differential = getattr(sys.modules.get("tests.test_differential"), "STATS", None)
    if differential and differential["pairs"]:
        terminalreporter.write_line(
            "differential metadata test: {pairs} session pairs, {private_actions} private "
            "actions, {frames_compared} frames of other audiences compared".format(**differential)
        )
    faults = getattr(sys.modules.get("tests.faults.test_faults"), "FIGURES", None)
    for name, figure in (faults or {}).items():
        terminalreporter.write_line(f"fault suite, {name}: {figure}")
