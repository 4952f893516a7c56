"""Tamper evidence: the hash chain on every store, ``valueroom verify``, role exports."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgpack
import pytest
import redis

from tests.liveserver import create_room, serve_in_loop
from tests.wsclient import WsClient
from valueroom import verify_export
from valueroom.rooms import history
from valueroom.store import chain, open_store
from valueroom.store.base import pack_event, unpack_event

SECRET = 12345678  # the buyer's value in minor units, never public in these tests


async def play_session(store_url: str) -> dict[str, Any]:
    """A short real session: items, a private registration, a caucus; the room's answer."""
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        async with (
            WsClient(server.ws_url) as buyer,
            WsClient(server.ws_url) as seller,
            WsClient(server.ws_url) as neutral,
        ):
            await buyer.join(room["tokens"]["buyer"], "Bea")
            await seller.join(room["tokens"]["seller"], "Sam")
            await neutral.join(room["tokens"]["neutral"], "Nel")
            for item, title in (("i1", "Price"), ("i2", "Delivery time")):
                add = {"item_id": item, "kind": "term", "title": title}
                assert (await seller.call("item.add", add))["type"] == "ack"
            figures = {"item_id": "i1", "value": "123456.78", "cost": "10.00", "note": "ours"}
            assert (await buyer.call("figures.set", figures))["type"] == "ack"
            assert (await neutral.call("caucus.open", {"party": "seller"}))["type"] == "ack"
            post = {"party": "seller", "text": "between us"}
            assert (await seller.call("caucus.post", post))["type"] == "ack"
            assert (await buyer.call("item.edit", {"item_id": "i2", "title": "Lead time"}))[
                "type"
            ] == "ack"
    return room


def run_verify(room_id: str, store_url: str) -> subprocess.CompletedProcess[str]:
    # "--" ends the options: a room id may begin with "-" (ids are URL-safe base64).
    return run_cli("verify", "--store", store_url, "--", room_id)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "valueroom", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def stored_events(store_url: str, room_id: str) -> list[Any]:
    store = open_store(store_url)
    await store.open()
    try:
        return await store.read(room_id, 0)
    finally:
        await store.close()


def altered(body: bytes, change: Any) -> bytes:
    """A stored event body with its data changed by ``change`` (chain fields untouched)."""
    event = unpack_event(body)
    record = msgpack.unpackb(pack_event(event), raw=False)
    change(record["data"])
    data: bytes = msgpack.packb(record, use_bin_type=True)
    return data


def tamper_sqlite(url: str, room_id: str, seq: int, change: Any) -> None:
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (body,) = db.execute(
            "SELECT body FROM events WHERE room_id = ? AND seq = ?", (room_id, seq)
        ).fetchone()
        db.execute(
            "UPDATE events SET body = ? WHERE room_id = ? AND seq = ?",
            (altered(body, change), room_id, seq),
        )


def tamper_redis(url: str, room_id: str, seq: int, change: Any) -> None:
    """Rewrite the room's stream with one entry changed (streams have no in-place update)."""
    with redis.Redis.from_url(url) as client:
        keys = [k for k in client.keys(f"*{room_id}*log*") if client.type(k) == b"stream"]
        assert len(keys) == 1, keys
        key = keys[0]
        entries = client.xrange(key)
        client.delete(key)
        for entry_id, fields in entries:
            if entry_id == f"0-{seq}".encode():
                fields = {f: altered(v, change) for f, v in fields.items()}
            client.xadd(key, fields, id=entry_id)


def tamper(store_url: str, room_id: str, seq: int, change: Any) -> None:
    if store_url.startswith("sqlite:"):
        tamper_sqlite(store_url, room_id, seq, change)
    else:
        tamper_redis(store_url, room_id, seq, change)


async def test_every_stored_event_is_chained_and_verify_says_intact(store_url: str) -> None:
    room = await play_session(store_url)
    events = await stored_events(store_url, room["room_id"])
    head = chain.genesis(room["log_id"])
    for event in events:
        assert event.leaf is not None
        assert event.chain is not None
        assert (event.salt is None) == (event.vis == 7)
        head = chain.link(head, event.leaf)
        assert head == event.chain
    done = run_verify(room["room_id"], store_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(events)} events, chain intact, head {head.hex()}" in done.stdout


def retitle(data: dict[str, Any]) -> None:
    data["title"] = "Price (cheaper)"


def lower(data: dict[str, Any]) -> None:
    data["value"] = 1


