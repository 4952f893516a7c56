"""Two members of the buyer's team and a neutral who removes one of them, each in their own browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import RoomPage, create_room

pytestmark = pytest.mark.browser


def presence_names(person: RoomPage) -> list[str]:
    names: list[str] = person.page.locator(
        '[data-testid="presence-member"] .member-name'
    ).all_inner_texts()
    return sorted(names)


def test_members_have_their_own_identity_and_the_neutral_removes_one(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Facility services", neutral=True)
    anna = join(room["links"]["buyer"], "Anna")
    # A teammate who types the same name gets it with a suffix, and a Dutch page.
    second = join(room["links"]["buyer"], "Anna", locale="nl-NL")
    nora = join(room["links"]["neutral"], "Nora")
    expect(second.page.get_by_test_id("me")).to_contain_text("Anna (2)")
    everyone = ["Anna", "Anna (2)", "Nora"]
    for person in (anna, second, nora):
        expect(person.page.locator('[data-testid="presence-member"]')).to_have_count(3)
        assert presence_names(person) == everyone

    # Each one's own entry says "you", and it is the same member after a reload.
    def own_entry(person: RoomPage) -> str:
        mine = person.page.locator('[data-testid="presence-member"].member-me')
        expect(mine).to_have_count(1)
        member_id = mine.get_attribute("data-member-id")
        assert member_id
        return member_id

    anna_id, second_id = own_entry(anna), own_entry(second)
    assert anna_id != second_id
    expect(anna.page.locator(".member-me .member-name")).to_have_text("Anna")
    expect(second.page.locator(".member-me .member-you")).to_have_text("(jij)")
    anna.page.reload()
    anna.expect_connected()
    assert own_entry(anna) == anna_id
    expect(anna.page.locator(".member-me .member-name")).to_have_text("Anna")
    expect(nora.page.locator('[data-testid="presence-member"]')).to_have_count(3)

    # Only the neutral may remove, and not itself.
    expect(anna.page.get_by_test_id("member-remove")).to_have_count(0)
    expect(nora.page.get_by_test_id("member-remove")).to_have_count(2)
    expect(nora.page.locator('.member-me [data-testid="member-remove"]')).to_have_count(0)

    target = nora.page.locator(f'[data-testid="presence-member"][data-member-id="{second_id}"]')
    target.get_by_test_id("member-remove").click()
    expect(target.get_by_test_id("member-confirm")).to_contain_text(
        "Remove Anna (2) from the room?"
    )
    target.get_by_test_id("member-remove-no").click()
    expect(target.get_by_test_id("member-confirm")).to_have_count(0)
    second.expect_connected()
    target.get_by_test_id("member-remove").click()
    target.get_by_test_id("member-remove-yes").click()

    # The removed browser says so in its language and forgets the room's token and key.
    removed = second.page.get_by_test_id("invalid-link")
    expect(removed).to_contain_text("Je bent uit deze ruimte verwijderd")
    expect(removed).to_have_attribute("data-ended", "removed")
    kept = second.page.evaluate(
        "(id) => Object.keys(localStorage).filter((key) => key.includes(id))", room["room_id"]
    )
    assert kept == [], kept
    assert room["room_id"] not in second.page.evaluate(
        "localStorage.getItem('valueroom.rooms') ?? ''"
    )

    # The others stay and see the team without the removed member.
    for person in (anna, nora):
        expect(person.page.locator('[data-testid="presence-member"]')).to_have_count(2)
        assert presence_names(person) == ["Anna", "Nora"]
        person.expect_connected()
    anna.add_item("Payment terms")
    nora.expect_agenda_titles(["Payment terms"])

    # Opening the link again makes a new member, never the removed one.
    again = join(room["links"]["buyer"], "Anna", page=second.page)
    assert own_entry(again) not in (second_id, anna_id)
