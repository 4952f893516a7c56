"""The in-memory store: the contract with no I/O, for fast tests of the rooms.

``memory://name`` names a log set kept in this process. Every store opened on
the same name shares it, so "survives reopening" holds for as long as the
process lives, and no longer: nothing is ever written to disk. Use it for
tests and demos, never for a room whose agreement matters.

Events are kept in their stored form (:func:`~valueroom.store.base.pack_event`
bytes), so a round trip through this store is as exact as through the others.
It serves one process (``shares_rooms`` false): wakes reach subscribers in
this process only, and notices go nowhere.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from valueroom.domain.events import Event
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

__all__ = ["MemoryStore"]

log = logging.getLogger(__name__)


@dataclass
class _Logs:
    records: dict[str, RoomRecord] = field(default_factory=dict)
    logs: dict[str, list[bytes]] = field(default_factory=dict)
    snapshots: dict[str, dict[int, bytes]] = field(default_factory=dict)
    closed: dict[str, int] = field(default_factory=dict)


_SHARED: dict[str, _Logs] = {}


class MemoryStore(Store):
    def __init__(self, name: str) -> None:
        self.name = name
        self._data: _Logs | None = None
        self._watchers: dict[str, list[Wake]] = {}

    @classmethod
    def from_url(cls, url: str) -> MemoryStore:
        """``memory://name`` (any name; stores on the same name share their rooms)."""
        prefix = "memory://"
        if not url.startswith(prefix):
            raise ValueError("a memory store URL looks like memory://name")
        return cls(url[len(prefix) :])

    def _logs(self) -> _Logs:
        if self._data is None:
            raise StoreError("the memory store is not open")
        return self._data

    async def open(self) -> None:
        self._data = _SHARED.setdefault(self.name, _Logs())

    async def close(self) -> None:
        self._data = None
        self._watchers.clear()

    async def create_room(self, record: RoomRecord, first: Sequence[Event]) -> None:
        data = self._logs()
        if record.room_id in data.records:
            raise StoreError(f"room {record.room_id} already exists")
        check_numbering(record.room_id, 0, first)
        data.records[record.room_id] = record
        data.logs[record.room_id] = [pack_event(event) for event in first]
        self._wake(record.room_id, len(first))

    async def room(self, room_id: str) -> RoomRecord | None:
        return self._logs().records.get(room_id)

    async def set_secrets(self, room_id: str, secret_hashes: dict[str, str]) -> bool:
        data = self._logs()
        record = data.records.get(room_id)
        if record is None:
            return False
        data.records[room_id] = dataclasses.replace(record, secret_hashes=dict(secret_hashes))
        return True

    async def erase(self, room_id: str) -> None:
        data = self._logs()
        data.records.pop(room_id, None)
        data.logs.pop(room_id, None)
        data.closed.pop(room_id, None)

    async def mark_closed(self, room_id: str, at: int) -> None:
        data = self._logs()
        if room_id in data.records:
            data.closed.setdefault(room_id, at)

    async def closed_before(self, at: int) -> list[str]:
        return [room for room, closed in self._logs().closed.items() if closed < at]

    async def append(self, room_id: str, expected: int, events: Sequence[Event]) -> None:
        data = self._logs()
        log = data.logs.get(room_id)
        if log is None:
            raise UnknownRoom(room_id)
        if len(log) != expected:
            raise Conflict(room_id, expected, len(log))
        check_numbering(room_id, expected, events)
        log.extend(pack_event(event) for event in events)
        if events:
            self._wake(room_id, len(log))

    async def read(self, room_id: str, after: int = 0) -> list[Event]:
        log = self._logs().logs.get(room_id, [])
        return [unpack_event(body) for body in log[after:]]

    async def read_range(self, room_id: str, after: int, until: int) -> list[Event]:
        log = self._logs().logs.get(room_id, [])
        return [unpack_event(body) for body in log[max(after, 0) : max(until, 0)]]

    async def read_page(self, room_id: str, after: int, limit: int) -> list[Event]:
        log = self._logs().logs.get(room_id, [])
        return [unpack_event(body) for body in log[after : after + max(limit, 0)]]

    async def put_snapshot(self, room_id: str, seq: int, body: bytes) -> None:
        data = self._logs()
        if room_id not in data.records:
            raise UnknownRoom(room_id)
        data.snapshots.setdefault(room_id, {})[seq] = bytes(body)

    async def snapshot_seqs(self, room_id: str) -> list[int]:
        return sorted(self._logs().snapshots.get(room_id, {}))

    async def get_snapshot(self, room_id: str, seq: int) -> bytes | None:
        return self._logs().snapshots.get(room_id, {}).get(seq)

    async def subscribe(self, room_id: str, wake: Wake) -> None:
        self._watchers.setdefault(room_id, []).append(wake)

    async def unsubscribe(self, room_id: str, wake: Wake) -> None:
        watchers = self._watchers.get(room_id, [])
        if wake in watchers:
            watchers.remove(wake)
        if not watchers:
            self._watchers.pop(room_id, None)

    async def notify(self, room_id: str, payload: bytes) -> None:
        """One process, so there is nobody else to tell."""

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
