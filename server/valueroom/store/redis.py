"""The shared store: Redis, so that several server processes can serve one room.

Layout, per room. The ``{room_id}`` hash tag puts a room's keys in one cluster
slot, so one script may touch all of them:

* ``vr:{room_id}:room``: a hash with ``log_id``, ``created_at`` and ``secrets``
  (the msgpack of the secret hashes).
* ``vr:{room_id}:log``: a stream. Event *n* is the entry with id ``0-n``, whose
  one field ``e`` holds :func:`~valueroom.store.base.pack_event` bytes.
* ``vr:{room_id}:grow``: a pub/sub channel. Every write publishes the log's new
  last sequence number there; ``notify`` publishes ephemeral notices (presence)
  there too, prefixed ``n:``.

Ordering: ``append`` and ``create_room`` are each one Lua script, so checking
"the log still ends at ``expected``" and writing are one atomic step on the
Redis server, whichever process sends them. That is what lets several
processes append to one room without ever both writing sequence number *n*.

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

Wakes: each store has one pub/sub connection, read by one listener task started
by the first ``subscribe``. ``subscribe`` returns only after Redis confirms the
subscription, so a caller that subscribes and then reads the log misses nothing.
If the connection drops, the listener reconnects with backoff and subscribes to
every room again. It then wakes each room with seq 0: wakes published while it
was away are lost, and 0 tells the room to read the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError
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

__all__ = ["RedisStore"]

log = logging.getLogger(__name__)

# KEYS: room hash, log stream. ARGV: expected seq, wake channel, one body per event.
# Python has already checked that the events are numbered expected+1, expected+2, ...
# That check matters: Redis does not roll a script back, so an XADD that failed
# halfway would leave part of the batch written.
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
local n = #ARGV - 2
for i = 1, n do
  redis.call('XADD', KEYS[2], string.format('0-%d', expected + i), 'e', ARGV[i + 2])
end
if n > 0 then
  redis.call('PUBLISH', ARGV[2], string.format('%d', expected + n))
end
return {'ok'}
"""

# KEYS: room hash, log stream. ARGV: wake channel, log_id, created_at, secrets,
# one body per first event (numbered 1, 2, ..., checked by Python). An existing
# log without its hash also counts as taken: XADD could not write 0-1 into it.
_CREATE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'log_id', ARGV[2], 'created_at', ARGV[3], 'secrets', ARGV[4])
local n = #ARGV - 4
for i = 1, n do
  redis.call('XADD', KEYS[2], string.format('0-%d', i), 'e', ARGV[i + 4])
end
if n > 0 then
  redis.call('PUBLISH', ARGV[1], string.format('%d', n))
