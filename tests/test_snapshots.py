"""Snapshots, the bounded window of a loaded room, and the op-id dedupe window.

A snapshot of a room is its RoomState (every role's view, as the one
visibility filter folded it) at one log position: restoring one and folding
on must give exactly the views of a full fold. A tampered snapshot is found
on load and skipped. A loaded room keeps a bounded window of its log, never
all of it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.domainkit import BUYER, Room
from tests.test_fold_agreement import Step, play, step
from valueroom.domain.events import Event
from valueroom.domain.state import OPS_KEPT, RoomState
from valueroom.protocol import codec
from valueroom.rooms.history import verify_room
from valueroom.rooms.live import MAX_BATCH, RESUME_WINDOW, LiveRoom, Member
from valueroom.rooms.registry import Registry
from valueroom.rooms.snapshots import (
    SNAPSHOT_EVERY,
    SnapshotInvalid,
    decode_snapshot,
    encode_snapshot,
    restore,
    view_at,
)
from valueroom.store import RoomRecord, Store, chain, open_store

ROOM = "room1"


def same_views(a: RoomState, b: RoomState) -> None:
    assert a.seq == b.seq
    for role in a.views:
        assert a.views[role] == b.views[role], role
    assert a.public == b.public


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(program=st.lists(step(), min_size=20, max_size=90), cut=st.floats(0, 1))
def test_snapshot_restored_and_folded_on_equals_the_full_fold(
    program: list[Step], cut: float
) -> None:
    room = Room(neutral=True, phase="dividing")
    play(room, program)
    at = int(len(room.log) * cut)
    body = encode_snapshot(ROOM, RoomState.fold(room.log[:at]))
    state = decode_snapshot(ROOM, at, body)
    for event in room.log[at:]:
        state.apply(event)
    same_views(state, room.state)


def test_the_same_state_always_encodes_to_the_same_bytes() -> None:
    room = Room(neutral=True, phase="dividing")
    room.add("a", "A")
    room.do(BUYER, "figures.set", item_id="a", value="10", cost="2", note="mine")
    assert encode_snapshot(ROOM, RoomState.fold(room.log)) == encode_snapshot(ROOM, room.state)


def altered(body: bytes, old: bytes, new: bytes) -> bytes:
    """``body`` with ``old`` replaced inside its content, its digest left as it was."""
    envelope = codec.decode_trusted(body)
    assert old in envelope["content"]
    envelope["content"] = envelope["content"].replace(old, new)
    return codec.encode(envelope)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda b: altered(b, b"Deal", b"Meal"), "digest"),
        (lambda b: b[:-3], "undecodable"),
        (lambda b: codec.encode({**codec.decode_trusted(b), "seq": 99}), "another position"),
        (
            lambda b: codec.encode({**codec.decode_trusted(b), "positions": {"buyer": 0}}),
            "positions",
        ),
    ],
)
def test_a_tampered_snapshot_is_refused_with_a_typed_error(change: Any, why: str) -> None:
    room = Room()
    room.add("a", "A")
    body = encode_snapshot(ROOM, room.state)
    with pytest.raises(SnapshotInvalid, match=why) as caught:
        decode_snapshot(ROOM, room.state.seq, change(body))
    assert caught.value.seq == room.state.seq


def test_a_snapshot_of_another_room_is_refused() -> None:
    room = Room()
    body = encode_snapshot("other", room.state)
    with pytest.raises(SnapshotInvalid, match="another room"):
        decode_snapshot(ROOM, room.state.seq, body)


def test_each_view_remembers_only_the_last_ops_kept_op_ids() -> None:
    room = Room()
    room.add("a", "A")
    for n in range(OPS_KEPT + 10):
        room.do(BUYER, "item.edit", op=f"edit-{n}", item_id="a", title=f"A{n}")
    ops = room.state.view("buyer").ops
    assert len(ops) == OPS_KEPT
    assert ("buyer", "Bea", "edit-9") not in ops
    assert ("buyer", "Bea", "edit-10") in ops
    assert ("buyer", "Bea", f"edit-{OPS_KEPT + 9}") in ops
    # Only the actor's own view keeps them: the others never look them up.
    assert room.state.view("seller").ops == {}
    assert room.state.public.ops == {}


# -- stored snapshots: a long room on a real store ---------------------------------


def long_room(edits: int) -> Room:
    room = Room(neutral=True, phase="exploring")
    room.add("a", "Deal terms")
    for n in range(edits):
        room.do(BUYER, "item.edit", op=f"e{n}", item_id="a", title=f"Deal terms {n}")
    return room


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = open_store(store_url)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def stored(store: Store, room: Room, room_id: str = ROOM) -> None:
    record = RoomRecord(room_id, f"log-{room_id}", 1, {"buyer": "x"})
    await store.create_room(record, room.log[:1])
    for start in range(1, len(room.log), 1000):
        await store.append(room_id, start, room.log[start : start + 1000])


async def tamper(store_url: str, store: Store, seq: int) -> None:
    """Change a title inside the stored snapshot at ``seq`` directly in SQLite or Redis."""
    body = await store.get_snapshot(ROOM, seq)
    assert body is not None
    bad = altered(body, b"Deal terms", b"Mean terms")
    if store_url.startswith("sqlite:///"):
        db = sqlite3.connect(store_url[len("sqlite:///") :])
        with db:
            db.execute(
                "UPDATE snapshots SET body = ? WHERE room_id = ? AND seq = ?", (bad, ROOM, seq)
            )
        db.close()
    else:
        async with redis.asyncio.Redis.from_url(store_url) as client:
            assert await client.hset(f"vr:{{{ROOM}}}:snaps", str(seq), bad) == 0
    assert await store.get_snapshot(ROOM, seq) == bad


async def test_a_snapshot_tampered_in_the_store_is_skipped_for_an_older_one(
    store_url: str, store: Store
) -> None:
    room = long_room(2500)
    await stored(store, room)
    for at in (1000, 2000):
        await store.put_snapshot(ROOM, at, encode_snapshot(ROOM, RoomState.fold(room.log[:at])))
    await tamper(store_url, store, 2000)

    restored = await restore(store, ROOM)
    assert [bad.seq for bad in restored.invalid] == [2000]
    assert "digest" in restored.invalid[0].why
    assert restored.snapshot == 1000
    assert restored.folded == len(room.log) - 1000
    same_views(restored.state, room.state)

    await tamper(store_url, store, 1000)
    restored = await restore(store, ROOM)
    assert [bad.seq for bad in restored.invalid] == [2000, 1000]
    assert restored.snapshot == 0  # the whole log, folded
    same_views(restored.state, room.state)


class Collect:
    """An outbox that keeps what it is given (a member without a socket)."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def push(self, frame: bytes) -> None:
        self.frames.append(codec.decode_trusted(frame))
        self.changed.set()

    def stream(self, frames: Iterator[bytes]) -> None:
        for frame in frames:
            self.push(frame)

    def push_latest(self, frame: bytes) -> None:
        self.push(frame)

    def close(self, code: int, reason: str) -> None:
        self.frames.append({"type": "closed", "code": code})
        self.changed.set()

    async def until(self, predicate: Any) -> dict[str, Any]:
        async with asyncio.timeout(30):
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                self.changed.clear()
                await self.changed.wait()


