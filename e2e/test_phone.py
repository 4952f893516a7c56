"""Phones: every page fits a 360 px screen without sideways scrolling, in both languages.

Each page is checked at 390x844 (a common phone) and 360 wide (a small one):
``document.documentElement.scrollWidth <= innerWidth`` and no element of the
top bar overlaps another (the header used to overlap itself on a phone).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.room import RoomPage, create_room, move_to_phase
from tests.timing import timeout

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (360, 740)]
SHOTS = os.environ.get("VALUEROOM_SCREENSHOTS")
"""A folder: when set, the tests save the screenshots the user README shows."""

# Every element of the page wider than the screen, and every pair of top-bar
# elements whose boxes overlap (by more than a pixel, to allow for rounding).
MEASURE = """() => {
  const width = innerWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > width + 1; })
    .map((el) => `${el.tagName}.${el.className}[${el.dataset.testid ?? ''}]`);
  const parts = [...document.querySelectorAll(
    '.topbar .brand, [data-testid="lang-switch"], [data-testid="room-title"], [data-testid="my-role"],' +
    ' [data-testid="me"], [data-testid="presence-member"], [data-testid="conn-state"]')]
    .filter((el) => el.getClientRects().length > 0);
  const overlaps = [];
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j < parts.length; j++) {
      if (parts[i].contains(parts[j]) || parts[j].contains(parts[i])) continue;
      const a = parts[i].getBoundingClientRect();
      const b = parts[j].getBoundingClientRect();
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (x > 1 && y > 1) overlaps.push([parts[i].dataset.testid ?? parts[i].className, parts[j].dataset.testid ?? parts[j].className]);
    }
  }
  return { scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10), overlaps, parts: parts.length };
}"""


def assert_fits(page: Page, what: str) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(MEASURE)
    assert found["scrollWidth"] <= found["width"], f"{what}: scrolls sideways: {found}"
    assert not found["wide"], f"{what}: wider than the screen: {found['wide']}"
    assert not found["overlaps"], f"{what}: header elements overlap: {found['overlaps']}"
    return found


def shot(page: Page, name: str, testid: str | None = None) -> None:
    """Save a screenshot of the page's top (or of one element) for the README, if asked to."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    path = str(Path(SHOTS) / f"{name}.png")
    if testid is None:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=path)
    else:
        page.get_by_test_id(testid).screenshot(path=path)


def _page(browser: Browser, contexts: list[Any], locale: str, size: tuple[int, int]) -> Page:
    context = browser.new_context(
        locale=locale, viewport={"width": size[0], "height": size[1]}, is_mobile=False
    )
    context.set_default_timeout(timeout(10) * 1000)
    contexts.append(context)
    return context.new_page()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_and_role_fits_a_phone(
    server: str, browser: Browser, size: tuple[int, int]
) -> None:
    contexts: list[Any] = []
    try:
        landing = _page(browser, contexts, "nl-NL", size)
        landing.goto(server)
        expect(landing.get_by_test_id("create-form")).to_be_visible()
        assert_fits(landing, "landing (nl)")
        landing.get_by_test_id("create-title").fill("Consignatievoorraad voor de gemeente")
        landing.get_by_test_id("create-submit").click()
        expect(landing.get_by_test_id("invites")).to_be_visible()
        assert_fits(landing, "invite links (nl)")

        room = create_room(
            server,
            title="Consignment stock and rush orders for the municipality of Utrecht",
            buyer_org="Gemeente Utrecht",
            seller_org="Leverancier Groothandel BV",
            neutral=True,
        )
        join_page = _page(browser, contexts, "en-US", size)
        join_page.goto(room["links"]["seller"])
        expect(join_page.get_by_test_id("join-form")).to_be_visible()
        assert_fits(join_page, "join form (en)")

        people = {
            "buyer": RoomPage.join(
                _page(browser, contexts, "nl-NL", size), room["links"]["buyer"], "Anna de Vries"
            ),
            "seller": RoomPage.join(join_page, room["links"]["seller"], "Sem Jansen"),
            "neutral": RoomPage.join(
                _page(browser, contexts, "nl-NL", size), room["links"]["neutral"], "Nora"
            ),
        }
        buyer, seller, neutral = people["buyer"], people["seller"], people["neutral"]
        for role, person in people.items():
            assert_fits(person.page, f"empty room, {role}")
        stock = buyer.add_item("Consignatievoorraad op de locatie van de koper", kind="measure")
        rush = buyer.add_item("Spoedorders binnen 24 uur", kind="measure")
        seller.expect_agenda([stock, rush])
        move_to_phase("dividing", neutral)
        buyer.register_figures(stock, "1200000", "10000")
        seller.register_figures(stock, "9999999.99", "500000")
        buyer.register_figures(rush, "1000", "0")
        for role, person in people.items():
            assert_fits(person.page, f"private figures, {role}")
        seller.register_figures(rush, "0", "5000")
        for person in (buyer, seller):
            for item_id in (stock, rush):
                person.item(item_id).get_by_test_id("consent").check()
        for role, person in people.items():
            expect(person.page.get_by_test_id("split-compare")).to_be_visible()
            expect(person.page.get_by_test_id("split-line")).to_have_count(2)
            found = assert_fits(person.page, f"revealed split, {role}")
            assert found["parts"] >= 5, found
        # The split table is stacked: the cells of one line are not side by side in a row.
        line = buyer.page.get_by_test_id("split-line").first
        buyer_box = line.get_by_test_id("line-buyer").bounding_box()
        net_box = line.get_by_test_id("line-net").bounding_box()
        assert buyer_box is not None
        assert net_box is not None
        assert net_box["y"] >= buyer_box["y"] + buyer_box["height"] - 1
        if size == SIZES[0]:
            shot(buyer.page, "phone-buyer-nl")
            shot(buyer.page, "phone-split-nl", "split")
        # The replay of the session (each role's own) fits as well.
        for role, person in people.items():
            person.page.get_by_test_id("replay-open").click()
            expect(person.page.get_by_test_id("replay-status")).to_have_attribute(
                "data-state", "ready"
            )
            assert_fits(person.page, f"replay, {role}")
    finally:
        for context in contexts:
            context.close()


