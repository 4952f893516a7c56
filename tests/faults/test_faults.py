"""The fault suite: bounded in count and time, run in CI like every other test.

* kill -9 of a server process under load: no acknowledged edit is lost;
* 200 clients reconnecting at once all resume;
* 100,000 fuzzed frames: no crash, no state change, and a well-behaved
  client in another room keeps being served (its latency is reported).

Figures go to ``FIGURES`` and are printed at the end of the run (conftest).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from typing import Any

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.liveserver import REPO, ServerProcess, create_room, serve_in_loop
from tests.timing import timeout
from tests.wsclient import WsClient
from valueroom.protocol.schema import SchemaViolation, check_client_frame, check_command_args

FIGURES: dict[str, str] = {}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- kill -9 -----------------------------------------------------------------------------


async def _type_until_closed(client: WsClient, prefix: str, count: int) -> None:
    """Open loop: send ``count`` item.adds without waiting for acks, stop when closed."""
    for n in range(count):
        if client.closed is not None:
            return
        try:
            await client.command(
                "item.add",
                {"item_id": f"{prefix}{n}", "kind": "term", "title": "T"},
                f"{prefix}:{n}",
            )
        except ConnectionClosed:
            return
        if n % 8 == 0:
            await asyncio.sleep(0)


async def test_fault_kill_9_under_load_loses_no_acknowledged_edit(store_url: str) -> None:
    server = ServerProcess(store_url).start()
    rooms = [await create_room(server.base) for _ in range(4)]
    clients = [WsClient(server.ws_url) for _ in rooms]
    try:
        for client, room in zip(clients, rooms, strict=True):
            await client.open()
            await client.join(room["tokens"]["buyer"], "Bea")
        typing = [
            asyncio.create_task(_type_until_closed(c, f"r{i}x", 280)) for i, c in enumerate(clients)
        ]

        def acked() -> int:
            return sum(1 for c in clients for f in c.frames if f["type"] == "ack")

        async with asyncio.timeout(timeout(30)):
            while acked() < 300:  # noqa: ASYNC110  # polling the frames the readers collect
                await asyncio.sleep(0.005)
        assert server.proc is not None
        server.proc.kill()  # SIGKILL: no shutdown, no flush
        server.proc.wait(timeout=timeout(10))
        await asyncio.gather(*typing)
        for client in clients:
            await client.wait_closed()
    finally:
        server.stop()
    acks = {c: {f["op"] for f in c.frames if f["type"] == "ack"} for c in clients}
    total = sum(len(ops) for ops in acks.values())
    with ServerProcess(store_url) as again:
        lost = 0
        for i, (client, room) in enumerate(zip(clients, rooms, strict=True)):
            async with WsClient(again.ws_url) as check:
                welcome = await check.join(room["tokens"]["seller"], "Sam")
                kept = {item["id"] for item in welcome["view"]["items"]}
                lost += sum(1 for op in acks[client] if f"r{i}x{op.split(':')[1]}" not in kept)
    FIGURES["kill -9 under load"] = (
        f"{total} acknowledged edits, {lost} lost ({store_url.split(':')[0]})"
    )
    assert total >= 300
    assert lost == 0


# -- 200 clients reconnecting ------------------------------------------------------------------


async def test_fault_200_clients_reconnecting_at_once_all_resume(store_url: str) -> None:
    limits = {
        "members_per_room": 1000,
        "members_per_link": 1000,
        "max_per_address": 10_000,
        "max_unjoined_per_address": 10_000,
    }
    async with serve_in_loop(store_url, **limits) as server:
        room = await create_room(server.base)
        clients = [WsClient(server.ws_url) for _ in range(200)]
        for n, client in enumerate(clients):
            await client.open()
            await client.join(room["tokens"]["buyer" if n % 2 else "seller"], f"P{n}")
        seen = {id(c): c.last_seq for c in clients}
        await asyncio.gather(*(c.close() for c in clients))
        async with WsClient(server.ws_url) as writer:
            await writer.join(room["tokens"]["buyer"], "W")
            for n in range(20):
                await writer.call("item.add", {"item_id": f"m{n}", "kind": "term", "title": "M"})
            again = [WsClient(server.ws_url) for _ in clients]
            started = time.monotonic()

            async def back(n: int, old: WsClient, new: WsClient) -> dict[str, Any]:
                await new.open()
                role = "buyer" if n % 2 else "seller"
                resume = {"log_id": room["log_id"], "seq": seen[id(old)]}
                return await new.join(room["tokens"][role], f"P{n}", resume=resume)

            welcomes = await asyncio.gather(
                *(
                    back(n, old, new)
                    for n, (old, new) in enumerate(zip(clients, again, strict=True))
                )
            )
            elapsed = time.monotonic() - started
            assert all(w["type"] == "welcome" and w["resumed"] for w in welcomes)
            for client in again:
                await client.wait_for(
                    lambda f: f["type"] == "event" and f["data"].get("item_id") == "m19"
                )
            await asyncio.gather(*(c.close() for c in again))
    FIGURES["200 clients reconnecting at once"] = f"all resumed in {elapsed:.2f} s"


# -- fuzzing -------------------------------------------------------------------------------

_NAMES = ["item.add", "item.edit", "figures.set", "consent.set", "phase.set", "x", ""]


def _junk(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return rng.randrange(-(2**63), 2**64)
    if kind == 1:
        return rng.random() * 1e308 * rng.choice((1, -1))
    if kind == 2:
        points = [
            rng.choice((rng.randrange(0, 0xD800), rng.randrange(0xE000, 0x110000)))
            for _ in range(rng.randrange(0, 12))
        ]
        return "".join(map(chr, points))
    if kind == 3:
        return rng.randbytes(rng.randrange(0, 12))
    if kind == 4:
        return None
    if kind == 5:
        return rng.choice([True, False, "", "a" * 70, "\u202e", "0" * 40])
    if kind == 6:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {str(_junk(rng, 2)): _junk(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def _fuzzed(rng: random.Random) -> bytes | str:
    """One frame a real client would never send (checked against the schema)."""
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 40))
    if kind == 1:
        return "text frame \x00"
    if kind == 2:
        frame: Any = _junk(rng)
    elif kind == 3:
        args = {k: _junk(rng) for k in rng.sample(["item_id", "title", "value", "cost", "kind"], 3)}
        frame = {"type": "cmd", "op": _junk(rng), "name": rng.choice(_NAMES), "args": args}
    elif kind == 4:
        extra = _junk(rng, 1)
        frame = {"type": rng.choice(["join", "presence", "cmd", "nope"])}
        frame.update(extra if isinstance(extra, dict) else {"x": extra})
    else:
        good: bytes = msgpack.packb({"type": "cmd", "op": "o", "name": "item.add", "args": {}})
        cut = rng.randrange(1, len(good))
        return good[:cut]
    try:
        if check_client_frame(frame) == "cmd":
            check_command_args(frame["name"], frame["args"])
    except SchemaViolation:
        packed: bytes = msgpack.packb(frame, use_bin_type=True)
        return packed
    return b"\xc1"  # valid after all: send an invalid byte instead


FUZZ_FRAMES = 100_000


@pytest.mark.timeout(300)
async def test_fault_100000_fuzzed_frames_change_nothing_and_harm_no_one(tmp_path: Any) -> None:
    rng = random.Random(20261128)
    frames = [_fuzzed(rng) for _ in range(FUZZ_FRAMES)]
    # A server process of its own. The member's rate is lifted so that every fuzzed frame
    # reaches the decoder and the validator (test_limits shows a flooder throttled).
    flags = ["--commands-per-second", "1000000", "--queue", "1000000"]
    with ServerProcess(f"sqlite:///{tmp_path}/fuzz.db", extra=flags) as server:
        target = await create_room(server.base)
        other = await create_room(server.base)
        async with WsClient(server.ws_url) as owner, WsClient(server.ws_url) as calm:
            await owner.join(target["tokens"]["buyer"], "Bea")
            await owner.call("item.add", {"item_id": "i0", "kind": "term", "title": "Kept"})
            before = await snapshot(server.ws_url, target["tokens"]["seller"])
            await calm.join(other["tokens"]["buyer"], "Cal")
            await calm.call("item.add", {"item_id": "c", "kind": "term", "title": "t1"})
            latencies: list[float] = []
            stop = asyncio.Event()

            async def behave() -> None:
                n = 0
                while not stop.is_set():
                    started = time.perf_counter()
                    reply = await calm.call("item.edit", {"item_id": "c", "title": f"t{n % 2}"})
                    assert reply["type"] == "ack"
                    latencies.append(time.perf_counter() - started)
                    n += 1
                    await asyncio.sleep(0.05)  # a person's pace, well within the rate

            behaving = asyncio.create_task(behave())
            sent = connections = answers = 0
            started = time.monotonic()
            join = msgpack.packb(
                {"type": "join", "token": target["tokens"]["seller"], "name": "Fz"}
            )
            while sent < len(frames):
                connections += 1
                async with connect(server.ws_url, compression=None, max_size=None) as ws:
                    await ws.send(join)
                    reader = asyncio.create_task(_drain(ws))
                    try:
                        for frame in frames[sent : sent + 20_000]:
                            await ws.send(frame)
                            sent += 1
                        # Its ack comes after the answer to every frame before it.
                        end = {"type": "cmd", "op": "fz-end", "name": "item.edit"}
                        await ws.send(msgpack.packb({**end, "args": {"item_id": "i0"}}))
                        answers += await asyncio.wait_for(reader, timeout(120))
                    except ConnectionClosed:
                        answers += await reader
            fuzz_seconds = time.monotonic() - started
            stop.set()
            await behaving
            # The room the fuzzer joined is unchanged, and its member is still served.
            assert await snapshot(server.ws_url, target["tokens"]["seller"]) == before
            reply = await owner.call("item.edit", {"item_id": "i0", "title": "Kept"})
            assert reply["type"] == "ack"
            assert owner.closed is None
            assert calm.closed is None
    FIGURES["fuzzing"] = (
        f"{sent} fuzzed frames over {connections} connections in {fuzz_seconds:.1f} s, "
        f"{answers} frames answered, 0 crashes, 0 state changes; another room's client meanwhile: "
        f"{len(latencies)} commands, p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    assert sent == FUZZ_FRAMES
    assert answers >= FUZZ_FRAMES  # every fuzzed frame was read, decoded and answered


async def _drain(ws: Any) -> int:
    """Count the frames answered until the fuzzer's closing no-op is acknowledged."""
    count = 0
    try:
        async for message in ws:
            decoded = msgpack.unpackb(message)
            batch = decoded if isinstance(decoded, list) else [decoded]
            count += len(batch)
            if any(f.get("type") == "ack" and f.get("op") == "fz-end" for f in batch):
                break
    except ConnectionClosed:
        pass
    return count


