"""A real server on a free port, real websocket clients, over both stores."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import msgpack
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.loglines import log_lines
from tests.redisproc import running_redis
from tests.timing import timeout
from tests.wsclient import WsClient
from valueroom.edge.ws import CLOSE_TOO_SLOW, CLOSE_UNAVAILABLE
from valueroom.rooms.live import Member
from valueroom.rooms.registry import Registry


@pytest.fixture
async def server(store_url: str) -> AsyncIterator[LiveServer]:
    async with serve_in_loop(store_url) as live:
        yield live


async def drain(ws: ClientConnection) -> None:
    """Read until the connection ends (bounded in count and time)."""
    for _ in range(30_000):
        await asyncio.wait_for(ws.recv(), timeout=timeout(5))


def registry(server: LiveServer) -> Registry:
    reg: Registry = server.app.state.registry
    return reg


async def joined(server: LiveServer, token: str, name: str) -> WsClient:
    client = await WsClient(server.ws_url).open()
    welcome = await client.join(token, name)
    assert welcome["type"] == "welcome", welcome
    return client


async def test_create_room_answers_one_invite_link_per_role(server: LiveServer) -> None:
    room = await create_room(server.base, neutral=True)
    assert set(room["links"]) == {"buyer", "seller", "neutral"}
    secrets = set()
    for role, token in room["tokens"].items():
        room_id, secret = token.split(".")
        assert room_id == room["room_id"]
        assert len(base64.urlsafe_b64decode(secret + "==")) * 8 >= 128, role
        # No --public-url and no --allow-host: relative to the page that asked.
        assert room["links"][role] == f"/join#{token}"
        secrets.add(secret)
    assert len(secrets) == 3


async def test_room_without_neutral_has_no_neutral_link(server: LiveServer) -> None:
    room = await create_room(server.base, neutral=False)
    assert room["links"]["neutral"] is None
    assert set(room["tokens"]) == {"buyer", "seller"}


async def test_invite_secrets_are_stored_only_as_hashes(server: LiveServer) -> None:
    room = await create_room(server.base, neutral=True)
    store = registry(server).store
    record = await store.room(room["room_id"])
    assert record is not None
    stored = repr(record) + repr(await store.read(room["room_id"]))
    for token in room["tokens"].values():
        assert token.split(".")[1] not in stored


async def test_welcome_holds_the_room_its_sequence_number_and_log_identity(
    server: LiveServer,
) -> None:
    room = await create_room(server.base, title="Pallets 2027", currency="JPY")
    async with WsClient(server.ws_url) as client:
        welcome = await client.join(room["tokens"]["seller"], "Sam")
        assert welcome["type"] == "welcome"
        assert welcome["seq"] == 1
        assert welcome["log_id"] == room["log_id"]
        assert welcome["you"]["role"] == "seller"
        assert welcome["resumed"] is False
        assert welcome["view"]["room"]["title"] == "Pallets 2027"
        assert welcome["currency_decimals"] == 0


async def test_edit_reaches_every_peer_in_the_same_sequence_order(server: LiveServer) -> None:
    room = await create_room(server.base, neutral=True)
    roles = ["buyer", "seller", "neutral", "buyer"]
    clients = [await joined(server, room["tokens"][r], f"P{i}") for i, r in enumerate(roles)]
    try:
        ops = []
        for round_ in range(10):
            for i, (role, client) in enumerate(zip(roles, clients, strict=True)):
                # The parties write the agenda; the neutral keeps process notes.
                if role == "neutral":
                    name, args = "note.add", {"note_id": f"c{i}r{round_}", "text": f"Note {round_}"}
                else:
                    name = "item.add"
                    args = {"item_id": f"c{i}r{round_}", "kind": "term", "title": f"Item {i}"}
                ops.append((client, await client.command(name, args)))
        for client, op in ops:
            assert (await client.reply(op))["type"] == "ack"
        for client in clients:
            await client.wait_for(lambda f: f["type"] == "event" and f["seq"] == 41)
        sequences = [
            [
                (e["seq"], e["name"], e["data"].get("item_id") or e["data"]["note_id"])
                for e in c.events()
                if e["name"] in ("item.added", "note.added")
            ]
            for c in clients
        ]
        assert all(seq == sequences[0] for seq in sequences)
        assert [s for s, _, _ in sequences[0]] == list(range(2, 42))
        assert [n for _, n, _ in sequences[0]].count("note.added") == 10
    finally:
        for client in clients:
            await client.close()


async def test_ack_comes_only_after_the_event_is_in_the_store(server: LiveServer) -> None:
    room = await create_room(server.base)
    async with WsClient(server.ws_url) as client:
        await client.join(room["tokens"]["buyer"], "Bea")
        ack = await client.call(
            "item.add", {"item_id": "i1", "kind": "measure", "title": "Joint forecast"}
        )
        assert ack["type"] == "ack"
        stored = await registry(server).store.read(room["room_id"], ack["seq"] - 1)
        assert [e.name for e in stored] == ["item.added"]
        assert stored[0].op == ack["op"]
        event_index = next(i for i, f in enumerate(client.frames) if f["type"] == "event")
        ack_index = client.frames.index(ack)
        assert event_index < ack_index


async def test_presence_shows_who_is_here_and_what_they_edit(server: LiveServer) -> None:
    room = await create_room(server.base, neutral=True)
    async with WsClient(server.ws_url) as bea, WsClient(server.ws_url) as sam:
        await bea.join(room["tokens"]["buyer"], "Bea")
        await sam.join(room["tokens"]["seller"], "Sam")
        await bea.wait_for(lambda f: f["type"] == "presence" and len(f["members"]) == 2)
        await sam.send({"type": "presence", "editing": "i1"})
        frame = await bea.wait_for(
            lambda f: f["type"] == "presence" and any(m["editing"] == "i1" for m in f["members"])
        )
        assert {(m["role"], m["name"], m["editing"]) for m in frame["members"]} == {
            ("buyer", "Bea", None),
            ("seller", "Sam", "i1"),
        }
        await sam.close()
        await bea.wait_for(lambda f: f["type"] == "presence" and len(f["members"]) == 1)


async def test_team_members_on_one_link_share_the_party_view(server: LiveServer) -> None:
    room = await create_room(server.base)
    async with WsClient(server.ws_url) as one, WsClient(server.ws_url) as two:
        await one.join(room["tokens"]["buyer"], "Bea")
        await two.join(room["tokens"]["buyer"], "Bob")
        assert (await one.call("item.add", {"item_id": "x", "kind": "term", "title": "T"}))[
            "type"
        ] == "ack"
        ack = await one.call("figures.set", {"item_id": "x", "value": "10", "cost": "2"})
        assert ack["type"] == "ack"
        frame = await two.wait_for(
            lambda f: f["type"] == "event" and f["name"] == "figures.registered"
        )
        assert frame["data"]["value"] == 1000


async def test_resume_delivers_exactly_the_missed_events(server: LiveServer) -> None:
    room = await create_room(server.base)
    async with WsClient(server.ws_url) as bea:
        await bea.join(room["tokens"]["buyer"], "Bea")
        sam = await joined(server, room["tokens"]["seller"], "Sam")
        await bea.call("item.add", {"item_id": "a", "kind": "term", "title": "A"})
        await sam.wait_for(lambda f: f["type"] == "event" and f["seq"] == 2)
        last = sam.last_seq
        await sam.close()
        for name in "bcd":
            await bea.call("item.add", {"item_id": name, "kind": "term", "title": name.upper()})
        await bea.call("item.edit", {"item_id": "a", "title": "A2"})
        async with WsClient(server.ws_url) as again:
            welcome = await again.join(
                room["tokens"]["seller"], "Sam", resume={"log_id": room["log_id"], "seq": last}
            )
            assert welcome["resumed"] is True
            assert welcome["view"] is None
            await again.wait_for(lambda f: f["type"] == "event" and f["seq"] == 6)
            assert [e["seq"] for e in again.events()] == [3, 4, 5, 6]
            # The welcome and the catch-up were queued together: one batch message.
            assert again.batches >= 1


async def test_resume_with_a_foreign_log_id_gets_a_full_snapshot(server: LiveServer) -> None:
    room = await create_room(server.base)
    async with WsClient(server.ws_url) as bea:
        await bea.join(room["tokens"]["buyer"], "Bea")
        await bea.call("item.add", {"item_id": "a", "kind": "term", "title": "A"})
    async with WsClient(server.ws_url) as again:
        welcome = await again.join(
            room["tokens"]["buyer"], "Bea", resume={"log_id": "other", "seq": 1}
        )
        assert welcome["resumed"] is False
        assert [i["id"] for i in welcome["view"]["items"]] == ["a"]
        assert again.events() == []


async def test_command_resent_with_the_same_id_is_applied_once(server: LiveServer) -> None:
    room = await create_room(server.base)
    async with WsClient(server.ws_url) as first:
        await first.join(room["tokens"]["buyer"], "Bea")
        await first.command(
            "item.add", {"item_id": "once", "kind": "term", "title": "Once"}, op="fixed-op-1"
        )
        # The connection drops before the ack is read: the client cannot know it landed.
    async with WsClient(server.ws_url) as second:
        await second.join(room["tokens"]["buyer"], "Bea")
        reply = await second.call(
            "item.add", {"item_id": "once", "kind": "term", "title": "Once"}, op="fixed-op-1"
        )
        assert reply["type"] == "ack"
        assert reply["seq"] == 2
    events = await registry(server).store.read(room["room_id"])
    assert [e.name for e in events].count("item.added") == 1


async def test_stalled_client_is_disconnected_without_delaying_the_others(store_url: str) -> None:
    async with serve_in_loop(store_url, send_queue=32) as server:
        room = await create_room(server.base)
        # A peer that stops reading: tiny receive buffer, one-message client queue.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", int(server.base.rsplit(":", 1)[1])))
        async with connect(server.ws_url, sock=sock, compression=None, max_queue=1) as stalled:
            await stalled.send(
                msgpack.packb({"type": "join", "token": room["tokens"]["seller"], "name": "Slow"})
            )
            async with WsClient(server.ws_url) as bea:
                await bea.join(room["tokens"]["buyer"], "Bea")
                await bea.wait_for(lambda f: f["type"] == "presence" and len(f["members"]) == 2)
                await bea.call("item.add", {"item_id": "big", "kind": "term", "title": "T"})
                live = registry(server).rooms[room["room_id"]]
                # Bea keeps editing and is answered every time while the stalled
                # peer's queue fills, until the room gives up on that peer alone.
                for i in range(20_000):
                    if len(live.members) == 1:
                        break
                    reply = await bea.call(
                        "item.edit", {"item_id": "big", "description": f"{i:04d}" + "x" * 3990}
                    )
                    assert reply["type"] == "ack", reply
                assert [m.name for m in live.members.values()] == ["Bea"]
                await bea.wait_for(
                    lambda f: (
                        f["type"] == "presence" and [m["name"] for m in f["members"]] == ["Bea"]
                    )
                )
            # Once it reads again it finds its connection ended: with close code
            # 4408 if the close frame got through, else as an abnormal closure.
            with pytest.raises(ConnectionClosed):
                await drain(stalled)
            assert stalled.close_code in (CLOSE_TOO_SLOW, 1006)


async def test_room_is_unloaded_when_empty_and_loads_again(server: LiveServer) -> None:
    room = await create_room(server.base)
    with log_lines() as lines:
        async with WsClient(server.ws_url) as bea:
            await bea.join(room["tokens"]["buyer"], "Bea")
            await bea.call(
                "item.add",
                {
                    "item_id": "kept",
                    "kind": "question",
                    "title": "Are we valuable enough to each other?",
                },
            )
            assert room["room_id"] in registry(server).rooms
        unloaded = await lines.wait_for(lambda r: r.getMessage().startswith("room unloaded"))
    assert unloaded.getMessage() == "room unloaded: 2 events"
    assert getattr(unloaded, "room", None) == room["room_id"]
    assert room["room_id"] not in registry(server).rooms
    async with WsClient(server.ws_url) as sam:
        welcome = await sam.join(room["tokens"]["seller"], "Sam")
        assert [i["title"] for i in welcome["view"]["items"]] == [
            "Are we valuable enough to each other?"
        ]
        assert welcome["seq"] == 2


@pytest.mark.redis
async def test_store_outage_gives_typed_errors_and_the_server_carries_on() -> None:
    with running_redis() as url:
        async with serve_in_loop(url) as server:
            room = await create_room(server.base)
            async with WsClient(server.ws_url) as bea:
                await bea.join(room["tokens"]["buyer"], "Bea")
                with contextlib.suppress(redis.exceptions.ConnectionError):
                    redis.Redis.from_url(url).shutdown(nosave=True)
                reply = await bea.call("item.add", {"item_id": "i1", "kind": "term", "title": "T"})
                assert reply["type"] == "error"
                assert reply["code"] == "unavailable"
                assert bea.events() == []
                async with WsClient(server.ws_url) as sam:
                    refused = await sam.join(room["tokens"]["seller"], "Sam")
                    assert refused["code"] == "unavailable"
                    code, _ = await sam.wait_closed()
                    assert code == CLOSE_UNAVAILABLE
                async with httpx.AsyncClient() as http:
                    # The process still answers; it says it is not healthy while the store is down.
                    health = await http.get(f"{server.base}/api/health")
                    assert (health.status_code, health.json()) == (503, {"ok": False})


class Collect:
    """An outbox that keeps what it is given (a member without a socket)."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def push(self, frame: bytes) -> None:
        self.frames.append(frame)

    def stream(self, frames: Iterator[bytes]) -> None:
        self.frames.extend(frames)

    def push_latest(self, frame: bytes) -> None:
        self.frames.append(frame)

    def close(self, code: int, reason: str) -> None:
        self.frames.append(b"closed")


