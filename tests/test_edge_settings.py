"""Settings that shape what clients see, and the room's life between members.

``--public-url`` and ``--allow-origin`` (in process and through the command
line), a resume from a sequence number the log never reached, and the idle
timer that unloads an empty room (waited for by its log line, never by time).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.liveserver import ServerProcess, create_room, serve_in_loop
from tests.loglines import log_lines
from tests.timing import timeout
from tests.wsclient import WsClient
from valueroom.rooms.registry import Registry


async def test_public_url_is_the_base_of_every_invite_link(store_url: str) -> None:
    async with serve_in_loop(store_url, public_url="https://deals.example.com/vr/") as server:
        room = await create_room(server.base, neutral=True)
        for role, token in room["tokens"].items():
            assert room["links"][role] == f"https://deals.example.com/vr/join#{token}"


async def test_an_allowed_extra_origin_may_open_the_websocket(store_url: str) -> None:
    async with serve_in_loop(store_url, allowed_origins=("https://app.example.com",)) as server:
        room = await create_room(server.base)
        async with WsClient(server.ws_url, origin="https://app.example.com") as friend:
            assert (await friend.join(room["tokens"]["buyer"], "Bea"))["type"] == "welcome"
        for foreign in ("https://evil.example.com", "http://app.example.com"):
            with pytest.raises(InvalidStatus) as refused:
                await connect(server.ws_url, additional_headers={"Origin": foreign})
            assert refused.value.response.status_code == 403


async def test_a_resume_ahead_of_the_log_falls_back_to_a_fresh_welcome(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base)
        async with WsClient(server.ws_url) as bea:
            await bea.join(room["tokens"]["buyer"], "Bea")
            await bea.call("item.add", {"item_id": "a", "kind": "term", "title": "A"})
            ahead = bea.last_seq + 5
        async with WsClient(server.ws_url) as again:
            welcome = await again.join(
                room["tokens"]["buyer"], "Bea", resume={"log_id": room["log_id"], "seq": ahead}
            )
            assert welcome["resumed"] is False
            assert welcome["seq"] == 2
            assert [i["id"] for i in welcome["view"]["items"]] == ["a"]
            reply = await again.call("item.add", {"item_id": "b", "kind": "term", "title": "B"})
            assert reply["seq"] == 3
            # Nothing was replayed: the only event is the one this connection caused.
            assert [e["seq"] for e in again.events()] == [3]


async def test_an_empty_room_is_unloaded_by_the_idle_timer(store_url: str) -> None:
    async with serve_in_loop(store_url, idle_seconds=0.05) as server:
        registry: Registry = server.app.state.registry
        room = await create_room(server.base)
        with log_lines() as lines:
            async with WsClient(server.ws_url) as bea:
                await bea.join(room["tokens"]["buyer"], "Bea")
                await bea.call("item.add", {"item_id": "a", "kind": "term", "title": "A"})
            unloaded = await lines.wait_for(lambda r: r.getMessage().startswith("room unloaded"))
        messages = lines.messages("valueroom.rooms")
        assert messages.index("member left (buyer); 0 here") < messages.index(
            "room unloaded: 2 events"
        )
        assert getattr(unloaded, "room", None) == room["room_id"]
        assert room["room_id"] not in registry.rooms
        async with WsClient(server.ws_url) as sam:
            welcome = await sam.join(room["tokens"]["seller"], "Sam")
            assert [i["id"] for i in welcome["view"]["items"]] == ["a"]


async def test_a_member_coming_back_before_the_idle_timer_keeps_the_room_loaded(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url, idle_seconds=3600) as server:
        registry: Registry = server.app.state.registry
        room = await create_room(server.base)
        with log_lines() as lines:
            async with WsClient(server.ws_url) as bea:
                await bea.join(room["tokens"]["buyer"], "Bea")
            await lines.wait_for(lambda r: r.getMessage().startswith("member left"))
            loaded = registry.rooms[room["room_id"]]
            assert room["room_id"] in registry._unloads  # the timer is set
            async with WsClient(server.ws_url) as back:
                assert (await back.join(room["tokens"]["buyer"], "Bea"))["type"] == "welcome"
                assert registry.rooms[room["room_id"]] is loaded
                assert room["room_id"] not in registry._unloads  # and cancelled
        assert [m for m in lines.messages() if m.startswith("room loaded")] == [
            "room loaded: 1 events"
        ]


async def test_serve_flags_shape_links_origins_and_json_logs(tmp_path: Path) -> None:
    flags = [
        "--public-url",
        "https://deals.example.com/",
        "--allow-origin",
        "https://app.example.com",
        "--log-format",
        "json",
        "--log-level",
        "info",
    ]
    server = ServerProcess("sqlite:///" + str(tmp_path / "flags.db"), extra=flags).start()
    try:
        room = await create_room(server.base)
        token = room["tokens"]["buyer"]
        assert room["links"]["buyer"] == f"https://deals.example.com/join#{token}"
        async with WsClient(server.ws_url, origin="https://app.example.com") as bea:
            assert (await bea.join(token, "Bea"))["type"] == "welcome"
            member = bea.welcome["you"]["id"] if bea.welcome else None
        assert server.proc is not None
        proc = server.proc
        proc.terminate()
        proc.wait(timeout(10))
        assert proc.stderr is not None
        lines = [json.loads(line) for line in proc.stderr.read().decode().splitlines()]
    finally:
        server.stop()
    assert all(
        set(line) >= {"time", "level", "logger", "message", "room", "member"} for line in lines
    )
    about = {line["message"]: line for line in lines if line["room"] == room["room_id"]}
    assert about["room loaded: 1 events"]["member"] == "-"
    assert about["member joined as buyer (welcomed at 1); 1 here"]["member"] == member
    assert about["member left (buyer); 0 here"]["member"] == member
    assert about["connection closed by the peer: code 1000"]["member"] == member
    assert any(m.startswith("room unloaded") for m in about)
