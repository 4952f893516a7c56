"""The embedded store: one SQLite file in WAL mode, for a single server process.

Durability: appends are committed with ``synchronous=FULL``, so an
acknowledged event survives a power cut, not only a crash. Appends that
arrive while a commit is in progress share the next transaction (group
commit across rooms), so many busy rooms cost one fsync per round, not one
per room. Under load, rounds start at most every ``commit_interval`` (2 ms),
which makes them larger; a lone append is never held back.

All database work runs on one dedicated thread (SQLite connections are not
shared across threads); callers await it without blocking the loop.
The store remembers each room's last sequence number once it has read or
written it, so an append is only INSERTs: the primary key (room, seq) still
refuses a sequence number that is already taken, which is what makes the
append conditional.
Wakes are delivered in-process only: two processes must not share one file
(use Redis for that); if they do anyway, the conditional append still keeps
the log consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

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
    pack_event,
    unpack_event,
)

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    room_id TEXT PRIMARY KEY,
    log_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    secrets BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    room_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    room_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS closed (
    room_id TEXT PRIMARY KEY,
    at INTEGER NOT NULL
);
"""


class SQLiteStore(Store):
    """The embedded store. The module docstring gives its durability and grouping.

    ``commit_interval`` (seconds) is the least time between the starts of two
    group commits: appends that arrive sooner wait for the next round. An
    append that finds the store idle for that long is committed at once.
    """

    def __init__(self, path: str, *, commit_interval: float = 0.002) -> None:
        self.path = path
        self.commit_interval = commit_interval
        self._last_commit = -commit_interval
        self._db: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="valueroom-sqlite")
        self._watchers: dict[str, list[Wake]] = {}
        self._pending: list[_Append] = []
        self._flushing = False
        self._flushes: set[asyncio.Task[None]] = set()
        # Each room's last seq, as this store last read or wrote it. Touched on
        # the SQLite thread only.
        self._last: dict[str, int] = {}

    @classmethod
    def from_url(cls, url: str) -> SQLiteStore:
        """``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db``."""
        prefix = "sqlite:///"
        if not url.startswith(prefix) or len(url) == len(prefix):
            raise ValueError(
                "a SQLite URL looks like sqlite:///valueroom.db or sqlite:////abs/path.db"
            )
        return cls(url[len(prefix) :])

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        db = self._db
        if db is None:
            raise StoreError("the SQLite store is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, fn, db)

    async def open(self) -> None:
        def connect() -> sqlite3.Connection:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            # An erased room's pages are overwritten with zeros, not just freed.
            db.execute("PRAGMA secure_delete=ON")
            db.executescript(_SCHEMA)
            return db

        loop = asyncio.get_running_loop()
        self._db = await loop.run_in_executor(self._thread, connect)

    async def close(self) -> None:
        for flush in list(self._flushes):
            with contextlib.suppress(Exception):
                await flush
        db, self._db = self._db, None
        if db is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._thread, db.close)
        self._thread.shutdown(wait=True)

    async def create_room(self, record: RoomRecord, first: Sequence[Event]) -> None:
        secrets = encode(record.secret_hashes)
        rows = [(record.room_id, e.seq, pack_event(e)) for e in first]

        def write(db: sqlite3.Connection) -> None:
            with _transaction(db):
                db.execute(
                    "INSERT INTO rooms (room_id, log_id, created_at, secrets) VALUES (?, ?, ?, ?)",
                    (record.room_id, record.log_id, record.created_at, secrets),
                )
                db.executemany("INSERT INTO events (room_id, seq, body) VALUES (?, ?, ?)", rows)
            self._last[record.room_id] = len(rows)

        try:
            await self._run(write)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"room {record.room_id} already exists") from exc
        self._wake(record.room_id, first[-1].seq if first else 0)

    async def healthy(self) -> bool:
        try:
            await self._run(lambda db: db.execute("SELECT 1").fetchone())
        except Exception:
            return False
        return True

    async def room(self, room_id: str) -> RoomRecord | None:
        def read(db: sqlite3.Connection) -> tuple[str, int, bytes] | None:
            row: tuple[str, int, bytes] | None = db.execute(
                "SELECT log_id, created_at, secrets FROM rooms WHERE room_id = ?", (room_id,)
            ).fetchone()
            return row

        row = await self._run(read)
        if row is None:
            return None
        log_id, created_at, secrets = row
        return RoomRecord(room_id, log_id, created_at, dict(decode_trusted(secrets)))

    async def set_secrets(self, room_id: str, secret_hashes: dict[str, str]) -> bool:
        secrets = encode(secret_hashes)

        def write(db: sqlite3.Connection) -> bool:
            with _transaction(db):
                done = db.execute(
                    "UPDATE rooms SET secrets = ? WHERE room_id = ?", (secrets, room_id)
                )
            return done.rowcount == 1

        return await self._run(write)

    async def erase(self, room_id: str) -> None:
        """Delete the room's rows, then checkpoint so the write-ahead log keeps no copy either."""

        def write(db: sqlite3.Connection) -> None:
            with _transaction(db):
                db.execute("DELETE FROM events WHERE room_id = ?", (room_id,))
                db.execute("DELETE FROM rooms WHERE room_id = ?", (room_id,))
                db.execute("DELETE FROM closed WHERE room_id = ?", (room_id,))
            self._last.pop(room_id, None)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await self._run(write)

    async def mark_closed(self, room_id: str, at: int) -> None:
        def write(db: sqlite3.Connection) -> None:
            with _transaction(db):
                db.execute(
                    "INSERT OR IGNORE INTO closed (room_id, at) "
                    "SELECT room_id, ? FROM rooms WHERE room_id = ?",
                    (at, room_id),
                )

        await self._run(write)

    async def closed_before(self, at: int) -> list[str]:
        def read(db: sqlite3.Connection) -> list[str]:
            rows = db.execute("SELECT room_id FROM closed WHERE at < ?", (at,)).fetchall()
            return [row[0] for row in rows]

        return await self._run(read)

    async def append(self, room_id: str, expected: int, events: Sequence[Event]) -> None:
        """Queue the append for the next group commit and wait until it is durable.

        Appends from every room that arrive while a commit is running are
        written together in the next transaction (one fsync for all of them);
        an append that arrives when none is running is written at once.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        rows = [(room_id, e.seq, pack_event(e)) for e in events]
        self._pending.append(_Append(room_id, expected, rows, done))
        if not self._flushing:
            self._flushing = True
            task = asyncio.get_running_loop().create_task(self._flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        await done
        if events:
            self._wake(room_id, events[-1].seq)

    async def _flush(self) -> None:
        logs.bind(room=None, member=None)  # one commit serves many rooms
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                # Back-to-back commits are spaced out, so that under load each
                # round carries more appends and the fsyncs (and thread hops)
                # per append fall; a store that was idle commits at once.
                wait = self._last_commit + self.commit_interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._last_commit = loop.time()
                batch, self._pending = self._pending, []
                try:
                    outcomes = await self._run(
                        functools.partial(_commit_appends, batch=batch, last=self._last)
                    )
                except Exception as exc:
                    failure = exc if isinstance(exc, StoreError) else StoreError(str(exc))
                    outcomes = [failure] * len(batch)
                for append, outcome in zip(batch, outcomes, strict=True):
                    if append.done.done():
                        continue
                    if outcome is None:
                        append.done.set_result(None)
                    else:
                        append.done.set_exception(outcome)
        finally:
            self._flushing = False

    async def read(self, room_id: str, after: int = 0) -> list[Event]:
        def read(db: sqlite3.Connection) -> list[bytes]:
            return [
                body
                for (body,) in db.execute(
                    "SELECT body FROM events WHERE room_id = ? AND seq > ? ORDER BY seq",
                    (room_id, after),
                )
            ]

        return [unpack_event(body) for body in await self._run(read)]

    async def read_range(self, room_id: str, after: int, until: int) -> list[Event]:
        def read(db: sqlite3.Connection) -> list[bytes]:
            return [
                body
                for (body,) in db.execute(
                    "SELECT body FROM events WHERE room_id = ? AND seq > ? AND seq <= ?"
                    " ORDER BY seq",
                    (room_id, after, until),
                )
            ]

        return [unpack_event(body) for body in await self._run(read)]

    async def read_page(self, room_id: str, after: int, limit: int) -> list[Event]:
        def read(db: sqlite3.Connection) -> list[bytes]:
            return [
                body
                for (body,) in db.execute(
                    "SELECT body FROM events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                    (room_id, after, max(limit, 0)),
                )
            ]

        return [unpack_event(body) for body in await self._run(read)]

    async def put_snapshot(self, room_id: str, seq: int, body: bytes) -> None:
        """Stored in a transaction of its own (fsynced like the log), outside the group commit."""

        def write(db: sqlite3.Connection) -> bool:
            with _transaction(db):
                if (
                    db.execute("SELECT 1 FROM rooms WHERE room_id = ?", (room_id,)).fetchone()
                    is None
                ):
                    return False
                db.execute(
                    "INSERT OR REPLACE INTO snapshots (room_id, seq, body) VALUES (?, ?, ?)",
                    (room_id, seq, body),
                )
            return True

        if not await self._run(write):
            raise UnknownRoom(room_id)

    async def snapshot_seqs(self, room_id: str) -> list[int]:
        def read(db: sqlite3.Connection) -> list[int]:
            return [
                int(seq)
                for (seq,) in db.execute(
                    "SELECT seq FROM snapshots WHERE room_id = ? ORDER BY seq", (room_id,)
                )
            ]

        return await self._run(read)

    async def get_snapshot(self, room_id: str, seq: int) -> bytes | None:
        def read(db: sqlite3.Connection) -> bytes | None:
            row = db.execute(
                "SELECT body FROM snapshots WHERE room_id = ? AND seq = ?", (room_id, seq)
            ).fetchone()
            return None if row is None else bytes(row[0])

        return await self._run(read)

    async def subscribe(self, room_id: str, wake: Wake) -> None:
        self._watchers.setdefault(room_id, []).append(wake)

    async def unsubscribe(self, room_id: str, wake: Wake) -> None:
        watchers = self._watchers.get(room_id, [])
        if wake in watchers:
            watchers.remove(wake)
        if not watchers:
            self._watchers.pop(room_id, None)

    async def notify(self, room_id: str, payload: bytes) -> None:
        """One process owns the file, so there is nobody else to tell."""

    def listen(self, room_id: str, notice: Notice) -> None:
        """Notices come only from other processes: never, here."""

    def unlisten(self, room_id: str, notice: Notice) -> None:
        """Nothing was registered."""

    def _wake(self, room_id: str, seq: int) -> None:
        # The write is already durable: a failing callback must neither make it
        # look failed to the writer nor keep the wake from the other callbacks.
        for wake in list(self._watchers.get(room_id, ())):
            try:
                wake(seq)
            except Exception:
                log.exception("a wake callback for room %s failed", room_id)


@dataclass(slots=True)
class _Append:
    room_id: str
    expected: int
    rows: list[tuple[str, int, bytes]]
    done: asyncio.Future[None]


def _commit_appends(
    db: sqlite3.Connection, *, batch: list[_Append], last: dict[str, int]
) -> list[StoreError | None]:
    """One transaction for many appends; each is checked on its own and may be refused alone.

    ``last`` (each room's last seq, as known) spares the SELECTs: an append
    whose expected seq is not the known last is refused at once, and one that
    is inserts its first row, which the primary key refuses if another writer
    took that seq (then the log is read to learn how far it got). A failed
    transaction forgets what it taught ``last``.
    """
    outcomes: list[StoreError | None] = []
    touched: list[str] = []
    try:
        with _transaction(db):
            for append in batch:
                outcomes.append(_append_one(db, append, last, touched))
    except BaseException:
        for room_id in touched:
            last.pop(room_id, None)
        raise
    return outcomes


_INSERT = "INSERT INTO events (room_id, seq, body) VALUES (?, ?, ?)"


def _append_one(
    db: sqlite3.Connection, append: _Append, last: dict[str, int], touched: list[str]
) -> StoreError | None:
    room_id = append.room_id
    known = last.get(room_id)
    if known is None:
        if db.execute("SELECT 1 FROM rooms WHERE room_id = ?", (room_id,)).fetchone() is None:
            return UnknownRoom(room_id)
        known = last[room_id] = _last_seq(db, room_id)
        touched.append(room_id)
    if known != append.expected:
        return Conflict(room_id, append.expected, known)
    rows = append.rows
    if not rows:
        return None
    try:
        db.execute(_INSERT, rows[0])
    except sqlite3.IntegrityError:
        # Another writer took expected + 1: the log is further than we knew.
        actual = last[room_id] = _last_seq(db, room_id)
        touched.append(room_id)
        return Conflict(room_id, append.expected, actual)
    db.executemany(_INSERT, rows[1:])
    last[room_id] = rows[-1][1]
    touched.append(room_id)
    return None


def _last_seq(db: sqlite3.Connection, room_id: str) -> int:
    (seq,) = db.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM events WHERE room_id = ?", (room_id,)
    ).fetchone()
    return int(seq)


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