end
return 1
"""

_FIELD = b"e"
# Wakes carry a decimal sequence number; notices carry this prefix and a payload.
_NOTICE = b"n:"


def _prefix(room_id: str) -> str:
    return f"vr:{{{room_id}}}:"


def _room_key(room_id: str) -> str:
    return _prefix(room_id) + "room"


def _log_key(room_id: str) -> str:
    return _prefix(room_id) + "log"


def _channel(room_id: str) -> bytes:
    return (_prefix(room_id) + "grow").encode()


def _entry_seq(entry_id: bytes) -> int:
    return int(entry_id.partition(b"-")[2])


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        raise StoreError(f"redis: {what} failed: {exc}") from exc


class RedisStore(Store):
    """The shared store. The module docstring gives its ordering, durability and wakes.

    ``page_size`` caps how many events one ``read`` round trip brings back.
    ``subscribe_timeout`` bounds how long ``subscribe`` waits for Redis to confirm.
    ``reconnect_delay_max`` caps the backoff between pub/sub reconnection attempts.
    """

    def __init__(
        self,
        url: str,
        *,
        page_size: int = 1000,
        subscribe_timeout: float = 5.0,
        reconnect_delay_max: float = 2.0,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.url = url
        self.page_size = page_size
        self.subscribe_timeout = subscribe_timeout
        self.reconnect_delay_max = reconnect_delay_max
        self._redis: Redis | None = None
        self._append: AsyncScript | None = None
        self._create: AsyncScript | None = None
        # Pub/sub runs on a client of its own, with redis-py's retries turned off,
        # so that the listener is the only thing that ever reconnects it (and so
        # knows to wake every room afterwards).
        self._pubsub_redis: Redis | None = None
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._subscribing = asyncio.Lock()
        self._wakes: dict[bytes, list[Wake]] = {}
        self._notices: dict[bytes, list[Notice]] = {}
        self._confirming: dict[bytes, asyncio.Future[None]] = {}
        self._sent: set[bytes] = set()

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        """``redis://host:port/db``, ``rediss://...`` (TLS) or ``unix:///path?db=0``."""
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("a Redis URL looks like redis://host:6379/0")
        return cls(url)

    async def open(self) -> None:
        """Connect and check that Redis answers; raise StoreError if it does not."""
        client = Redis.from_url(self.url)
        try:
            with _translated("PING"):
                await client.ping()
        except BaseException:
            await client.aclose()
            raise
        self._redis = client
        self._append = client.register_script(_APPEND)
        self._create = client.register_script(_CREATE)
        self._pubsub_redis = Redis.from_url(
            self.url, retry=Retry(NoBackoff(), 0), socket_keepalive=True
        )

    async def close(self) -> None:
        """Stop the listener and close every connection. Wakes stop at once."""
        listener, self._listener = self._listener, None
        try:
            if listener is not None:
                await _cancel_and_wait(listener)
        finally:
            # Even when close() itself is cancelled, the connections are closed.
            for confirmed in self._confirming.values():
                confirmed.cancel()
            self._confirming.clear()
            self._wakes.clear()
            self._notices.clear()
            clients = (self._redis, self._pubsub_redis)
            self._redis = self._pubsub_redis = self._append = self._create = None
            for client in clients:
                if client is not None:
                    await client.aclose()

    def _client(self) -> Redis:
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
            _channel(room_id),
            record.log_id,
            record.created_at,
            encode(record.secret_hashes),
            *(pack_event(event) for event in first),
        ]
        with _translated(f"creating room {room_id}"):
            created = await create(keys=[_room_key(room_id), _log_key(room_id)], args=args)
        if not created:
            raise StoreError(f"room {room_id} already exists")

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

    async def append(self, room_id: str, expected: int, events: Sequence[Event]) -> None:
        """Append ``events`` if the log still ends at ``expected``, in one atomic step.

        Raises UnknownRoom, or Conflict (writing nothing) if another writer got
        there first. Raises ValueError if the events are not numbered
        ``expected + 1``, ``expected + 2``, ...
        """
        check_numbering(room_id, expected, events)
        append, _ = self._scripts()
        args: list[EncodableT] = [
            expected,
            _channel(room_id),
            *(pack_event(event) for event in events),
        ]
        with _translated(f"appending to room {room_id}"):
            reply = await append(keys=[_room_key(room_id), _log_key(room_id)], args=args)
        status = reply[0]
        if status == b"unknown":
            raise UnknownRoom(room_id)
        if status == b"conflict":
            raise Conflict(room_id, expected, int(reply[1]))

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

    shares_rooms = True

    async def notify(self, room_id: str, payload: bytes) -> None:
        """Publish an ephemeral notice on the room's channel (every subscriber gets it)."""
        with _translated("PUBLISH"):
            await self._client().publish(_channel(room_id), _NOTICE + payload)

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
        A room may have several callbacks. Callbacks run on the listener task and
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
            confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._wakes[channel] = [wake]
            self._confirming[channel] = confirmed
            try:
                async with asyncio.timeout(self.subscribe_timeout):
                    pubsub = await self._pubsub_ready()
                    if channel not in self._sent:
                        self._sent.add(channel)
                        # If the connection is dying, this send may be lost, so it
                        # is not retried here: the listener's reconnect subscribes
                        # every channel in _wakes, this one included, and that
                        # confirmation resolves `confirmed`.
                        with contextlib.suppress(RedisError):
                            await pubsub.subscribe(channel)
                    await confirmed
            except TimeoutError:
                self._forget(channel)
                raise StoreError(
                    f"redis did not confirm the subscription to room {room_id} "
                    f"within {self.subscribe_timeout}s"
                ) from None
            except BaseException:
                self._forget(channel)
                raise
            finally:
                if self._confirming.get(channel) is confirmed:
                    del self._confirming[channel]

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
            if self._listener is None:
                return
            try:
                async with asyncio.timeout(self.subscribe_timeout):
                    pubsub = await self._pubsub_ready()
                    if channel in self._sent:
                        self._sent.discard(channel)
                        with contextlib.suppress(RedisError):
                            await pubsub.unsubscribe(channel)
            except TimeoutError:
                # Redis is unreachable: the next connection will not include the
                # channel, because it is no longer in _wakes.
                return

    def _forget(self, channel: bytes) -> None:
        self._wakes.pop(channel, None)
        # A later subscribe must send SUBSCRIBE again rather than wait for a
        # confirmation that may already have come and gone.
        self._sent.discard(channel)

    async def _pubsub_ready(self) -> PubSub:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="valueroom-redis-wakes")
        await self._connected.wait()
        # No await between the wait and here, so the listener cannot have dropped
        # the connection in between.
        pubsub = self._pubsub
        if pubsub is None:
            raise StoreError("the Redis pub/sub connection is gone")
        return pubsub

    async def _listen(self) -> None:
        """Own the pub/sub connection: connect, read and dispatch, reconnect on failure."""
        logs.bind(room=None, member=None)  # one connection serves every room
        delay = 0.05
        while True:
            try:
                pubsub = await self._connect_pubsub()
            except (RedisError, OSError) as exc:
                log.warning("redis pub/sub: cannot connect (%s); retrying in %.2fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.reconnect_delay_max)
                continue
            delay = 0.05
            self._pubsub = pubsub
            self._connected.set()
            try:
                while True:
                    message = await pubsub.get_message(timeout=None)
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

    async def _connect_pubsub(self) -> PubSub:
        client = self._pubsub_redis
        if client is None:
            raise StoreError("the Redis store is not open")
        pubsub = client.pubsub()
        try:
            await pubsub.connect()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
            channels = list(self._wakes)
            if channels:
                await pubsub.subscribe(*channels)
        except BaseException:
            await _close_quietly(pubsub)
            raise
        self._sent = set(channels)
        return pubsub

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel: bytes = message["channel"]
        if kind == "subscribe":
            confirmed = self._confirming.pop(channel, None)
            if confirmed is not None:
                if not confirmed.done():
                    confirmed.set_result(None)
                return
            # Nobody is waiting for this confirmation: the listener subscribed the
            # channel again after a dropped connection, so wakes may have been lost.
            self._wake(channel, 0)
        elif kind == "message":
            data = message["data"]
            if isinstance(data, bytes) and data.startswith(_NOTICE):
                self._notice(channel, data[len(_NOTICE) :])
                return
            try:
                seq = int(data)
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