async def loaded(store: Store) -> tuple[Registry, LiveRoom, Member, Collect]:
    registry = Registry(store, idle_seconds=60)
    record = await store.room(ROOM)
    assert record is not None
    outbox = Collect()
    member = Member("m1", "buyer", "Bea", outbox)
    live = await registry.join(record, member, None)
    return registry, live, member, outbox


async def test_a_room_loads_past_a_tampered_snapshot_and_welcomes_the_true_state(
    store_url: str, store: Store
) -> None:
    room = long_room(1500)
    await stored(store, room)
    await store.put_snapshot(ROOM, 1000, encode_snapshot(ROOM, RoomState.fold(room.log[:1000])))
    await tamper(store_url, store, 1000)
    registry, live, _, outbox = await loaded(store)
    try:
        same_views(live.state, room.state)
        welcome = await outbox.until(lambda f: f["type"] == "welcome")
        assert welcome["view"] == room.state.view("buyer").to_wire()
        assert b"Mean terms" not in codec.encode(welcome)
    finally:
        await registry.close()
    # The load stored a fresh snapshot at its position (the log had outgrown the valid ones).
    assert len(room.log) in await store.snapshot_seqs(ROOM)


async def test_a_live_room_writes_a_snapshot_every_k_events_and_keeps_a_bounded_window(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path}/k.db")
    await store.open()
    room = long_room(0)
    await stored(store, room)
    registry, live, member, outbox = await loaded(store)
    try:
        total = 2 * SNAPSHOT_EVERY + 700
        for n in range(total):
            live.submit(member, f"op{n}", "item.edit", {"item_id": "a", "title": f"T{n}"})
        await outbox.until(lambda f: f["type"] == "ack" and f["op"] == f"op{total - 1}")
        await asyncio.gather(*live._saving)
        assert len(live._window) <= RESUME_WINDOW
        assert len(live.state.view("buyer").ops) <= OPS_KEPT
        seqs = await store.snapshot_seqs(ROOM)
        log = await store.read(ROOM)
        assert len(seqs) == 2
        for before, after in zip([0, *seqs], [*seqs, len(log)], strict=True):
            assert after - before <= SNAPSHOT_EVERY + MAX_BATCH
        for seq in seqs:
            body = await store.get_snapshot(ROOM, seq)
            assert body is not None
            same_views(decode_snapshot(ROOM, seq, body), RoomState.fold(log[:seq]))
    finally:
        await registry.close()
        await store.close()


