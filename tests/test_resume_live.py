"""Resume always converges, and what a connection holds is bounded: a real server, real clients.

A client that missed more than the room's window gets a fresh welcome with
its role's whole view; one that missed less gets exactly the missed events,
streamed as its socket drains (never pushed into its bounded send queue at
once); one that stops reading is dropped by the send deadline.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.loglines import log_lines
from tests.test_room_live import drain, registry
from tests.wsclient import WsClient
from valueroom.edge.ws import CLOSE_TOO_SLOW, RoomSocket
from valueroom.protocol.schema import limit
from valueroom.rooms.live import RESUME_WINDOW

CHUNK = 250


async def edits(bea: WsClient, count: int, chunk: int = CHUNK) -> None:
    """``count`` edits of item ``a``, sent ``chunk`` at a time without waiting for each ack."""
    for first in range(0, count, chunk):
        last = min(first + chunk, count)
        ops = [
            await bea.command("item.edit", {"item_id": "a", "title": f"Title {n}"})
            for n in range(first, last)
        ]
        reply = await bea.reply(ops[-1], timeout=60)
        assert reply["type"] == "ack", reply
    # Drop what was kept so far: a long session would otherwise keep every frame.
    bea.frames.clear()


async def missed(
    server: LiveServer, bea: WsClient, count: int, chunk: int = CHUNK
) -> tuple[dict[str, Any], int]:
    """A room where the seller left at ``seq`` and then missed ``count`` edits by ``bea``."""
    room = await create_room(server.base)
    await bea.join(room["tokens"]["buyer"], "Bea")
    await bea.call("item.add", {"item_id": "a", "kind": "term", "title": "A"})
    async with WsClient(server.ws_url) as sam:
        await sam.join(room["tokens"]["seller"], "Sam")
        await sam.wait_for(lambda f: f["type"] == "split")
        left_at = sam.last_seq
    await edits(bea, count, chunk)
    return room, left_at


async def test_a_resume_10000_events_behind_gets_a_fresh_welcome_and_converges(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url) as server:
        async with WsClient(server.ws_url) as bea:
            room, left_at = await missed(server, bea, 10_000)
            async with WsClient(server.ws_url) as sam:
                welcome = await sam.join(
                    room["tokens"]["seller"],
                    "Sam",
                    resume={"log_id": room["log_id"], "seq": left_at},
                )
                assert welcome["resumed"] is False
                assert welcome["seq"] == left_at + 10_000
                assert [i["title"] for i in welcome["view"]["items"]] == ["Title 9999"]
                await sam.wait_for(lambda f: f["type"] == "split")
                assert sam.events() == []  # nothing streamed: the view replaced it
                # Converged: live again, and a second resume from here is a real one.
                reply = await sam.call("item.edit", {"item_id": "a", "title": "Sam's"})
                assert reply["type"] == "ack"
                seq = reply["seq"]
        async with WsClient(server.ws_url) as sam:
            welcome = await sam.join(
                room["tokens"]["seller"], "Sam", resume={"log_id": room["log_id"], "seq": seq}
            )
            assert welcome["resumed"] is True
            assert welcome["seq"] == seq


async def test_a_resume_inside_the_window_is_streamed_past_a_small_send_queue(
    store_url: str,
) -> None:
    count = RESUME_WINDOW - 100
    # 32 frames of queue: pushing the catch-up into it would drop the connection.
    async with (
        serve_in_loop(store_url, send_queue=32) as server,
        WsClient(server.ws_url) as bea,
    ):
        # Few at a time: the writer's acks and events to Bea must fit her queue.
        room, left_at = await missed(server, bea, count, chunk=10)
        async with WsClient(server.ws_url) as sam:
            welcome = await sam.join(
                room["tokens"]["seller"],
                "Sam",
                resume={"log_id": room["log_id"], "seq": left_at},
            )
            assert welcome["resumed"] is True
            assert welcome["view"] is None
            await sam.wait_for(lambda f: f["type"] == "split", timeout=60)
            numbers = [e["seq"] for e in sam.events()]
            assert numbers == list(range(left_at + 1, left_at + count + 1))
            assert sam.events()[-1]["data"]["title"] == f"Title {count - 1}"
            assert sam.closed is None
            reply = await sam.call("item.edit", {"item_id": "a", "title": "Sam's"})
            assert reply == {"type": "ack", "op": reply["op"], "seq": left_at + count + 1}


async def test_a_reader_that_stalls_is_dropped_by_the_send_deadline(store_url: str) -> None:
    # A queue too large to overflow here: only the deadline can drop the peer.
    async with serve_in_loop(store_url, send_queue=1_000_000, send_deadline=0.2) as server:
        room = await create_room(server.base)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", int(server.base.rsplit(":", 1)[1])))
        with log_lines() as lines:
            async with connect(server.ws_url, sock=sock, compression=None, max_queue=1) as stalled:
                await stalled.send(
                    msgpack.packb(
                        {"type": "join", "token": room["tokens"]["seller"], "name": "Slow"}
                    )
                )
                async with WsClient(server.ws_url) as bea:
                    await bea.join(room["tokens"]["buyer"], "Bea")
                    await bea.wait_for(lambda f: f["type"] == "presence" and len(f["members"]) == 2)
                    await bea.call("item.add", {"item_id": "big", "kind": "term", "title": "T"})
                    live = registry(server).rooms[room["room_id"]]
                    for i in range(20_000):
                        if len(live.members) == 1:
                            break
                        reply = await bea.call(
                            "item.edit", {"item_id": "big", "description": f"{i:04d}" + "x" * 3990}
                        )
                        assert reply["type"] == "ack", reply
                    assert [m.name for m in live.members.values()] == ["Bea"]
                await lines.wait_for(lambda r: "read nothing for" in r.getMessage())
                with pytest.raises(ConnectionClosed):
                    await drain(stalled)
                assert stalled.close_code in (CLOSE_TOO_SLOW, 1006)


async def large_room(server: LiveServer, bea: WsClient) -> dict[str, Any]:
    """A room whose buyer ``bea`` added 300 items at their text limits (a view of ~5 MB)."""
    room = await create_room(server.base, neutral=True)
    await bea.join(room["tokens"]["buyer"], "Bea")
    options = [{"id": f"o{n}", "label": "é" * 200} for n in range(20)]
    for first in range(0, 300, 50):
        ops = [
            await bea.command(
                "item.add",
                {
                    "item_id": f"i{n}",
                    "kind": "term",
                    "title": f"Item {n} " + "ü" * 150,
                    "description": "ø" * 4000,
                    "options": options,
                },
            )
            for n in range(first, first + 50)
        ]
        assert (await bea.reply(ops[-1], timeout=60))["type"] == "ack"
    return room


async def test_a_large_welcome_comes_in_parts_and_no_message_exceeds_the_frame_limit(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url) as server, WsClient(server.ws_url) as bea:
        room = await large_room(server, bea)
        live = registry(server).rooms[room["room_id"]]
        async with WsClient(server.ws_url) as sam:
            welcome = await sam.join(room["tokens"]["seller"], "Sam")
            assert welcome["more"] is True
            parts = [f for f in sam.frames if f["type"] == "view_part"]
            assert len(parts) > 10
            assert parts[-1]["last"] is True
            assert welcome["view"] == live.state.view("seller").to_wire()
            await sam.wait_for(lambda f: f["type"] == "split")
            # Every message that carries the welcome or its parts is within the limit.
            # (Other frames are their own builders' business: a deal sheet of 300
            # long items is one larger frame today.)
            ours = [
                raw
                for raw in sam.raw
                if any(
                    isinstance(f, dict) and f.get("type") in ("welcome", "view_part")
                    for f in _frames_of(raw)
                )
            ]
            assert len(ours) > 10
            assert max(len(raw) for raw in ours) <= limit("max_frame_bytes")
            reply = await sam.call("item.edit", {"item_id": "i0", "title": "Short"})
            assert reply["type"] == "ack"


async def test_a_joiner_that_does_not_read_holds_a_bounded_part_of_a_large_welcome(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url) as server, WsClient(server.ws_url) as bea:
        room = await large_room(server, bea)
        live = registry(server).rooms[room["room_id"]]
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", int(server.base.rsplit(":", 1)[1])))
        async with connect(server.ws_url, sock=sock, compression=None, max_queue=1) as stalled:
            await stalled.send(
                msgpack.packb({"type": "join", "token": room["tokens"]["seller"], "name": "Slow"})
            )
            # The joiner is admitted; its socket fills and the edge stops pulling parts.
            outbox: RoomSocket | None = None
            for _ in range(2_000):
                member = next((m for m in live.members.values() if m.name == "Slow"), None)
                if member is not None:
                    assert isinstance(member.outbox, RoomSocket)
                    if not member.outbox._writable:
                        outbox = member.outbox
                        break
                await asyncio.sleep(0.01)
            assert outbox is not None, "the stalled joiner's socket never filled"
            assert outbox.transport is not None
            held = outbox.transport.get_write_buffer_size()
            assert held <= 4 * 65536, held  # a batch or two, not the ~5 MB view
            assert any(not isinstance(entry, bytes) for entry in outbox._queue)  # parts left
            # Others are served meanwhile.
            assert (await bea.call("item.edit", {"item_id": "i0", "title": "Still here"}))[
                "type"
            ] == "ack"


def _frames_of(raw: bytes) -> list[Any]:
    message = msgpack.unpackb(raw, raw=False)
    return message if isinstance(message, list) else [message]