def test_a_long_name_editing_with_a_remove_button_wraps_in_the_presence_list(
    server: str, browser: Browser
) -> None:
    """The neutral's presence pill of a member with a long name, editing an item, fits 360 px.

    The name, what the member edits and the Remove button wrap inside the pill
    (it once pushed the page 79 px wider, whenever the seller had focus on an item).
    """
    contexts: list[Any] = []
    try:
        room = create_room(server, title="Presence on a phone", neutral=True)
        neutral = RoomPage.join(
            _page(browser, contexts, "en-US", (360, 740)), room["links"]["neutral"], "Nora"
        )
        seller = RoomPage.join(
            _page(browser, contexts, "en-US", (1280, 800)),
            room["links"]["seller"],
            "Sebastiaan van der Verkoperslangenaam",
        )
        item = seller.add_item("Delivery terms for the consignment stock at the buyer's site")
        seller.item(item).get_by_test_id("item-title").focus()
        editing = neutral.page.locator(".member-editing")
        expect(editing).to_be_visible()
        expect(neutral.page.get_by_test_id("member-remove")).to_have_count(1)
        assert_fits(neutral.page, "presence with a long name editing, neutral")
    finally:
        for context in contexts:
            context.close()


# -- Links and room (views/manage.js) ------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_links_and_room_dialog_fits_a_phone(
    server: str, browser: Browser, size: tuple[int, int]
) -> None:
    contexts: list[Any] = []
    try:
        creator = _page(browser, contexts, "nl-NL", size)
        creator.goto(server)
        creator.get_by_test_id("create-title").fill("Consignatievoorraad voor de gemeente Utrecht")
        creator.get_by_test_id("create-neutral").check()
        creator.get_by_test_id("create-submit").click()
        creator.get_by_test_id("my-room-manage").click()
        dialog = creator.get_by_test_id("manage-dialog")
        dialog.get_by_test_id("manage-reissue-seller").click()
        expect(dialog.get_by_test_id("manage-confirm")).to_be_visible()
        assert_fits(creator, "links and room, creator's device (nl)")
        dialog.get_by_test_id("manage-erase-confirm").fill("Consignatievoorraad")
        assert_fits(creator, "links and room, erase typed (nl)")

        room = create_room(server, title="Consignment stock for Utrecht", neutral=True)
        neutral = RoomPage.join(
            _page(browser, contexts, "en-US", size), room["links"]["neutral"], "Nora"
        )
        RoomPage.join(_page(browser, contexts, "en-US", size), room["links"]["buyer"], "Anna")
        neutral.page.get_by_test_id("manage-open").click()
        in_room = neutral.page.get_by_test_id("manage-dialog")
        in_room.get_by_test_id("manage-reissue-buyer").click()
        expect(in_room.get_by_test_id("manage-confirm")).to_contain_text("Anna")
        anna = in_room.get_by_test_id("manage-member").filter(has_text="Anna")
        anna.get_by_test_id("manage-member-remove").click()
        expect(anna.get_by_test_id("manage-member-confirm")).to_contain_text("Remove Anna")
        assert_fits(neutral.page, "links and room, neutral (en)")
    finally:
        for context in contexts:
            context.close()
