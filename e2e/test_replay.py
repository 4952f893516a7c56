"""Replay in the browser: three people play a session, then each scrubs it as their role saw it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import WAIT_MS, FrameLog, RoomPage, create_room, move_to_phase
from valueroom import verify_export

pytestmark = pytest.mark.browser

BUYER_VALUE = "987654.32"
BUYER_SHOWN = ("987,654", "987.654", "987654")
CAUCUS_TEXT = "Our walk-away point stays between us"


def open_replay(person: RoomPage) -> Page:
    page = person.page
    page.get_by_test_id("replay-open").click()
    expect(page.get_by_test_id("replay-status")).to_have_attribute(
        "data-state", "ready", timeout=WAIT_MS
    )
    expect(page.get_by_test_id("room")).to_be_hidden()
    return page


def position_of(page: Page, name: str, nth: int = 0) -> int:
    entries = page.locator(f'[data-testid="replay-entry"][data-name="{name}"]')
    return int(entries.nth(nth).get_attribute("data-position") or "0")


def scrub(page: Page, position: int) -> None:
    page.get_by_test_id("replay-scrubber").evaluate(
        "(el, n) => { el.value = String(n); el.dispatchEvent(new Event('input')); }", position
    )
    expect(page.get_by_test_id("replay")).to_have_attribute("data-position", str(position))


def replay_text(page: Page) -> str:
    return page.get_by_test_id("replay").inner_text()


def test_each_role_replays_the_session_as_it_saw_it(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Consignment deal", neutral=True)
    buyer = join(room["links"]["buyer"], "Anna")
    seller_page = new_page()
    seller_frames = FrameLog(seller_page)
    seller = join(room["links"]["seller"], "Sem", page=seller_page)
    neutral = join(room["links"]["neutral"], "Noor", locale="nl-NL")
    stock = buyer.add_item("Consignment stock", kind="measure")
    seller.expect_agenda([stock])
    move_to_phase("dividing", neutral)
    thread = buyer.page.locator('[data-testid="caucus-thread"][data-party="buyer"]')
    thread.get_by_test_id("caucus-toggle").click()
    thread.get_by_test_id("caucus-text").fill(CAUCUS_TEXT)
    thread.get_by_test_id("caucus-send").click()
    neutral_thread = neutral.page.locator('[data-testid="caucus-thread"][data-party="buyer"]')
    expect(neutral_thread.get_by_test_id("caucus-message")).to_contain_text(CAUCUS_TEXT)
    buyer.register_figures(stock, BUYER_VALUE, "1000")
    seller.register_figures(stock, "5000", "20000")
    buyer.item(stock).get_by_test_id("consent").check()
    buyer.wait_settled()
    seller.item(stock).get_by_test_id("consent").check()
    for person in (buyer, seller, neutral):
        expect(person.item(stock).get_by_test_id("revealed-value")).to_have_count(2)
    # The replay is for afterwards too: the room is closed (read-only) first.
    move_to_phase("closed", neutral)
    for person in (buyer, seller):
        expect(person.page.get_by_test_id("phase")).to_have_attribute("data-phase", "closed")

    moments: dict[str, dict[str, int]] = {}
    for role, person in (("buyer", buyer), ("seller", seller), ("neutral", neutral)):
        page = open_replay(person)
        moments[role] = {
            "added": position_of(page, "item.added"),
            "consented": position_of(page, "consent.changed"),
            "revealed": position_of(page, "item.revealed"),
        }
        assert 0 < moments[role]["added"] < moments[role]["consented"] < moments[role]["revealed"]
        expect(page.get_by_test_id("replay")).to_have_attribute(
            "data-position", page.get_by_test_id("replay-status").get_attribute("data-count") or ""
        )
        expect(page.get_by_test_id("replay-phase")).to_have_attribute("data-phase", "closed")
        kinds = page.get_by_test_id("replay-landmark").evaluate_all(
            "(els) => els.map((el) => el.dataset.kind)"
        )
        assert kinds == ["phase", "reveal", "closed"], kinds

    # Moment 1: the item was just added, in preparation; nobody has figures yet.
    for role, person in (("buyer", buyer), ("seller", seller), ("neutral", neutral)):
        page = person.page
        scrub(page, moments[role]["added"])
        expect(page.get_by_test_id("replay-item-title")).to_have_text(["Consignment stock"])
        expect(page.get_by_test_id("replay-phase")).to_have_attribute("data-phase", "preparation")
        expect(page.get_by_test_id("replay-own-figures")).to_have_count(0)
        expect(page.locator('[data-testid="replay-actor"][data-current="true"]')).to_have_attribute(
            "data-role", "buyer"
        )

    # Moment 2: the buyer consented, nothing is revealed: each party sees only its own figures.
    for role, person in (("buyer", buyer), ("seller", seller), ("neutral", neutral)):
        page = person.page
        scrub(page, moments[role]["consented"])
        expect(page.get_by_test_id("replay-phase")).to_have_attribute("data-phase", "dividing")
        expect(page.get_by_test_id("replay-revealed")).to_have_count(0)
        expect(page.get_by_test_id("replay-split-line")).to_have_count(0)
    expect(buyer.page.get_by_test_id("replay-own-figures")).to_have_text(
        ["Your figures: value €987,654.32, cost €1,000.00"]
    )
    expect(seller.page.get_by_test_id("replay-own-figures")).to_have_text(
        ["Your figures: value €5,000.00, cost €20,000.00"]
    )
    expect(neutral.page.get_by_test_id("replay-own-figures")).to_have_count(0)

    # The seller never sees the buyer's figures at any moment before the reveal.
    for position in range(1, moments["seller"]["revealed"]):
        scrub(seller.page, position)
        text = replay_text(seller.page)
        assert not any(shown in text for shown in BUYER_SHOWN), (position, text)
        assert CAUCUS_TEXT not in text

    # Moment 3: the reveal, reached through its landmark: both sides and the split, for everyone.
    for role, person in (("buyer", buyer), ("seller", seller), ("neutral", neutral)):
        page = person.page
        page.locator('[data-testid="replay-landmark"][data-kind="reveal"]').click()
        expect(page.get_by_test_id("replay")).to_have_attribute(
            "data-position", str(moments[role]["revealed"])
        )
        expect(page.get_by_test_id("replay-revealed")).to_have_count(2)
        expect(page.get_by_test_id("replay-split-line")).to_have_count(1)
    lines = [p.page.get_by_test_id("replay-split").inner_text() for p in (buyer, seller)]
    assert lines[0] == lines[1]
    assert "971,654.32" in lines[0]
    assert "500,827.16" in lines[0]

    # The buyer's caucus: in the buyer's and the neutral's replay, nowhere in the seller's.
    for person in (buyer, neutral):
        expect(person.page.get_by_test_id("replay-message")).to_have_text([f"Anna: {CAUCUS_TEXT}"])
    assert CAUCUS_TEXT not in replay_text(seller.page)
    expect(seller.page.get_by_test_id("replay-message")).to_have_count(0)

    # Steps, the time scrubber and the filters move through the same timeline.
    page = buyer.page
    scrub(page, moments["buyer"]["consented"])
    page.get_by_test_id("replay-step").click()
    expect(page.get_by_test_id("replay")).to_have_attribute(
        "data-position", str(moments["buyer"]["consented"] + 1)
    )
    page.get_by_test_id("replay-step-back").click()
    expect(page.get_by_test_id("replay")).to_have_attribute(
        "data-position", str(moments["buyer"]["consented"])
    )
    page.get_by_test_id("replay-time").evaluate(
        "(el) => { el.value = el.min; el.dispatchEvent(new Event('input')); }"
    )
    expect(page.get_by_test_id("replay")).to_have_attribute("data-position", "1")
    page.locator('[data-testid="replay-filter"][data-kind="agenda"]').uncheck()
    expect(page.locator('[data-testid="replay-entry"][data-kind="agenda"]')).to_have_count(0)
    expect(
        page.locator('[data-testid="replay-entry"][data-kind="transparency"]').first
    ).to_be_visible()

    # Play at 16 times the pace: from the first event to the last, then it stops by itself.
    page.get_by_test_id("replay-speed").select_option("16")
    page.get_by_test_id("replay-play").click()
    expect(page.get_by_test_id("replay")).to_have_attribute(
        "data-position", page.get_by_test_id("replay-status").get_attribute("data-count") or ""
    )
    expect(page.get_by_test_id("replay-play")).to_have_text("Play")

    # The neutral's page speaks Dutch.
    expect(neutral.page.get_by_test_id("replay-timeline")).to_contain_text(
        "voegde „Consignment stock” toe"
    )

    # Each role checks its own chain, and its download verifies offline.
    for role, person in (("buyer", buyer), ("seller", seller), ("neutral", neutral)):
        page = person.page
        page.get_by_test_id("replay-verify").click()
        expect(page.get_by_test_id("replay-verify-result")).to_have_attribute("data-ok", "true")
        with page.expect_download() as download:
            page.get_by_test_id("replay-export").click()
        path = download.value.path()
        lines = path.read_text(encoding="utf-8").splitlines()
        count, problem = verify_export.check(lines)
        assert problem is None, problem
        assert count == int(page.get_by_test_id("replay-status").get_attribute("data-count") or 0)
        text = "\n".join(lines)
        registered = [
            json.loads(line)["event"]["data"]["party"]
            for line in lines[1:]
            if '"figures.registered"' in line
        ]
        assert registered == ([] if role == "neutral" else [role])
        if role == "seller":
            # Only the reveal carries the buyer's figures to the seller.
            assert text.count("98765432") == 1

    # The seller's frames, replay pages included, never held the buyer's registration.
    assert seller_frames.of_type("history")
    assert not any(
        e["name"] == "figures.registered" and e["data"]["value"] == 98765432
        for f in seller_frames.of_type("history")
        for e in f["events"]
    )

    # Back to the live room.
    buyer.page.get_by_test_id("replay-close").click()
    expect(buyer.page.get_by_test_id("room")).to_be_visible()
