"""The shared store: Redis, so that several server processes can serve one room.

URLs: ``redis://host:port/db`` (``rediss://`` for TLS, ``unix:///path?db=0``)
names one Redis server; ``redis+cluster://host:port`` (``rediss+cluster://``)
names any one node of a Redis Cluster, and the client finds the others. On a
cluster, everything of one room lives in one hash slot, so one node serves the
room and appends stay one atomic script; rooms spread over the nodes.

Layout, per room. The ``{room_id}`` hash tag puts a room's keys and its channel
in one cluster slot, so one script may touch all of them:

* ``vr:{room_id}:room``: a hash with ``log_id``, ``created_at`` and ``secrets``
  (the msgpack of the secret hashes).
* ``vr:{room_id}:log``: a stream. Event *n* is the entry with id ``0-n``, whose
  one field ``e`` holds :func:`~valueroom.store.base.pack_event` bytes.
* ``vr:{room_id}:snaps``: a hash of the room's snapshots, field = the log
  position (decimal), value = the snapshot's bytes (opaque to the store).
* ``vr:closed``: one sorted set for all rooms: the ids of closed rooms, scored
  by when they closed (ms), for the retention sweep; an erase removes its id.
* ``vr:{room_id}:grow``: a pub/sub channel. Every write publishes the log's new
  last sequence number there; ``notify`` publishes ephemeral notices (presence)
  there too, prefixed ``n:``. On a cluster it is a shard channel (``SPUBLISH``,
  ``SSUBSCRIBE``, Redis 7 or later): a message travels only to the node that
  owns the room's slot, where the subscribers of that room listen, instead of
  being broadcast to every node of the cluster.

Ordering: ``append`` and ``create_room`` are each one Lua script, so checking
"the log still ends at ``expected``" and writing are one atomic step on the
Redis server, whichever process sends them. That is what lets several
processes append to one room without ever both writing sequence number *n*.

Throughput: on one Redis server, appends from every room that arrive while
a round of them is out go together in the next round, one pipeline of
``EVALSHA`` calls (one write, one read). Under load, rounds start at most
every ``round_interval`` (1 ms), which makes them larger; a lone append goes
at once. On a
cluster each append is its own call to the room's node.

Durability: an acknowledged event is exactly as durable as Redis makes it. Run
Redis with ``appendonly yes`` and either

* ``appendfsync always``: the append-only file is fsynced before Redis replies,
  so an acknowledged event survives a power cut. Redis fsyncs once per event-loop
  turn for all clients, so concurrent appends share the cost; or
* ``appendfsync everysec``: the write reaches the kernel before Redis replies and
  is fsynced about once a second. It survives a crash of ``redis-server``, but a
  power cut or kernel crash can lose about the last second of acknowledged events.

Without the append-only file (snapshots only, or nothing) a Redis restart loses
acknowledged events. Replication is asynchronous: failing over to a replica can
lose the latest acknowledged events too.

Failures: any Redis error becomes :class:`~valueroom.store.base.StoreError`.
redis-py retries a command whose connection broke. So an append that was applied
but whose reply was lost is sent again and comes back as
:class:`~valueroom.store.base.Conflict`, with our own events counted in
``actual``. Like any conflict, the caller finds out what happened by reading the
log, and operation ids make the resent operation harmless.

Wakes: each store has one pub/sub connection per Redis server it listens to
(one, or one per cluster node that owns a subscribed room), each read by one
listener task started by the first ``subscribe`` there. ``subscribe`` returns
only after Redis confirms the subscription, so a caller that subscribes and
then reads the log misses nothing. If a connection drops, its listener
reconnects with backoff and subscribes to its rooms again. It then wakes each
room with seq 0: wakes published while it was away are lost, and 0 tells the
room to read the log. On a cluster, a room whose slot moved to another node
(the old node says ``sunsubscribe``, or ``MOVED``), or whose node cannot be
reached, is subscribed again where the refreshed slot map says, and woken
with 0 too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.crc import key_slot
from redis.exceptions import AskError, NoScriptError, RedisError
from redis.typing import EncodableT

from valueroom import logs
from valueroom.domain.events import Event
from valueroom.protocol.codec import decode_trusted, encode
from valueroom.store.base import (
    Conflict,
    Notice,
    RoomRecord,
    Store,
    StoreError,
    UnknownRoom,
    Wake,
    check_numbering,
    pack_event,
    unpack_event,
)

__all__ = ["CLUSTER_SCHEMES", "RedisStore"]

log = logging.getLogger(__name__)

#: URL schemes that name a Redis Cluster, and the plain scheme each stands for.
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

# KEYS: room hash, log stream, wake channel. ARGV: expected seq, one body per event.
# Python has already checked that the events are numbered expected+1, expected+2, ...
# That check matters: Redis does not roll a script back, so an XADD that failed
# halfway would leave part of the batch written. PUBLISH becomes SPUBLISH on a
# cluster; the channel is a key so that the cluster checks it shares the slot.
_APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'unknown'}
end
local last = 0
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #top > 0 then
  last = tonumber(string.match(top[1][1], '^0%-(%d+)$'))
  if last == nil then
    return redis.error_reply('the log ' .. KEYS[2] .. ' holds an entry id not of the form 0-<seq>')
  end
end
local expected = tonumber(ARGV[1])
if last ~= expected then
  return {'conflict', last}
end
local n = #ARGV - 1
for i = 1, n do
  redis.call('XADD', KEYS[2], string.format('0-%d', expected + i), 'e', ARGV[i + 1])
end
if n > 0 then
  redis.call('PUBLISH', KEYS[3], string.format('%d', expected + n))
end
return {'ok'}
"""

