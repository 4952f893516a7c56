"""Links and room: the creator's device and the neutral reissue links and erase a room in the browser.

What the people in the room see is checked on their own pages: the member
whose link was reissued is told so (and the old link opens nothing), every
page of an erased room says it was erased, and the devices stop listing it.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import create_room
from e2e.test_phone import shot
from tests.timing import timeout

pytestmark = pytest.mark.browser


def create_on_landing(
    page: Page, server: str, title: str, *, neutral: bool = False
) -> dict[str, str]:
    """Create a room with the landing page's form; the invite links it shows, by role."""
    page.goto(server)
    page.get_by_test_id("create-title").fill(title)
    if neutral:
        page.get_by_test_id("create-neutral").check()
    page.get_by_test_id("create-submit").click()
    roles = ("buyer", "seller", "neutral") if neutral else ("buyer", "seller")
    return {role: page.get_by_test_id(f"invite-link-{role}").input_value() for role in roles}


def expect_ended(page: Page, ended: str, text: str) -> None:
    box = page.get_by_test_id("invalid-link")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-ended", ended)
    expect(box).to_contain_text(text)


def listed_rooms(page: Page, server: str) -> list[str]:
    page.goto(server)
    expect(page.get_by_test_id("create-form")).to_be_visible()
    ids: list[str] = page.evaluate(
        "[...document.querySelectorAll('[data-testid=\"my-room\"]')].map((el) => el.dataset.roomId)"
    )
    return ids