@pytest.mark.parametrize(
    ("name", "change"),
    [
        pytest.param("item.added", retitle, id="public"),
        pytest.param("figures.registered", lower, id="private"),
    ],
)
async def test_verify_names_the_event_altered_directly_in_the_store(
    store_url: str, name: str, change: Any
) -> None:
    room = await play_session(store_url)
    events = await stored_events(store_url, room["room_id"])
    target = next(e for e in events if e.name == name)
    tamper(store_url, room["room_id"], target.seq, change)
    assert (await stored_events(store_url, room["room_id"]))[target.seq - 1].data != target.data
    done = run_verify(room["room_id"], store_url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"chain broken at event {target.seq} ({name})" in done.stdout
    assert "does not match its hash" in done.stdout


async def test_valueroom_export_prints_what_verify_export_accepts(
    store_url: str, tmp_path: Path
) -> None:
    room = await play_session(store_url)
    done = run_cli("export", "--role", "seller", "--store", store_url, "--", room["room_id"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == await export_of(store_url, room, "seller")
    assert verify_export.check(lines) == (len(lines) - 1, None)


def test_verify_of_an_unknown_room_exits_2(tmp_path: Path) -> None:
    done = run_verify("nosuchroom", "sqlite:///" + str(tmp_path / "empty.db"))
    assert done.returncode == 2
    assert "no room nosuchroom" in done.stderr


async def export_of(store_url: str, room: dict[str, Any], role: str) -> list[str]:
    store = open_store(store_url)
    await store.open()
    try:
        record = await store.room(room["room_id"])
        assert record is not None
        lines = await history.export_lines(store, history.Index(record), role)
    finally:
        await store.close()
    return [json.dumps(line, ensure_ascii=False) for line in lines]


async def test_each_roles_export_verifies_offline_and_holds_only_its_events(
    store_url: str, tmp_path: Path
) -> None:
    room = await play_session(store_url)
    exports = {
        role: await export_of(store_url, room, role) for role in ("buyer", "seller", "neutral")
    }
    for role, lines in exports.items():
        path = tmp_path / f"{role}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert verify_export.main([str(path)]) == 0
        header = json.loads(lines[0])
        assert header["role"] == role
        assert header["events"] == len(lines) - 1
        records = [json.loads(line) for line in lines[1:]]
        assert [r["event"]["seq"] for r in records] == list(range(1, len(records) + 1))
        names = {r["event"]["name"] for r in records}
        text = "\n".join(lines)
        if role != "buyer":
            assert "figures.registered" not in names
            assert str(SECRET) not in text
        if role == "buyer":
            assert "caucus.posted" not in names
            assert "between us" not in text
    assert '"figures.registered"' in "\n".join(exports["buyer"])
    assert "between us" in "\n".join(exports["seller"])
    assert "between us" in "\n".join(exports["neutral"])


async def test_an_altered_export_line_is_named(store_url: str, tmp_path: Path) -> None:
    room = await play_session(store_url)
    lines = await export_of(store_url, room, "buyer")
    record = json.loads(lines[3])
    record["event"]["at"] += 1
    lines[3] = json.dumps(record)
    count, problem = verify_export.check(lines)
    assert problem is not None
    assert problem.startswith("line 4 (event 3)")
    assert count == 2
    dropped = lines[:3] + lines[4:]
    _, problem = verify_export.check(dropped)
    assert problem is not None
    assert "numbered" in problem


def test_a_leaf_of_a_private_event_cannot_be_tested_against_a_guess() -> None:
    content = chain.canonical_fields(1, None, 1, "figures.registered", {"value": SECRET})
    salt = chain.new_salt()
    leaf = chain.leaf_of(content, 1, salt)
    assert leaf != chain.leaf_of(content, 7, None)
    with pytest.raises(ValueError, match="salt"):
        chain.leaf_of(content, 1, None)


NODE = shutil.which("node")
REPO = Path(__file__).resolve().parents[1]

AWKWARD: list[dict[str, Any]] = [
    {"title": 'Prijs — “koper” 🏭 ä\u00e9\u0000\u001f\t\n"\\/ \u2028 \u007f'},
    {"z": 1, "a": {"y": [True, False, None], "b": -12_000_000}, "ö": 2**53 - 1},
    {"nested": {"list": [1, "twee", None, [], {}], "empty": ""}},
    {},
]


@pytest.mark.skipif(NODE is None, reason="needs Node.js")
def test_browser_chain_check_agrees_with_the_server(tmp_path: Path) -> None:
    from valueroom.domain.events import Actor, Event
    from valueroom.protocol import frames

    log_id = "log-1"
    raw = [
        Event(n, 1_700_000_000_000 + n, Actor("buyer", "Zoë"), f"op{n}", vis, "item.edited", data)
        for n, (vis, data) in enumerate(
            [(7, d) for d in AWKWARD] + [(1, d) for d in AWKWARD] + [(5, AWKWARD[0])], start=1
        )
    ]
    stamped = chain.stamp(chain.genesis(log_id), raw)
    cases: list[dict[str, Any]] = []
    for role in ("buyer", "seller", "neutral"):
        head = chain.role_genesis(log_id, role)
        events: list[dict[str, Any]] = []
        proofs: list[dict[str, Any]] = []
        for event in stamped:
            if not event.vis & {"buyer": 1, "seller": 2, "neutral": 4}[role]:
                continue
            head = chain.link(head, event.leaf or b"")
            events.append(msgpack.unpackb(frames.event(event, role, len(events) + 1), raw=False))
            salt = None if event.vis == 7 else (event.salt or b"").hex()
            proofs.append({"salt": salt, "chain": head.hex()})
        cases.append({"log_id": log_id, "role": role, "events": events, "proofs": proofs})
    tampered = json.loads(json.dumps(cases[0]))
    tampered["events"][5]["data"]["z"] = 2
    cases.append(tampered)
    data = tmp_path / "cases.json"
    data.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    hooks = REPO / "client" / "test" / "support" / "register.js"
    script = REPO / "tests" / "chain_agreement.mjs"
    out = subprocess.run(
        [str(NODE), "--import", hooks.as_uri(), str(script), str(data)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    verdicts = json.loads(out.stdout)
    for case, verdict in zip(cases[:3], verdicts[:3], strict=True):
        assert verdict["ok"] is True, (case["role"], verdict)
        assert verdict["checked"] == len(case["events"])
        assert verdict["head"] == case["proofs"][-1]["chain"]
    assert [v["checked"] for v in verdicts[:3]] == [9, 4, 5]
    assert verdicts[3]["ok"] is False
    assert verdicts[3]["broken"] == 6