async def snapshot(url: str, token: str) -> Any:
    """The room as a fresh member of that role sees it (its welcome's view and number)."""
    async with WsClient(url) as look:
        welcome = await look.join(token, "Look")
        return welcome["seq"], welcome["view"]["items"], welcome["view"]["room"]


# -- a flooding member ---------------------------------------------------------------------------


async def _paced_latencies(client: WsClient, count: int) -> list[float]:
    found = []
    for n in range(count):
        started = time.perf_counter()
        reply = await client.call("item.edit", {"item_id": "c", "title": f"t{n % 2}"})
        assert reply["type"] == "ack"
        found.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)  # a person's pace
    return found


async def test_fault_a_flooding_member_is_throttled_and_another_room_is_served(
    tmp_path: Any,
) -> None:
    flags = ["--commands-per-second", "20"]
    with ServerProcess(f"sqlite:///{tmp_path}/flood.db", extra=flags) as server:
        calm_room = await create_room(server.base)
        flood_room = await create_room(server.base)
        async with WsClient(server.ws_url) as calm, WsClient(server.ws_url) as owner:
            await calm.join(calm_room["tokens"]["buyer"], "Cal")
            await calm.call("item.add", {"item_id": "c", "kind": "term", "title": "t1"})
            await owner.join(flood_room["tokens"]["seller"], "Own")
            await owner.call("item.add", {"item_id": "f", "kind": "term", "title": "t"})
            baseline = await _paced_latencies(calm, 30)
            flooder = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.faults.flood", server.ws_url,
                flood_room["tokens"]["buyer"], "20000",
                stdout=asyncio.subprocess.PIPE, cwd=REPO,
            )  # fmt: skip
            during = await _paced_latencies(calm, 30)
            out, _ = await asyncio.wait_for(flooder.communicate(), timeout(60))
            sent = int(out.decode().strip() or 0)
            # What the flooder got applied is all its room saw of it.
            await owner.call("item.edit", {"item_id": "f", "title": "t"}, "owner-last")
            applied = len(owner.events("item.edited"))
    FIGURES["a member flooding edits"] = (
        f"{sent} edits sent from another process, {applied} applied; another room's "
        f"p50/p99 {statistics.median(baseline) * 1000:.1f}/{percentile(baseline, 0.99) * 1000:.1f} ms "
        f"before, {statistics.median(during) * 1000:.1f}/{percentile(during, 0.99) * 1000:.1f} ms during"
    )
    assert sent > 0
    assert applied < sent


