"""The store contract (valueroom.store.base), checked against every adapter.

Each test runs once per adapter through the ``store`` / ``adapter_url`` fixtures;
Redis cases run against a real redis-server. The last section checks what only
the Redis adapter promises (channel bookkeeping, surviving a dropped pub/sub
connection).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio

from tests.timing import timeout
from valueroom.domain.events import Actor, Event
from valueroom.store import Conflict, RoomRecord, Store, StoreError, UnknownRoom, chain, open_store
from valueroom.store.redis import CLUSTER_SCHEMES, RedisStore

WAIT = timeout(5)
ROOM = "r-7f3a"
BUYER = Actor("buyer", "Anneke de Vries")
SELLER = Actor("seller", "Søren Ødegård")


def event(seq: int, actor: Actor | None = BUYER, **data: Any) -> Event:
    return Event(
        seq=seq,
        at=1_700_000_000_000 + seq,
        actor=actor,
        op=f"op-{seq}",
        vis=7,
        name="item.note",
        data=data or {"n": seq},
    )


def record(room_id: str = ROOM) -> RoomRecord:
    return RoomRecord(
        room_id=room_id,
        log_id=f"log-{room_id}",
        created_at=1_700_000_000_000,
        secret_hashes={"buyer": "h-b", "seller": "h-s", "neutral": "h-n"},
    )


@asynccontextmanager
async def another(url: str) -> AsyncIterator[Store]:
    """A second, independent store instance on the same URL."""
    other = open_store(url)
    await other.open()
    try:
        yield other
    finally:
        await other.close()


@asynccontextmanager
async def another_writer(store: Store) -> AsyncIterator[Store]:
    """Write through a second instance where wakes cross instances, else through ``store``."""
    if isinstance(store, RedisStore):
        async with another(store.url) as other:
            yield other
    else:
        yield store


@asynccontextmanager
async def server_of(url: str, key: str) -> AsyncIterator[redis.asyncio.Redis]:
    """A client of the Redis server that holds ``key``: the server, or its cluster node."""
    scheme, _, rest = url.partition("://")
    if scheme not in CLUSTER_SCHEMES:
        async with redis.asyncio.Redis.from_url(url) as client:
            yield client
        return
    plain = f"{CLUSTER_SCHEMES[scheme]}://{rest}"
    async with redis.asyncio.RedisCluster.from_url(plain) as cluster:
        node = cluster.get_node_from_key(key)
        assert node is not None
        async with redis.asyncio.Redis(host=node.host, port=int(node.port)) as client:
            yield client


class Wakes:
    """A wake callback that records every seq it is given."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self._changed = asyncio.Event()

    def __call__(self, seq: int) -> None:
        self.seen.append(seq)
        self._changed.set()

    async def until(self, seq: int) -> None:
        async def wait() -> None:
            while seq not in self.seen:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), WAIT)


async def room_with(store: Store, last: int, room_id: str = ROOM) -> list[Event]:
    """Create a room whose log holds events 1..last."""
    events = [event(seq) for seq in range(1, last + 1)]
    await store.create_room(record(room_id), events)
    return events


# --- Rooms ------------------------------------------------------------------


async def test_store_create_room_keeps_record_and_first_events(store: Store) -> None:
    first = [event(1, kind="room.created"), event(2, actor=None)]
    await store.create_room(record(), first)

    assert await store.room(ROOM) == record()
    assert await store.read(ROOM) == first


async def test_store_create_room_without_first_events_starts_an_empty_log(store: Store) -> None:
    await store.create_room(record(), [])

    assert await store.room(ROOM) == record()
    assert await store.read(ROOM) == []
    await store.append(ROOM, 0, [event(1)])
    assert await store.read(ROOM) == [event(1)]


async def test_store_create_room_twice_raises_and_changes_nothing(store: Store) -> None:
    first = await room_with(store, 2)
    clash = RoomRecord(ROOM, "log-other", 1, {"buyer": "x"})

    with pytest.raises(StoreError):
        await store.create_room(clash, [event(1, actor=SELLER)])

    assert await store.room(ROOM) == record()
    assert await store.read(ROOM) == first