async def test_an_op_id_is_deduplicated_inside_the_window_and_decided_again_beyond_it() -> None:
    store = open_store("memory://dedupe-window")
    await store.open()
    room = long_room(0)
    await stored(store, room)
    registry, live, member, outbox = await loaded(store)
    try:

        async def send(op: str, title: str) -> dict[str, Any]:
            outbox.frames.clear()
            live.submit(member, op, "item.edit", {"item_id": "a", "title": title})
            return await outbox.until(lambda f: f["type"] == "ack" and f["op"] == op)

        first = await send("the-op", "First")
        assert (await send("the-op", "Again"))["seq"] == first["seq"]  # applied once
        assert live.state.view("buyer").items["a"].title == "First"
        for n in range(OPS_KEPT):
            live.submit(member, f"filler{n}", "item.edit", {"item_id": "a", "title": f"F{n}"})
        await outbox.until(lambda f: f["type"] == "ack" and f["op"] == f"filler{OPS_KEPT - 1}")
        again = await send("the-op", "Again")
        assert again["seq"] > first["seq"]  # forgotten: decided again
        assert live.state.view("buyer").items["a"].title == "Again"
    finally:
        await registry.close()
        await store.close()


# -- seeking ----------------------------------------------------------------------


async def test_view_at_gives_each_role_its_view_at_any_of_its_positions(store: Store) -> None:
    room = Room(neutral=True, phase="exploring")
    room.add("a", "Deal terms")
    for n in range(1300):
        if n % 3 == 0:
            room.do(BUYER, "figures.set", item_id="a", value=str(n), cost="1", note="")
        else:
            room.do(BUYER, "item.edit", op=f"e{n}", item_id="a", title=f"T{n}")
    await stored(store, room)
    for at in (500, 1000):
        await store.put_snapshot(ROOM, at, encode_snapshot(ROOM, RoomState.fold(room.log[:at])))
    for role in ("buyer", "seller", "neutral"):
        seen = RoomState()
        folds: dict[int, Any] = {0: seen.view(role).to_wire()}
        for event in room.log:
            if role in seen.apply(event):
                folds[seen.view(role).seq] = seen.view(role).to_wire()
        for position in sorted({0, 1, 2, 333, 499, 500, 501, 700, 1000, max(folds)} & set(folds)):
            view = await view_at(store, ROOM, role, position)
            assert view.seq == position
            assert view.to_wire() == folds[position], (role, position)
        with pytest.raises(ValueError, match="has seen"):
            await view_at(store, ROOM, role, max(folds) + 1)
        with pytest.raises(ValueError, match="not negative"):
            await view_at(store, ROOM, role, -1)


# -- snapshots and the hash chain ------------------------------------------------


async def chained_room(store: Store, edits: int) -> list[Event]:
    """A long room stored with its hash chain, as the server writes it."""
    room = long_room(edits)
    events = chain.stamp(chain.genesis(f"log-{ROOM}"), room.log)
    await store.create_room(RoomRecord(ROOM, f"log-{ROOM}", 1, {"buyer": "x"}), events[:1])
    for start in range(1, len(events), 1000):
        await store.append(ROOM, start, events[start : start + 1000])
    return events


async def test_a_snapshot_whose_chain_head_is_not_the_logs_is_skipped(store: Store) -> None:
    events = await chained_room(store, 1500)
    good = RoomState.fold(events[:1000])
    await store.put_snapshot(ROOM, 1000, encode_snapshot(ROOM, good, events[999].chain))
    # A snapshot with a valid digest, but recording another position's chain head.
    other = RoomState.fold(events[:1200])
    await store.put_snapshot(ROOM, 1200, encode_snapshot(ROOM, other, events[1198].chain))
    restored = await restore(store, ROOM)
    assert [bad.seq for bad in restored.invalid] == [1200]
    assert "chain head" in restored.invalid[0].why
    assert restored.snapshot == 1000
    assert restored.chain_head == events[-1].chain
    same_views(restored.state, RoomState.fold(events))


async def test_a_room_loaded_from_a_snapshot_at_the_end_of_its_log_keeps_its_chain(
    store: Store,
) -> None:
    events = await chained_room(store, 1000)
    at = len(events)
    await store.put_snapshot(
        ROOM, at, encode_snapshot(ROOM, RoomState.fold(events), events[-1].chain)
    )
    registry, live, member, outbox = await loaded(store)
    try:
        assert live.chain_head == events[-1].chain  # nothing folded: taken from the snapshot
        live.submit(member, "after", "item.edit", {"item_id": "a", "title": "After the load"})
        await outbox.until(lambda f: f["type"] == "ack" and f["op"] == "after")
    finally:
        await registry.close()
    verdict = await verify_room(store, ROOM)
    assert verdict is not None
    assert verdict.broken is None
    assert verdict.events == at + 1