# -- processes sharing Redis, and Redis itself -------------------------------------------------


def _acked_items(client: WsClient, prefix: str) -> set[str]:
    ops = [f["op"] for f in client.frames if f["type"] == "ack"]
    return {f"{prefix}{op.split(':')[1]}" for op in ops if op.startswith(f"{prefix}:")}


async def _final_items(url: str, token: str) -> set[str]:
    async with WsClient(url) as look:
        welcome = await look.join(token, "Look")
        return {item["id"] for item in welcome["view"]["items"]}


@pytest.mark.redis
async def test_fault_kill_one_of_two_processes_sharing_redis(redis_url: str) -> None:
    with ServerProcess(redis_url) as survivor:
        doomed = ServerProcess(redis_url).start()
        try:
            room = await create_room(survivor.base)
            on_doomed = await WsClient(doomed.ws_url).open()
            on_survivor = await WsClient(survivor.ws_url).open()
            await on_doomed.join(room["tokens"]["buyer"], "Bea")
            await on_survivor.join(room["tokens"]["seller"], "Sam")
            typing = [
                asyncio.create_task(_type_until_closed(on_doomed, "d", 120)),
                asyncio.create_task(_type_until_closed(on_survivor, "s", 120)),
            ]
            async with asyncio.timeout(timeout(30)):
                while len(_acked_items(on_doomed, "d")) < 40:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
            assert doomed.proc is not None
            doomed.proc.kill()
            await asyncio.gather(*typing)
            await on_doomed.wait_closed()
            # The survivor's member keeps working, and a newcomer there sees everything.
            reply = await on_survivor.call(
                "item.add", {"item_id": "after", "kind": "term", "title": "A"}
            )
            assert reply["type"] == "ack"
            kept = await _final_items(survivor.ws_url, room["tokens"]["buyer"])
        finally:
            doomed.stop()
            await on_survivor.close()
    acked = _acked_items(on_doomed, "d") | _acked_items(on_survivor, "s")
    lost = acked - kept
    FIGURES["kill -9 of one of two processes sharing Redis"] = (
        f"{len(acked)} acknowledged edits on both, {len(lost)} lost"
    )
    assert not lost