async def test_a_joiner_going_away_during_the_load_does_not_cancel_it_for_others(
    server: LiveServer,
) -> None:
    room = await create_room(server.base)
    reg = registry(server)
    record = await reg.store.room(room["room_id"])
    assert record is not None
    first = asyncio.create_task(reg.join(record, Member("a", "buyer", "A", Collect()), None))
    second = asyncio.create_task(reg.join(record, Member("b", "seller", "B", Collect()), None))
    await asyncio.sleep(0)
    assert room["room_id"] in reg._loading
    first.cancel()
    live = await asyncio.wait_for(second, timeout=timeout(5))
    assert [m.id for m in live.members.values()] == ["b"]
    assert first.cancelled()


async def test_a_peer_that_vanished_without_closing_is_dropped_by_the_keepalive(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url, ping_interval=0.2) as server:
        room = await create_room(server.base)
        async with WsClient(server.ws_url) as bea:
            await bea.join(room["tokens"]["buyer"], "Bea")
            ghost = await silent_member(server.ws_url, room["tokens"]["seller"], "Ghost")
            try:
                # Ghost joined, then stopped answering (and reading) altogether:
                # the first round pings it, the next finds it silent and drops it.
                both = await bea.wait_for(
                    lambda f: (
                        f["type"] == "presence"
                        and [m["name"] for m in f["members"]] == ["Bea", "Ghost"]
                    )
                )
                await bea.wait_for(
                    lambda f: (
                        f["type"] == "presence" and [m["name"] for m in f["members"]] == ["Bea"]
                    ),
                    start=bea.frames.index(both) + 1,
                )
                # Bea answers the pings (her client library does) and stays.
                assert (await bea.call("item.add", {"item_id": "a", "kind": "term", "title": "A"}))[
                    "type"
                ] == "ack"
            finally:
                ghost.close()


async def silent_member(ws_url: str, token: str, name: str) -> asyncio.StreamWriter:
    """Handshake and join over a raw socket, then never read or answer again."""
    from websockets.client import ClientProtocol
    from websockets.uri import parse_uri

    protocol = ClientProtocol(parse_uri(ws_url))
    host, port = ws_url.removeprefix("ws://").split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    protocol.send_request(protocol.connect())
    writer.write(b"".join(protocol.data_to_send()))
    while protocol.handshake_exc is None and not protocol.events_received():
        protocol.receive_data(await reader.read(4096))
    assert protocol.handshake_exc is None
    protocol.send_binary(msgpack.packb({"type": "join", "token": token, "name": name}))
    writer.write(b"".join(protocol.data_to_send()))
    await writer.drain()
    return writer
