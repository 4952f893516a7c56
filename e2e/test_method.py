"""Guidance by the method in the browser: the opening's core questions, the relationship models,
the transparency plan honoured item by item, trust pulses, and items without figures."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import FrameLog, create_room, move_to_phase

pytestmark = pytest.mark.browser


def test_core_questions_are_answered_privately_then_shown_at_once(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Opening", neutral=True)
    buyer = join(room["links"]["buyer"], "Anna", locale="nl-NL")
    seller_page = new_page()
    seller_frames = FrameLog(seller_page)
    seller = join(room["links"]["seller"], "Sem", page=seller_page)
    neutral = join(room["links"]["neutral"], "Nora")
    expect(buyer.page.get_by_test_id("opening")).to_contain_text(
        "Zijn wij voldoende waardevol voor elkaar?"
    )
    expect(seller.page.get_by_test_id("opening")).to_contain_text(
        "Are we valuable enough to each other?"
    )
    secret = "Ja, zolang de levertijd klopt"
    buyer.page.get_by_test_id("opening-answer-valuable").fill(secret)
    buyer.page.get_by_test_id("opening-answer-valuable").blur()
    buyer.wait_settled()
    buyer.page.get_by_test_id("opening-answer-cooperation").fill("Te transactioneel")
    buyer.page.get_by_test_id("opening-answer-cooperation").blur()
    # The answers are saved on blur; share once they landed, as a person would.
    buyer.wait_settled()
    buyer.page.get_by_test_id("opening-share").click()
    ready = neutral.page.locator('[data-testid="opening-ready"] [data-party="buyer"]')
    expect(ready).to_have_attribute("data-ready", "true")
    expect(
        seller.page.locator('[data-testid="opening-ready"] [data-party="buyer"]')
    ).to_have_attribute("data-ready", "true")
    # The seller's page never received the buyer's words before both shared.
    seller.wait_settled()
    assert not any(secret.encode() in raw for raw in seller_frames.raw)
    expect(seller.page.get_by_test_id("opening-shared")).to_have_count(0)

    seller.page.get_by_test_id("opening-answer-valuable").fill("Yes")
    seller.page.get_by_test_id("opening-answer-valuable").blur()
    seller.wait_settled()
    seller.page.get_by_test_id("opening-answer-cooperation").fill("A framework would help")
    seller.page.get_by_test_id("opening-answer-cooperation").blur()
    seller.wait_settled()
    seller.page.get_by_test_id("opening-share").click()
    for person in (buyer, seller, neutral):
        expect(person.page.get_by_test_id("opening-said-buyer-valuable")).to_contain_text(secret)
        expect(person.page.get_by_test_id("opening-said-seller-cooperation")).to_contain_text(
            "A framework would help"
        )


def test_models_plan_pulses_and_items_without_figures(server: str, join: JoinRoom) -> None:
    room = create_room(server, title="Plan")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem", locale="nl-NL")

    # The four relationship models, explained, in each page's language.
    buyer.page.get_by_test_id("models-help").locator("summary").click()
    cards = buyer.page.get_by_test_id("model-card")
    expect(cards).to_have_count(4)
    expect(cards.nth(2)).to_contain_text("KPIs with incentives and penalties")
    seller.page.get_by_test_id("models-help").locator("summary").click()
    expect(seller.page.get_by_test_id("model-card").nth(3)).to_contain_text("co-ondernemerschap")

    # On a relationship-model item the models are explained where they are chosen.
    model = buyer.add_item("Relationship model", kind="relationship")
    help_ = seller.item(model).get_by_test_id("item-models-help")
    help_.locator("summary").click()
    expect(help_.get_by_test_id("model-card")).to_have_count(4)
    expect(help_.get_by_test_id("model-card").first).to_contain_text("Transactieleverancier")
    buyer.item(model).get_by_test_id("delete").click()
    buyer.item(model).get_by_test_id("delete-confirm").click()
    expect(buyer.item(model)).to_have_count(0)
    stock = buyer.add_item("Consignment stock", kind="measure")
    question = buyer.add_item("Who carries the risk of obsolete stock?", kind="question")
    note = buyer.add_item("Agreed to meet monthly", kind="note")
    seller.expect_agenda([stock, question, note])
    # Questions and notes take no figures, plan or consent, and are not "out of the split".
    for item_id in (question, note):
        item = buyer.item(item_id)
        expect(item.get_by_test_id("item-no-figures")).to_be_visible()
        expect(item.get_by_test_id("private-panel")).to_be_hidden()
        expect(item.get_by_test_id("plan")).to_be_hidden()
    expect(buyer.page.get_by_test_id("excluded-item")).to_have_count(1)

    # The transparency plan, agreed up front, then honoured item by item.
    buyer.item(stock).get_by_test_id("plan-toggle").check()
    mark = seller.item(stock).locator('[data-testid="plan-mark"][data-party="buyer"]')
    expect(mark).to_have_attribute("data-status", "planned")
    expect(
        seller.item(stock).locator('[data-testid="plan-mark"][data-party="seller"]')
    ).to_have_attribute("data-status", "none")
    move_to_phase("exploring", buyer, seller)
    buyer.register_figures(stock, "120000", "10000")
    buyer.item(stock).get_by_test_id("consent").check()
    expect(mark).to_have_attribute("data-status", "kept")
    expect(mark).to_contain_text("zoals gepland")

    # A trust pulse: visible to both, named, never counted.
    seller.page.get_by_test_id("pulse-behaviour").select_option("listen_first")
    seller.page.get_by_test_id("pulse-give").click()
    entry = buyer.page.get_by_test_id("pulse-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_have_text("Seller saw: listening first")
    expect(entry).to_have_attribute("data-party", "seller")
    expect(seller.page.get_by_test_id("pulse-entry")).to_have_text(
        "Leverancier zag: eerst luisteren"
    )
