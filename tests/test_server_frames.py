"""Every message the server sends passes the validator the browser uses (``client/src/schema.js``).

A hostile session (crowded order keys, invalid op ids, a flood past the
rate limit, a join past the link's cap, presence, private and revealed
figures) is recorded byte for byte by every connection, and each message is
checked by the browser's validator under Node, not only by the server's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import msgpack
import pytest

from tests.liveserver import create_room, serve_in_loop
from tests.test_order_keys import LONG_KEY, NEXT_KEY
from tests.test_schema_agreement import node_verdicts
from tests.wsclient import WsClient
from valueroom.protocol import frames
from valueroom.protocol.schema import check_server_message

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")


async def test_server_frames_of_a_hostile_session_pass_the_browser_validator(
    store_url: str, tmp_path: Path
) -> None:
    async with serve_in_loop(store_url, members_per_link=2, commands_per_second=30) as server:
        room = await create_room(server.base, neutral=True)
        tokens = room["tokens"]
        bea, bob, sam, nia, extra = (WsClient(server.ws_url) for _ in range(5))
        for client, role, name in [
            (bea, "buyer", "Bea"),
            (bob, "buyer", "Bob"),
            (sam, "seller", "Sam"),
            (nia, "neutral", "Nia"),
        ]:
            await client.open()
            assert (await client.join(tokens[role], name))["type"] == "welcome"
        await extra.open()
        assert (await extra.join(tokens["buyer"], "Eve"))["code"] == "room_full"

        add = {"kind": "term", "title": "T"}
        await bea.call("item.add", {"item_id": "first", "position": LONG_KEY, **add})
        await bea.call("item.add", {"item_id": "end", "position": NEXT_KEY, **add})
        await sam.call("item.add", {"item_id": "mid", "position": LONG_KEY, **add})
        await sam.send({"type": "presence", "editing": "mid"})
        for bad_op in ("bad op!", "x" * 65, 7, None):
            await bea.send({"type": "cmd", "op": bad_op, "name": "item.add", "args": {}})
        reply = await bea.call("item.nonsense", {})
        assert reply["type"] == "error"
        assert (await nia.call("phase.set", {"phase": "dividing"}))["type"] == "ack"
        await bea.call("figures.set", {"item_id": "mid", "value": "120000", "cost": "10000"})
        await sam.call("figures.set", {"item_id": "mid", "value": "20000", "cost": "50000"})
        await bea.call("consent.set", {"item_id": "mid", "consent": True})
        await sam.call("consent.set", {"item_id": "mid", "consent": True})
        ops = [
            await bob.command("item.edit", {"item_id": "end", "title": f"T{n}"}) for n in range(120)
        ]
        replies = [await bob.reply(op) for op in ops]
        assert any(r.get("code") == "rate_limited" for r in replies)
        last = await nia.call("item.park", {"item_id": "end", "parked": True})
        assert last["type"] in ("ack", "error")

        clients = [bea, bob, sam, nia, extra]
        for client in clients:
            await client.close()

    messages = [msgpack.unpackb(raw, raw=False) for c in clients for raw in c.raw]
    verdicts = node_verdicts([("message", m) for m in messages], tmp_path)
    bad = [(v, m) for v, m in zip(verdicts, messages, strict=True) if not v["ok"]]
    assert not bad
    assert len(verdicts) == len(messages)
    assert sum(len(m) if isinstance(m, list) else 1 for m in messages) > 100
    seen = [f for c in clients for f in c.frames]
    assert any(f["type"] == "event" and f["name"] == "item.moved" for f in seen)
    assert any(f["type"] == "event" and f["name"] == "item.revealed" for f in seen)
    assert any(f["type"] == "error" and f["reason"] == "join.link_full" for f in seen)
    # The four invalid op ids were answered without being echoed.
    unechoed = [f for f in bea.frames if f["type"] == "error" and f["code"] == "invalid_frame"]
    assert sum(1 for f in unechoed if f["op"] is None) >= 4


def test_server_frames_presence_never_lists_more_than_the_schema_allows() -> None:
    members = [
        {"id": f"m{n}", "role": "buyer", "name": f"N{n}", "editing": None} for n in range(1500)
    ]
    decoded = msgpack.unpackb(frames.presence(members), raw=False)
    check_server_message(decoded)
    assert len(decoded["members"]) == 1000
