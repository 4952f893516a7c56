"""Every limit of ``valueroom serve``, one test each, against a real server over real sockets.

Each test sets the limit low, reaches it, and checks the typed refusal, that
nothing changed, and that the connections within the limit are served.
Waits are for an answer or a close, never for time.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import sqlite3
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as sync_connect

from tests.liveserver import LiveServer, ServerProcess, create_room, serve_in_loop
from tests.timing import timeout
from tests.wsclient import WsClient
from valueroom.cli import raise_descriptor_limit
from valueroom.edge.limits import Bucket, RateTable, address_key, descriptor_budget
from valueroom.edge.ws import CLOSE_FULL
from valueroom.logs import RateLimitedHandler


async def tcp(server: LiveServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = server.base.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def answer(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), timeout(10))


async def health(server: LiveServer) -> int:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"{server.base}/api/health")).status_code


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/limits.db"


# -- connections -------------------------------------------------------------------


async def test_limits_connections_per_address_refused_with_429(sqlite_url: str) -> None:
    async with serve_in_loop(sqlite_url, max_per_address=3) as server:
        held = [await tcp(server) for _ in range(3)]
        reader, writer = await tcp(server)
        refused = await answer(reader)
        assert refused.startswith(b"HTTP/1.1 429 ")
        assert b"Retry-After:" in refused
        writer.close()
        # A slot given back is a slot free again.
        held.pop()[1].close()
        async with asyncio.timeout(timeout(10)):
            while True:  # the close reaches the server when it reaches it
                reader, writer = await tcp(server)
                writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                status = (await answer(reader)).split(b"\r\n", 1)[0]
                writer.close()
                if status == b"HTTP/1.1 200 OK":
                    break
                assert status.startswith(b"HTTP/1.1 429 ")
        for _, writer in held:
            writer.close()


async def test_limits_unjoined_websockets_refused_but_members_keep_their_slots(
    sqlite_url: str,
) -> None:
    async with serve_in_loop(
        sqlite_url, max_unjoined=3, max_unjoined_per_address=100, max_per_address=100
    ) as server:
        room = await create_room(server.base)
        waiting = [await WsClient(server.ws_url).open() for _ in range(3)]
        with pytest.raises(InvalidStatus) as refused:
            await connect(server.ws_url)
        assert refused.value.response.status_code == 503
        # A join frees its unjoined slot: a member is never counted as a stranger.
        assert (await waiting[0].join(room["tokens"]["buyer"], "Bea"))["type"] == "welcome"
        async with asyncio.timeout(timeout(10)):
            late = await WsClient(server.ws_url).open()
        assert (await late.join(room["tokens"]["seller"], "Sam"))["type"] == "welcome"
        for client in [*waiting, late]:
            await client.close()


async def test_limits_unjoined_per_address(sqlite_url: str) -> None:
    async with serve_in_loop(sqlite_url, max_unjoined_per_address=2) as server:
        waiting = [await WsClient(server.ws_url).open() for _ in range(2)]
        with pytest.raises(InvalidStatus) as refused:
            await connect(server.ws_url)
        assert refused.value.response.status_code == 429
        for client in waiting:
            await client.close()


async def test_limits_half_sent_request_is_closed_after_the_header_timeout(
    sqlite_url: str,
) -> None:
    async with serve_in_loop(sqlite_url, header_timeout=0.3, max_per_address=1) as server:
        reader, writer = await tcp(server)
        writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # never finished
        assert await answer(reader) == b""
        writer.close()
        # Its slot is free again: the one allowed connection of this address is served.
        async with asyncio.timeout(timeout(10)):
            while (status := await health(server)) == 429:
                pass
        assert status == 200


async def test_limits_half_sent_websocket_handshake_is_closed(sqlite_url: str) -> None:
    async with serve_in_loop(sqlite_url, header_timeout=0.3) as server:
        reader, writer = await tcp(server)
        writer.write(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
        assert await answer(reader) == b""
        writer.close()


async def test_limits_connection_budget_refused_with_503(sqlite_url: str) -> None:
    async with serve_in_loop(sqlite_url, max_connections=4, max_per_address=100) as server:
        held = [await tcp(server) for _ in range(4)]
        reader, writer = await tcp(server)
        assert (await answer(reader)).startswith(b"HTTP/1.1 503 ")
        writer.close()
        for _, held_writer in held:
            held_writer.close()


def test_limits_descriptor_soft_limit_is_raised_to_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 64:
        pytest.skip("needs a finite hard limit above 64")
    lowered = min(soft, 64)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        assert descriptor_budget(16) == lowered - 16
        assert raise_descriptor_limit() == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
        assert descriptor_budget(16) == hard - 16
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_limits_an_ipv6_host_counts_by_its_network() -> None:
    assert address_key(("2001:db8::1", 1)) == address_key(("2001:db8::ffff", 2))
    assert address_key(("2001:db8:0:1::1", 1)) != address_key(("2001:db8::1", 1))
    assert address_key(("::ffff:10.0.0.1", 1)) == "10.0.0.1"


# -- room creation -------------------------------------------------------------------


async def test_limits_room_creation_per_address_per_hour(sqlite_url: str) -> None:
    async with serve_in_loop(sqlite_url, rooms_per_hour=2) as server:
        body = {"title": "Deal"}
        async with httpx.AsyncClient(base_url=server.base) as http:
            for _ in range(2):
                assert (await http.post("/api/rooms", json=body)).status_code == 201
            refused = await http.post("/api/rooms", json=body)
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(refused.headers["retry-after"]) <= 3600
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT count(*) FROM rooms").fetchone() == (2,)


async def test_limits_room_creation_same_origin_only(sqlite_url: str) -> None:
    async with serve_in_loop(sqlite_url, allowed_origins=("https://app.example",)) as server:
        host = server.base.removeprefix("http://")
        async with httpx.AsyncClient(base_url=server.base) as http:
            for origin, status in [
                ("https://evil.example", 403),
                (f"http://{host}", 201),
                ("https://app.example", 201),
            ]:
                response = await http.post(
                    "/api/rooms", json={"title": "Deal"}, headers={"Origin": origin}
                )
                assert response.status_code == status, origin
                if status == 403:
                    assert response.json()["error"]["code"] == "foreign_origin"


# -- members -------------------------------------------------------------------------


async def test_limits_commands_per_member_per_second(store_url: str) -> None:
    async with serve_in_loop(store_url, commands_per_second=5) as server:
        room = await create_room(server.base)
        other = await create_room(server.base)
        async with (
            WsClient(server.ws_url) as flood,
            WsClient(server.ws_url) as sam,
            WsClient(server.ws_url) as elsewhere,
        ):
            await flood.join(room["tokens"]["buyer"], "Bea")
            await sam.join(room["tokens"]["seller"], "Sam")
            await elsewhere.join(other["tokens"]["buyer"], "Eve")
            ops = [
                await flood.command("item.add", {"item_id": f"i{n}", "kind": "term", "title": "T"})
                for n in range(40)
            ]
            # Another room is served while the flood is refused.
            reply = await elsewhere.call("item.add", {"item_id": "x", "kind": "term", "title": "X"})
            assert reply["type"] == "ack"
            replies = [await flood.reply(op) for op in ops]
            acked = [r for r in replies if r["type"] == "ack"]
            limited = [r for r in replies if r["type"] == "error"]
            assert {r["code"] for r in limited} == {"rate_limited"}
            assert {r["reason"] for r in limited} == {"rate.limited"}
            assert all(int(r["params"]["retry_ms"]) >= 1 for r in limited)
            assert 10 <= len(acked) < 40
            # Exactly the acknowledged commands changed the room.
            # Once the bucket refills, the member is served again.
            async with asyncio.timeout(timeout(10)):
                while True:
                    last = {"item_id": "z", "kind": "term", "title": "Z"}
                    if (await flood.call("item.add", last))["type"] == "ack":
                        break
            await sam.wait_for(lambda f: f["type"] == "event" and f["data"].get("item_id") == "z")
            # Exactly the acknowledged commands changed the room.
            acked_ops = {r["op"] for r in acked}
            expected = {f"i{n}" for n, op in enumerate(ops) if op in acked_ops} | {"z"}
            assert {e["data"]["item_id"] for e in sam.events("item.added")} == expected


async def test_limits_members_per_role_link(store_url: str) -> None:
    async with serve_in_loop(store_url, members_per_link=2, members_per_room=4) as server:
        room = await create_room(server.base, neutral=True)
        buyers = [WsClient(server.ws_url) for _ in range(3)]
        for client in buyers[:2]:
            await client.open()
            assert (await client.join(room["tokens"]["buyer"], "Bea"))["type"] == "welcome"
        third = await buyers[2].open()
        refused = await third.join(room["tokens"]["buyer"], "Bea")
        assert (refused["code"], refused["reason"]) == ("room_full", "join.link_full")
        assert refused["params"] == {"max": "2"}
        assert (await third.wait_closed())[0] == CLOSE_FULL
        # Other roles still join, up to the room's own cap.
        async with WsClient(server.ws_url) as sam, WsClient(server.ws_url) as nia:
            assert (await sam.join(room["tokens"]["seller"], "Sam"))["type"] == "welcome"
            assert (await nia.join(room["tokens"]["neutral"], "Nia"))["type"] == "welcome"
            async with WsClient(server.ws_url) as fifth:
                full = await fifth.join(room["tokens"]["seller"], "Sid")
                assert (full["code"], full["reason"]) == ("room_full", "join.room_full")
                assert (await fifth.wait_closed())[0] == CLOSE_FULL
            presence = sam.frames[-1] if sam.frames[-1]["type"] == "presence" else None
            assert presence is None or len(presence["members"]) <= 4
        for client in buyers[:2]:
            await client.close()


# -- bad bytes and the log ---------------------------------------------------------------

BAD_BYTES = [
    b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: \xc3\x28\r\n\r\n",
    b"\xff\xff\xff\xff\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: \xc3\x28\xc3\x28\xc3\x28\xc3\x28==\r\nSec-WebSocket-Version: 13\r\n"
    b"Origin: http://\xe2\x82\r\n\r\n",
    b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 4\r\n\r\n\xc3\x28\xa0\xa1",
]


async def test_limits_bad_bytes_never_log_a_traceback(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve_in_loop(sqlite_url) as server:
        for data in BAD_BYTES:
            reader, writer = await tcp(server)
            writer.write(data)
            await answer(reader)
            writer.close()
        room = await create_room(server.base)
        async with WsClient(server.ws_url) as bea:
            await bea.join(room["tokens"]["buyer"], "Bea")
            await bea.send_raw(b"\x82\xa4type\xa3cmd\xa2op")  # truncated msgpack
            await bea.send_raw(b"\xa2\xc3\x28")  # a msgpack string of malformed UTF-8
            await bea.send_raw(b"\x81\xa4type\xa3\xff\xfe\xfd")  # a frame type of malformed UTF-8
            await bea.send({"type": "cmd", "op": "o1", "name": "x", "args": {}})
            reply = await bea.call("item.add", {"item_id": "a", "kind": "term", "title": "A"})
            assert reply["type"] == "ack"
        async with WsClient(server.ws_url) as text:
            assert text.ws is not None
            await text.ws.send(b"\xc3\x28", text=True)  # a text frame of malformed UTF-8
            refused = await text.wait_for(lambda f: f["type"] == "error")
            assert refused["code"] == "bad_frame"
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
    assert not tracebacks
    assert not any("Traceback" in r.getMessage() for r in caplog.records)


def test_limits_log_handler_writes_at_most_its_rate() -> None:
    now = [0.0]
    handler = RateLimitedHandler(2.0, clock=lambda: now[0])
    written: list[str] = []
    handler.emit = lambda record: written.append(record.getMessage())  # type: ignore[method-assign]
    for n in range(1000):
        handler.handle(logging.LogRecord("t", logging.INFO, __file__, 0, "line %d", (n,), None))
    assert len(written) == 20  # the burst: ten times the rate
    now[0] += 1.0
    handler.handle(logging.LogRecord("t", logging.INFO, __file__, 0, "after", None, None))
    assert written[-2:] == ["980 log lines were dropped (over --log-rate)", "after"]


def test_limits_a_refusal_flood_writes_a_bounded_log(tmp_path: object) -> None:
    flags = ["--log-level", "info", "--log-rate", "1", "--max-per-address", "1"]
    server = ServerProcess(
        f"sqlite:///{tmp_path}/flood.db", extra=[*flags, "--join-timeout", "600"]
    )
    server.start()
    try:
        # Hold the address's one connection (once the start-up's health checks let go of it).
        deadline = time.monotonic() + timeout(10)
        while True:
            try:
                held = sync_connect(server.ws_url, open_timeout=timeout(10), legacy=True)
                break
            except InvalidStatus:
                assert time.monotonic() < deadline
        refused = 0
        for _ in range(200):
            with socket.create_connection(("127.0.0.1", server.port), timeout=timeout(10)) as sock:
                if sock.recv(64).startswith(b"HTTP/1.1 429"):
                    refused += 1
        held.close()
        assert refused == 200
    finally:
        assert server.proc is not None
        assert server.proc.stderr is not None
        server.proc.terminate()
        log = server.proc.stderr.read().decode()
        server.stop()
    lines = [line for line in log.splitlines() if "refused a connection" in line]
    assert 1 <= len(lines) <= 10, len(lines)


def test_limits_token_bucket_and_rate_table() -> None:
    now = [0.0]
    bucket = Bucket(2.0, 4.0, clock=lambda: now[0])
    assert [bucket.take() for _ in range(5)] == [True] * 4 + [False]
    assert bucket.wait() == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.take()
    table = RateTable(3, keys=2, clock=lambda: now[0])
    assert [table.take("a") for _ in range(3)] == [None] * 3
    assert table.take("a") == pytest.approx(1200.0)
    table.take("b")
    table.take("c")  # over its key budget: a full or old key goes
    assert len(table._buckets) <= 2


def test_limits_are_settings_with_flags_and_variables() -> None:
    from valueroom.config import OPTIONS, Settings

    settings = Settings.from_env(
        {
            "VALUEROOM_MAX_PER_ADDRESS": "7",
            "VALUEROOM_HEADER_TIMEOUT": "2m",
            "VALUEROOM_IDLE_SECONDS": "1h",
        }
    )
    assert (settings.max_per_address, settings.header_timeout) == (7, 120.0)
    assert settings.idle_seconds == 3600
    flags = {option.flag for option in OPTIONS}
    assert {
        "--max-per-address",
        "--max-unjoined",
        "--header-timeout",
        "--rooms-per-hour",
        "--commands-per-second",
        "--members-per-link",
        "--members-per-room",
        "--max-connections",
        "--log-rate",
    } <= flags
    with pytest.raises(ValueError, match="members per room"):
        Settings(members_per_room=1001)