async def test_store_unknown_room_has_no_record(store: Store) -> None:
    assert await store.room("nope") is None


async def test_store_append_to_unknown_room_raises_unknown_room(store: Store) -> None:
    with pytest.raises(UnknownRoom):
        await store.append("nope", 0, [event(1)])

    assert await store.room("nope") is None


async def test_store_rooms_are_independent(store: Store) -> None:
    await room_with(store, 1, "a")
    await room_with(store, 3, "b")

    await store.append("a", 1, [event(2, actor=SELLER)])

    assert [e.seq for e in await store.read("a")] == [1, 2]
    assert [e.seq for e in await store.read("b")] == [1, 2, 3]


async def test_store_concurrent_appends_to_many_rooms_succeed_or_fail_alone(store: Store) -> None:
    rooms = [f"r{i}" for i in range(12)]
    for room_id in rooms:
        await room_with(store, 1, room_id)
    stale = "r5"
    outcomes = await asyncio.gather(
        *(
            store.append(room_id, 0, [event(1), event(2)])
            if room_id == stale
            else store.append(room_id, 1, [event(2), event(3)])
            for room_id in rooms
        ),
        store.append("missing", 0, [event(1)]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[rooms.index(stale)], Conflict)
    assert isinstance(outcomes[-1], UnknownRoom)
    for room_id, outcome in zip(rooms, outcomes, strict=False):
        if room_id != stale:
            assert outcome is None
            assert [e.seq for e in await store.read(room_id)] == [1, 2, 3]
    assert [e.seq for e in await store.read(stale)] == [1]


# --- Conditional append -----------------------------------------------------


async def test_store_append_extends_the_log_when_expected_seq_matches(store: Store) -> None:
    first = await room_with(store, 1)
    batch = [event(2), event(3, actor=SELLER), event(4)]

    await store.append(ROOM, 1, batch)

    assert await store.read(ROOM) == first + batch


async def test_store_append_refuses_stale_expected_seq(store: Store) -> None:
    before = await room_with(store, 3)

    with pytest.raises(Conflict) as refused:
        await store.append(ROOM, 2, [event(3, actor=SELLER)])

    assert refused.value.expected == 2
    assert refused.value.actual == 3
    assert await store.read(ROOM) == before


async def test_store_append_refuses_expected_seq_ahead_of_the_log(store: Store) -> None:
    before = await room_with(store, 2)

    with pytest.raises(Conflict) as refused:
        await store.append(ROOM, 5, [event(6)])

    assert refused.value.actual == 2
    assert await store.read(ROOM) == before


async def test_store_append_racing_on_one_expected_seq_has_exactly_one_winner(
    store: Store, adapter_url: str
) -> None:
    await room_with(store, 1)
    async with another(adapter_url) as rival:
        for _ in range(20):
            before = await store.read(ROOM)
            last = len(before)
            ours = [event(last + 1, actor=BUYER), event(last + 2, actor=BUYER)]
            theirs = [event(last + 1, actor=SELLER)]

            results = await asyncio.gather(
                store.append(ROOM, last, ours),
                rival.append(ROOM, last, theirs),
                return_exceptions=True,
            )

            losers = [r for r in results if r is not None]
            assert len(losers) == 1, results
            assert isinstance(losers[0], Conflict)
            winner = ours if results[0] is None else theirs
            assert losers[0].actual == last + len(winner)
            assert await store.read(ROOM) == before + winner


# --- Reading ----------------------------------------------------------------


async def test_store_read_after_returns_exactly_the_later_events_in_order(store: Store) -> None:
    events = await room_with(store, 10)

    for after in (0, 1, 5, 9, 10, 11):
        assert await store.read(ROOM, after) == events[after:]


async def test_store_read_pages_through_logs_longer_than_one_page(store: Store) -> None:
    await room_with(store, 1)
    for start in range(2, 2_501, 500):
        await store.append(ROOM, start - 1, [event(seq) for seq in range(start, start + 500)])

    whole = await store.read(ROOM)
    assert [e.seq for e in whole] == list(range(1, 2_502))
    assert whole[1_000] == event(1_001)
    for after in (999, 1_000, 1_001, 1_500, 2_000, 2_499):
        tail = await store.read(ROOM, after)
        assert [e.seq for e in tail] == list(range(after + 1, 2_502))


async def test_store_events_round_trip_exactly(store: Store) -> None:
    rich = Event(
        seq=2,
        at=1_712_345_678_901,
        actor=SELLER,
        op="c-01HZX9-ä",
        vis=2,
        name="figure.registered",
        data={
            "item": "consignatievoorraad — bij de koper 🏭",
            "value": -12_000_000,
            "cost": 2**53 + 1,
            "nested": {"list": [1, "twee", None, True, False, [], {}], "empty": ""},
            "ratio": [[0, 1], {"a": {"b": {"c": ["d"]}}}],
        },
    )
    anonymous = Event(seq=3, at=0, actor=None, op=None, vis=4, name="phase.set", data={})
    await room_with(store, 1)

    await store.append(ROOM, 1, [rich, anonymous])

    assert await store.read(ROOM, 1) == [rich, anonymous]


async def test_store_keeps_each_events_chain_fields(store: Store) -> None:
    await room_with(store, 1)
    head = (await store.read(ROOM))[0].chain or chain.genesis(record().log_id)
    mine = Event(seq=2, at=5, actor=BUYER, op="o", vis=1, name="figures.registered", data={})
    public = event(3)
    stamped = chain.stamp(head, [mine, public])
    await store.append(ROOM, 1, stamped)

    back = await store.read(ROOM, 1)
    assert back == stamped
    assert back[0].salt is not None
    assert len(back[0].salt) == 32
    assert back[1].salt is None
    assert back[1].chain == chain.link(back[0].chain or b"", back[1].leaf or b"")


async def test_store_reads_a_range_of_the_log(store: Store) -> None:
    await room_with(store, 300)
    assert [e.seq for e in await store.read_range(ROOM, 10, 20)] == list(range(11, 21))
    assert [e.seq for e in await store.read_range(ROOM, 0, 300)] == list(range(1, 301))
    assert [e.seq for e in await store.read_range(ROOM, 290, 500)] == list(range(291, 301))
    assert await store.read_range(ROOM, 20, 20) == []
    assert await store.read_range(ROOM, 20, 10) == []
    assert await store.read_range("no-such-room", 0, 10) == []


async def test_store_read_page_returns_at_most_limit_events_after_a_position(store: Store) -> None:
    events = await room_with(store, 25)
    assert await store.read_page(ROOM, 0, 10) == events[:10]
    assert await store.read_page(ROOM, 10, 10) == events[10:20]
    assert await store.read_page(ROOM, 20, 10) == events[20:]
    assert await store.read_page(ROOM, 25, 10) == []
    assert await store.read_page(ROOM, 3, 0) == []
    assert await store.read_page("no-such-room", 0, 10) == []


# --- Snapshots --------------------------------------------------------------


async def test_store_keeps_snapshots_by_position_and_lists_them_ascending(store: Store) -> None:
    await room_with(store, 3)
    assert await store.snapshot_seqs(ROOM) == []
    assert await store.get_snapshot(ROOM, 2) is None
    await store.put_snapshot(ROOM, 3, b"\x00three")
    await store.put_snapshot(ROOM, 1, b"one\xff")
    assert await store.snapshot_seqs(ROOM) == [1, 3]
    assert await store.get_snapshot(ROOM, 1) == b"one\xff"
    assert await store.get_snapshot(ROOM, 3) == b"\x00three"
    assert await store.read(ROOM) == [event(1), event(2), event(3)]  # the log is untouched


async def test_store_put_snapshot_at_a_taken_position_replaces_it(store: Store) -> None:
    await room_with(store, 2)
    await store.put_snapshot(ROOM, 2, b"first")
    await store.put_snapshot(ROOM, 2, b"second")
    assert await store.snapshot_seqs(ROOM) == [2]
    assert await store.get_snapshot(ROOM, 2) == b"second"


async def test_store_snapshots_belong_to_their_room(store: Store) -> None:
    await room_with(store, 1)
    await room_with(store, 1, room_id="r-other")
    await store.put_snapshot("r-other", 1, b"other")
    assert await store.snapshot_seqs(ROOM) == []
    assert await store.get_snapshot(ROOM, 1) is None
    with pytest.raises(UnknownRoom):
        await store.put_snapshot("no-such-room", 1, b"x")


async def test_store_large_snapshot_round_trips(store: Store) -> None:
    await room_with(store, 1)
    body = bytes(range(256)) * 8192  # 2 MiB, every byte value
    await store.put_snapshot(ROOM, 1, body)
    assert await store.get_snapshot(ROOM, 1) == body


# --- Durability -------------------------------------------------------------


async def test_store_data_survives_reopening(adapter_url: str) -> None:
    async with another(adapter_url) as first:
        events = await room_with(first, 3)
        await first.append(ROOM, 3, [event(4, actor=SELLER)])
        await first.put_snapshot(ROOM, 3, b"snapshot at 3")

    async with another(adapter_url) as reopened:
        assert await reopened.room(ROOM) == record()
        assert await reopened.get_snapshot(ROOM, 3) == b"snapshot at 3"
        assert await reopened.read(ROOM) == [*events, event(4, actor=SELLER)]
        await reopened.append(ROOM, 4, [event(5)])
        assert [e.seq for e in await reopened.read(ROOM, 3)] == [4, 5]


# --- Wakes ------------------------------------------------------------------


async def test_store_wakes_subscriber_with_new_last_seq_on_append(store: Store) -> None:
    await room_with(store, 1)
    wakes = Wakes()
    await store.subscribe(ROOM, wakes)

    await store.append(ROOM, 1, [event(2), event(3)])

    await wakes.until(3)


@pytest.mark.redis
async def test_redis_store_wakes_subscriber_on_append_through_another_instance(
    shared_url: str,
) -> None:
    # Only a store that several processes share can wake across instances;
    # SQLite serves one process per file and says so with shares_rooms.
    redis_url = shared_url
    async with another(redis_url) as store:
        assert store.shares_rooms
        await room_with(store, 1)
        wakes = Wakes()
        await store.subscribe(ROOM, wakes)
        async with another(redis_url) as writer:
            await writer.append(ROOM, 1, [event(2)])
            await wakes.until(2)
            await writer.append(ROOM, 2, [event(3), event(4)])
            await wakes.until(4)


class Notices:
    """A notice callback that records every payload it is given."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []
        self._changed = asyncio.Event()

    def __call__(self, payload: bytes) -> None:
        self.seen.append(payload)
        self._changed.set()

    async def until(self, payload: bytes) -> None:
        async def wait() -> None:
            while payload not in self.seen:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), WAIT)


@pytest.mark.redis
async def test_redis_store_notices_reach_other_instances_but_not_the_log(shared_url: str) -> None:
    redis_url = shared_url
    async with another(redis_url) as store, another(redis_url) as other:
        await room_with(store, 1)
        first, second = Notices(), Notices()
        await store.subscribe(ROOM, Wakes())
        store.listen(ROOM, first)
        store.listen(ROOM, second)
        await other.notify(ROOM, b"presence payload")
        await first.until(b"presence payload")
        assert first.seen == [b"presence payload"]
        assert [e.seq for e in await store.read(ROOM)] == [1]
        store.unlisten(ROOM, first)
        await other.notify(ROOM, b"again")
        # One listener dispatches a channel's messages in order: once the
        # callback still listening has "again", the other would have had it too.
        await second.until(b"again")
        assert first.seen == [b"presence payload"]


async def test_sqlite_store_does_not_share_rooms(tmp_path: Path) -> None:
    async with another("sqlite:///" + str(tmp_path / "one.db")) as store:
        assert not store.shares_rooms


async def test_store_wakes_every_callback_of_a_room(store: Store) -> None:
    await room_with(store, 1)
    first, second = Wakes(), Wakes()
    await store.subscribe(ROOM, first)
    await store.subscribe(ROOM, second)

    await store.append(ROOM, 1, [event(2)])

    await first.until(2)
    await second.until(2)


async def test_store_failing_wake_callback_fails_neither_the_append_nor_the_others(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await room_with(store, 1)
    seen = Wakes()

    def broken(seq: int) -> None:
        raise RuntimeError(f"a subscriber's bug at {seq}")

    await store.subscribe(ROOM, broken)
    await store.subscribe(ROOM, seen)

    await store.append(ROOM, 1, [event(2)])  # the write is durable: no error reaches the writer

    await seen.until(2)
    assert [e.seq for e in await store.read(ROOM)] == [1, 2]
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert failures
    assert "wake callback" in failures[0].getMessage()


async def test_store_unsubscribe_stops_wakes_for_that_callback_only(store: Store) -> None:
    await room_with(store, 1)
    leaving, staying = Wakes(), Wakes()
    await store.subscribe(ROOM, leaving)
    await store.subscribe(ROOM, staying)
    await store.append(ROOM, 1, [event(2)])
    await leaving.until(2)

    await store.unsubscribe(ROOM, leaving)
    await store.append(ROOM, 2, [event(3)])

    # Both callbacks hang off the same delivery, so once `staying` has seq 3,
    # `leaving` would have it too if it were still subscribed.
    await staying.until(3)
    assert 3 not in leaving.seen


async def test_store_unsubscribe_of_last_callback_stops_wakes(store: Store) -> None:
    await room_with(store, 1, "quiet")
    await room_with(store, 1, "busy")
    gone, probe = Wakes(), Wakes()
    await store.subscribe("quiet", gone)
    await store.unsubscribe("quiet", gone)
    await store.subscribe("busy", probe)

    async with another_writer(store) as writer:
        await writer.append("quiet", 1, [event(2)])
        await writer.append("busy", 1, [event(2)])

    # Wakes reach a store in the order the appends were made, so by the time
    # "busy" is woken, a wake for "quiet" would already have arrived.
    await probe.until(2)
    assert gone.seen == []


async def test_store_unsubscribe_of_unknown_callback_is_harmless(store: Store) -> None:
    await room_with(store, 1)
    wakes = Wakes()
    await store.unsubscribe(ROOM, wakes)
    await store.subscribe(ROOM, wakes)
    await store.unsubscribe(ROOM, Wakes())

    await store.append(ROOM, 1, [event(2)])

    await wakes.until(2)


async def test_store_resubscribing_a_room_wakes_again(store: Store) -> None:
    await room_with(store, 1)
    first, again = Wakes(), Wakes()
    await store.subscribe(ROOM, first)
    await store.unsubscribe(ROOM, first)
    await store.subscribe(ROOM, again)

    await store.append(ROOM, 1, [event(2)])

    await again.until(2)
    assert first.seen == []


# --- Redis adapter specifics --------------------------------------------------


async def subscribers(server: redis.asyncio.Redis, channel: str, *, sharded: bool) -> int:
    """How many connections to ``server`` are subscribed to ``channel`` (a shard channel on a cluster)."""
    kind = "SHARDNUMSUB" if sharded else "NUMSUB"
    reply = await server.execute_command("PUBSUB", kind, channel)  # type: ignore[no-untyped-call]
    return int(reply[1])


@pytest.mark.redis
async def test_redis_store_leaves_the_channel_when_the_last_callback_leaves(
    shared_url: str,
) -> None:
    channel = f"vr:{{{ROOM}}}:grow"
    sharded = shared_url.startswith("redis+cluster://")
    async with another(shared_url) as store, server_of(shared_url, channel) as probe:
        first, second = Wakes(), Wakes()
        await store.subscribe(ROOM, first)
        await store.subscribe(ROOM, second)
        assert await subscribers(probe, channel, sharded=sharded) == 1

        await store.unsubscribe(ROOM, first)
        assert await subscribers(probe, channel, sharded=sharded) == 1
        await store.unsubscribe(ROOM, second)

        async def left() -> None:
            # Only Redis knows when it has processed the UNSUBSCRIBE: poll it.
            while await subscribers(probe, channel, sharded=sharded) != 0:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

        await asyncio.wait_for(left(), WAIT)


@pytest.mark.redis
async def test_redis_store_resubscribes_and_wakes_with_zero_after_pubsub_connection_drops(
    shared_url: str,
) -> None:
    async with (
        another(shared_url) as store,
        another(shared_url) as writer,
        server_of(shared_url, f"vr:{{{ROOM}}}:grow") as admin,
    ):
        await room_with(store, 1)
        wakes = Wakes()
        await store.subscribe(ROOM, wakes)

        killed = await admin.client_kill_filter(_type="pubsub")
        assert killed == 1

        # 0 is the "you may have missed something, read the log" hint.
        await wakes.until(0)
        await writer.append(ROOM, 1, [event(2)])
        await wakes.until(2)


@pytest.mark.redis
async def test_redis_cluster_store_follows_a_room_whose_slot_moves_to_another_node(
    redis_cluster_url: str,
) -> None:
    plain = redis_cluster_url.replace("redis+cluster://", "redis://", 1)
    async with (
        another(redis_cluster_url) as store,
        redis.asyncio.RedisCluster.from_url(plain) as admin,
    ):
        events = await room_with(store, 1)
        wakes = Wakes()
        await store.subscribe(ROOM, wakes)
        await store.append(ROOM, 1, [event(2)])
        await wakes.until(2)

        await move_slot(admin, f"vr:{{{ROOM}}}:log")

        # The old node unsubscribed the room's channel when it gave the slot
        # away; the store subscribes where the slot went and says "read the log".
        await wakes.until(0)
        async with another(redis_cluster_url) as writer:
            await writer.append(ROOM, 2, [event(3)])
        await wakes.until(3)
        assert await store.read(ROOM) == [*events, event(2), event(3)]


async def move_slot(cluster: redis.asyncio.RedisCluster, key: str) -> None:
    """Move ``key``'s slot, keys and all, to another primary (what resharding does)."""
    slot = cluster.keyslot(key)
    source = cluster.get_node_from_key(key)
    assert source is not None
    target = next(node for node in cluster.get_primaries() if node.name != source.name)

    async def on(node: Any, *args: Any) -> Any:
        return await cluster.execute_command(*args, target_nodes=node)

    ids = {}
    for node in cluster.get_primaries():
        ids[node.name] = (await on(node, "CLUSTER", "MYID")).decode()
    await on(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", ids[source.name])
    await on(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", ids[target.name])
    keys = await on(source, "CLUSTER", "GETKEYSINSLOT", slot, 100)
    if keys:
        await on(source, "MIGRATE", target.host, target.port, "", 0, 5000, "KEYS", *keys)
    for node in (target, source, *cluster.get_primaries()):
        await on(node, "CLUSTER", "SETSLOT", slot, "NODE", ids[target.name])


@pytest.mark.redis
async def test_redis_store_refuses_misnumbered_events_and_writes_nothing(shared_url: str) -> None:
    redis_url = shared_url
    async with another(redis_url) as store:
        before = await room_with(store, 2)

        with pytest.raises(ValueError, match="numbered"):
            await store.append(ROOM, 2, [event(3), event(5)])

        assert await store.read(ROOM) == before


@pytest.mark.redis
async def test_redis_store_loads_its_script_again_after_redis_forgot_it(shared_url: str) -> None:
    async with another(shared_url) as store, server_of(shared_url, f"vr:{{{ROOM}}}:log") as admin:
        await room_with(store, 1)
        await store.append(ROOM, 1, [event(2)])
        await admin.script_flush()

        # Redis answers NOSCRIPT; nothing ran, so each append is sent again after loading.
        results = await asyncio.gather(
            store.append(ROOM, 2, [event(3)]),
            store.append("nope", 0, [event(1)]),
            return_exceptions=True,
        )
        assert results[0] is None
        assert isinstance(results[1], UnknownRoom)
        assert [e.seq for e in await store.read(ROOM)] == [1, 2, 3]
