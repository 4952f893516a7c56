"""From an empty agenda to a signed agreement, with two browsers: buyer and seller.

On the way: an edit voids an agreement (both pages say so, with old and new),
a commitment is recorded, both sign the deal sheet's hash and the room closes
read-only; then each side downloads its exports (which hold its own figures
and never the other side's) and prints the deal sheet to A4.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom
from e2e.room import RoomPage, create_room, move_to_phase

pytestmark = pytest.mark.browser

BUYER_VALUE, BUYER_COST = "120000", "10000"
SELLER_VALUE, SELLER_COST = "20000", "50000"
SELLER_NOTE = "our real floor"


def agree(person: RoomPage, item_id: str) -> None:
    item = person.item(item_id)
    item.get_by_test_id("agree").click()
    expect(item.get_by_test_id("agree")).to_have_attribute("data-agreed", "true")


def download(person: RoomPage, fmt: str, tmp_path: Path) -> tuple[str, str]:
    with person.page.expect_download() as info:
        person.page.get_by_test_id(f"export-{fmt}").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return info.value.suggested_filename, path.read_text(encoding="utf-8")


def test_two_parties_take_a_room_from_an_empty_agenda_to_a_signed_agreement(
    server: str, join: JoinRoom, tmp_path: Path
) -> None:
    room = create_room(
        server, title="Consignment deal", buyer_org="Koper BV", seller_org="Leverancier NV"
    )
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")
    for person in (buyer, seller):
        expect(person.page.get_by_test_id("deal-agreed")).to_have_text(
            "Nothing is agreed by both parties yet."
        )

    terms = buyer.add_item("Payment terms 45 days")
    stock = buyer.add_item("Consignment stock")
    buyer.register_figures(stock, BUYER_VALUE, BUYER_COST)
    seller.register_figures(stock, SELLER_VALUE, SELLER_COST)
    seller.item(stock).get_by_test_id("figure-note").fill(SELLER_NOTE)
    seller.item(stock).get_by_test_id("figure-save").click()
    seller.wait_settled()
    move_to_phase("exploring", buyer, seller)
    for person in (buyer, seller):
        person.item(stock).get_by_test_id("consent").click()
    expect(buyer.item(stock)).to_have_attribute("data-revealed", "true")

    for person in (buyer, seller):
        agree(person, terms)
        agree(person, stock)
    for person in (buyer, seller):
        expect(person.item(terms)).to_have_attribute("data-agreed", "true")
        expect(person.page.get_by_test_id("deal-agreed").locator("li")).to_have_count(2)

    # An edit after agreement voids it, visibly, on both pages.
    buyer.edit_title(terms, "Payment terms 90 days")
    for person in (buyer, seller):
        expect(person.item(terms)).to_have_attribute("data-agreed", "false")
        voided = person.item(terms).get_by_test_id("agreement-voided")
        expect(voided).to_be_visible()
        expect(voided).to_contain_text("Payment terms 45 days → Payment terms 90 days")
        expect(voided).to_contain_text("buyer")
    for person in (buyer, seller):
        agree(person, terms)
    expect(seller.item(terms).get_by_test_id("agreement-voided")).to_be_hidden()

    # A commitment, on the deal sheet for both.
    seller.page.get_by_test_id("commitment-who").select_option("seller")
    seller.page.get_by_test_id("commitment-what").fill("Keep two weeks of stock at the depot")
    seller.page.get_by_test_id("commitment-due").fill("2027-03-31")
    seller.page.get_by_test_id("commitment-item").select_option(stock)
    seller.page.get_by_test_id("commitment-add").click()
    for person in (buyer, seller):
        expect(person.page.get_by_test_id("commitment")).to_contain_text("Keep two weeks of stock")

    # Sign-off: both sign the hash on the page; the room closes.
    move_to_phase("agreeing", buyer, seller)
    hash_text = buyer.page.get_by_test_id("deal-hash")
    expect(hash_text).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    digest = hash_text.inner_text()
    expect(seller.page.get_by_test_id("deal-hash")).to_have_text(digest)
    buyer.page.get_by_test_id("deal-sign").click()
    expect(seller.page.get_by_test_id("signature-buyer")).to_have_attribute("data-signed", "true")
    expect(seller.page.get_by_test_id("signature-buyer")).to_contain_text("Anna")
    seller.page.get_by_test_id("deal-sign").click()
    for person in (buyer, seller):
        expect(person.page.get_by_test_id("phase")).to_have_attribute("data-phase", "closed")
        sheet = person.page.get_by_test_id("deal-sheet")
        expect(sheet).to_have_attribute("data-closed", "true")
        expect(sheet).to_have_attribute("data-hash", digest)
        expect(person.page.get_by_test_id("deal-status")).to_contain_text("Signed by both parties")
        expect(person.page.get_by_test_id("deal-chain")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        expect(person.page.get_by_test_id("add-title")).to_be_hidden()
        expect(person.item(terms).get_by_test_id("item-title")).to_have_attribute("readonly", "")
        expect(person.page.get_by_test_id("deal-sign")).to_be_hidden()
    # Buyer's 110,000.00 own net and the seller's -30,000.00 create 80,000.00:
    # each gets 40,000.00, so the buyer pays the seller 70,000.00.
    expect(buyer.page.get_by_test_id("deal-settlement")).to_have_text(
        "Buyer pays seller €70,000.00"
    )

    # Exports: each side's own figures, never the other side's.
    name, text = download(buyer, "json", tmp_path)
    assert name == f"valueroom-{room['room_id']}-buyer.json"
    exported = json.loads(text)
    assert exported["hash"] == digest
    assert exported["agreement"]["hash"] == digest
    assert [(f["title"], f["value"], f["cost"]) for f in exported["own_figures"]] == [
        ("Consignment stock", 12_000_000, 1_000_000)
    ]
    assert SELLER_NOTE not in text
    _, seller_csv = download(seller, "csv", tmp_path)
    rows = list(csv.reader(io.StringIO(seller_csv)))
    own = [row for row in rows if row[0] == "own_figures"]
    assert own == [
        ["own_figures", stock, "Consignment stock", "50000.00", "", "", "20000.00", SELLER_NOTE]
    ]
    assert "120000.00" not in seller_csv
    assert ["settlement", "", "", "buyer pays seller", "", "", "70000.00", ""] in rows

    # The next round: the agreed items become the new agenda; the seller brings its own figures.
    seller.page.get_by_test_id("next-carry").check()
    seller.page.get_by_test_id("next-round").click()
    new_link = seller.page.get_by_test_id("next-link-seller").get_attribute("href")
    assert new_link is not None
    round_two = RoomPage.join(seller.page, new_link, "Sem")
    round_two.expect_agenda_titles(["Payment terms 90 days", "Consignment stock"])
    expect(round_two.page.get_by_test_id("phase")).to_have_attribute("data-phase", "preparation")
    carried = round_two.item(round_two.item_id("Consignment stock"))
    expect(carried.get_by_test_id("figure-status")).to_have_attribute("data-status", "registered")
    expect(carried.get_by_test_id("figure-value")).to_have_value(re.compile(r"^20,?000(\.00)?$"))

    # Printing: the deal sheet alone, on A4 pages, nothing cut off.
    buyer.page.emulate_media(media="print")
    expect(buyer.page.get_by_test_id("deal-sheet")).to_be_visible()
    expect(buyer.page.get_by_test_id("agenda")).to_be_hidden()
    expect(buyer.page.get_by_test_id("split")).to_be_hidden()
    expect(buyer.page.get_by_test_id("deal-sign")).to_be_hidden()
    pdf = buyer.page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    # Two pages at least: the commitments and the sign-off start on a page of their own.
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 2
    box = buyer.page.get_by_test_id("deal-split").bounding_box()
    assert box is not None
    assert box["width"] <= buyer.page.evaluate("document.documentElement.clientWidth")
