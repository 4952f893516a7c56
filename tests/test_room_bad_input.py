"""Hostile input is normal input: typed errors, nothing appended, nobody else harmed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.wsclient import WsClient
from valueroom.edge.ws import CLOSE_BAD_TOKEN, CLOSE_NO_JOIN
from valueroom.protocol.schema import limit
from valueroom.rooms.registry import Registry


@dataclass
class Scene:
    server: LiveServer
    room: dict[str, Any]
    attacker: WsClient
    bystander: WsClient


@pytest.fixture
async def scene(store_url: str) -> AsyncIterator[Scene]:
    async with serve_in_loop(store_url, join_timeout=1.0) as server:
        room = await create_room(server.base, neutral=True)
        attacker = await WsClient(server.ws_url).open()
        bystander = await WsClient(server.ws_url).open()
        try:
            await attacker.join(room["tokens"]["neutral"], "Mallory")
            await bystander.join(room["tokens"]["seller"], "Sam")
            ack = await bystander.call(
                "item.add", {"item_id": "i1", "kind": "term", "title": "Price"}
            )
            assert ack["type"] == "ack"
            yield Scene(server, room, attacker, bystander)
        finally:
            await attacker.close()
            await bystander.close()


async def log_length(scene: Scene) -> int:
    registry: Registry = scene.server.app.state.registry
    return len(await registry.store.read(scene.room["room_id"]))


async def assert_unharmed(scene: Scene, before: int) -> None:
    """Nothing was appended, and the room still works for everyone."""
    assert await log_length(scene) == before
    seen = len(scene.bystander.events())
    ack = await scene.bystander.call("item.edit", {"item_id": "i1", "title": "Price per unit"})
    assert ack["type"] == "ack"
    assert ack["seq"] == before + 1
    assert [e["name"] for e in scene.bystander.events()[seen:]] == ["item.edited"]
    other = await create_room(scene.server.base)
    async with WsClient(scene.server.ws_url) as elsewhere:
        assert (await elsewhere.join(other["tokens"]["buyer"], "Else"))["type"] == "welcome"


def cmd(name: str, args: Any, op: str = "bad-1") -> bytes:
    data: bytes = msgpack.packb({"type": "cmd", "op": op, "name": name, "args": args})
    return data


BAD_FRAMES = [
    pytest.param(b"\xc1\x00garbage", "bad_frame", id="malformed-msgpack"),
    pytest.param(b"\x92\x01", "bad_frame", id="truncated-msgpack"),
    pytest.param(msgpack.packb({1: "int key"}), "bad_frame", id="non-string-map-key"),
    pytest.param(msgpack.packb(msgpack.ExtType(5, b"x")), "bad_frame", id="extension-type"),
    pytest.param(b"\x91" * 5000 + b"\x01", "bad_frame", id="deep-nesting"),
    pytest.param(msgpack.packb([1, 2, 3]), "invalid_frame", id="not-a-map"),
    pytest.param(msgpack.packb({"type": "launch"}), "unknown_type", id="unknown-type"),
    pytest.param(msgpack.packb({"type": 7}), "unknown_type", id="type-not-a-string"),
    pytest.param(cmd("item.teleport", {}), "invalid_frame", id="unknown-command"),
    pytest.param(
        cmd("item.edit", {"item_id": "i1", "title": 42}), "invalid_frame", id="wrong-field-type"
    ),
    pytest.param(
        cmd("item.edit", {"item_id": "i1", "title": True}), "invalid_frame", id="bool-for-string"
    ),
    pytest.param(
        cmd("item.park", {"item_id": "i1", "parked": 1}), "invalid_frame", id="int-for-bool"
    ),
    pytest.param(
        cmd("item.edit", {"item_id": "i1", "title": "x" * 201}),
        "invalid_frame",
        id="string-too-long",
    ),
    pytest.param(
        cmd("item.edit", {"item_id": "i1", "title": ""}), "invalid_frame", id="string-too-short"
    ),
    pytest.param(
        cmd("item.edit", {"item_id": "../etc", "title": "x"}), "invalid_frame", id="id-bad-chars"
    ),
    pytest.param(
        cmd(
            "item.edit",
            {"item_id": "i1", "options": [{"id": f"o{i}", "label": "L"} for i in range(21)]},
        ),
        "invalid_frame",
        id="list-too-long",
    ),
    pytest.param(
        cmd("item.edit", {"item_id": "i1", "title": "x", "owner": "me"}),
        "invalid_frame",
        id="unknown-field",
    ),
    pytest.param(cmd("item.edit", {"title": "x"}), "invalid_frame", id="missing-field"),
    pytest.param(
        cmd("item.edit", {"item_id": "i1", "title": float("nan")}), "invalid_frame", id="nan"
    ),
    pytest.param(
        cmd("item.edit", {"item_id": "i1", "title": b"bytes"}), "bad_frame", id="bytes-payload"
    ),
    pytest.param(
        cmd("item.add", {"item_id": "i2", "kind": "bribe", "title": "x"}),
        "invalid_frame",
        id="bad-enum",
    ),
    pytest.param(
        cmd("item.move", {"item_id": "i1", "position": "a00"}),
        "invalid_command",
        id="invalid-order-key",
    ),
    pytest.param(
        cmd("item.move", {"item_id": "ghost", "position": "a5"}),
        "item_not_found",
        id="missing-item",
    ),
    pytest.param(
        cmd("item.add", {"item_id": "i2", "kind": "term", "title": "Mine"}),
        "not_permitted",
        id="neutral-adds",
    ),
    pytest.param(
        cmd("item.edit", {"item_id": "i1", "title": "Renamed"}),
        "not_permitted",
        id="neutral-renames",
    ),
    pytest.param(
        cmd("item.agree", {"item_id": "i1", "agreed": True}), "not_permitted", id="neutral-agrees"
    ),
    pytest.param(
        cmd("figures.set", {"item_id": "i1", "value": "1", "cost": "0"}),
        "not_permitted",
        id="neutral-registers",
    ),
    pytest.param(
        cmd("consent.set", {"item_id": "i1", "consent": True}),
        "not_permitted",
        id="neutral-consents",
    ),
    pytest.param(
        msgpack.packb({"type": "join", "token": "x" * 20 + "." + "y" * 20, "name": "Again"}),
        "already_joined",
        id="second-join",
    ),
]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        pytest.param(
            cmd("item.add", {"item_id": "i1", "kind": "term", "title": "Again"}),
            "item_exists",
            id="duplicate-item",
        ),
        pytest.param(
            cmd("item.edit", {"item_id": "ghost", "title": "Boo"}),
            "item_not_found",
            id="missing-item",
        ),
    ],
)
async def test_bad_party_command_gets_a_typed_error_and_changes_nothing(
    scene: Scene, payload: bytes, code: str
) -> None:
    before = await log_length(scene)
    async with WsClient(scene.server.ws_url) as party:
        await party.join(scene.room["tokens"]["buyer"], "Mallory's buyer")
        start = len(party.frames)
        await party.send_raw(payload)
        error = await party.wait_for(lambda f: f["type"] == "error", start=start)
        assert error["code"] == code
    await assert_unharmed(scene, before)


@pytest.mark.parametrize(("payload", "code"), BAD_FRAMES)
async def test_bad_frame_gets_a_typed_error_and_changes_nothing(
    scene: Scene, payload: bytes, code: str
) -> None:
    before = await log_length(scene)
    start = len(scene.attacker.frames)
    await scene.attacker.send_raw(payload)
    error = await scene.attacker.wait_for(lambda f: f["type"] == "error", start=start)
    assert error["code"] == code
    assert scene.attacker.closed is None
    await assert_unharmed(scene, before)
    # The offender's connection still works too.
    await scene.attacker.send({"type": "presence", "editing": "i1"})
    await scene.bystander.wait_for(
        lambda f: f["type"] == "presence" and any(m["editing"] == "i1" for m in f["members"])
    )


async def test_text_frame_is_refused(scene: Scene) -> None:
    before = await log_length(scene)
    await scene.attacker.send_raw('{"type": "cmd"}')
    error = await scene.attacker.wait_for(lambda f: f["type"] == "error")
    assert error["code"] == "bad_frame"
    await assert_unharmed(scene, before)


async def test_frame_over_the_size_limit_closes_only_that_connection(scene: Scene) -> None:
    before = await log_length(scene)
    huge = cmd("item.edit", {"item_id": "i1", "description": "x" * (limit("max_frame_bytes") + 10)})
    await scene.attacker.send_raw(huge)
    code, _ = await scene.attacker.wait_closed()
    assert code == 1009
    await assert_unharmed(scene, before)


async def test_error_message_never_echoes_the_offending_value(scene: Scene) -> None:
    secret = "TOP-SECRET-" + "z" * 100
    await scene.attacker.send_raw(cmd("item.edit", {"item_id": "i1", "title": secret + "x" * 200}))
    error = await scene.attacker.wait_for(lambda f: f["type"] == "error")
    assert "TOP-SECRET" not in error["message"]


async def test_command_before_join_is_refused(scene: Scene) -> None:
    async with WsClient(scene.server.ws_url) as stranger:
        await stranger.send_raw(cmd("item.delete", {"item_id": "i1"}, op="early"))
        error = await stranger.wait_for(lambda f: f["type"] == "error")
        assert error["code"] == "not_joined"
        assert error["op"] == "early"
    await assert_unharmed(scene, await log_length(scene))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("wrongroom0000000000000.secretsecretsecretsecret00", id="unknown-room"),
        pytest.param(None, id="right-room-wrong-secret"),
    ],
)
async def test_bad_token_is_refused_with_close_code_4401(scene: Scene, token: str | None) -> None:
    before = await log_length(scene)
    if token is None:
        token = scene.room["room_id"] + ".thisisnotthesecretforanyroleatall00"
    async with WsClient(scene.server.ws_url) as stranger:
        reply = await stranger.join(token, "Eve")
        assert reply["type"] == "error"
        assert reply["code"] == "bad_token"
        code, _ = await stranger.wait_closed()
        assert code == CLOSE_BAD_TOKEN
        assert not any(f["type"] == "welcome" for f in stranger.frames)
    await assert_unharmed(scene, before)


async def test_malformed_token_is_an_invalid_frame(scene: Scene) -> None:
    async with WsClient(scene.server.ws_url) as stranger:
        reply = await stranger.join("no-dot-here", "Eve")
        assert reply["code"] == "invalid_frame"


async def test_connection_that_never_joins_is_closed_with_4400(scene: Scene) -> None:
    async with WsClient(scene.server.ws_url) as idle:
        code, _ = await idle.wait_closed(timeout=5)
        assert code == CLOSE_NO_JOIN


async def test_handshake_from_a_foreign_origin_is_refused(scene: Scene) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(scene.server.ws_url, additional_headers={"Origin": "https://evil.example"})
    assert refused.value.response.status_code == 403


async def test_handshake_from_the_same_origin_is_accepted(scene: Scene) -> None:
    async with WsClient(scene.server.ws_url, origin=scene.server.base) as friend:
        assert (await friend.join(scene.room["tokens"]["buyer"], "Bea"))["type"] == "welcome"


async def test_flood_of_bad_frames_does_not_stall_the_room(scene: Scene) -> None:
    before = await log_length(scene)
    await asyncio.gather(*(scene.attacker.send_raw(b"\xc1") for _ in range(500)))
    await scene.attacker.wait_for(
        lambda f: sum(x["type"] == "error" for x in scene.attacker.frames) >= 500
    )
    await assert_unharmed(scene, before)


def test_every_client_frame_type_of_the_schema_has_a_handler_at_the_edge() -> None:
    import shared_schema
    from valueroom.edge import ws

    joined = set(ws._JOINED_HANDLERS)
    assert joined == set(shared_schema.load()["client"])
