"""Rooms, invite links, presence, language: the way in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import RoomPage, create_room

pytestmark = pytest.mark.browser


def test_room_created_on_landing_page_lets_buyer_and_seller_see_each_other(
    server: str, new_page: NewPage, join: JoinRoom
) -> None:
    landing = new_page()
    landing.goto(server + "/")
    landing.get_by_test_id("create-title").fill("Facility services 2026-2031")
    landing.get_by_test_id("create-buyer-org").fill("Gemeente Utrecht")
    landing.get_by_test_id("create-seller-org").fill("CleanCo BV")
    landing.get_by_test_id("create-currency").select_option("EUR")
    landing.get_by_test_id("create-neutral").check()
    landing.get_by_test_id("create-submit").click()

    links = {
        role: landing.get_by_test_id(f"invite-link-{role}").input_value()
        for role in ("buyer", "seller", "neutral")
    }
    for role, link in links.items():
        assert link.startswith(f"{server}/join#"), (role, link)
        expect(landing.get_by_test_id(f"enter-{role}")).to_have_attribute("href", link)
    assert len(set(links.values())) == 3

    buyer = join(links["buyer"], "Anna")
    seller = join(links["seller"], "Sem")

    # The token left the address bar; the header names the room and the role.
    assert "#" not in buyer.page.url
    expect(buyer.page.get_by_test_id("room-title")).to_have_text("Facility services 2026-2031")
    expect(buyer.page.get_by_test_id("my-role")).to_have_attribute("data-role", "buyer")
    expect(seller.page.get_by_test_id("my-role")).to_have_attribute("data-role", "seller")
    expect(seller.page.get_by_test_id("me")).to_contain_text("CleanCo BV")

    for page in (buyer.page, seller.page):
        members = page.get_by_test_id("presence-member")
        expect(members).to_have_count(2)
        expect(members.filter(has_text="Anna")).to_have_attribute("data-role", "buyer")
        expect(members.filter(has_text="Sem")).to_have_attribute("data-role", "seller")


def test_reload_rejoins_the_room_with_the_stored_invite(server: str, join: JoinRoom) -> None:
    room = create_room(server, title="Reload deal")
    buyer = join(room["links"]["buyer"], "Anna")
    item_id = buyer.add_item("Survives a reload")
    buyer.wait_settled()

    buyer.page.reload()

    buyer.expect_connected()
    expect(buyer.item(item_id).get_by_test_id("item-title")).to_have_value("Survives a reload")
    expect(buyer.page.get_by_test_id("my-role")).to_have_attribute("data-role", "buyer")


def test_invalid_invite_link_says_so_and_stops(server: str, new_page: NewPage) -> None:
    room = create_room(server, title="Forged")
    room_id = room["links"]["buyer"].split("#")[1].split(".")[0]
    page = new_page()
    page.goto(f"{server}/join#{room_id}.{'x' * 32}")
    page.get_by_test_id("join-name").fill("Mallory")
    page.get_by_test_id("join-submit").click()

    expect(page.get_by_test_id("invalid-link")).to_be_visible()
    expect(page.get_by_test_id("room")).to_have_count(0)


def test_language_switch_toggles_visible_texts_between_dutch_and_english(
    server: str, join: JoinRoom
) -> None:
    room = create_room(server, title="Taal")
    buyer = join(room["links"]["buyer"], "Anna", locale="en-GB")
    item_id = buyer.add_item("Leveringstermijn", kind="measure")
    page = buyer.page
    switch = page.get_by_test_id("lang-switch")
    add = page.get_by_test_id("add-button")
    kind = buyer.item(item_id).get_by_test_id("item-kind").locator("option:checked")

    expect(add).to_have_text("Add")
    expect(kind).to_have_text("value-creating measure")
    expect(page.get_by_test_id("conn-state")).to_have_text("Connected")

    switch.click()

    expect(switch).to_have_attribute("data-lang", "nl")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(add).to_have_text("Toevoegen")
    expect(kind).to_have_text("waardecreërende maatregel")
    expect(page.get_by_test_id("conn-state")).to_have_text("Verbonden")
    expect(page.get_by_test_id("agenda-count")).to_have_text("1 onderwerp")
    expect(buyer.item(item_id).get_by_test_id("private-panel")).to_contain_text(
        "Alleen jouw team (inkoper) ziet dit"
    )

    page.reload()  # the choice is remembered
    RoomPage(page).expect_connected()
    expect(page.get_by_test_id("add-button")).to_have_text("Toevoegen")

    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("add-button")).to_have_text("Add")
    expect(page.get_by_test_id("conn-state")).to_have_text("Connected")


def test_dutch_browser_starts_in_dutch(server: str, new_page: NewPage) -> None:
    page = new_page(locale="nl-NL")
    page.goto(server + "/")
    expect(page.get_by_test_id("create-submit")).to_have_text("Ruimte aanmaken")
    expect(page.get_by_test_id("lang-switch")).to_have_attribute("data-lang", "nl")
