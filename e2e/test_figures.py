"""Private figures, two-key transparency and the live split, as each party's browser sees them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import FrameLog, create_room, move_to_phase

pytestmark = pytest.mark.browser

BUYER_VALUE = "987654.32"
BUYER_VALUE_UNITS = 98765432


def _contains(value: Any, needle: int) -> bool:
    if isinstance(value, dict):
        return any(_contains(v, needle) or _contains(k, needle) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains(v, needle) for v in value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == needle
    if isinstance(value, str):
        return "987654" in value
    return False


def test_seller_never_receives_buyer_figures_before_reveal_and_both_see_the_same_split(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Consignment deal", buyer_org="Gemeente Utrecht")
    buyer = join(room["links"]["buyer"], "Anna")
    seller_page = new_page()
    seller_frames = FrameLog(seller_page)
    seller = join(room["links"]["seller"], "Sem", page=seller_page)
    stock = buyer.add_item("Consignment stock at the buyer's site", kind="measure")
    seller.expect_agenda([stock])
    move_to_phase("dividing", seller, buyer)

    # Private panels are labelled as such, per party.
    expect(buyer.item(stock).get_by_test_id("private-panel")).to_contain_text(
        "Only your team (buyer · Gemeente Utrecht) sees this"
    )
    expect(seller.item(stock).get_by_test_id("consent")).to_be_disabled()

    buyer.register_figures(stock, BUYER_VALUE, "1000")
    seller.register_figures(stock, "5000", "20000")
    buyer.item(stock).get_by_test_id("consent").check()
    expect(seller.item(stock).get_by_test_id("consent-state")).to_have_text(
        "you: not yet · buyer: consented"
    )
    buyer.wait_settled()
    seller.wait_settled()
    # The buyer's consent was its last command: every frame the server queued
    # for the seller before it has arrived once the seller has that event.
    seller_frames.wait_for(
        seller.page,
        lambda: any(
            e["data"].get("party") == "buyer" for e in seller_frames.events("consent.changed")
        ),
    )

    # Before the reveal: not one byte of the buyer's figures reached the seller's page.
    assert seller_frames.frames, "the frame capture saw nothing"
    leaked = [f for f in seller_frames.frames if _contains(f, BUYER_VALUE_UNITS)]
    assert not leaked, leaked
    assert not any(b"987654" in raw for raw in seller_frames.raw)
    seller_text = seller.page.locator("body").inner_text()
    for shown in ("987654", "987.654", "987,654"):
        assert shown not in seller_text
    for units in (1000_00, 98765432):
        assert units not in [f["data"].get("value") for f in seller_frames.events()]
    expect(seller.page.get_by_test_id("split-line")).to_have_count(0)
    expect(seller.page.get_by_test_id("excluded-item")).to_have_text(
        ["Consignment stock at the buyer's site"]
    )
    # The seller's private preview states its own net and makes nothing up for the buyer's side.
    expect(seller.page.get_by_test_id("preview-line")).to_have_count(0)
    pending = seller.page.get_by_test_id("pending-item")
    expect(pending).to_have_attribute("data-item-id", stock)
    expect(pending.get_by_test_id("pending-depends")).to_have_text("depends on the other side")
    expect(seller.page.get_by_test_id("preview-total")).to_have_count(0)

    # Second key: both sides are revealed at once; both pages show the same split.
    seller.item(stock).get_by_test_id("consent").check()
    # own: buyer 986,654.32, seller -15,000.00 → created 971,654.32, halves 485,827.16;
    # the buyer pays the seller 986,654.32 - 485,827.16 = 500,827.16.
    for person in (buyer, seller):
        page = person.page
        expect(page.get_by_test_id("split-total-net")).to_have_text("€971,654.32")
        expect(page.get_by_test_id("split-total-transfer")).to_have_text(
            "Buyer pays seller €500,827.16"
        )
        line = page.get_by_test_id("split-line")
        expect(line).to_have_attribute("data-item-id", stock)
        expect(line.get_by_test_id("line-fair-buyer")).to_have_text("½ €485,827.16")
        expect(page.get_by_test_id("excluded-item")).to_have_count(0)
        expect(person.item(stock).get_by_test_id("revealed-value")).to_have_text(
            ["€987,654.32", "€5,000.00"]
        )
    shared = '[data-testid="split-line"], [data-testid="split-total"]'
    assert (
        buyer.page.locator(shared).all_inner_texts()
        == seller.page.locator(shared).all_inner_texts()
    )


def test_changes_after_reveal_are_public_and_marked_and_value_destroyers_are_flagged(
    server: str, join: JoinRoom
) -> None:
    room = create_room(server, title="Weekend deliveries")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")
    weekend = buyer.add_item("Weekend deliveries", kind="measure")
    seller.expect_agenda([weekend])
    move_to_phase("dividing", buyer, seller)
    buyer.register_figures(weekend, "3000", "0")
    seller.register_figures(weekend, "1000", "3000")
    for person in (buyer, seller):
        person.item(weekend).get_by_test_id("consent").check()
    expect(buyer.page.get_by_test_id("split-total-net")).to_have_text("€1,000.00")

    # The seller finds its real cost is higher: the change is public and marked,
    # and the item now destroys value.
    seller.register_figures(weekend, "1000", "6000")
    revision = buyer.item(weekend).get_by_test_id("revision")
    expect(revision).to_have_attribute("data-party", "seller")
    expect(revision).to_contain_text("€3,000.00 → €6,000.00")
    for person in (buyer, seller):
        page = person.page
        expect(page.get_by_test_id("split-total-net")).to_have_text("-€2,000.00")
        expect(page.get_by_test_id("split-line")).to_have_attribute("data-destroys", "true")
        expect(page.get_by_test_id("split-line").get_by_test_id("value-destroyer")).to_be_visible()
        expect(person.item(weekend).get_by_test_id("item-destroys-value")).to_be_visible()


def test_refused_figure_is_shown_next_to_the_field(server: str, join: JoinRoom) -> None:
    room = create_room(server, title="Typos")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")
    move_to_phase("exploring", buyer, seller)
    item = buyer.add_item("Price indexation")
    panel = buyer.item(item)
    panel.get_by_test_id("figure-value").fill("12.345")
    panel.get_by_test_id("figure-cost").fill("0")
    panel.get_by_test_id("figure-save").click()

    expect(panel.get_by_test_id("figure-error")).to_contain_text(
        "Value has more than 2 decimal places"
    )
    expect(panel.get_by_test_id("figure-value")).to_have_attribute("aria-invalid", "true")
    expect(panel.get_by_test_id("figure-value")).to_have_value("12.345")  # kept for correcting
    expect(panel.get_by_test_id("consent")).to_be_disabled()

    panel.get_by_test_id("figure-value").fill("12.34")
    panel.get_by_test_id("figure-save").click()
    expect(panel.get_by_test_id("figure-status")).to_have_attribute("data-status", "registered")
    expect(panel.get_by_test_id("figure-error")).to_be_hidden()
    expect(panel.get_by_test_id("consent")).to_be_enabled()