# KEYS: room hash, log stream, wake channel. ARGV: log_id, created_at, secrets,
# one body per first event (numbered 1, 2, ..., checked by Python). An existing
# log without its hash also counts as taken: XADD could not write 0-1 into it.
_CREATE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'log_id', ARGV[1], 'created_at', ARGV[2], 'secrets', ARGV[3])
local n = #ARGV - 3
for i = 1, n do
  redis.call('XADD', KEYS[2], string.format('0-%d', i), 'e', ARGV[i + 3])
end
if n > 0 then
  redis.call('PUBLISH', KEYS[3], string.format('%d', n))
end
return 1
"""

_FIELD = b"e"
# Wakes carry a decimal sequence number; notices carry this prefix and a payload.
_NOTICE = b"n:"


_CLOSED = "vr:closed"
# Connections to one Redis server per process, and how long a request may wait for one.
POOL_SIZE = 100
POOL_WAIT = 10.0
# Replace the secrets of an existing room only (HSET alone would create a record).
_SET_SECRETS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'secrets', ARGV[1])
  return 1
end
return 0
"""


def _prefix(room_id: str) -> str:
    return f"vr:{{{room_id}}}:"


def _room_key(room_id: str) -> str:
    return _prefix(room_id) + "room"


def _log_key(room_id: str) -> str:
    return _prefix(room_id) + "log"


def _snaps_key(room_id: str) -> str:
    return _prefix(room_id) + "snaps"


def _channel(room_id: str) -> bytes:
    return (_prefix(room_id) + "grow").encode()


def _entry_seq(entry_id: bytes) -> int:
    return int(entry_id.partition(b"-")[2])


def _plain_url(url: str) -> str:
    """``redis+cluster://...`` as the ``redis://...`` URL redis-py understands."""
    scheme, sep, rest = url.partition("://")
    return CLUSTER_SCHEMES.get(scheme, scheme) + sep + rest


def _node_url(url: str, host: str, port: int) -> str:
    """``url`` (credentials, TLS and all) pointed at one node of the cluster."""
    parts = urlsplit(_plain_url(url))
    userinfo, at, _ = parts.netloc.rpartition("@")
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{address}"))


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        raise StoreError(f"redis: {what} failed: {exc}") from exc


class _Moved(Exception):
    """The channel's slot is served by another node now; subscribe there."""


