"""The room's writer under pressure: a rival writer, a failing store, a failing decision.

A real server on a free port with real websocket clients, over SQLite and
Redis. The rival is a genuine second writer: a second store instance on the
same SQLite file or Redis server, appending to the room's log between the
room's decision and its own append, exactly as another process would.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.loglines import log_lines
from tests.wsclient import WsClient
from valueroom.domain.events import Actor, Event
from valueroom.domain.visibility import PUBLIC
from valueroom.edge.ws import CLOSE_UNAVAILABLE
from valueroom.rooms import live
from valueroom.rooms.live import MAX_RETRIES
from valueroom.rooms.registry import Registry
from valueroom.store import Store, open_store
from valueroom.store.base import Notice, RoomRecord, Wake

RIVAL = Actor("seller", "Rival process")


class Passthrough(Store):
    """A real store with a hook before each append (the store itself is untouched)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.shares_rooms = inner.shares_rooms

    async def before_append(self, room_id: str, expected: int) -> None:
        """Called between the room's decision and its append."""

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def create_room(self, record: RoomRecord, first: Sequence[Event]) -> None:
        await self.inner.create_room(record, first)

    async def room(self, room_id: str) -> RoomRecord | None:
        return await self.inner.room(room_id)

    async def set_secrets(self, room_id: str, secret_hashes: dict[str, str]) -> bool:
        return await self.inner.set_secrets(room_id, secret_hashes)

    async def erase(self, room_id: str) -> None:
        await self.inner.erase(room_id)

    async def append(self, room_id: str, expected: int, events: Sequence[Event]) -> None:
        await self.before_append(room_id, expected)
        await self.inner.append(room_id, expected, events)

    async def read(self, room_id: str, after: int = 0) -> list[Event]:
        return await self.inner.read(room_id, after)

    async def read_page(self, room_id: str, after: int, limit: int) -> list[Event]:
        return await self.inner.read_page(room_id, after, limit)

    async def put_snapshot(self, room_id: str, seq: int, body: bytes) -> None:
        await self.inner.put_snapshot(room_id, seq, body)

    async def snapshot_seqs(self, room_id: str) -> list[int]:
        return await self.inner.snapshot_seqs(room_id)

    async def get_snapshot(self, room_id: str, seq: int) -> bytes | None:
        return await self.inner.get_snapshot(room_id, seq)

    async def subscribe(self, room_id: str, wake: Wake) -> None:
        await self.inner.subscribe(room_id, wake)

    async def unsubscribe(self, room_id: str, wake: Wake) -> None:
        await self.inner.unsubscribe(room_id, wake)

    async def notify(self, room_id: str, payload: bytes) -> None:
        await self.inner.notify(room_id, payload)

    def listen(self, room_id: str, notice: Notice) -> None:
        self.inner.listen(room_id, notice)

    def unlisten(self, room_id: str, notice: Notice) -> None:
        self.inner.unlisten(room_id, notice)


class RivalFirst(Passthrough):
    """Before each of the room's appends, a second writer appends an item of its own."""

    def __init__(self, inner: Store, rival: Store) -> None:
        super().__init__(inner)
        self.rival = rival
        self.turns = 0
        self.rival_items: list[str] = []

    async def before_append(self, room_id: str, expected: int) -> None:
        if self.turns <= 0:
            return
        self.turns -= 1
        item_id = f"rival{len(self.rival_items)}"
        data = {
            "item_id": item_id,
            "kind": "term",
            "title": "The rival's item",
            "description": "",
            "options": [],
            "position": f"b{len(self.rival_items):02d}",
        }
        event = Event(expected + 1, 1, RIVAL, f"rival-{item_id}", PUBLIC, "item.added", data)
        await self.rival.append(room_id, expected, [event])
        self.rival_items.append(item_id)


class Broken(Passthrough):
    """Appends fail with an error the room does not expect (not a StoreError)."""

    broken = False

    async def before_append(self, room_id: str, expected: int) -> None:
        if self.broken:
            raise ZeroDivisionError("the disk controller divided by zero")


@dataclass
class Scene:
    server: LiveServer
    room: dict[str, Any]
    bea: WsClient
    sam: WsClient

    @property
    def registry(self) -> Registry:
        registry: Registry = self.server.app.state.registry
        return registry

    async def log(self) -> list[Event]:
        return await self.registry.store.read(self.room["room_id"])


@pytest.fixture
async def rival(store_url: str) -> AsyncIterator[Store]:
    second = open_store(store_url)
    await second.open()
    try:
        yield second
    finally:
        await second.close()


async def scene(server: LiveServer, store: Store) -> Scene:
    """A room served through ``store`` (set before it loads), with a buyer and a seller."""
    room = await create_room(server.base)
    server.app.state.registry.store = store
    bea = await WsClient(server.ws_url).open()
    sam = await WsClient(server.ws_url).open()
    assert (await bea.join(room["tokens"]["buyer"], "Bea"))["type"] == "welcome"
    assert (await sam.join(room["tokens"]["seller"], "Sam"))["type"] == "welcome"
    return Scene(server, room, bea, sam)


