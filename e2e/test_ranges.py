"""Uncertain figures in the browser: a range typed in Dutch amounts, kept private, then its sensitivity.

The buyer (a Dutch page) opens the range of its figures and types the ends
as Dutch people write amounts; the seller (an English page) never sees them
until both consent; then both see the split at the low and the high end,
per item and in total, on a desktop and at phone width, with no axe finding.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom
from e2e.room import create_room, move_to_phase
from e2e.test_a11y import assert_clean
from e2e.test_phone import assert_fits, shot

pytestmark = pytest.mark.browser

DASH = "\u2013"  # the en dash between the ends of a range


def test_range_in_dutch_amounts_stays_private_until_the_reveal_then_shows_sensitivity(
    server: str, join: JoinRoom
) -> None:
    room = create_room(server, title="Consignatie")
    buyer = join(room["links"]["buyer"], "Anna", locale="nl-NL")
    seller = join(room["links"]["seller"], "Sem")
    stock = buyer.add_item("Consignatievoorraad", kind="measure")
    seller.expect_agenda([stock])
    move_to_phase("dividing", buyer, seller)

    item = buyer.item(stock)
    item.get_by_test_id("figure-value").fill("120.000")
    item.get_by_test_id("figure-cost").fill("10.000")
    range_box = item.get_by_test_id("figure-range")
    range_box.get_by_test_id("figure-range-toggle").click()
    item.get_by_test_id("figure-value-low").fill("100.000")
    item.get_by_test_id("figure-value-high").fill("131.234,56")
    item.get_by_test_id("figure-cost-high").fill("15.000")
    expect(item.get_by_test_id("figure-value-high-parsed")).to_have_text("gelezen als € 131.234,56")
    item.get_by_test_id("figure-save").click()
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "registered")
    assert buyer.state()["private"][stock]["range"] == {
        "value_low": 10_000_000,
        "value_high": 13_123_456,
        "cost_low": 1_000_000,
        "cost_high": 1_500_000,
    }
    # The buyer's own preview: its own net as a range, nothing made up for the seller.
    pending = buyer.page.get_by_test_id("pending-item")
    expect(pending.get_by_test_id("pending-range")).to_have_text(
        "je eigen netto tussen € 85.000,00 en € 121.234,56"
    )

    # A low end above the figure: refused on the Dutch page, in Dutch, in its field.
    item.get_by_test_id("figure-cost-low").fill("10.000,01")
    item.get_by_test_id("figure-save").click()
    expect(item.get_by_test_id("figure-error")).to_have_text(
        "Kosten, laag mag niet hoger zijn dan het cijfer zelf."
    )
    expect(item.get_by_test_id("figure-cost-low")).to_have_attribute("aria-invalid", "true")
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "error")
    item.get_by_test_id("figure-cost-low").fill("")
    item.get_by_test_id("figure-save").click()
    expect(item.get_by_test_id("figure-status")).to_have_attribute("data-status", "registered")
    assert_clean(buyer.page, "figures with an open range (nl)")
    shot(buyer.page, "range-nl", "private-panel")

    seller.register_figures(stock, "20000", "50000")
    seller.item(stock).get_by_test_id("consent").check()
    seller.wait_settled()
    # Until the reveal the seller's page holds nothing of the buyer's range.
    assert "range" not in str(seller.state())
    expect(seller.page.get_by_test_id("line-range")).to_have_count(0)

    buyer.item(stock).get_by_test_id("consent").check()
    expected = {
        buyer: (
            f"(€ 55.000,00 {DASH} € 91.234,56)",
            f"€ 55.000,00 {DASH} € 91.234,56",
            "€ 80.000,00",
        ),
        seller: (f"(€55,000.00 {DASH} €91,234.56)", f"€55,000.00 {DASH} €91,234.56", "€80,000.00"),
    }
    for person, (line_text, total_text, net_text) in expected.items():
        page = person.page
        # The split itself is the expected one; the range is beside it.
        expect(page.get_by_test_id("split-total-net")).to_have_text(net_text)
        line = page.get_by_test_id("split-line")
        expect(line.get_by_test_id("line-range")).to_have_text(line_text)
        expect(page.get_by_test_id("split-total").get_by_test_id("line-range")).to_have_text(
            line_text
        )
        expect(page.get_by_test_id("split-total-range")).to_have_text(total_text)
        expect(page.get_by_test_id("split-range-settlement")).to_be_visible()
        revealed = person.item(stock).get_by_test_id("revealed-value-range")
        expect(revealed).to_have_count(1)
    expect(seller.page.get_by_test_id("split-range-settlement")).to_have_text(
        "Settlement, low end: Buyer pays seller €57,500.00 · high end: Buyer pays seller €75,617.28"
    )
    # The deal sheet, the same document for both, carries the sensitivity too.
    expect(seller.page.get_by_test_id("deal-range").first).to_have_text(
        f"(€55,000.00 {DASH} €91,234.56)"
    )
    expect(seller.item(stock).get_by_test_id("revealed-value-range")).to_have_text(
        f"€100,000.00 {DASH} €131,234.56"
    )
    for name, person in (("nl", buyer), ("en", seller)):
        assert_clean(person.page, f"split with sensitivity ({name})")
        person.page.set_viewport_size({"width": 390, "height": 844})
        expect(person.page.get_by_test_id("split-total-range")).to_be_visible()
        # Chart.js follows the new width on its resize observer: wait for it, then measure.
        # A function, not an expression: polling an expression string needs eval,
        # which the page's Content-Security-Policy forbids.
        person.page.wait_for_function(
            "() => document.querySelector('[data-testid=split-chart]')"
            ".getBoundingClientRect().right <= innerWidth"
        )
        assert_fits(person.page, f"split with sensitivity at 390 px ({name})")
        if name == "en":
            shot(person.page, "sensitivity-phone-en", "split")

    # Replay shows the revealed range as it was, and the buyer its own range.
    for person, text in (
        (seller, f"range: value €100,000.00 {DASH} €131,234.56"),
        (buyer, f"bandbreedte: waarde € 100.000,00 {DASH} € 131.234,56"),
    ):
        person.page.get_by_test_id("replay-open").click()
        expect(person.page.get_by_test_id("replay-status")).to_have_attribute("data-state", "ready")
        revealed = person.page.locator('[data-testid="replay-revealed"][data-party="buyer"]')
        expect(revealed).to_contain_text(text)
    expect(buyer.page.get_by_test_id("replay-own-figures")).to_contain_text(
        f"kosten € 10.000,00 {DASH} € 15.000,00"
    )
