"""Links that stay: the device remembers the rooms it created and joined, with their links."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import create_room

pytestmark = pytest.mark.browser


def test_created_rooms_keep_their_links_and_a_second_create_asks_first(
    server: str, new_page: NewPage
) -> None:
    page = new_page()
    page.goto(server)
    expect(page.get_by_test_id("my-rooms")).to_be_hidden()
    page.get_by_test_id("create-title").fill("Facility services")
    page.get_by_test_id("create-neutral").check()
    page.get_by_test_id("create-submit").click()
    links = {
        role: page.get_by_test_id(f"invite-link-{role}").input_value()
        for role in ("buyer", "seller", "neutral")
    }
    assert all("/join#" in link for link in links.values())

    # A second click asks first, and Cancel creates nothing.
    page.get_by_test_id("create-submit").click()
    again = page.get_by_test_id("create-again")
    expect(again).to_contain_text("You already created “Facility services” on this page.")
    page.get_by_test_id("create-again-no").click()
    expect(again).to_be_hidden()
    expect(page.get_by_test_id("my-room")).to_have_count(1)

    # After a reload the links are still here, every one of them can be copied again.
    page.reload()
    room = page.get_by_test_id("my-room")
    expect(room).to_have_count(1)
    expect(room.locator(".my-room-title")).to_have_text("Facility services")
    for role, link in links.items():
        expect(room.get_by_test_id(f"my-room-link-{role}")).to_have_value(link)
        expect(room.get_by_test_id(f"my-room-open-{role}")).to_have_attribute("href", link)
    room.get_by_test_id("my-room-copy-seller").click()
    expect(page.get_by_test_id("toast").last).to_contain_text("Link")

    # Confirmed, a second room is created and listed first.
    page.get_by_test_id("create-title").fill("Second deal")
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("invites")).to_be_visible()
    page.get_by_test_id("create-title").fill("Third deal")
    page.get_by_test_id("create-submit").click()
    page.get_by_test_id("create-again-yes").click()
    expect(page.get_by_test_id("my-room")).to_have_count(3)
    expect(page.get_by_test_id("my-room").first.locator(".my-room-title")).to_have_text(
        "Third deal"
    )
    # Created here: forgetting would lose the creator key, so it asks first.
    page.get_by_test_id("my-room").first.get_by_test_id("my-room-forget").click()
    expect(page.get_by_test_id("my-room-forget-confirm")).to_contain_text("creator key")
    page.get_by_test_id("my-room-forget-cancel").click()
    expect(page.get_by_test_id("my-room")).to_have_count(3)
    page.get_by_test_id("my-room").first.get_by_test_id("my-room-forget").click()
    page.get_by_test_id("my-room-forget-yes").click()
    expect(page.get_by_test_id("my-room")).to_have_count(2)


def test_joined_rooms_are_listed_with_the_role_and_link(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Joined deal")
    page = new_page(locale="nl-NL")
    join(room["links"]["seller"], "Sem", page=page, locale="nl-NL")
    page.goto(server)
    listed = page.get_by_test_id("my-room")
    expect(listed).to_have_count(1)
    expect(listed).to_have_attribute("data-room-id", room["room_id"])
    expect(listed.locator(".my-room-title")).to_have_text("Joined deal")
    expect(listed.get_by_test_id("my-room-link-seller")).to_have_value(room["links"]["seller"])
    expect(listed.get_by_test_id("my-room-link-buyer")).to_have_count(0)
    # Joined, not created: nothing to hand out, so no copy buttons.
    expect(listed.get_by_test_id("my-room-copy-seller")).to_have_count(0)
    expect(page.get_by_test_id("my-rooms")).to_contain_text("Jouw ruimtes op dit apparaat")