class RedisStore(Store):
    """The shared store. The module docstring gives its ordering, durability and wakes.

    ``page_size`` caps how many events one ``read`` round trip brings back.
    ``subscribe_timeout`` bounds how long ``subscribe`` waits for Redis to confirm.
    ``reconnect_delay_max`` caps the backoff between pub/sub reconnection attempts.
    ``round_interval`` is the least time between the starts of two pipelined
    rounds of appends (one Redis server only).
    """

    shares_rooms = True

    def __init__(
        self,
        url: str,
        *,
        page_size: int = 1000,
        subscribe_timeout: float = 5.0,
        reconnect_delay_max: float = 2.0,
        round_interval: float = 0.001,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.url = url
        self.cluster = url.partition("://")[0] in CLUSTER_SCHEMES
        self.page_size = page_size
        self.subscribe_timeout = subscribe_timeout
        self.reconnect_delay_max = reconnect_delay_max
        self.round_interval = round_interval
        self._last_round = -round_interval
        self._redis: Redis | RedisCluster | None = None
        self._append: AsyncScript | None = None
        self._create: AsyncScript | None = None
        # Pub/sub: one listener per Redis server (cluster node) that carries a
        # subscribed room's channel; ``_homes`` says which one carries which.
        self._listeners: dict[str, _Listener] = {}
        self._homes: dict[bytes, _Listener] = {}
        self._subscribing = asyncio.Lock()
        self._wakes: dict[bytes, list[Wake]] = {}
        self._notices: dict[bytes, list[Notice]] = {}
        self._rehoming: set[asyncio.Task[None]] = set()
        self._publish = "SPUBLISH" if self.cluster else "PUBLISH"
        self._pending: list[_Append] = []
        self._flushing = False
        self._flushes: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        """``redis://host:port/db``, ``rediss://...`` (TLS), ``unix:///path?db=0``,
        or ``redis+cluster://host:port`` (``rediss+cluster://``) for a Redis Cluster."""
        schemes = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
        if not url.startswith(schemes):
            raise ValueError(
                "a Redis URL looks like redis://host:6379/0, or redis+cluster://host:7000"
            )
        return cls(url)

    async def open(self) -> None:
        """Connect and check that Redis answers; raise StoreError if it does not."""
        client: Redis | RedisCluster
        if self.cluster:
            client = RedisCluster.from_url(_plain_url(self.url))
        else:
            # A blocking pool: a burst of requests (200 members rejoining at once)
            # waits for a free connection instead of failing with "Too many
            # connections" once redis-py's 100 are in use.
            pool = BlockingConnectionPool.from_url(
                self.url, max_connections=POOL_SIZE, timeout=POOL_WAIT
            )
            client = Redis.from_pool(pool)
        try:
            with _translated("PING"):
                if isinstance(client, RedisCluster):
                    await client.initialize()
                await client.ping()
        except BaseException:
            await client.aclose()
            raise
        self._redis = client
        self._append = client.register_script(_APPEND.replace("PUBLISH", self._publish))
        self._create = client.register_script(_CREATE.replace("PUBLISH", self._publish))

    async def close(self) -> None:
        """Stop the listeners and close every connection. Wakes stop at once."""
        for flush in list(self._flushes):
            with contextlib.suppress(Exception):
                await flush
        rehoming, self._rehoming = self._rehoming, set()
        listeners, self._listeners = list(self._listeners.values()), {}
        try:
            for task in rehoming:
                await _cancel_and_wait(task)
            for listener in listeners:
                await listener.close()
        finally:
            # Even when close() itself is cancelled, the connections are closed.
            self._homes.clear()
            self._wakes.clear()
            self._notices.clear()
            client, self._redis = self._redis, None
            self._append = self._create = None
            if client is not None:
                await client.aclose()

    def _client(self) -> Redis | RedisCluster:
        if self._redis is None:
            raise StoreError("the Redis store is not open")
        return self._redis

    def _scripts(self) -> tuple[AsyncScript, AsyncScript]:
        if self._append is None or self._create is None:
            raise StoreError("the Redis store is not open")
        return self._append, self._create

    async def create_room(self, record: RoomRecord, first: Sequence[Event]) -> None:
        """Write the room record and its first events (numbered 1, 2, ...) atomically.

        Raises StoreError if the room already exists, and writes nothing then.
        """
        check_numbering(record.room_id, 0, first)
        room_id = record.room_id
        _, create = self._scripts()
        args: list[EncodableT] = [
            record.log_id,
            record.created_at,
            encode(record.secret_hashes),
            *(pack_event(event) for event in first),
        ]
        with _translated(f"creating room {room_id}"):
            created = await create(keys=_keys(room_id), args=args)
        if not created:
            raise StoreError(f"room {room_id} already exists")

    async def healthy(self) -> bool:
        try:
            async with asyncio.timeout(self.subscribe_timeout):
                await self._client().ping()
        except (RedisError, StoreError, TimeoutError, OSError):
            return False
        return True

    async def room(self, room_id: str) -> RoomRecord | None:
        with _translated(f"reading room {room_id}"):
            raw = await self._client().hgetall(_room_key(room_id))
        # The client never decodes responses, so keys and values are bytes.
        fields = cast(dict[bytes, bytes], raw)
        if not fields:
            return None
        return RoomRecord(
            room_id=room_id,
            log_id=fields[b"log_id"].decode(),
            created_at=int(fields[b"created_at"]),
            secret_hashes=dict(decode_trusted(fields[b"secrets"])),
        )

    async def set_secrets(self, room_id: str, secret_hashes: dict[str, str]) -> bool:
        with _translated(f"replacing the invites of room {room_id}"):
            done = await self._client().eval(
                _SET_SECRETS, 1, _room_key(room_id), encode(secret_hashes)
            )
        return bool(done)

    async def erase(self, room_id: str) -> None:
        """Delete the room's record and stream (one slot: one command, also on a cluster)."""
        with _translated(f"erasing room {room_id}"):
            await self._client().delete(_room_key(room_id), _log_key(room_id))
            await self._client().zrem(_CLOSED, room_id)

    async def mark_closed(self, room_id: str, at: int) -> None:
        with _translated(f"marking room {room_id} closed"):
            await self._client().zadd(_CLOSED, {room_id: at}, nx=True)

    async def closed_before(self, at: int) -> list[str]:
        with _translated("listing closed rooms"):
            found = await self._client().zrangebyscore(_CLOSED, "-inf", f"({at}")
        return [room.decode() if isinstance(room, bytes) else str(room) for room in found]

    async def append(self, room_id: str, expected: int, events: Sequence[Event]) -> None:
        """Append ``events`` if the log still ends at ``expected``, in one atomic step.

        Raises UnknownRoom, or Conflict (writing nothing) if another writer got
        there first. Raises ValueError if the events are not numbered
        ``expected + 1``, ``expected + 2``, ...
        """
        check_numbering(room_id, expected, events)
        append, _ = self._scripts()
        args: list[EncodableT] = [expected, *(pack_event(event) for event in events)]
        if self.cluster:
            with _translated(f"appending to room {room_id}"):
                reply = await append(keys=_keys(room_id), args=args)
        else:
            reply = await self._pipelined(room_id, args)
        status = reply[0]
        if status == b"unknown":
            raise UnknownRoom(room_id)
        if status == b"conflict":
            raise Conflict(room_id, expected, int(reply[1]))

    async def _pipelined(self, room_id: str, args: list[EncodableT]) -> Any:
        """Run the append script in the next pipeline round; return its reply.

        Appends from every room that arrive while a round is out go together
        in the next one (one write, one read for all of them); an append that
        arrives when none is out goes at once, so a lone one is never held back.
        """
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(_Append(room_id, args, done))
        if not self._flushing:
            self._flushing = True
            task = asyncio.get_running_loop().create_task(self._flush_appends())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return await done

    async def _flush_appends(self) -> None:
        logs.bind(room=None, member=None)  # one round serves many rooms
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                # Back-to-back rounds are spaced out, so that under load each
                # carries more appends; a store that was idle sends at once.
                wait = self._last_round + self.round_interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._last_round = loop.time()
                batch, self._pending = self._pending, []
                try:
                    await self._round(batch)
                except Exception as exc:
                    failure = StoreError(f"redis: appending failed: {exc}")
                    for append in batch:
                        if not append.done.done():
                            append.done.set_exception(failure)
        finally:
            self._flushing = False

    async def _round(self, batch: list[_Append]) -> None:
        client = self._client()
        script, _ = self._scripts()
        for attempt in range(2):
            pipe = client.pipeline(transaction=False)
            for append in batch:
                pipe.execute_command("EVALSHA", script.sha, 3, *_keys(append.room_id), *append.args)
            replies = await pipe.execute(raise_on_error=False)
            unknown_script: list[_Append] = []
            for append, reply in zip(batch, replies, strict=True):
                if isinstance(reply, NoScriptError) and attempt == 0:
                    unknown_script.append(append)  # it did not run: safe to send again
                elif isinstance(reply, Exception):
                    error = StoreError(f"redis: appending to room {append.room_id} failed: {reply}")
                    append.done.set_exception(error)
                else:
                    append.done.set_result(reply)
            if not unknown_script:
                return
            # Redis was restarted or its scripts flushed since we last ran it.
            await client.script_load(script.script)
            batch = unknown_script

    async def read(self, room_id: str, after: int = 0) -> list[Event]:
        """Every event with ``seq > after``, in order, fetched ``page_size`` at a time.

        Pages are not one snapshot, but the log only ever grows at its end, so the
        result is still gapless. It may include events appended during the read.
        """
        client = self._client()
        key = _log_key(room_id)
        events: list[Event] = []
        start = after + 1
        while True:
            with _translated(f"reading the log of room {room_id}"):
                raw = await client.xrange(key, f"0-{start}", "+", count=self.page_size)
            page = cast(list[tuple[bytes, dict[bytes, bytes]]], raw)
            events.extend(unpack_event(fields[_FIELD]) for _, fields in page)
            if len(page) < self.page_size:
                return events
            start = _entry_seq(page[-1][0]) + 1

    async def read_range(self, room_id: str, after: int, until: int) -> list[Event]:
        """Every event with ``after < seq <= until`` (one XRANGE per ``page_size``)."""
        client = self._client()
        key = _log_key(room_id)
        events: list[Event] = []
        start = after + 1
        while start <= until:
            with _translated(f"reading the log of room {room_id}"):
                raw = await client.xrange(key, f"0-{start}", f"0-{until}", count=self.page_size)
            page = cast(list[tuple[bytes, dict[bytes, bytes]]], raw)
            events.extend(unpack_event(fields[_FIELD]) for _, fields in page)
            if len(page) < self.page_size:
                break
            start = _entry_seq(page[-1][0]) + 1
        return events

    async def read_page(self, room_id: str, after: int, limit: int) -> list[Event]:
        if limit <= 0:
            return []
        with _translated(f"reading the log of room {room_id}"):
            raw = await self._client().xrange(_log_key(room_id), f"0-{after + 1}", "+", count=limit)
        page = cast(list[tuple[bytes, dict[bytes, bytes]]], raw)
        return [unpack_event(fields[_FIELD]) for _, fields in page]

    async def put_snapshot(self, room_id: str, seq: int, body: bytes) -> None:
        client = self._client()
        with _translated(f"storing a snapshot of room {room_id}"):
            if not await client.exists(_room_key(room_id)):
                raise UnknownRoom(room_id)
            await client.hset(_snaps_key(room_id), str(seq), body)

    async def snapshot_seqs(self, room_id: str) -> list[int]:
        with _translated(f"listing the snapshots of room {room_id}"):
            raw = await self._client().hkeys(_snaps_key(room_id))
        return sorted(int(field) for field in cast(list[bytes], raw))

    async def get_snapshot(self, room_id: str, seq: int) -> bytes | None:
        with _translated(f"reading a snapshot of room {room_id}"):
            raw = await self._client().hget(_snaps_key(room_id), str(seq))
        return None if raw is None else bytes(cast(bytes, raw))

    async def notify(self, room_id: str, payload: bytes) -> None:
        """Publish an ephemeral notice on the room's channel (every subscriber gets it)."""
        with _translated(self._publish):
            await self._client().execute_command(
                self._publish, _channel(room_id), _NOTICE + payload
            )

    def listen(self, room_id: str, notice: Notice) -> None:
        self._notices.setdefault(_channel(room_id), []).append(notice)

    def unlisten(self, room_id: str, notice: Notice) -> None:
        channel = _channel(room_id)
        notices = self._notices.get(channel, [])
        if notice in notices:
            notices.remove(notice)
        if not notices:
            self._notices.pop(channel, None)

    async def subscribe(self, room_id: str, wake: Wake) -> None:
        """Call ``wake(seq)`` whenever the room's log grows, whichever process wrote.

        Returns once Redis has confirmed the subscription. Raises StoreError if that
        takes longer than ``subscribe_timeout``, and then ``wake`` is not registered.
        A room may have several callbacks. Callbacks run on a listener task and
        must not block. An exception from a callback is logged and does not reach
        the other callbacks.
        """
        self._client()
        channel = _channel(room_id)
        async with self._subscribing:
            wakes = self._wakes.get(channel)
            if wakes:
                # The subscribe that registered the first callback waited for Redis
                # to confirm; while the lock is held nobody can have undone that.
                wakes.append(wake)
                return
            self._wakes[channel] = [wake]
            try:
                async with asyncio.timeout(self.subscribe_timeout):
                    await self._subscribe_channel(channel)
            except TimeoutError:
                self._forget(channel)
                raise StoreError(
                    f"redis did not confirm the subscription to room {room_id} "
                    f"within {self.subscribe_timeout}s"
                ) from None
            except BaseException:
                self._forget(channel)
                raise

    async def _subscribe_channel(self, channel: bytes) -> None:
        """Subscribe where the channel's slot is served; follow the slot if it moves meanwhile."""
        while True:
            listener = self._home(channel)
            try:
                await listener.add(channel)
            except _Moved:
                await self._refresh_slots()
                continue
            return

    def _home(self, channel: bytes) -> _Listener:
        """The listener that carries ``channel``, chosen (and started) on first use."""
        listener = self._homes.get(channel)
        if listener is not None:
            return listener
        client = self._client()
        if isinstance(client, RedisCluster):
            node = client.get_node_from_key(channel.decode())
            if node is None:
                raise StoreError(f"no cluster node serves {channel!r}")
            name, url = node.name, _node_url(self.url, node.host, int(node.port))
        else:
            name, url = "", self.url
        listener = self._listeners.get(name)
        if listener is None:
            listener = self._listeners[name] = _Listener(self, name, url)
        self._homes[channel] = listener
        return listener

    async def unsubscribe(self, room_id: str, wake: Wake) -> None:
        """Stop calling ``wake``; when the room has no callbacks left, leave its channel.

        ``wake`` is never called after this returns. Redis failures are not
        raised: a channel left behind after a dropped connection is not
        subscribed again.
        """
        channel = _channel(room_id)
        async with self._subscribing:
            wakes = self._wakes.get(channel)
            if wakes is None or wake not in wakes:
                return
            wakes.remove(wake)
            if wakes:
                return
            del self._wakes[channel]
            listener = self._homes.pop(channel, None)
            if listener is None:
                return
            # Redis unreachable: the next connection will not include the
            # channel, because the listener no longer carries it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.subscribe_timeout):
                    await listener.remove(channel)

    def _forget(self, channel: bytes) -> None:
        self._wakes.pop(channel, None)
        listener = self._homes.pop(channel, None)
        if listener is not None:
            listener.drop(channel)

    # -- called by the listeners ----------------------------------------------

    def _moved(self, listener: _Listener, channels: list[bytes]) -> None:
        """``channels`` are no longer served where ``listener`` listens: subscribe them anew."""
        moving = [c for c in channels if self._homes.get(c) is listener]
        for channel in moving:
            del self._homes[channel]
        if moving:
            task = asyncio.get_running_loop().create_task(self._rehome(moving))
            self._rehoming.add(task)
            task.add_done_callback(self._rehoming.discard)

    async def _rehome(self, channels: list[bytes]) -> None:
        delay = 0.05
        while True:
            await self._refresh_slots()
            left: list[bytes] = []
            async with self._subscribing:
                for channel in channels:
                    if channel not in self._wakes or channel in self._homes:
                        continue  # unsubscribed, or subscribed anew meanwhile
                    try:
                        async with asyncio.timeout(self.subscribe_timeout):
                            await self._subscribe_channel(channel)
                    except (TimeoutError, StoreError) as exc:
                        self._homes.pop(channel, None)
                        log.warning("redis: cannot subscribe %r yet (%r); retrying", channel, exc)
                        left.append(channel)
                        continue
                    # Wakes sent while it moved were lost: 0 tells the room to read the log.
                    self._wake(channel, 0)
            if not left:
                return
            channels = left
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_delay_max)

    async def _refresh_slots(self) -> None:
        client = self._client()
        if isinstance(client, RedisCluster):
            try:
                await client.nodes_manager.initialize()
            except RedisError as exc:
                log.warning("redis cluster: cannot refresh the slot map (%r)", exc)

    def _message(self, channel: bytes, data: object) -> None:
        if isinstance(data, bytes) and data.startswith(_NOTICE):
            self._notice(channel, data[len(_NOTICE) :])
            return
        try:
            seq = int(cast(Any, data))
        except (TypeError, ValueError):
            log.warning("redis pub/sub: ignoring a malformed wake on %r", channel)
            return
        self._wake(channel, seq)

    def _notice(self, channel: bytes, payload: bytes) -> None:
        for notice in list(self._notices.get(channel, ())):
            try:
                notice(payload)
            except Exception:
                log.exception("a notice callback for %r failed", channel)

    def _wake(self, channel: bytes, seq: int) -> None:
        for wake in list(self._wakes.get(channel, ())):
            try:
                wake(seq)
            except Exception:
                log.exception("a wake callback for %r failed", channel)


