"""The demo room in the browser: ``valueroom demo`` seeds a store, ``valueroom serve`` serves it,
and each role sees the brief's worked example. With ``VALUEROOM_SCREENSHOTS=<folder>`` the test
saves the screenshots the user README shows (desktop and phone, English and Dutch)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import REPO, _free_port, _wait_healthy
from e2e.room import RoomPage
from tests.timing import timeout

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("VALUEROOM_SCREENSHOTS")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A server on a store the demo command seeded; yields (base URL, links per role)."""
    store = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "server"), str(REPO)]))
    seeded = subprocess.run(
        [sys.executable, "-m", "valueroom", "demo", "--store", store, "--public-url", base],
        cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=timeout(60),
    )  # fmt: skip
    links = dict(re.findall(r"^  (\w+) +(\S+)$", seeded.stdout, re.MULTILINE))
    assert set(links) == {"buyer", "seller", "neutral"}, seeded.stdout
    command = [
        sys.executable, "-m", "valueroom", "serve", "--port", str(port), "--store", store,
        "--idle", "0", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=env)
    try:
        _wait_healthy(base, process)
        yield base, links
    finally:
        process.terminate()
        process.wait(timeout=timeout(10))


def _person(browser: Browser, link: str, name: str, locale: str, size: tuple[int, int]) -> RoomPage:
    context = browser.new_context(locale=locale, viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(timeout(10) * 1000)
    return RoomPage.join(context.new_page(), link, name)


def _shot(page: Page, name: str, testid: str | None = None) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    path = str(Path(SHOTS) / f"{name}.png")
    if testid is None:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=path)
    else:
        page.get_by_test_id(testid).screenshot(path=path)


def test_demo_room_shows_the_worked_example_to_every_role(
    demo: tuple[str, dict[str, str]], browser: Browser
) -> None:
    base, links = demo
    buyer = _person(browser, links["buyer"], "Anna", "en-GB", (1280, 900))
    seller = _person(browser, links["seller"], "Sem", "nl-NL", (1280, 900))
    neutral = _person(browser, links["neutral"], "Nora", "en-GB", (390, 844))
    try:
        for person in (buyer, seller, neutral):
            expect(person.page.get_by_test_id("phase")).to_have_attribute("data-phase", "dividing")
            stock = person.page.locator('[data-testid="split-line"][data-item-id="stock"]')
            expect(stock).to_have_attribute("data-net", str(80_000_00))
            expect(person.page.get_by_test_id("opening-shared")).to_be_visible()
            expect(person.page.get_by_test_id("pulse-entry")).to_have_count(2)
        line = buyer.page.locator('[data-testid="split-line"][data-item-id="stock"]')
        expect(line.get_by_test_id("line-transfer")).to_have_text("Buyer pays seller €70,000.00")
        expect(line.get_by_test_id("line-range")).to_have_text("(€65,000.00 \u2013 €90,000.00)")
        expect(buyer.page.get_by_test_id("split-compare")).to_be_visible()
        dutch = seller.page.locator('[data-testid="split-line"][data-item-id="stock"]')
        expect(dutch.get_by_test_id("line-transfer")).to_have_text(
            re.compile(r"Inkoper betaalt leverancier €\s70\.000,00")
        )
        _shot(buyer.page, "room-buyer-en")
        _shot(buyer.page, "method-en", "guide")
        _shot(neutral.page, "phone-split-en", "split")
        _shot(seller.page, "room-seller-nl")
        _shot(neutral.page, "phone-neutral-en")
        buyer.page.goto(base)
        expect(buyer.page.get_by_test_id("create-form")).to_be_visible()
        _shot(buyer.page, "landing-en")
    finally:
        for person in (buyer, seller, neutral):
            person.page.context.close()