async def _edit_paced(client: WsClient, count: int) -> None:
    """Edits at a fast typist's pace (op ids r:0, r:1, ...) until ``count`` or the close."""
    for n in range(count):
        if client.closed is not None:
            return
        try:
            await client.command("item.edit", {"item_id": "x", "title": f"t{n}"}, f"r:{n}")
        except ConnectionClosed:
            return
        await asyncio.sleep(0.002)


def _logged_ops(url: str, room_id: str) -> set[str]:
    import redis as redis_sync

    from valueroom.store.base import unpack_event

    with redis_sync.Redis.from_url(url) as client:
        entries = client.xrange(f"vr:{{{room_id}}}:log")
    return {unpack_event(fields[b"e"]).op or "" for _, fields in entries}


@pytest.mark.redis
async def test_fault_redis_restart_under_load_with_aof_loses_nothing(tmp_path: Any) -> None:
    import shutil

    from tests.redisproc import _free_port, _start, _stop

    binary = shutil.which("redis-server")
    assert binary is not None
    port = _free_port()
    aof = ["--appendonly", "yes", "--appendfsync", "always"]
    redis_proc = _start(binary, tmp_path, port, timeout(10), aof)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with ServerProcess(url) as server:
            room = await create_room(server.base)
            async with WsClient(server.ws_url) as bea:
                await bea.join(room["tokens"]["buyer"], "Bea")
                await bea.call("item.add", {"item_id": "x", "kind": "term", "title": "X"})
                typing = asyncio.create_task(_edit_paced(bea, 1500))

                def acked() -> set[str]:
                    return {f["op"] for f in bea.frames if f["type"] == "ack"}

                async with asyncio.timeout(timeout(30)):
                    while len(acked()) < 50:  # noqa: ASYNC110
                        await asyncio.sleep(0.005)
                redis_proc.kill()  # Redis dies under load (kill -9), then comes back
                redis_proc.wait()
                redis_proc = _start(binary, tmp_path, port, timeout(10), aof)
                await typing
                async with asyncio.timeout(timeout(30)):
                    while True:  # served again once Redis is back
                        reply = await bea.call(
                            "item.edit", {"item_id": "x", "title": "back"}, "back"
                        )
                        if reply["type"] == "ack":
                            break
                done = acked() - {"back"}
                refused = sum(1 for f in bea.frames if f.get("code") == "unavailable")
            logged = _logged_ops(url, room["room_id"])
    finally:
        _stop(redis_proc, timeout(10))
    lost = done - logged
    FIGURES["Redis kill -9 and restart under load (AOF, fsync always)"] = (
        f"{len(done)} acknowledged edits, {len(lost)} lost, {refused} refused as unavailable "
        "during the outage"
    )
    assert "back" in logged
    assert not lost
