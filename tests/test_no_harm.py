"""No member can harm another: presence floods, shared op ids, forged Host headers."""

from __future__ import annotations

import time

import httpx

from tests.liveserver import create_room, serve_in_loop
from tests.wsclient import WsClient
from valueroom.config import Settings
from valueroom.edge.ws import Edge, RoomSocket
from valueroom.rooms.live import PRESENCE_INTERVAL


async def test_no_harm_a_focus_toggling_loop_is_coalesced_for_everyone_else(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url, send_queue=64) as server:
        room = await create_room(server.base, neutral=True)
        added = {"item_id": "i1", "kind": "term", "title": "T"}
        async with (
            WsClient(server.ws_url) as toggler,
            WsClient(server.ws_url) as sam,
            WsClient(server.ws_url) as nia,
        ):
            await toggler.join(room["tokens"]["buyer"], "Bea")
            await sam.join(room["tokens"]["seller"], "Sam")
            await nia.join(room["tokens"]["neutral"], "Nia")
            await toggler.call("item.add", added)
            everyone = len(sam.frames), len(nia.frames)
            started = time.monotonic()
            for n in range(3000):
                await toggler.send({"type": "presence", "editing": "i1" if n % 2 else None})
            # A command without a change: its ack is queued after every frame before it.
            reply = await toggler.call("item.edit", {"item_id": "i1", "title": "T"})
            assert reply["type"] == "ack"
            await toggler.send({"type": "presence", "editing": "i1"})
            for watcher in (sam, nia):
                await watcher.wait_for(
                    lambda f: (
                        f["type"] == "presence" and any(m["editing"] == "i1" for m in f["members"])
                    )
                )
            elapsed = time.monotonic() - started
            bound = elapsed / PRESENCE_INTERVAL + 3
            for watcher, before in zip((sam, nia), everyone, strict=True):
                received = [f for f in watcher.frames[before:] if f["type"] == "presence"]
                assert len(received) <= bound, (len(received), elapsed)
                assert watcher.closed is None
            # The others are still served at once.
            assert (await sam.call("item.edit", {"item_id": "i1", "title": "U"}))["type"] == "ack"


async def test_no_harm_a_stalled_reader_holds_one_presence_frame_however_many_were_sent() -> None:
    socket = RoomSocket(Edge(Settings()))
    socket.pause_writing()
    socket.push(b"event")
    for n in range(5000):
        socket.push_latest(f"presence {n}".encode())
    socket.push(b"later event")
    assert len(socket._queue) == 3
    assert socket._next_batch() == [b"event", b"presence 4999", b"later event"]
    socket.push_latest(b"again")
    assert socket._next_batch() == [b"again"]
    socket.resume_writing()  # cancels the send deadline the pause started


async def test_no_harm_teammates_sending_the_same_op_id_are_both_applied(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base)
        async with (
            WsClient(server.ws_url) as bea,
            WsClient(server.ws_url) as bob,
            WsClient(server.ws_url) as sam,
        ):
            await bea.join(room["tokens"]["buyer"], "Bea")
            await bob.join(room["tokens"]["buyer"], "Bob")
            await sam.join(room["tokens"]["seller"], "Sam")
            first = await bea.call(
                "item.add", {"item_id": "a", "kind": "term", "title": "A"}, "same:1"
            )
            second = await bob.call(
                "item.add", {"item_id": "b", "kind": "term", "title": "B"}, "same:1"
            )
            assert first["type"] == second["type"] == "ack"
            assert second["seq"] > first["seq"]
            # A re-sent op of one sender is still applied once.
            again = await bea.call(
                "item.add", {"item_id": "a", "kind": "term", "title": "A"}, "same:1"
            )
            assert again == first
            await sam.wait_for(lambda f: f["type"] == "event" and f["data"].get("item_id") == "b")
            assert sorted(e["data"]["item_id"] for e in sam.events("item.added")) == ["a", "b"]


async def test_no_harm_a_forged_host_never_shapes_an_invite_link(store_url: str) -> None:
    async with serve_in_loop(store_url, allowed_hosts=("deals.example",)) as server:
        async with httpx.AsyncClient(base_url=server.base) as http:
            forged = await http.post(
                "/api/rooms", json={"title": "Deal"}, headers={"Host": "evil.example"}
            )
            allowed = await http.post(
                "/api/rooms", json={"title": "Deal"}, headers={"Host": "deals.example"}
            )
        assert forged.status_code == allowed.status_code == 201
        for link in forged.json()["links"].values():
            assert link is None or link.startswith("/join#")
        for link in allowed.json()["links"].values():
            assert link is None or link.startswith("http://deals.example/join#")
