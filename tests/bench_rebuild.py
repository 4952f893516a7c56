"""Benchmark: rebuilding and seeking a long room, memory per loaded room, other rooms during a cold load.

Run from the repository root (127.0.0.1 only; bounded in count and time)::

    .venv/bin/python -m tests.bench_rebuild            # 100,000 / 150,000 events
    .venv/bin/python -m tests.bench_rebuild --quick    # 20,000 / 30,000 events

It measures, on SQLite (a file in a temporary directory) and on a
``redis-server`` it starts itself:

1. **rebuild**: a room of N events whose snapshots were written every
   SNAPSHOT_EVERY events, as a live room writes them, is restored from its
   newest snapshot and folded to the end (``rooms.snapshots.restore``, what a
   room does when it loads); for comparison, the whole log folded with no
   snapshot. Target: at most 1 s from the snapshot.
2. **seek**: ``rooms.snapshots.view_at`` for each role at random positions
   of its own numbering (a snapshot, then the log folded forward). Target:
   at most 100 ms.
3. **memory**: the Python heap (tracemalloc) of one loaded room on SQLite,
   right after it loaded and after 100,000 edits through ``LiveRoom.submit``
   (the room's own writer, group commits and all).
4. **other room during a cold load**: ``valueroom serve`` in its own process
   on SQLite; a member of a small room edits 100 times a second (open loop)
   while another client joins a room of M events that is not loaded yet
   (once with snapshots, once without any); the small room's ack latency
   (p50, p99, max) before and during the load.
5. **stalled joiners**: the server's RSS before and after 30 joiners of a
   room with a ~5 MB view join and then read nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import platform
import random
import socket
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
from websockets.asyncio.client import connect

from tests.domainkit import BUYER, NEUTRAL, SELLER
from tests.liveserver import ServerProcess, create_room
from tests.redisproc import running_redis
from valueroom.domain.decide import create_room as create_drafts
from valueroom.domain.decide import decide
from valueroom.domain.events import Actor, Draft, Event
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import ROLES
from valueroom.rooms import invites
from valueroom.rooms.live import LiveRoom, Member
from valueroom.rooms.registry import Registry
from valueroom.rooms.snapshots import (
    SNAPSHOT_EVERY,
    encode_snapshot,
    fold_forward,
    restore,
    view_at,
)
from valueroom.store import RoomRecord, Store, open_store

ITEMS = 20
TIME_LIMIT = 900.0  # seconds for the whole run


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.machine()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def session(events: int) -> Iterator[tuple[Event, RoomState | None]]:
    """A room of ``events`` events: items, edits, both parties' private figures, notes.

    Every command goes through ``decide`` as on the server. Yields each event,
    and every SNAPSHOT_EVERY events (at 1,001, 2,001, ...) the state after it,
    to store as a snapshot.
    """
    state = RoomState()
    seq = 0

    def do(actor: Actor | None, name: str, op: str | None, drafts: list[Draft]) -> Iterator[Event]:
        nonlocal seq
        for draft in drafts:
            seq += 1
            event = Event(
                seq, 1_700_000_000_000 + seq, actor, op, draft.vis, draft.name, draft.data
            )
            state.apply(event)
            yield event

    def command(actor: Actor, name: str, op: str, **args: Any) -> Iterator[Event]:
        return do(actor, name, op, decide(state, actor, name, args))

    def opening() -> Iterator[Event]:
        yield from do(None, "", None, create_drafts("big", "Deal", "B", "S", "EUR", True))
        for phase in ("opening", "exploring"):
            yield from command(NEUTRAL, "phase.set", f"p-{phase}", phase=phase)
        for i in range(ITEMS):
            yield from command(
                BUYER,
                "item.add",
                f"add{i}",
                item_id=f"i{i}",
                kind="term",
                title=f"Item {i}",
                description="What this term covers",
            )
        yield from command(NEUTRAL, "note.add", "note", note_id="n1", text="Agenda agreed")

    def edits() -> Iterator[Event]:
        for n in itertools.count():
            item = f"i{n % ITEMS}"
            kind = n % 10
            if kind < 5:
                yield from command(
                    BUYER, "item.edit", f"e{n}", item_id=item, title=f"Item {n % ITEMS} v{n}"
                )
            elif kind < 7:
                yield from command(
                    BUYER,
                    "figures.set",
                    f"f{n}",
                    item_id=item,
                    value=str(n),
                    cost="10",
                    note="ours",
                )
            elif kind < 9:
                yield from command(
                    SELLER, "figures.set", f"f{n}", item_id=item, value=str(n), cost="20", note=""
                )
            else:
                yield from command(NEUTRAL, "note.edit", f"n{n}", note_id="n1", text=f"Round {n}")

    for event in itertools.chain(opening(), edits()):
        # Snapshots one event past each mark, so that the newest one is
        # SNAPSHOT_EVERY - 1 events short of the end: the longest fold a load does.
        due = event.seq % SNAPSHOT_EVERY == 1 and event.seq > 1
        yield event, (state if due else None)
        if event.seq >= events:
            return


async def write_room(
    store: Store,
    room_id: str,
    events: int,
    *,
    snapshots: bool,
    secrets: dict[str, str] | None = None,
) -> tuple[list[int], float]:
    """Store a generated room of ``events`` events; return the snapshot positions and the time."""
    started = time.perf_counter()
    record = RoomRecord(room_id, f"log-{room_id}", 1, secrets or {"buyer": "x"})
    await store.create_room(record, [])
    pending: list[Event] = []
    written = 0
    seqs: list[int] = []
    for event, state in session(events):
        pending.append(event)
        if state is not None or len(pending) >= 1000:
            await store.append(room_id, written, pending)
            written += len(pending)
            pending = []
        if state is not None and snapshots:
            await store.put_snapshot(room_id, state.seq, encode_snapshot(room_id, state))
            seqs.append(state.seq)
    if pending:
        await store.append(room_id, written, pending)
    return seqs, time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def rebuild_and_seek(url: str, label: str, events: int, seeks: int) -> None:
    store = open_store(url)
    await store.open()
    try:
        seqs, took = await write_room(store, "big", events, snapshots=True)
        print(f"[{label}] wrote {events:,} events and {len(seqs)} snapshots in {took:.1f} s")
        times = []
        for _ in range(3):
            started = time.perf_counter()
            restored = await restore(store, "big")
            times.append(time.perf_counter() - started)
        assert restored.state.seq == events
        print(
            f"[{label}] rebuild from the newest snapshot (at {restored.snapshot:,}, "
            f"{restored.folded} events folded after it): best {ms(min(times))}, "
            f"worst {ms(max(times))} of 3 (target <= 1 s: "
            f"{'met' if max(times) <= 1 else 'NOT met'})"
        )
        started = time.perf_counter()
        full = RoomState()
        await fold_forward(store, "big", full)
        print(
            f"[{label}] for comparison, the whole log folded with no snapshot: {time.perf_counter() - started:.2f} s"
        )
        rng = random.Random(7)
        for role in ROLES:
            top = full.view(role).seq
            took_all = []
            for _ in range(seeks):
                position = rng.randint(0, top)
                started = time.perf_counter()
                view = await view_at(store, "big", role, position)
                took_all.append(time.perf_counter() - started)
                assert view.seq == position
            print(
                f"[{label}] seek, {role} (positions 0..{top:,}), {seeks} random: "
                f"p50 {ms(statistics.median(took_all))}, p99 {ms(pct(took_all, 0.99))}, "
                f"max {ms(max(took_all))} (target <= 100 ms: "
                f"{'met' if max(took_all) <= 0.1 else 'NOT met'})"
            )
    finally:
        await store.close()


class Acks:
    """A member's outbox that only counts and wakes on one op's ack."""

    def __init__(self) -> None:
        self.waiting: tuple[str, asyncio.Future[None]] | None = None

    def push(self, frame: bytes) -> None:
        if self.waiting is not None and self.waiting[0].encode() in frame:
            decoded = msgpack.unpackb(frame, raw=False)
            if decoded.get("type") == "ack" and decoded.get("op") == self.waiting[0]:
                self.waiting[1].set_result(None)

    def stream(self, frames: Iterator[bytes]) -> None:
        for frame in frames:
            self.push(frame)

    def push_latest(self, frame: bytes) -> None:
        self.push(frame)

    def close(self, code: int, reason: str) -> None:
        raise RuntimeError(f"closed {code} {reason}")


async def memory_per_room(directory: Path, edits: int) -> None:
    tracemalloc.start()
    store = open_store(f"sqlite:///{directory}/memory.db")
    await store.open()
    registry = Registry(store, idle_seconds=600)
    try:
        created = await registry.create(
            title="Memory", buyer_org="B", seller_org="S", currency="EUR", neutral=True
        )
        record = await store.room(created.room_id)
        assert record is not None
        outbox = Acks()
        member = Member("m", "buyer", "Bea", outbox)
        room: LiveRoom = await registry.join(record, member, None)
        room.submit(member, "add", "item.add", {"item_id": "a", "kind": "term", "title": "A"})
        for n in range(ITEMS):
            room.submit(
                member, f"add{n}", "item.add", {"item_id": f"i{n}", "kind": "term", "title": "T"}
            )

        async def settle(op: str) -> None:
            done = asyncio.get_running_loop().create_future()
            outbox.waiting = (op, done)
            await asyncio.wait_for(done, 120)

        room.submit(member, "mark0", "item.edit", {"item_id": "a", "title": "start"})
        await settle("mark0")
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        for first in range(0, edits, 500):
            for n in range(first, min(first + 500, edits)):
                room.submit(
                    member,
                    f"e{n}",
                    "item.edit",
                    {"item_id": f"i{n % ITEMS}", "title": f"Edit {n}", "description": "x" * 60},
                )
            await settle(f"e{min(first + 500, edits) - 1}")
        took = time.perf_counter() - started
        await asyncio.gather(*room._saving)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        print(
            f"[memory] one loaded room (SQLite): {before / 1024:.0f} KiB of Python heap after "
            f"loading, {after / 1024:.0f} KiB after {edits:,} edits ({took:.1f} s under "
            f"tracemalloc); the room keeps {len(room._window)} events and "
            f"{len(room.state.view('buyer').ops)} op ids"
        )
    finally:
        await registry.close()
        await store.close()
        tracemalloc.stop()


async def other_room_during_cold_load(directory: Path, events: int) -> None:
    url = f"sqlite:///{directory}/load.db"
    store = open_store(url)
    await store.open()
    try:
        # The same generated log twice: with the snapshots a live room writes, and without.
        tokens = {}
        for room_id, snaps in (("withsnaps", True), ("nosnaps", False)):
            (invite,) = invites.mint(room_id, ("buyer",))
            tokens[room_id] = invite.token
            _, took = await write_room(
                store, room_id, events, snapshots=snaps, secrets={"buyer": invite.digest}
            )
        print(f"[cold load] wrote two rooms of {events:,} events ({took:.1f} s each)")
    finally:
        await store.close()
    with ServerProcess(url, idle=600) as server:
        small = await create_room(server.base)
        for room_id in ("withsnaps", "nosnaps"):
            await measure_load(server, small, tokens[room_id], room_id)


async def measure_load(
    server: ServerProcess, small: dict[str, Any], token: str, label: str
) -> None:
    async with connect(server.ws_url, compression=None, max_size=None) as member:
        await member.send(
            msgpack.packb({"type": "join", "token": small["tokens"]["buyer"], "name": "A"})
        )
        sent: dict[str, float] = {}
        took: list[tuple[float, float]] = []  # (sent at, latency)
        rate = 100.0
        stop = asyncio.Event()

        async def reader() -> None:
            while True:
                message = msgpack.unpackb(await member.recv(), raw=False)
                for frame in message if isinstance(message, list) else [message]:
                    if frame.get("type") == "ack" and frame["op"] in sent:
                        at = sent.pop(frame["op"])
                        took.append((at, time.perf_counter() - at))

        async def writer() -> None:
            await member.send(
                msgpack.packb(
                    {
                        "type": "cmd",
                        "op": "add",
                        "name": "item.add",
                        "args": {"item_id": "a", "kind": "term", "title": "A"},
                    }
                )
            )
            start = time.perf_counter()
            for n in itertools.count():
                if stop.is_set() or n > 100_000:
                    return
                due = start + n / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                op = f"o{n}"
                sent[op] = time.perf_counter()
                await member.send(
                    msgpack.packb(
                        {
                            "type": "cmd",
                            "op": op,
                            "name": "item.edit",
                            "args": {"item_id": "a", "title": f"t{n}"},
                        }
                    )
                )

        reading = asyncio.create_task(reader())
        writing = asyncio.create_task(writer())
        await asyncio.sleep(2.0)  # the baseline window
        load_start = time.perf_counter()
        async with connect(server.ws_url, compression=None, max_size=None) as joiner:
            await joiner.send(msgpack.packb({"type": "join", "token": token, "name": "B"}))
            while True:
                message = msgpack.unpackb(await asyncio.wait_for(joiner.recv(), 120), raw=False)
                frames = message if isinstance(message, list) else [message]
                if any(f.get("type") in ("welcome", "error") for f in frames):
                    break
        load_end = time.perf_counter()
        await asyncio.sleep(0.5)
        stop.set()
        await writing
        await asyncio.sleep(0.3)
        reading.cancel()
        base = [lat for at, lat in took if at < load_start - 0.2]
        during = [lat for at, lat in took if load_start <= at <= load_end]
        print(
            f"[cold load, {label}] the join took {ms(load_end - load_start)}; the other room's "
            f"acks before: p50 {ms(statistics.median(base))}, p99 {ms(pct(base, 0.99))} "
            f"({len(base)}); during the load: p50 {ms(statistics.median(during)) if during else '-'}, "
            f"p99 {ms(pct(during, 0.99)) if during else '-'}, max {ms(max(during)) if during else '-'} ({len(during)})"
        )


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def stalled_joiners(directory: Path, joiners: int) -> None:
    """Joiners of a room with a ~5 MB view that never read: the server's RSS per joiner."""
    with ServerProcess(f"sqlite:///{directory}/stalled.db", idle=600) as server:
        assert server.proc is not None
        room = await create_room(server.base)
        async with connect(server.ws_url, compression=None, max_size=None) as bea:
            await bea.send(
                msgpack.packb({"type": "join", "token": room["tokens"]["buyer"], "name": "B"})
            )
            options = [{"id": f"o{n}", "label": "é" * 200} for n in range(20)]
            for n in range(300):
                args = {
                    "item_id": f"i{n}",
                    "kind": "term",
                    "title": f"Item {n}",
                    "description": "ø" * 4000,
                    "options": options,
                }
                await bea.send(
                    msgpack.packb({"type": "cmd", "op": f"a{n}", "name": "item.add", "args": args})
                )
            acked = False
            while not acked:
                message = msgpack.unpackb(await asyncio.wait_for(bea.recv(), 60), raw=False)
                for frame in message if isinstance(message, list) else [message]:
                    acked = acked or (frame.get("type") == "ack" and frame["op"] == "a299")
            await asyncio.sleep(1.0)
            before = rss_kib(server.proc.pid)
            held = []
            for _ in range(joiners):
                sock = socket.socket()
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.connect(("127.0.0.1", server.port))
                ws = await connect(server.ws_url, sock=sock, compression=None, max_queue=1)
                join = {"type": "join", "token": room["tokens"]["seller"], "name": "Slow"}
                await ws.send(msgpack.packb(join))
                held.append(ws)
            await asyncio.sleep(3.0)  # a benchmark: let the server send what it will
            after = rss_kib(server.proc.pid)
            print(
                f"[stalled joiners] a room whose welcome is ~5 MB; {joiners} joiners that read "
                f"nothing: server RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB "
                f"({(after - before) / joiners:.0f} KiB per stalled joiner; dropped at the send deadline)"
            )
            for ws in held:
                ws.transport.abort()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="20,000 / 30,000 events instead")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["rebuild", "memory", "load", "stalled"]
    )
    args = parser.parse_args()
    events, load_events, seeks = (20_000, 30_000, 20) if args.quick else (100_000, 150_000, 50)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    async with asyncio.timeout(TIME_LIMIT):
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            if "rebuild" not in args.skip:
                await rebuild_and_seek(f"sqlite:///{directory}/rebuild.db", "sqlite", events, seeks)
                with running_redis() as redis_url:
                    await rebuild_and_seek(redis_url, "redis", events, seeks)
            if "memory" not in args.skip:
                await memory_per_room(directory, events)
            if "load" not in args.skip:
                await other_room_during_cold_load(directory, load_events)
            if "stalled" not in args.skip:
                await stalled_joiners(directory, 30)
    print(f"done in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
