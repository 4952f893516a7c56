"""History on the wire: pages of the role's own events, typed refusals, one request at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.wsclient import Frame, WsClient
from valueroom.protocol.schema import limit
from valueroom.rooms import history
from valueroom.rooms.registry import Registry

PAGE = limit("max_history_page")


@dataclass
class Scene:
    server: LiveServer
    room: dict[str, Any]
    buyer: WsClient
    seller: WsClient


@pytest.fixture
async def scene(store_url: str) -> AsyncIterator[Scene]:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        buyer = await WsClient(server.ws_url).open()
        seller = await WsClient(server.ws_url).open()
        try:
            await buyer.join(room["tokens"]["buyer"], "Bea")
            await seller.join(room["tokens"]["seller"], "Sam")
            # The coalesced presence of both joins has arrived: no test that counts
            # frames meets it later.
            for client in (buyer, seller):
                await client.wait_for(lambda f: f["type"] == "presence" and len(f["members"]) == 2)
            add = {"item_id": "i1", "kind": "term", "title": "Price"}
            assert (await seller.call("item.add", add))["type"] == "ack"
            secret = {"item_id": "i1", "value": "123456.78", "cost": "1.00", "note": ""}
            assert (await buyer.call("figures.set", secret))["type"] == "ack"
            yield Scene(server, room, buyer, seller)
        finally:
            await buyer.close()
            await seller.close()


async def ask(client: WsClient, log_id: str, first: int, last: int) -> Frame:
    start = len(client.frames)
    await client.send({"type": "history", "log_id": log_id, "from": first, "to": last})
    return await client.wait_for(lambda f: f["type"] in ("history", "error"), start=start)


async def log_length(scene: Scene) -> int:
    registry: Registry = scene.server.app.state.registry
    return len(await registry.store.read(scene.room["room_id"]))


async def test_history_events_are_the_frames_the_role_received_live(scene: Scene) -> None:
    for client in (scene.buyer, scene.seller):
        assert client.welcome is not None
        page = await ask(client, scene.room["log_id"], 1, client.last_seq)
        assert page["type"] == "history"
        assert page["head"] == client.last_seq
        by_number = {e["seq"]: e for e in page["events"]}
        live = client.events()
        assert live, "the scene sent events after the join"
        for event in live:
            assert by_number[event["seq"]] == event
        assert len(page["proofs"]) == len(page["events"])
    seller_page = await ask(scene.seller, scene.room["log_id"], 1, scene.seller.last_seq)
    names = [e["name"] for e in seller_page["events"]]
    assert "figures.registered" not in names
    assert all(p["salt"] is None for p in seller_page["proofs"])  # all public for the seller
    buyer_page = await ask(scene.buyer, scene.room["log_id"], 1, scene.buyer.last_seq)
    private = [
        proof
        for event, proof in zip(buyer_page["events"], buyer_page["proofs"], strict=True)
        if event["name"] == "figures.registered"
    ]
    assert len(private) == 1
    assert private[0]["salt"] is not None


async def test_the_live_room_holds_the_head_of_its_stored_chain(scene: Scene) -> None:
    registry: Registry = scene.server.app.state.registry
    room = registry.rooms[scene.room["room_id"]]
    assert (await scene.seller.call("item.park", {"item_id": "i1", "parked": True}))[
        "type"
    ] == "ack"
    stored = await registry.store.read(scene.room["room_id"])
    assert room.chain_head == stored[-1].chain
    verdict = await history.verify_room(registry.store, scene.room["room_id"])
    assert verdict is not None
    assert verdict.broken is None
    assert verdict.head == room.chain_head


async def test_history_pages_hold_at_most_max_history_page_events(scene: Scene) -> None:
    for n in range(PAGE + 6):
        reply = await scene.seller.call("item.edit", {"item_id": "i1", "title": f"Price {n}"})
        assert reply["type"] == "ack"
    head = scene.seller.last_seq
    first = await ask(scene.seller, scene.room["log_id"], 1, head)
    assert (first["from"], first["to"], first["head"]) == (1, PAGE, head)
    assert [e["seq"] for e in first["events"]] == list(range(1, PAGE + 1))
    rest = await ask(scene.seller, scene.room["log_id"], PAGE + 1, head)
    assert [e["seq"] for e in rest["events"]] == list(range(PAGE + 1, head + 1))
    # The role chain runs on across pages: page two's hashes follow page one's.
    again = await ask(scene.seller, scene.room["log_id"], PAGE, PAGE + 1)
    assert again["proofs"][0] == first["proofs"][-1]
    assert again["proofs"][1] == rest["proofs"][0]


BAD = [
    pytest.param("other", 1, 1, "history.other_log", id="another-rooms-log"),
    pytest.param("forged", 1, 1, "history.other_log", id="forged-log-id"),
    pytest.param("own", 0, 1, "history.range", id="from-zero"),
    pytest.param("own", 3, 2, "history.range", id="from-after-to"),
    pytest.param("own", 1, 10_000, "history.beyond_head", id="beyond-head"),
    pytest.param("own", 10_000, 10_001, "history.beyond_head", id="impossible-position"),
]


@pytest.mark.parametrize(("log", "first", "last", "reason"), BAD)
async def test_bad_history_requests_get_a_typed_error_and_harm_no_one(
    scene: Scene, log: str, first: int, last: int, reason: str
) -> None:
    other = await create_room(scene.server.base)
    log_id = {"own": scene.room["log_id"], "other": other["log_id"], "forged": "x" * 12}[log]
    before = await log_length(scene)
    reply = await ask(scene.seller, log_id, first, last)
    assert reply["type"] == "error"
    assert (reply["code"], reply["reason"]) == ("invalid_history", reason)
    if reason == "history.beyond_head":
        assert reply["params"] == {"head": str(scene.seller.last_seq)}
    assert await log_length(scene) == before
    seen = len(scene.buyer.frames)
    ack = await scene.buyer.call("item.edit", {"item_id": "i1", "title": "Still here"})
    assert ack["type"] == "ack"
    # The edit's own event and ack, then (the title is on the deal sheet) its new deal sheet.
    assert [f["type"] for f in scene.buyer.frames[seen:]] == ["event", "ack", "deal"]
    page = await ask(scene.seller, scene.room["log_id"], 1, 1)
    assert page["type"] == "history"


async def test_negative_position_is_refused_by_the_schema(scene: Scene) -> None:
    start = len(scene.seller.frames)
    await scene.seller.send(
        {"type": "history", "log_id": scene.room["log_id"], "from": -1, "to": 1}
    )
    reply = await scene.seller.wait_for(lambda f: f["type"] == "error", start=start)
    assert (reply["code"], reply["field"]) == ("invalid_frame", "from")


async def test_history_needs_a_joined_connection(scene: Scene) -> None:
    async with WsClient(scene.server.ws_url) as stranger:
        await stranger.send({"type": "history", "log_id": scene.room["log_id"], "from": 1, "to": 1})
        reply = await stranger.wait_for(lambda f: f["type"] == "error")
        assert reply["code"] == "not_joined"
        assert not [f for f in stranger.frames if f["type"] == "history"]


async def test_a_flood_of_history_requests_gets_one_answer_at_a_time(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()
    real_page = history.page

    async def held_page(*args: Any, **kwargs: Any) -> Any:
        await release.wait()
        return await real_page(*args, **kwargs)

    monkeypatch.setattr(history, "page", held_page)
    log_id = scene.room["log_id"]
    start = len(scene.seller.frames)
    for _ in range(20):
        await scene.seller.send({"type": "history", "log_id": log_id, "from": 1, "to": 1})

    def refusals() -> list[Frame]:
        return [
            f
            for f in scene.seller.frames[start:]
            if f["type"] == "error" and f["reason"] == "history.in_flight"
        ]

    await scene.seller.wait_for(lambda f: len(refusals()) == 19, start=start)
    assert all(f["code"] == "limit_reached" for f in refusals())
    # Meanwhile the room serves everyone, the flooding connection too.
    assert (await scene.buyer.call("item.edit", {"item_id": "i1", "title": "Busy"}))[
        "type"
    ] == "ack"
    assert (await scene.seller.call("item.park", {"item_id": "i1", "parked": False}))[
        "type"
    ] == "ack"
    release.set()
    page = await scene.seller.wait_for(lambda f: f["type"] == "history", start=start)
    assert [e["seq"] for e in page["events"]] == [1]
    # Answered, the connection may ask again.
    assert (await ask(scene.seller, log_id, 1, 1))["type"] == "history"


async def test_the_index_scans_the_log_once_then_only_its_tail() -> None:
    from valueroom.domain.events import Event
    from valueroom.store import chain, open_store
    from valueroom.store.base import RoomRecord

    store = open_store("memory://history-index")
    await store.open()
    record = RoomRecord("r1", "log-1", 0, {})
    events = [Event(n, n, None, None, 7 if n % 4 else 1, "item.edited", {}) for n in range(1, 201)]
    await store.create_room(record, chain.stamp(chain.genesis("log-1"), events))
    reads: list[int] = []
    real_read = store.read_range

    async def counted(room_id: str, after: int, until: int) -> list[Event]:
        reads.append(after)
        return await real_read(room_id, after, until)

    store.read_range = counted  # type: ignore[method-assign]
    index = history.Index(record)
    await history.page(store, index, "seller", "log-1", 1, 10)
    await history.page(store, index, "seller", "log-1", 11, 20)
    more = [Event(n, n, None, None, 7, "item.edited", {}) for n in range(201, 211)]
    head = (await store.read("r1", 199))[-1].chain or b""
    await store.append("r1", 200, chain.stamp(head, more))
    frame, _ = await history.page(store, index, "buyer", "log-1", 205, 210)
    # Each index read (the tail after what it holds) is followed by the page's own read,
    # which starts at the role-chain checkpoint before the page (192 for buyer event 205).
    assert reads == [0, 0, 200, 0, 200, 192]
    assert [index.head(role) for role in ("buyer", "seller", "neutral")] == [210, 160, 160]
    # 4 bytes per event per role that saw it, and a 32-byte hash per 64 of them (+ r_0).
    assert index.size_bytes() == 4 * (210 + 160 + 160) + 32 * ((1 + 3) + (1 + 2) + (1 + 2))
    assert frame
    await store.close()


async def test_a_room_reads_at_most_two_history_pages_at_once() -> None:
    from valueroom.domain.events import Event
    from valueroom.store import chain, open_store
    from valueroom.store.base import RoomRecord

    store = open_store("memory://history-readers")
    await store.open()
    record = RoomRecord("r1", "log-1", 0, {})
    events = [Event(n, n, None, None, 7, "item.edited", {}) for n in range(1, 11)]
    await store.create_room(record, chain.stamp(chain.genesis("log-1"), events))
    index = history.Index(record)
    await index.refresh(store)
    gate = asyncio.Event()
    full = asyncio.Event()
    reading = 0
    most = 0
    real_read = store.read_range

    async def slow(room_id: str, after: int, until: int) -> list[Event]:
        """Page reads (not the index's refresh, which reads past the head) wait for the gate."""
        nonlocal reading, most
        if until > len(events):
            return await real_read(room_id, after, until)
        reading += 1
        most = max(most, reading)
        if reading == history.READERS:
            full.set()
        await gate.wait()
        reading -= 1
        return await real_read(room_id, after, until)

    store.read_range = slow  # type: ignore[method-assign]
    pages = [
        asyncio.create_task(history.page(store, index, "buyer", "log-1", n, n)) for n in range(1, 7)
    ]
    await full.wait()
    # Every page task has run up to its first wait by now (they were ready first).
    assert most == history.READERS
    gate.set()
    answers = await asyncio.gather(*pages)
    assert [page_events[0].seq for _, page_events in answers] == list(range(1, 7))
    assert most == history.READERS
    await store.close()