@dataclass(slots=True)
class _Append:
    room_id: str
    args: list[EncodableT]
    done: asyncio.Future[Any]


def _keys(room_id: str) -> list[str | bytes]:
    return [_room_key(room_id), _log_key(room_id), _channel(room_id)]


class _Listener:
    """One pub/sub connection to one Redis server and the room channels it carries.

    It runs on a client of its own with redis-py's retries turned off, so that
    the listener task is the only thing that ever reconnects it (and so knows
    to wake every room afterwards). On a cluster it speaks sharded pub/sub.
    """

    def __init__(self, store: RedisStore, name: str, url: str) -> None:
        self.store = store
        self.name = name
        self.sharded = store.cluster
        self.channels: set[bytes] = set()
        self._client = Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_keepalive=True)
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._confirming: dict[bytes, asyncio.Future[None]] = {}
        self._sent: set[bytes] = set()

    async def add(self, channel: bytes) -> None:
        """Carry ``channel``; return once Redis confirmed it. Raises _Moved if the slot moved."""
        self.channels.add(channel)
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirming[channel] = confirmed
        try:
            pubsub = await self._ready()
            if channel not in self._sent:
                self._sent.add(channel)
                # If the connection is dying, this send may be lost, so it is
                # not retried here: the reconnect subscribes every channel this
                # listener carries, this one included, and that confirmation
                # resolves `confirmed`.
                with contextlib.suppress(RedisError):
                    await self._send(pubsub, subscribe=True, channel=channel)
            await confirmed
        except BaseException:
            self.drop(channel)
            raise
        finally:
            if self._confirming.get(channel) is confirmed:
                del self._confirming[channel]

    async def remove(self, channel: bytes) -> None:
        """Stop carrying ``channel`` and tell Redis so, if it is connected."""
        self.channels.discard(channel)
        if self._task is None:
            return
        pubsub = await self._ready()
        if channel in self._sent:
            self._sent.discard(channel)
            with contextlib.suppress(RedisError):
                await self._send(pubsub, subscribe=False, channel=channel)

    def drop(self, channel: bytes) -> None:
        """Forget ``channel`` without telling Redis (a later add sends a fresh subscribe)."""
        self.channels.discard(channel)
        self._sent.discard(channel)

    async def close(self) -> None:
        task, self._task = self._task, None
        try:
            if task is not None:
                await _cancel_and_wait(task)
        finally:
            for confirmed in self._confirming.values():
                confirmed.cancel()
            self._confirming.clear()
            await self._client.aclose()

    async def _send(self, pubsub: PubSub, *, subscribe: bool, channel: bytes) -> None:
        if self.sharded:
            await (pubsub.ssubscribe(channel) if subscribe else pubsub.sunsubscribe(channel))
        else:
            await (pubsub.subscribe(channel) if subscribe else pubsub.unsubscribe(channel))

    async def _ready(self) -> PubSub:
        if self._task is None:
            self._task = asyncio.create_task(
                self._listen(), name=f"valueroom-redis-wakes{self.name}"
            )
        await self._connected.wait()
        # No await between the wait and here, so the listener cannot have dropped
        # the connection in between.
        pubsub = self._pubsub
        if pubsub is None:
            raise StoreError("the Redis pub/sub connection is gone")
        return pubsub

    async def _listen(self) -> None:
        """Own the pub/sub connection: connect, read and dispatch, reconnect on failure."""
        logs.bind(room=None, member=None)  # one connection serves many rooms
        delay = 0.05
        while True:
            try:
                pubsub = await self._connect()
            except (RedisError, OSError) as exc:
                log.warning("redis pub/sub: cannot connect (%s); retrying in %.2fs", exc, delay)
                if self.sharded:
                    # The node may be gone for good (a replica took over its
                    # slots): let every room find where it is served now.
                    self.store._moved(self, sorted(self.channels))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.store.reconnect_delay_max)
                continue
            delay = 0.05
            self._pubsub = pubsub
            self._connected.set()
            try:
                while True:
                    try:
                        message = await pubsub.get_message(timeout=None)
                    except AskError as exc:
                        # A subscribe reached a node that no longer serves the slot.
                        self._slot_moved(exc.slot_id)
                        continue
                    if message is not None:
                        self._dispatch(message)
            except Exception as exc:
                # Any failure is handled the same way, even one that is not a
                # connection error: a fresh connection and a wake for every room
                # cost little, and the wakes never stop for good.
                log.warning("redis pub/sub: connection lost (%r); reconnecting", exc)
            finally:
                self._connected.clear()
                self._pubsub = None
                self._sent.clear()
                await _close_quietly(pubsub)

    async def _connect(self) -> PubSub:
        pubsub = self._client.pubsub()
        channels = sorted(self.channels)
        try:
            await pubsub.connect()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
            if self.sharded:
                # One SSUBSCRIBE names channels of one slot only.
                for channel in channels:
                    await pubsub.ssubscribe(channel)
            elif channels:
                await pubsub.subscribe(*channels)
        except BaseException:
            await _close_quietly(pubsub)
            raise
        self._sent = set(channels)
        return pubsub

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel: bytes = message["channel"]
        if kind in ("subscribe", "ssubscribe"):
            confirmed = self._confirming.pop(channel, None)
            if confirmed is not None:
                if not confirmed.done():
                    confirmed.set_result(None)
                return
            # Nobody is waiting for this confirmation: the listener subscribed the
            # channel again after a dropped connection, so wakes may have been lost.
            if channel in self.channels:
                self.store._wake(channel, 0)
        elif kind in ("message", "smessage"):
            self.store._message(channel, message["data"])
        elif kind == "sunsubscribe" and channel in self.channels:
            # Not asked for: the node gave the room's slot to another node.
            self._moved([channel])

    def _slot_moved(self, slot: int) -> None:
        self._moved([c for c in self.channels if key_slot(c) == slot])

    def _moved(self, channels: list[bytes]) -> None:
        for channel in channels:
            self.drop(channel)
            confirmed = self._confirming.pop(channel, None)
            if confirmed is not None:
                # A subscribe is waiting for this channel: it follows the slot itself.
                if not confirmed.done():
                    confirmed.set_exception(_Moved())
                continue
            self.store._moved(self, [channel])


async def _close_quietly(pubsub: PubSub) -> None:
    with contextlib.suppress(RedisError, OSError):
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        # Swallow only the cancellation we asked for, never one aimed at our caller.
        if current is not None and current.cancelling():
            raise
