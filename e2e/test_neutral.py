"""The neutral third party with three browsers: buyer, seller and neutral, each in its own context."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import FrameLog, RoomPage, create_room, move_to_phase

pytestmark = pytest.mark.browser

# Distinct amounts, so a leak cannot hide behind a coincidence.
BUYER_VALUE, BUYER_COST = "123456.78", "10000.01"  # 12_345_678 and 1_000_001 cents
SELLER_VALUE, SELLER_COST = "20000.03", "50000.05"  # 2_000_003 and 5_000_005 cents
CAUCUS_TEXT = "Our cost is mostly transport to the depot"
CAUCUS_NOTE = "To check: the depot's transport invoices"


def _ints(value: Any) -> set[int]:
    if isinstance(value, dict):
        return {i for v in value.values() for i in _ints(v)}
    if isinstance(value, list):
        return {i for v in value for i in _ints(v)}
    if isinstance(value, int) and not isinstance(value, bool):
        return {value}
    return set()


def _texts(frames: list[Any]) -> str:
    return repr(frames)


def test_neutral_moderates_a_caucus_and_attests_a_split_under_seal(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(
        server,
        title="Facility services",
        buyer_org="Gemeente",
        seller_org="Schoon BV",
        neutral=True,
    )
    buyer_page = new_page()
    buyer_frames = FrameLog(buyer_page)
    buyer = join(room["links"]["buyer"], "Anna", page=buyer_page)
    seller_page = new_page()
    seller_frames = FrameLog(seller_page)
    seller = join(room["links"]["seller"], "Sem", page=seller_page)
    neutral = join(room["links"]["neutral"], "Nora")

    # Everyone sees the phase and what it is for; only the neutral moves it.
    for person in (buyer, seller, neutral):
        expect(person.page.get_by_test_id("phase")).to_have_attribute("data-phase", "preparation")
        expect(person.page.get_by_test_id("phase-purpose")).to_contain_text("prepares on its own")
    step = '[data-testid="phase-step"][data-phase="opening"]'
    expect(buyer.page.locator(step)).to_be_disabled()
    expect(buyer.page.get_by_test_id("phase-how")).to_have_text(
        "The neutral party moves the room from phase to phase."
    )
    stock = buyer.add_item("Consignment stock at the buyer's site", kind="measure")
    seller.expect_agenda([stock])
    move_to_phase("exploring", neutral)
    for person in (buyer, seller):
        expect(person.page.get_by_test_id("phase")).to_have_attribute("data-phase", "exploring")
        expect(person.page.get_by_test_id("phase-name")).to_have_text("Exploring")

    # The lock: the buyer adds an item while offline, the neutral locks the
    # agenda meanwhile; back online, the server refuses the add and the page shows the lock.
    buyer.page.evaluate("valueroom.disconnect({hold: true})")
    expect(buyer.conn).to_have_attribute("data-state", "offline")
    neutral.page.get_by_test_id("lock-toggle").click()
    expect(seller.page.get_by_test_id("agenda-lock")).to_have_attribute("data-locked", "true")
    buyer.page.get_by_test_id("add-title").fill("Late idea")
    buyer.page.get_by_test_id("add-button").click()
    buyer.page.evaluate("valueroom.reconnect()")
    buyer.expect_connected()
    toast = buyer.page.get_by_test_id("toast")
    expect(toast).to_have_attribute("data-code", "not_permitted")
    expect(toast).to_contain_text("locked the agenda")
    buyer.wait_settled()
    buyer.expect_agenda([stock])
    expect(buyer.page.get_by_test_id("agenda-lock")).to_have_attribute("data-locked", "true")
    expect(buyer.page.get_by_test_id("agenda-locked-note")).to_be_visible()
    expect(buyer.page.get_by_test_id("add-button")).to_be_disabled()
    neutral.page.get_by_test_id("lock-toggle").click()
    expect(buyer.page.get_by_test_id("add-button")).to_be_enabled()

    # A round timer and a process note, seen by both parties.
    neutral.page.get_by_test_id("timer-minutes").fill("5")
    neutral.page.get_by_test_id("timer-label").fill("Round 1")
    neutral.page.get_by_test_id("timer-start").click()
    expect(seller.page.get_by_test_id("timer-remaining")).to_contain_text("Round 1: 4:5")
    neutral.page.get_by_test_id("note-new").fill("Listen first, then ask")
    neutral.page.get_by_test_id("note-add").click()
    expect(buyer.page.get_by_test_id("note-shown")).to_have_text("Listen first, then ask")

    # A caucus: the buyer and the neutral talk; the seller sees only that it happens.
    buyer_thread = buyer.page.locator('[data-testid="caucus-thread"][data-party="buyer"]')
    buyer_thread.get_by_test_id("caucus-toggle").click()
    expect(seller.page.get_by_test_id("caucus-indicator")).to_have_text(
        "The neutral party is in a caucus with the buyer."
    )
    buyer_thread.get_by_test_id("caucus-text").fill(CAUCUS_TEXT)
    buyer_thread.get_by_test_id("caucus-send").click()
    neutral_thread = neutral.page.locator('[data-testid="caucus-thread"][data-party="buyer"]')
    expect(neutral_thread.get_by_test_id("caucus-message")).to_contain_text(CAUCUS_TEXT)
    neutral_thread.get_by_test_id("caucus-text").fill("Please share your figures under seal")
    neutral_thread.get_by_test_id("caucus-send").click()
    expect(buyer_thread.get_by_test_id("caucus-message")).to_have_count(2)
    expect(seller.page.locator('[data-testid="caucus-thread"][data-party="buyer"]')).to_have_count(
        0
    )
    # The caucus's shared note: kept by the neutral and the buyer, never seen by the seller.
    neutral_thread.get_by_test_id("caucus-note").fill(CAUCUS_NOTE)
    neutral_thread.get_by_test_id("caucus-note-save").click()
    expect(buyer_thread.get_by_test_id("caucus-note")).to_have_value(CAUCUS_NOTE)

    # Sealing: both register and share with the neutral only, while dividing.
    move_to_phase("dividing", neutral)
    buyer.register_figures(stock, BUYER_VALUE, BUYER_COST)
    seller.register_figures(stock, SELLER_VALUE, SELLER_COST)
    for person in (buyer, seller):
        person.item(stock).get_by_test_id("seal-share").click()
        expect(person.item(stock).get_by_test_id("seal")).to_have_attribute("data-status", "shared")
    desk = neutral.page.locator(f'[data-testid="sealed-item"][data-item-id="{stock}"]')
    for party, value in (("buyer", "€123,456.78"), ("seller", "€20,000.03")):
        figures = desk.locator(f'[data-testid="sealed-figures"][data-party="{party}"]')
        expect(figures.get_by_test_id("sealed-values")).to_contain_text(value)
        figures.get_by_test_id("seal-comment-input").fill(f"Checked the {party}'s invoices")
        figures.get_by_test_id("seal-verify").click()
        expect(figures).to_have_attribute("data-status", "verified")
    expect(buyer.item(stock).get_by_test_id("seal")).to_have_attribute("data-status", "verified")
    expect(buyer.item(stock).get_by_test_id("seal-comment")).to_contain_text("invoices")

    # The neutral puts the item into the split under seal: net, halves and
    # transfer for both parties, never the other side's value or cost.
    desk.get_by_test_id("seal-attest").click()
    expect(desk.get_by_test_id("sealed-attested")).to_be_visible()
    for person in (buyer, seller):
        page = person.page
        line = page.get_by_test_id("split-line")
        expect(line).to_have_attribute("data-sealed", "true")
        expect(line.get_by_test_id("sealed-badge")).to_be_visible()
        expect(page.get_by_test_id("split-total-net")).to_have_text("€83,456.75")
        expect(page.get_by_test_id("split-total-transfer")).to_have_text(
            "Buyer pays seller €71,728.40"
        )
        expect(page.get_by_test_id("split-sealed-note")).to_contain_text(
            "never its value or its cost separately"
        )
    expect(seller.item(stock).get_by_test_id("seal-in-split")).to_be_visible()

    # The owner's access log: what the neutral received, and when.
    entries = buyer.item(stock).get_by_test_id("access-entry")
    expect(entries.first).to_contain_text("Nora received version 1")
    buyer.wait_settled()
    seller.wait_settled()

    # Nothing of one side's figures or caucus reached the other side's browser.
    assert not _ints(seller_frames.frames) & {12_345_678, 1_000_001}
    assert not _ints(buyer_frames.frames) & {2_000_003, 5_000_005}
    assert CAUCUS_TEXT not in _texts(seller_frames.frames)
    assert CAUCUS_NOTE not in _texts(seller_frames.frames)
    seller_text = seller.page.locator("body").inner_text()
    for shown in ("123,456.78", "123.456,78", "10,000.01", CAUCUS_TEXT):
        assert shown not in seller_text
    seller_log = [f["data"]["party"] for f in seller_frames.events("seal.accessed")]
    assert seller_log, "the seller's own access log reached it"
    assert set(seller_log) == {"seller"}, "the buyer's access log reached the seller"


def test_protected_item_is_withdrawn_with_both_keys_and_restored(
    server: str, join: JoinRoom
) -> None:
    room = create_room(server, title="Withdrawal")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")
    move_to_phase("exploring", buyer, seller)
    expect(buyer.page.get_by_test_id("phase-name")).to_have_text("Exploring")
    item = buyer.add_item("Exclusive supply")
    seller.expect_agenda([item])
    seller.item(item).get_by_test_id("agree").click()
    # Agreed by one party: protected, so no delete button, only a two-key withdrawal.
    expect(buyer.item(item).get_by_test_id("delete")).to_be_hidden()
    expect(buyer.item(item).get_by_test_id("item-protected")).to_contain_text("Protected (agreed)")
    buyer.item(item).get_by_test_id("withdraw").click()
    expect(seller.item(item).get_by_test_id("withdrawal-state")).to_have_text(
        "The buyer asks to withdraw this item."
    )
    expect(seller.item(item).get_by_test_id("withdraw")).to_have_text("Agree to withdraw")
    seller.item(item).get_by_test_id("withdraw").click()
    for person in (buyer, seller):
        person.expect_agenda([])
        removed = person.page.get_by_test_id("removed-item")
        expect(removed).to_have_attribute("data-removed", "withdrawn")
    seller.page.get_by_test_id("restore").click()
    for person in (buyer, seller):
        person.expect_agenda([item])
        expect(person.item(item).get_by_test_id("agreed-seller")).to_have_attribute(
            "data-agreed", "true"
        )


def test_the_phase_bar_speaks_dutch(server: str, join: JoinRoom) -> None:
    room = create_room(server, title="Taal", neutral=True)
    neutral: RoomPage = join(room["links"]["neutral"], "Nora", locale="nl-NL")
    expect(neutral.page.get_by_test_id("phase-name")).to_have_text("Voorbereiding")
    move_to_phase("opening", neutral)
    expect(neutral.page.get_by_test_id("phase-purpose")).to_contain_text(
        "zijn wij voldoende waardevol voor elkaar?"
    )
    expect(neutral.page.get_by_test_id("lock-toggle")).to_have_text("Agenda vergrendelen")