async def test_a_lost_append_is_rolled_back_and_decided_again_after_the_rival(
    store_url: str, rival: Store
) -> None:
    async with serve_in_loop(store_url) as server:
        store = RivalFirst(server.app.state.registry.store, rival)
        s = await scene(server, store)
        try:
            store.turns = 1
            reply = await s.bea.call("item.add", {"item_id": "mine", "kind": "term", "title": "M"})
            assert reply == {"type": "ack", "op": reply["op"], "seq": 3}
            log = await s.log()
            assert [(e.seq, e.data.get("item_id")) for e in log[1:]] == [(2, "rival0"), (3, "mine")]
            # Both members get the rival's event (caught up from the log) before ours.
            for client in (s.bea, s.sam):
                await client.wait_for(lambda f: f["type"] == "event" and f["seq"] == 3)
                assert [e["data"]["item_id"] for e in client.events("item.added")] == [
                    "rival0",
                    "mine",
                ]
        finally:
            await s.bea.close()
            await s.sam.close()


async def test_a_decision_the_rival_made_invalid_is_refused_after_the_rollback(
    store_url: str, rival: Store
) -> None:
    """The speculative state is rolled back: the command is decided again on the real log."""
    async with serve_in_loop(store_url) as server:
        store = RivalFirst(server.app.state.registry.store, rival)
        s = await scene(server, store)
        try:
            store.turns = 1
            reply = await s.bea.call(
                "item.add", {"item_id": "rival0", "kind": "term", "title": "M"}
            )
            assert reply["type"] == "error"
            assert reply["code"] == "item_exists"
            log = await s.log()
            assert [e.op for e in log[1:]] == ["rival-rival0"]
            welcome = await WsClient(server.ws_url).open()
            try:
                joined = await welcome.join(s.room["tokens"]["buyer"], "Bea again")
                assert [i["title"] for i in joined["view"]["items"]] == ["The rival's item"]
            finally:
                await welcome.close()
        finally:
            await s.bea.close()
            await s.sam.close()


async def test_a_room_that_loses_every_append_answers_busy_and_keeps_working(
    store_url: str, rival: Store
) -> None:
    async with serve_in_loop(store_url) as server:
        store = RivalFirst(server.app.state.registry.store, rival)
        s = await scene(server, store)
        try:
            store.turns = MAX_RETRIES
            op = await s.bea.command("item.add", {"item_id": "mine", "kind": "term", "title": "M"})
            reply = await s.bea.reply(op, timeout=60)
            assert reply["type"] == "error"
            assert reply["code"] == "busy"
            assert reply["op"] == op
            log = await s.log()
            assert "mine" not in {e.data.get("item_id") for e in log}
            assert len(log) == 1 + MAX_RETRIES
            assert store.turns == 0
            # The rival stopped: the same command now lands.
            again = await s.bea.call("item.add", {"item_id": "mine", "kind": "term", "title": "M"})
            assert again["type"] == "ack"
            assert again["seq"] == 2 + MAX_RETRIES
            await s.sam.wait_for(lambda f: f["type"] == "event" and f["seq"] == again["seq"])
        finally:
            await s.bea.close()
            await s.sam.close()


async def test_a_writer_failure_closes_every_member_with_1011_and_the_room_reloads(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url) as server:
        store = Broken(server.app.state.registry.store)
        s = await scene(server, store)
        with log_lines() as lines:
            store.broken = True
            await s.bea.command("item.add", {"item_id": "x", "kind": "term", "title": "X"})
            for client in (s.bea, s.sam):
                code, _ = await client.wait_closed()
                assert code == CLOSE_UNAVAILABLE
            failed = await lines.wait_for(lambda r: r.getMessage().startswith("writer failed"))
        assert failed.levelno == logging.ERROR
        assert failed.exc_info is not None
        assert failed.exc_info[0] is ZeroDivisionError
        assert getattr(failed, "room", None) == s.room["room_id"]
        store.broken = False
        async with WsClient(server.ws_url) as again:
            assert (await again.join(s.room["tokens"]["buyer"], "Bea"))["type"] == "welcome"
            reply = await again.call("item.add", {"item_id": "x", "kind": "term", "title": "X"})
            assert reply["type"] == "ack"
            assert reply["seq"] == 2


async def test_a_decision_that_raises_answers_internal_error_and_changes_nothing(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from valueroom.domain.decide import decide as real

    def buggy(state: Any, actor: Actor, name: str, args: dict[str, Any]) -> Any:
        if name == "item.park":
            raise KeyError("a bug in deciding item.park")
        return real(state, actor, name, args)

    monkeypatch.setattr(live, "decide", buggy)
    async with serve_in_loop(store_url) as server:
        s = await scene(server, server.app.state.registry.store)
        try:
            await s.bea.call("item.add", {"item_id": "x", "kind": "term", "title": "X"})
            with log_lines() as lines:
                reply = await s.bea.call("item.park", {"item_id": "x", "parked": True})
                assert reply["type"] == "error"
                assert reply["code"] == "internal_error"
                failed = await lines.wait_for(
                    lambda r: "deciding item.park failed" in r.getMessage()
                )
            assert failed.exc_info is not None
            assert failed.exc_info[0] is KeyError
            assert getattr(failed, "member", None) not in (None, "-")
            assert len(await s.log()) == 2
            # The room and the connection carry on.
            ack = await s.bea.call("item.edit", {"item_id": "x", "title": "Y"})
            assert ack["type"] == "ack"
            assert ack["seq"] == 3
            assert s.bea.closed is None
        finally:
            await s.bea.close()
            await s.sam.close()
