"""A browser that was offline while more happened than the room keeps recovers without a reload."""

from __future__ import annotations

import itertools
from typing import Any

import msgpack
import pytest
from playwright.sync_api import expect
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from e2e.conftest import JoinRoom, NewPage
from e2e.room import FrameLog, create_room
from tests.timing import timeout
from valueroom.rooms.live import RESUME_WINDOW

pytestmark = pytest.mark.browser


def frames_of(ws: ClientConnection) -> list[dict[str, Any]]:
    message = msgpack.unpackb(ws.recv(timeout=timeout(30)), raw=False)
    return message if isinstance(message, list) else [message]


def edit_many(base: str, token: str, item_id: str, count: int) -> str:
    """A second buyer edits ``item_id`` ``count`` times over a raw websocket; returns the last title."""
    ws_url = base.replace("http://", "ws://") + "/ws"
    with connect(ws_url, origin=Origin(base), compression=None, max_size=None) as ws:
        ws.send(msgpack.packb({"type": "join", "token": token, "name": "Bot"}))
        while not any(f["type"] == "welcome" for f in frames_of(ws)):
            pass
        title = ""
        numbers = itertools.count()
        for _ in range(0, count, 200):
            last = ""
            for _ in range(200):
                n = next(numbers)
                title, last = f"Window {n}", f"op{n}"
                args = {"item_id": item_id, "title": title}
                ws.send(
                    msgpack.packb({"type": "cmd", "op": last, "name": "item.edit", "args": args})
                )
            for _ in range(10_000):
                if any(f["type"] == "ack" and f["op"] == last for f in frames_of(ws)):
                    break
        return title


def test_a_browser_offline_past_the_window_gets_a_fresh_welcome_and_keeps_its_edits(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Long flight")
    buyer = join(room["links"]["buyer"], "Anna")
    seller_page = new_page()
    seller_frames = FrameLog(seller_page)
    seller = join(room["links"]["seller"], "Sem", page=seller_page)
    item = buyer.add_item("Delivery window")
    seller.expect_agenda([item])
    seller.page.evaluate("window.notReloaded = true")

    seller.page.evaluate("valueroom.disconnect({hold: true})")
    expect(seller.conn).to_have_attribute("data-state", "offline")
    seller.page.get_by_test_id("add-title").fill("Added while offline")
    seller.page.get_by_test_id("add-button").click()
    expect(seller.conn).to_have_attribute("data-pending", "1")

    token = room["links"]["buyer"].split("#", 1)[1]
    title = edit_many(server, token, item, RESUME_WINDOW + 400)
    expect(buyer.item(item).get_by_test_id("item-title")).to_have_value(title)

    welcomes_before = len(seller_frames.of_type("welcome"))
    seller.page.evaluate("valueroom.reconnect()")
    seller.expect_connected()
    seller.wait_settled()

    expect(seller.item(item).get_by_test_id("item-title")).to_have_value(title)
    added = seller.item_id("Added while offline")
    buyer.expect_agenda([item, added])
    seller.expect_agenda([item, added])
    assert buyer.state()["items"] == seller.state()["items"]
    welcome = seller_frames.of_type("welcome")[welcomes_before]
    assert welcome["resumed"] is False  # too far behind to stream: a fresh view
    assert seller.page.evaluate("window.notReloaded") is True


def test_a_browser_joining_a_large_room_puts_its_view_together_from_parts(
    server: str, join: JoinRoom, new_page: NewPage
) -> None:
    room = create_room(server, title="Big agenda")
    token = room["links"]["buyer"].split("#", 1)[1]
    ws_url = server.replace("http://", "ws://") + "/ws"
    with connect(ws_url, origin=Origin(server), compression=None, max_size=None) as ws:
        ws.send(msgpack.packb({"type": "join", "token": token, "name": "Bot"}))
        while not any(f["type"] == "welcome" for f in frames_of(ws)):
            pass
        for n in range(120):
            args = {"item_id": f"i{n:03d}", "kind": "term", "title": f"Item {n:03d}"}
            args["description"] = "ø" * 4000
            ws.send(
                msgpack.packb({"type": "cmd", "op": f"add{n}", "name": "item.add", "args": args})
            )
        for _ in range(10_000):
            if any(f["type"] == "ack" and f["op"] == "add119" for f in frames_of(ws)):
                break
    seller_page = new_page()
    seller_frames = FrameLog(seller_page)
    seller = join(room["links"]["seller"], "Sem", page=seller_page)
    expect(seller.page.get_by_test_id("item")).to_have_count(120)
    assert [item["id"] for item in seller.state()["items"]] == [f"i{n:03d}" for n in range(120)]
    (welcome,) = seller_frames.of_type("welcome")
    assert welcome["more"] is True
    assert seller_frames.of_type("view_part")[-1]["last"] is True
    assert max(len(raw) for raw in seller_frames.raw) <= 65536
