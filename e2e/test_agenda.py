"""The shared agenda, co-edited live: every acknowledged edit reaches everyone, once, in the server's order."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom, NewPage
from e2e.room import FrameLog, create_room, move_to_phase
from tests.timing import timeout

pytestmark = pytest.mark.browser


def test_agenda_edits_by_one_party_appear_live_for_the_other(server: str, join: JoinRoom) -> None:
    room = create_room(server, title="Live agenda")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")

    stock = buyer.add_item("Consignment stock", kind="measure")
    terms = buyer.add_item("Payment terms", kind="term")
    model = buyer.add_item("Relationship model", kind="relationship")
    seller.expect_agenda([stock, terms, model])
    expect(seller.item(model).get_by_test_id("option")).to_have_count(4)

    # The seller renames an item; the buyer sees it.
    seller.edit_title(terms, "Payment within 30 days")
    expect(buyer.item(terms).get_by_test_id("item-title")).to_have_value("Payment within 30 days")

    # The buyer adds an option to a term; the seller sees it.
    buyer.item(terms).get_by_test_id("option-new").fill("45 days")
    buyer.item(terms).get_by_test_id("option-add").click()
    expect(seller.item(terms).get_by_test_id("option-label")).to_have_value("45 days")
    # The seller renames the buyer's option, then removes a relationship model.
    seller.item(terms).get_by_test_id("option-label").fill("60 days")
    seller.item(terms).get_by_test_id("option-label").press("Enter")
    expect(buyer.item(terms).get_by_test_id("option-label")).to_have_value("60 days")
    seller.item(model).get_by_test_id("option-remove").first.click()
    expect(buyer.item(model).get_by_test_id("option")).to_have_count(3)
    expect(seller.item(model).get_by_test_id("option")).to_have_count(3)

    # Park and unpark.
    seller.item(stock).get_by_test_id("park").click()
    expect(buyer.page.get_by_test_id("parked-list").get_by_test_id("item")).to_have_count(1)
    buyer.expect_agenda([terms, model])
    expect(buyer.item(stock)).to_have_attribute("data-parked", "true")
    buyer.item(stock).get_by_test_id("park").click()
    seller.expect_agenda([stock, terms, model])
    expect(seller.page.get_by_test_id("parked")).to_be_hidden()

    # Delete, after confirming.
    buyer.item(model).get_by_test_id("delete").click()
    expect(seller.item(model)).to_be_visible()  # nothing happens before the confirmation
    buyer.item(model).get_by_test_id("delete-confirm").click()
    seller.expect_agenda([stock, terms])
    expect(seller.item(model)).to_have_count(0)

    # Agreement needs both parties, and belongs to the phases after the opening.
    expect(buyer.item(terms).get_by_test_id("agree")).to_be_hidden()
    move_to_phase("exploring", buyer, seller)
    buyer.item(terms).get_by_test_id("agree").click()
    expect(seller.item(terms).get_by_test_id("agreed-buyer")).to_have_attribute(
        "data-agreed", "true"
    )
    expect(seller.item(terms)).to_have_attribute("data-agreed", "false")
    seller.item(terms).get_by_test_id("agree").click()
    for page in (buyer, seller):
        expect(page.item(terms)).to_have_attribute("data-agreed", "true")
        expect(page.item(terms).get_by_test_id("agreed-badge")).to_be_visible()


def test_concurrent_reorders_converge_to_the_server_order(server: str, join: JoinRoom) -> None:
    room = create_room(server, title="Reorder race")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")
    a, b, c, d = (buyer.add_item(title) for title in ("A", "B", "C", "D"))
    buyer.wait_settled()
    seller.expect_agenda([a, b, c, d])

    # Both click at the same instant: the buyer moves A down and the seller
    # moves D up, so both aim for the same gap (between B and C) with the same key.
    # Each page schedules its click for one shared instant (a little ahead, so
    # both are scheduled before it comes) and flags when it has clicked.
    click_at = """([id, testid, at]) => {
        window.clicked = false;
        setTimeout(() => {
            document.querySelector(
                `[data-testid="item"][data-item-id="${id}"] [data-testid="${testid}"]`).click();
            window.clicked = true;
        }, at - Date.now());
    }"""
    ahead_ms = int(timeout(0.3) * 1000)

    def both_click(buyer_move: tuple[str, str], seller_move: tuple[str, str]) -> None:
        at = buyer.page.evaluate(f"Date.now() + {ahead_ms}")
        buyer.page.evaluate(click_at, [*buyer_move, at])
        seller.page.evaluate(click_at, [*seller_move, at])
        for person in (buyer, seller):
            person.page.wait_for_function("() => window.clicked")
            person.wait_settled()

    both_click((a, "move-down"), (d, "move-up"))
    expect(buyer.page.get_by_test_id("toast")).to_have_count(0)
    expect(seller.page.get_by_test_id("toast")).to_have_count(0)

    # A third, fresh person (a buyer teammate) sees the server's order.
    observer = join(room["links"]["buyer"], "Observer")
    server_order = observer.state()["order"]
    assert server_order[0] == b, server_order
    assert set(server_order[1:3]) == {a, d}, server_order
    assert server_order[3] == c, server_order
    for person in (buyer, seller):
        person.expect_agenda(server_order)
        assert person.state()["order"] == server_order
    positions = [item["position"] for item in observer.state()["items"]]
    assert len(set(positions)) == 4, f"positions must stay distinct: {positions}"

    # Then more simultaneous moves from both sides; every time all three agree.
    for _ in range(3):
        both_click((server_order[1], "move-up"), (server_order[2], "move-down"))
        observer.page.wait_for_function(
            "(n) => valueroom.state().lastSeq >= n", arg=buyer.state()["lastSeq"]
        )
        server_order = observer.state()["order"]
        for person in (buyer, seller):
            person.expect_agenda(server_order)
        observer.expect_agenda(server_order)


def test_edit_made_while_offline_lands_exactly_once_after_reconnect(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Flaky train wifi")
    buyer_page = new_page()
    buyer_frames = FrameLog(buyer_page)
    buyer = join(room["links"]["buyer"], "Anna", page=buyer_page)
    seller = join(room["links"]["seller"], "Sem")
    item = buyer.add_item("Delivery window")
    seller.expect_agenda([item])

    # The seller loses the connection mid-edit and keeps typing.
    seller.page.evaluate("valueroom.disconnect({hold: true})")
    expect(seller.conn).to_have_attribute("data-state", "offline")
    seller.edit_title(item, "Delivery window 06:00-08:00")
    seller.page.get_by_test_id("add-title").fill("Added on the train")
    seller.page.get_by_test_id("add-button").click()
    expect(seller.conn).to_have_attribute("data-pending", "2")
    expect(seller.conn).to_contain_text("2 pending edits")
    # Optimistic: the seller sees its own edits; nobody else has them yet.
    expect(seller.item(item).get_by_test_id("item-title")).to_have_value(
        "Delivery window 06:00-08:00"
    )
    expect(buyer.item(item).get_by_test_id("item-title")).to_have_value("Delivery window")

    seller.page.evaluate("valueroom.reconnect()")

    seller.expect_connected()
    seller.wait_settled()
    added = seller.item_id("Added on the train")
    for person in (buyer, seller):
        person.expect_agenda([item, added])
        expect(person.item(item).get_by_test_id("item-title")).to_have_value(
            "Delivery window 06:00-08:00"
        )
    assert buyer.state()["items"] == seller.state()["items"]
    edited = [e for e in buyer_frames.events("item.edited") if e["data"]["item_id"] == item]
    assert len(edited) == 1, edited
    added_events = [e for e in buyer_frames.events("item.added") if e["data"]["item_id"] == added]
    assert len(added_events) == 1, added_events


def test_edit_sent_just_before_the_connection_drops_is_applied_once(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Lost ack")
    buyer_page = new_page()
    buyer_frames = FrameLog(buyer_page)
    buyer = join(room["links"]["buyer"], "Anna", page=buyer_page)
    seller_page = new_page()
    seller_frames = FrameLog(seller_page)
    seller = join(room["links"]["seller"], "Sem", page=seller_page)
    item = buyer.add_item("Warranty")
    seller.expect_agenda([item])

    # Send an edit and an add, then drop the socket in the same task: the
    # server may apply them, but the acks are lost. The client reconnects by
    # itself (back-off) and re-sends both with the same op ids.
    seller.page.evaluate(
        """(item) => {
            const title = document.querySelector(
                `[data-testid="item"][data-item-id="${item}"] [data-testid="item-title"]`);
            title.value = "Warranty: 24 months";
            title.dispatchEvent(new Event("input", { bubbles: true }));
            title.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
            document.querySelector('[data-testid="add-title"]').value = "Spare parts";
            document.querySelector('[data-testid="add-button"]').click();
            valueroom.disconnect();
        }""",
        item,
    )
    seller_frames.wait_for(seller.page, lambda: len(seller_frames.of_type("welcome")) == 2)
    seller.expect_connected()
    seller.wait_settled()

    spare = seller.item_id("Spare parts")
    for person in (buyer, seller):
        person.expect_agenda([item, spare])
        expect(person.item(item).get_by_test_id("item-title")).to_have_value("Warranty: 24 months")
    expect(seller.page.get_by_test_id("toast")).to_have_count(0)
    assert len(buyer_frames.events("item.added")) == 2
    assert len(buyer_frames.events("item.edited")) == 1
    assert buyer.state()["items"] == seller.state()["items"]


def test_incoming_edit_waits_while_the_field_has_focus_and_is_not_overwritten(
    server: str, join: JoinRoom
) -> None:
    room = create_room(server, title="Focus")
    buyer = join(room["links"]["buyer"], "Anna")
    seller = join(room["links"]["seller"], "Sem")
    item = buyer.add_item("Service levels")
    seller.expect_agenda([item])

    field = buyer.item(item).get_by_test_id("item-description")
    field.focus()
    # Presence: the seller sees who edits what.
    expect(seller.item(item).get_by_test_id("item-editors")).to_contain_text("Anna (buyer)")
    member = seller.page.get_by_test_id("presence-member").filter(has_text="Anna")
    expect(member).to_have_attribute("data-editing", item)

    seller.item(item).get_by_test_id("item-description").fill("99.5% availability")
    seller.item(item).get_by_test_id("item-description").blur()
    seller.wait_settled()
    buyer.page.wait_for_function(
        "(id) => valueroom.state().items.find((i) => i.id === id).description !== ''", arg=item
    )
    expect(field).to_have_value("")  # not while the buyer's cursor is in it

    field.blur()  # focus leaves without typing: show theirs, send nothing
    expect(field).to_have_value("99.5% availability")
    expect(seller.item(item).get_by_test_id("item-editors")).to_be_hidden()
    buyer.wait_settled()
    expect(seller.item(item).get_by_test_id("item-description")).to_have_value("99.5% availability")