def test_creator_reissues_the_seller_link_and_only_the_seller_is_disconnected(
    server: str, new_page: NewPage, join: JoinRoom
) -> None:
    creator = new_page()
    links = create_on_landing(creator, server, "Harbour cranes")
    room_id = links["seller"].split("#", 1)[1].split(".")[0]
    buyer = join(links["buyer"], "Bea")
    seller = join(links["seller"], "Sam")

    opener = creator.get_by_test_id("my-room-manage")
    opener.click()
    dialog = creator.get_by_test_id("manage-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("open", "")
    expect(dialog.get_by_role("heading", level=2)).to_have_text("Links and room: Harbour cranes")
    expect(dialog.get_by_test_id("manage-link-seller")).to_have_value(links["seller"])
    dialog.get_by_test_id("manage-reissue-seller").click()
    confirm = dialog.get_by_test_id("manage-confirm")
    expect(confirm).to_contain_text("The current link stops working at once")
    expect(confirm).to_contain_text("Everyone who joined through the current seller link")
    # The safe choice has the focus.
    expect(dialog.get_by_test_id("manage-reissue-cancel")).to_be_focused()
    shot(creator, "manage-reissue-en", "manage-dialog")
    dialog.get_by_test_id("manage-reissue-confirm").click()
    expect(dialog.get_by_test_id("manage-status")).to_contain_text("New seller link below")
    new_link = dialog.get_by_test_id("manage-link-seller").input_value()
    assert new_link != links["seller"]
    assert new_link.startswith(f"{server}/join#{room_id}.")
    expect(dialog.get_by_test_id("manage-copy-seller")).to_be_focused()

    # The seller's open page says what happened; the buyer carries on.
    expect_ended(seller.page, "revoked", "Your invite link was replaced")
    buyer.expect_connected()
    buyer.add_item("Crane maintenance")

    # Escape closes the dialog, focus goes back to the list, which keeps the new link.
    creator.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(creator.get_by_test_id("my-room-manage")).to_be_focused()
    expect(creator.get_by_test_id("my-room-link-seller")).to_have_value(new_link)
    creator.reload()
    expect(creator.get_by_test_id("my-room-link-seller")).to_have_value(new_link)

    # The new link works; the old one opens nothing.
    newcomer = join(new_link, "Sam")
    newcomer.expect_agenda_titles(["Crane maintenance"])
    stale = new_page()
    stale.goto(links["seller"])
    stale.get_by_test_id("join-name").fill("Sam")
    stale.get_by_test_id("join-submit").click()
    expect_ended(stale, "invalid", "This invite link is not valid")

    # The seller's own device no longer offers the dead link.
    assert room_id not in listed_rooms(seller.page, server)


def test_neutral_erases_the_room_after_typing_its_title(
    server: str, new_page: NewPage, join: JoinRoom
) -> None:
    room = create_room(server, title="Quarry lease", neutral=True)
    buyer = join(room["links"]["buyer"], "Bea")
    seller = join(room["links"]["seller"], "Sam", locale="nl-NL")
    neutral = join(room["links"]["neutral"], "Nia")
    expect(neutral.page.get_by_test_id("manage-open")).to_be_visible()
    # Only who may manage the room is offered to.
    for party in (buyer, seller):
        expect(party.page.get_by_test_id("manage-open")).to_be_hidden()

    opener = neutral.page.get_by_test_id("manage-open")
    opener.click()
    dialog = neutral.page.get_by_test_id("manage-dialog")
    expect(dialog).to_contain_text("Nothing is kept and it cannot be undone")
    # Inside the room the neutral knows its own link only; the others can be reissued.
    expect(dialog.get_by_test_id("manage-link-neutral")).to_have_value(
        f"{server}/join#{room['links']['neutral'].split('#', 1)[1]}"
    )
    expect(dialog.get_by_test_id("manage-unknown-buyer")).to_be_visible()
    # Who a reissue would disconnect is named.
    dialog.get_by_test_id("manage-reissue-buyer").click()
    expect(dialog.get_by_test_id("manage-confirm")).to_contain_text("Disconnected now: Bea")
    dialog.get_by_test_id("manage-reissue-cancel").click()
    expect(dialog.get_by_test_id("manage-confirm")).to_have_count(0)
    expect(dialog.get_by_test_id("manage-reissue-buyer")).to_be_focused()

    # The exports come first: the button leads to the deal sheet's downloads.
    dialog.get_by_test_id("manage-exports").click()
    expect(dialog).to_have_count(0)
    expect(neutral.page.get_by_test_id("export-json")).to_be_focused()
    opener.click()

    erase = dialog.get_by_test_id("manage-erase")
    expect(erase).to_be_disabled()
    dialog.get_by_test_id("manage-erase-confirm").fill("Quarry")
    expect(erase).to_be_disabled()
    dialog.get_by_test_id("manage-erase-confirm").fill("quarry lease")
    expect(erase).to_be_enabled()
    erase.click()

    expect_ended(neutral.page, "erased", "This room was erased")
    expect_ended(buyer.page, "erased", "Nothing of it is kept")
    expect_ended(seller.page, "erased", "Deze ruimte is gewist")
    for person in (neutral, buyer, seller):
        assert room["room_id"] not in listed_rooms(person.page, server)


def test_a_room_erased_elsewhere_is_reported_in_dutch_and_can_be_forgotten(
    server: str, new_page: NewPage
) -> None:
    creator = new_page(locale="nl-NL")
    links = create_on_landing(creator, server, "Windpark", neutral=True)
    neutral_token = links["neutral"].split("#", 1)[1]
    room_id = neutral_token.split(".")[0]
    # The neutral erases it from another device; the creator's list still shows it.
    request = urllib.request.Request(
        f"{server}/api/rooms/{room_id}",
        method="DELETE",
        headers={"Authorization": f"Bearer {neutral_token}"},
    )
    with urllib.request.urlopen(request, timeout=timeout(5)) as response:
        assert response.status == 204
    creator.reload()
    creator.get_by_test_id("my-room-manage").click()
    dialog = creator.get_by_test_id("manage-dialog")
    dialog.get_by_test_id("manage-reissue-buyer").click()
    dialog.get_by_test_id("manage-reissue-confirm").click()
    error = dialog.get_by_test_id("manage-error")
    expect(error).to_have_attribute("data-code", "unknown_room")
    expect(error).to_contain_text("Deze ruimte bestaat niet meer")
    expect(dialog.get_by_test_id("manage-link-buyer")).to_have_value(links["buyer"])
    dialog.get_by_test_id("manage-erase-confirm").fill("Windpark")
    dialog.get_by_test_id("manage-erase").click()
    expect(error).to_have_attribute("data-code", "unknown_room")
    dialog.get_by_test_id("manage-forget").click()
    expect(dialog).to_have_count(0)
    expect(creator.get_by_test_id("my-room")).to_have_count(0)
    assert json.loads(creator.evaluate("localStorage.getItem('valueroom.rooms')")) == []


def test_the_seller_cannot_manage_and_the_links_panel_needs_a_managing_token(
    server: str, join: JoinRoom
) -> None:
    room = create_room(server, title="No admin here")
    seller = join(room["links"]["seller"], "Sam")
    expect(seller.page.get_by_test_id("manage-open")).to_be_hidden()
    seller.page.goto(server)
    expect(seller.page.get_by_test_id("my-room")).to_have_count(1)
    expect(seller.page.get_by_test_id("my-room-manage")).to_have_count(0)


def test_the_neutral_reissuing_its_own_link_reopens_the_page_with_the_new_one(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Own link", neutral=True)
    neutral = join(room["links"]["neutral"], "Nia")
    neutral.page.get_by_test_id("manage-open").click()
    dialog = neutral.page.get_by_test_id("manage-dialog")
    dialog.get_by_test_id("manage-reissue-neutral").click()
    expect(dialog.get_by_test_id("manage-confirm")).to_contain_text("it reopens with the new one")
    dialog.get_by_test_id("manage-reissue-confirm").click()
    # The page reopens through the new link: the name form, then the room again.
    neutral.page.get_by_test_id("join-submit").click()
    neutral.expect_connected()
    expect(neutral.page.get_by_test_id("manage-open")).to_be_visible()
    stale = new_page()
    stale.goto(room["links"]["neutral"])
    stale.get_by_test_id("join-name").fill("Mallory")
    stale.get_by_test_id("join-submit").click()
    expect_ended(stale, "invalid", "This invite link is not valid")
