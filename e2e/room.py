"""What the tests do to a page, in the product's words, through stable data-testids.

Debug hooks the client exposes (client/src/debug.js) are used only to look at
state (``valueroom.state()``, ``valueroom.pending()``) and to drop the socket
(``valueroom.disconnect()``), never to make an edit.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import msgpack
from playwright.sync_api import Locator, Page, WebSocket, expect

from tests.timing import timeout

__all__ = ["FrameLog", "RoomPage", "create_room", "move_to_phase"]

WAIT_MS = int(timeout(10) * 1000)


def create_room(base: str, **fields: Any) -> dict[str, Any]:
    """POST /api/rooms; returns the 201 body (room_id, log_id, links)."""
    body = json.dumps({"title": "Test deal", **fields}).encode()
    request = urllib.request.Request(
        f"{base}/api/rooms", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout(5)) as response:
        result: dict[str, Any] = json.load(response)
    # Without --public-url the links are relative; the page completes them as a browser does.
    result["links"] = {
        role: None if link is None else urllib.parse.urljoin(f"{base}/", link)
        for role, link in result["links"].items()
    }
    return result


def move_to_phase(phase: str, *movers: RoomPage) -> None:
    """Move the room to ``phase`` through the phase bar, as the method allows.

    Pass the neutral alone, or both parties of a room without a neutral (the
    first proposes, the second agrees). Every mover then sees the new phase.
    """
    for mover in movers:
        mover.page.locator(f'[data-testid="phase-step"][data-phase="{phase}"]').click()
        if phase == "closed":
            mover.page.get_by_test_id("phase-close-yes").click()
    for mover in movers:
        expect(mover.page.get_by_test_id("phase")).to_have_attribute(
            "data-phase", phase, timeout=WAIT_MS
        )


class FrameLog:
    """Every websocket frame a page receives, decoded from msgpack. Attach before navigating."""

    def __init__(self, page: Page) -> None:
        self.frames: list[Any] = []
        self.raw: list[bytes] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on("framereceived", self._received)

    def _received(self, payload: str | bytes) -> None:
        data = payload if isinstance(payload, bytes) else payload.encode("latin-1")
        self.raw.append(data)
        decoded = msgpack.unpackb(data, raw=False)
        # A batch message is an array of frames, in order.
        self.frames.extend(decoded if isinstance(decoded, list) else [decoded])

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if isinstance(f, dict) and f.get("type") == kind]

    def wait_for(
        self, page: Page, condition: Callable[[], bool], timeout_ms: int = WAIT_MS
    ) -> None:
        """Let the page run until ``condition()`` holds (frames arrive while it waits)."""
        waited = 0
        while not condition():
            if waited >= timeout_ms:
                raise AssertionError(f"condition not met within {timeout_ms} ms")
            page.wait_for_timeout(50)
            waited += 50

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        return [
            f
            for f in self.frames
            if isinstance(f, dict) and f.get("type") == "event" and name in (None, f.get("name"))
        ]


class RoomPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    def join(cls, page: Page, link: str, name: str) -> RoomPage:
        page.goto(link)
        page.get_by_test_id("join-name").fill(name)
        page.get_by_test_id("join-submit").click()
        room = cls(page)
        room.expect_connected()
        return room

    # -- looking --------------------------------------------------------------

    @property
    def conn(self) -> Locator:
        return self.page.get_by_test_id("conn-state")

    def expect_connected(self) -> None:
        expect(self.conn).to_have_attribute("data-state", "connected", timeout=WAIT_MS)

    def state(self) -> dict[str, Any]:
        """The client's confirmed state (``valueroom.state()``)."""
        result: dict[str, Any] = self.page.evaluate("valueroom.state()")
        return result

    def pending(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.page.evaluate("valueroom.pending()")
        return result

    def item_id(self, title: str) -> str:
        """The id of the (rendered) item with this title."""
        found = self.page.evaluate(
            "(title) => valueroom.view().items.filter((i) => i.title === title).map((i) => i.id)",
            title,
        )
        assert len(found) == 1, f"expected one item titled {title!r}, found {found}"
        return str(found[0])

    def item(self, item_id: str) -> Locator:
        return self.page.locator(f'[data-testid="item"][data-item-id="{item_id}"]')

    def agenda_ids(self) -> list[str]:
        ids: list[str] = self.page.locator(
            '[data-testid="agenda-list"] > [data-testid="item"]'
        ).evaluate_all("(items) => items.map((el) => el.dataset.itemId)")
        return ids

    def expect_agenda(self, ids: list[str]) -> None:
        """The agenda shows exactly these items in this order (bounded wait)."""
        self.page.wait_for_function(
            """(ids) => {
                const shown = [...document.querySelectorAll(
                    '[data-testid="agenda-list"] > [data-testid="item"]')].map((el) => el.dataset.itemId);
                return JSON.stringify(shown) === JSON.stringify(ids);
            }""",
            arg=ids,
            timeout=WAIT_MS,
        )

    def expect_agenda_titles(self, titles: list[str]) -> None:
        self.page.wait_for_function(
            """(titles) => {
                const shown = [...document.querySelectorAll(
                    '[data-testid="agenda-list"] [data-testid="item-title"]')].map((el) => el.value);
                return JSON.stringify(shown) === JSON.stringify(titles);
            }""",
            arg=titles,
            timeout=WAIT_MS,
        )

    # -- doing ----------------------------------------------------------------

    def add_item(self, title: str, kind: str = "term") -> str:
        self.page.get_by_test_id("add-kind").select_option(kind)
        self.page.get_by_test_id("add-title").fill(title)
        self.page.get_by_test_id("add-button").click()
        item_id = self.item_id(title)
        expect(self.item(item_id)).to_be_visible()
        return item_id

    def wait_settled(self) -> None:
        """Nothing pending: every edit of this page was acknowledged."""
        expect(self.conn).to_have_attribute("data-pending", "0", timeout=WAIT_MS)

    def edit_title(self, item_id: str, title: str) -> None:
        field = self.item(item_id).get_by_test_id("item-title")
        field.fill(title)
        field.press("Enter")

    def register_figures(self, item_id: str, value: str, cost: str) -> None:
        item = self.item(item_id)
        item.get_by_test_id("figure-value").fill(value)
        item.get_by_test_id("figure-cost").fill(cost)
        item.get_by_test_id("figure-save").click()
        expect(item.get_by_test_id("figure-status")).to_have_attribute(
            "data-status", "registered", timeout=WAIT_MS
        )
