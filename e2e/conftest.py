"""A real server (``python -m valueroom serve``) on a free port and one chromium for the session.

Every test gets fresh browser contexts (one per person) and fails if a page
threw an uncaught exception. Playwright's sync API is used from plain ``def``
tests, so it never meets pytest-asyncio's event loop.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from e2e.room import WAIT_MS, RoomPage
from tests.timing import timeout

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = timeout(20)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"valueroom serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"valueroom serve did not answer /api/health within {START_TIMEOUT_S}s")


E2E = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run after all the others, each group in its (random) order.

    Playwright's sync API runs an event loop of its own in the main thread for
    the whole session; pytest-asyncio's per-test loops must not start while it
    is alive. The sort is stable, so pytest-randomly's shuffle holds within
    each group.
    """
    items.sort(key=lambda item: item.path.is_relative_to(E2E))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real ``valueroom serve`` process with a fresh SQLite store."""
    store = tmp_path_factory.mktemp("e2e") / "e2e.db"
    port = _free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "server"), str(REPO), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    command = [
        sys.executable, "-m", "valueroom", "serve",
        "--port", str(port),
        "--store", f"sqlite:///{store}",
        "--idle", "0",
        "--log-level", "warning",
        # One browser on 127.0.0.1 creates every room of the session.
        "--rooms-per-hour", "0",
        # Every "Links and room" dialog lists who is here: the session opens many.
        "--manage-per-hour", "0",
        "--public-url", f"http://127.0.0.1:{port}",
        "--max-per-address", "100000",
        "--max-unjoined-per-address", "100000",
        # e2e/test_resume.py fills rooms with thousands of edits from one
        # connection, far faster than anyone types; the limit has tests of its own.
        "--commands-per-second", "100000",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=timeout(10))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """``new_page(locale="en-US")``: a page in a fresh context (its own storage: one person)."""
    contexts = []
    errors: list[str] = []

    def make(locale: str = "en-US") -> Page:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


JoinRoom = Callable[..., RoomPage]


@pytest.fixture
def join(new_page: NewPage) -> JoinRoom:
    """``join(link, name)``: a new person opens an invite link, enters a name, gets connected."""

    def enter(link: str, name: str, *, locale: str = "en-US", page: Page | None = None) -> RoomPage:
        return RoomPage.join(page or new_page(locale), link, name)

    return enter
