"""Amounts as people type them, per page language; the split's honest numbers in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom
from e2e.room import RoomPage, create_room, move_to_phase

pytestmark = pytest.mark.browser


def _fill(person: RoomPage, item_id: str, value: str, cost: str) -> None:
    item = person.item(item_id)
    item.get_by_test_id("figure-value").fill(value)
    item.get_by_test_id("figure-cost").fill(cost)


def test_dutch_page_reads_dutch_amounts_and_refuses_in_dutch(server: str, join: JoinRoom) -> None:
    room = create_room(server, title="Consignatie")
    buyer = join(room["links"]["buyer"], "Anna", locale="nl-NL")
    seller = join(room["links"]["seller"], "Sem", locale="nl-NL")
    stock = buyer.add_item("Consignatievoorraad", kind="measure")
    seller.expect_agenda([stock])
    move_to_phase("dividing", buyer, seller)
    item = buyer.item(stock)

    _fill(buyer, stock, "120.000", "1.234,56")
    # The page shows what it read before anything is registered.
    expect(item.get_by_test_id("figure-value-parsed")).to_have_text("gelezen als € 120.000,00")
    expect(item.get_by_test_id("figure-cost-parsed")).to_have_text("gelezen als € 1.234,56")
    expect(item.get_by_test_id("figure-status")).not_to_have_attribute("data-status", "registered")
    item.get_by_test_id("figure-save").click()
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "registered")
    assert buyer.state()["private"][stock] == {"value": 12_000_000, "cost": 123_456, "note": ""}

    # English notation on a Dutch page: refused here, in Dutch, and no "registered ✓" beside it.
    _fill(buyer, stock, "1,234.56", "0")
    item.get_by_test_id("figure-save").click()
    error = item.get_by_test_id("figure-error")
    expect(error).to_have_text("Waarde: typ een bedrag zoals 120.000 of 1.234,56.")
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "error")
    expect(item.get_by_test_id("figure-status")).not_to_contain_text("✓")
    expect(item.get_by_test_id("figure-value")).to_have_attribute("aria-invalid", "true")
    buyer.wait_settled()
    assert buyer.state()["private"][stock]["value"] == 12_000_000

    # Corrected: the error goes, the figures are registered.
    _fill(buyer, stock, "125.000,5", "0")
    item.get_by_test_id("figure-save").click()
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "registered")
    expect(error).to_be_hidden()
    assert buyer.state()["private"][stock]["value"] == 12_500_050


def test_english_page_reads_english_amounts(server: str, join: JoinRoom) -> None:
    room = create_room(server, title="Consignment")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")
    stock = buyer.add_item("Consignment stock", kind="measure")
    seller.expect_agenda([stock])
    move_to_phase("dividing", buyer, seller)
    item = buyer.item(stock)
    _fill(buyer, stock, "120,000", "1,234.56")
    expect(item.get_by_test_id("figure-value-parsed")).to_have_text("reads as €120,000.00")
    item.get_by_test_id("figure-save").click()
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "registered")
    assert buyer.state()["private"][stock] == {"value": 12_000_000, "cost": 123_456, "note": ""}

    _fill(buyer, stock, "1.234,56", "0")
    item.get_by_test_id("figure-save").click()
    expect(item.get_by_test_id("figure-error")).to_have_text(
        "Value: type an amount like 120,000 or 1,234.56."
    )
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "error")

    # Plain digits read the same on either page.
    _fill(buyer, stock, "120000", "10000")
    item.get_by_test_id("figure-save").click()
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "registered")
    assert buyer.state()["private"][stock]["value"] == 12_000_000


def test_parked_items_leave_the_split_and_destroyers_are_compared(
    server: str, join: JoinRoom
) -> None:
    room = create_room(server, title="Two measures")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")
    stock = buyer.add_item("Consignment stock", kind="measure")
    rush = buyer.add_item("Rush orders", kind="measure")
    seller.expect_agenda([stock, rush])
    move_to_phase("dividing", buyer, seller)
    buyer.register_figures(stock, "120000", "10000")
    seller.register_figures(stock, "20000", "50000")
    buyer.register_figures(rush, "1000", "0")
    # The buyer's preview makes nothing up for the seller's side of rush orders.
    pending = buyer.page.get_by_test_id("pending-item")
    expect(pending).to_have_count(2)
    expect(pending.first.get_by_test_id("pending-own")).to_have_text("your own net €110,000.00")
    expect(buyer.page.get_by_test_id("preview-total")).to_have_count(0)
    seller.register_figures(rush, "0", "5000")
    for person in (buyer, seller):
        for item_id in (stock, rush):
            person.item(item_id).get_by_test_id("consent").check()
    for person in (buyer, seller):
        page = person.page
        expect(page.get_by_test_id("split-total-net")).to_have_text("€76,000.00")
        compare = page.get_by_test_id("split-compare")
        expect(compare.get_by_test_id("compare-with").get_by_test_id("compare-net")).to_have_text(
            "€76,000.00"
        )
        without = compare.get_by_test_id("compare-without")
        expect(without.get_by_test_id("compare-net")).to_have_text("€80,000.00")
        expect(without.get_by_test_id("compare-transfer")).to_have_text(
            "Buyer pays seller €70,000.00"
        )

    # Parking the destroyer takes it out of the split, and the split says why.
    buyer.item(rush).get_by_test_id("park").click()
    for person in (buyer, seller):
        page = person.page
        expect(page.get_by_test_id("split-total-net")).to_have_text("€80,000.00")
        expect(page.get_by_test_id("split-line")).to_have_count(1)
        expect(page.get_by_test_id("split-compare")).to_be_hidden()
        excluded = page.get_by_test_id("excluded-item")
        expect(excluded).to_have_attribute("data-item-id", rush)
        expect(excluded.get_by_test_id("excluded-parked")).to_be_visible()
