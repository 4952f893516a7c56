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


def test_creator_removes_one_buyer_from_the_links_dialog_and_the_teammate_stays(
    server: str, new_page: NewPage, join: JoinRoom
) -> None:
    creator = new_page()
    links = create_on_landing(creator, server, "Cold storage")
    bea = join(links["buyer"], "Bea")
    ben = join(links["buyer"], "Ben", locale="nl-NL")
    expect(bea.page.locator('[data-testid="presence-member"]')).to_have_count(2)

    creator.goto(server)
    creator.get_by_test_id("my-room-manage").click()
    dialog = creator.get_by_test_id("manage-dialog")
    state = dialog.get_by_test_id("manage-members-state")
    expect(state).to_have_attribute("data-state", "ready")
    expect(state).to_have_text("2 people in the room.")
    rows = dialog.get_by_test_id("manage-member")
    expect(rows).to_have_count(2)
    expect(rows.locator(".member-name")).to_have_text(["Bea", "Ben"])
    expect(rows.locator(".role-badge")).to_have_text(["buyer", "buyer"])
    # The creator is not in the room: every entry can be removed.
    expect(dialog.get_by_test_id("manage-member-remove")).to_have_count(2)

    ben_row = rows.filter(has_text="Ben")
    ben_row.get_by_test_id("manage-member-remove").click()
    confirm = ben_row.get_by_test_id("manage-member-confirm")
    expect(confirm).to_contain_text("Remove Ben (buyer) from the room?")
    expect(confirm).to_contain_text("disconnected at once")
    expect(confirm).to_contain_text("reissue the buyer link too")
    expect(ben_row.get_by_test_id("manage-member-remove-cancel")).to_be_focused()
    shot(creator, "manage-members-en", "manage-members-section")
    ben_row.get_by_test_id("manage-member-remove-cancel").click()
    expect(confirm).to_have_count(0)
    expect(ben_row.get_by_test_id("manage-member-remove")).to_be_focused()
    ben.expect_connected()

    ben_row.get_by_test_id("manage-member-remove").click()
    ben_row.get_by_test_id("manage-member-remove-yes").click()
    expect(dialog.get_by_test_id("manage-status")).to_contain_text("Ben was removed from the room")
    expect_ended(ben.page, "removed", "Je bent uit deze ruimte verwijderd")
    # The list was asked again: only Bea is left, and she carries on.
    expect(rows).to_have_count(1)
    expect(rows.locator(".member-name")).to_have_text(["Bea"])
    expect(state).to_have_text("1 person in the room.")
    expect(dialog.get_by_test_id("manage-members-refresh")).to_be_focused()
    expect(bea.page.locator('[data-testid="presence-member"]')).to_have_count(1)
    bea.expect_connected()
    bea.add_item("Defrost schedule")

    # Removing someone who already left says so, and the list catches up.
    bea_id = rows.first.get_attribute("data-member-id")
    assert bea_id
    bea.page.close()
    rows.first.get_by_test_id("manage-member-remove").click()
    dialog.get_by_test_id("manage-member-remove-yes").click()
    error = dialog.get_by_test_id("manage-error")
    expect(error).to_have_attribute("data-code", "member.unknown")
    expect(error).to_contain_text("That person is no longer in the room")
    expect(state).to_have_attribute("data-state", "empty")
    expect(state).to_have_text("No one is in the room right now.")


def test_the_members_section_says_why_it_cannot_list(server: str, new_page: NewPage) -> None:
    creator = new_page(locale="nl-NL")
    links = create_on_landing(creator, server, "Stale key")
    room_id = links["buyer"].split("#", 1)[1].split(".")[0]
    # This device's creator key no longer matches (as if copied wrongly): refused, typed.
    creator.evaluate(
        """(id) => {
            const rooms = JSON.parse(localStorage.getItem('valueroom.rooms'));
            rooms.find((r) => r.room_id === id).creator_token = id + '.wrong';
            localStorage.setItem('valueroom.rooms', JSON.stringify(rooms));
        }""",
        room_id,
    )
    creator.reload()
    creator.get_by_test_id("my-room-manage").click()
    state = creator.get_by_test_id("manage-members-state")
    expect(state).to_have_attribute("data-state", "error")
    expect(state).to_have_attribute("data-code", "not_permitted")
    expect(state).to_contain_text("Kon niet ophalen wie er is")
    expect(creator.get_by_test_id("manage-member")).to_have_count(0)


def test_forgetting_a_room_created_here_from_its_header_asks_first(
    server: str, new_page: NewPage, join: JoinRoom
) -> None:
    creator = new_page()
    links = create_on_landing(creator, server, "Kept key")
    room_id = links["seller"].split("#", 1)[1].split(".")[0]
    # The creator's own device joins as the seller: the dialog lists it, without Remove.
    sam = join(links["seller"], "Sam", page=creator)
    creator.get_by_test_id("manage-open").click()
    dialog = creator.get_by_test_id("manage-dialog")
    own = dialog.get_by_test_id("manage-member")
    expect(own).to_have_count(1)
    expect(own).to_contain_text("(you)")
    expect(dialog.get_by_test_id("manage-member-remove")).to_have_count(0)
    creator.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    forget = creator.get_by_test_id("forget-room")
    forget.click()
    question = creator.get_by_test_id("forget-room-confirm")
    expect(question).to_contain_text("Only this device holds the room's creator key")
    expect(creator.get_by_test_id("forget-room-cancel")).to_be_focused()
    shot(creator, "forget-room-en")
    creator.get_by_test_id("forget-room-cancel").click()
    expect(question).to_have_count(0)
    expect(forget).to_be_focused()
    sam.expect_connected()
    forget.click()
    creator.get_by_test_id("forget-room-yes").click()
    expect(creator.get_by_test_id("create-form")).to_be_visible()
    assert room_id not in listed_rooms(creator, server)

    # A device that only joined forgets at once: it holds no creator key.
    bea = join(links["buyer"], "Bea")
    bea.page.get_by_test_id("forget-room").click()
    expect(bea.page.get_by_test_id("create-form")).to_be_visible()
    assert room_id not in listed_rooms(bea.page, server)
