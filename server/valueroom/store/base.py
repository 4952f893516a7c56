"""The store contract: a durable, totally ordered event log per room.

Promises every adapter keeps (``tests/test_store_contract.py`` checks them
against each one):

* ``append`` is atomic and conditional: the events are written only if the
  room's last sequence number is still ``expected``; otherwise nothing is
  written and :class:`Conflict` is raised. Two server processes therefore
  can never both append sequence number *n*.
* Once ``append`` returns, the events survive a restart of the process.
* ``read(room, after)`` returns every event with ``seq > after``, in order,
  with no gaps; ``read_range(room, after, until)`` the same up to ``until``.
* Events come back exactly as appended, their chain fields (``salt``,
  ``leaf``, ``chain``: see :mod:`valueroom.store.chain`) included.
* ``subscribe`` calls ``wake(seq)`` after the log of that room grew to
  ``seq``, in this process or another one sharing the store. A wake is only a
  hint: the room reads the log to learn what happened, so a lost or repeated
  wake costs latency, never correctness.
* ``set_secrets`` replaces a room's invite digests (a link revoked and
  reissued); ``erase`` removes every trace of a room: its record, its log
  and any key or row that names it. Neither touches another room.
* ``notify`` sends an ephemeral message (presence) to the other processes
  serving the room, best effort and never stored. Stores that serve one
  process (``shares_rooms`` false) drop it: nobody else is there.
* ``read_page(room, after, limit)`` returns the first ``limit`` events with
  ``seq > after``, in order, with no gaps: a room folds a long log page by
  page instead of holding all of it at once.
* Snapshots are opaque bytes stored beside the log under a log position:
  ``put_snapshot`` keeps (or replaces) the one at ``seq``, ``snapshot_seqs``
  lists the positions held, ascending, and ``get_snapshot`` returns one, or
  None. They survive a restart like the log. The store neither reads nor
  checks them (``valueroom.rooms.snapshots`` does), and a missing or broken
  snapshot costs a longer fold, never an event: the log stays the truth.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from valueroom.domain.events import Actor, Event
from valueroom.protocol.codec import decode_trusted, encode

__all__ = [
    "Conflict",
    "Notice",
    "RoomRecord",
    "Store",
    "StoreError",
    "UnknownRoom",
    "Wake",
    "check_numbering",
    "pack_event",
    "unpack_event",
]

Wake = Callable[[int], None]
Notice = Callable[[bytes], None]


class StoreError(Exception):
    """The store could not do what was asked (an infrastructure failure)."""


class Conflict(StoreError):
    """Another writer appended first; ``actual`` is the log's last sequence number."""

    def __init__(self, room_id: str, expected: int, actual: int) -> None:
        super().__init__(f"room {room_id}: expected seq {expected}, log is at {actual}")
        self.expected = expected
        self.actual = actual


class UnknownRoom(StoreError):
    """No room with that id exists."""


@dataclass(frozen=True, slots=True)
class RoomRecord:
    """What the store keeps beside the log: identity and hashed invite secrets."""

    room_id: str
    log_id: str
    created_at: int
    secret_hashes: dict[str, str]


class Store(ABC):
    """A room registry plus one append-only event log per room."""

    #: True when several server processes may serve the same room through this store.
    shares_rooms = False

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def create_room(self, record: RoomRecord, first: Sequence[Event]) -> None:
        """Register a room and append its first events atomically."""

    @abstractmethod
    async def room(self, room_id: str) -> RoomRecord | None: ...

    @abstractmethod
    async def set_secrets(self, room_id: str, secret_hashes: dict[str, str]) -> bool:
        """Replace the room's invite digests; False (and nothing written) if it does not exist."""

    @abstractmethod
    async def erase(self, room_id: str) -> None:
        """Remove the room's record and log for good (a no-op for a room that is not there)."""

    async def mark_closed(self, room_id: str, at: int) -> None:  # noqa: B027  # optional
        """Remember that the room closed at ``at`` (ms), for the retention sweep. Idempotent.

        Every adapter here overrides this and :meth:`closed_before`; the
        defaults keep nothing (a wrapper that forgets to forward them erases nothing).
        """

    async def closed_before(self, at: int) -> list[str]:
        """The rooms marked closed before ``at`` (ms) and not erased yet."""
        return []

    async def healthy(self) -> bool:
        """Whether the store answers now (for ``/api/health``); never raises."""
        return True

    @abstractmethod
    async def append(self, room_id: str, expected: int, events: Sequence[Event]) -> None:
        """Append ``events`` (seq expected+1, expected+2, ...) if the log ends at ``expected``."""

    @abstractmethod
    async def read(self, room_id: str, after: int = 0) -> list[Event]: ...

    async def read_range(self, room_id: str, after: int, until: int) -> list[Event]:
        """Every event with ``after < seq <= until``, in order (history pages read this).

        Adapters override it to read only that slice; this fallback reads the tail.
        """
        return [event for event in await self.read(room_id, after) if event.seq <= until]

    @abstractmethod
    async def read_page(self, room_id: str, after: int, limit: int) -> list[Event]:
        """At most ``limit`` events with ``seq > after``, in order, without gaps."""

    @abstractmethod
    async def put_snapshot(self, room_id: str, seq: int, body: bytes) -> None:
        """Keep ``body`` as the room's snapshot at log position ``seq`` (replacing one there)."""

    @abstractmethod
    async def snapshot_seqs(self, room_id: str) -> list[int]:
        """The log positions of the room's stored snapshots, ascending."""

    @abstractmethod
    async def get_snapshot(self, room_id: str, seq: int) -> bytes | None:
        """The snapshot stored at ``seq``, or None."""

    @abstractmethod
    async def subscribe(self, room_id: str, wake: Wake) -> None: ...

    @abstractmethod
    async def unsubscribe(self, room_id: str, wake: Wake) -> None: ...

    @abstractmethod
    async def notify(self, room_id: str, payload: bytes) -> None:
        """Send ``payload`` to the notice callbacks of other processes serving the room."""

    @abstractmethod
    def listen(self, room_id: str, notice: Notice) -> None:
        """Call ``notice(payload)`` for messages sent with ``notify``, while subscribed."""

    @abstractmethod
    def unlisten(self, room_id: str, notice: Notice) -> None:
        """Stop calling ``notice``."""


def pack_event(event: Event) -> bytes:
    """The stored form of an event: a msgpack map of all its fields (never sent as is)."""
    actor = None if event.actor is None else {"role": event.actor.role, "name": event.actor.name}
    record = {
        "seq": event.seq,
        "at": event.at,
        "actor": actor,
        "op": event.op,
        "vis": event.vis,
        "name": event.name,
        "data": event.data,
    }
    # The chain fields are stored only once set, so events logged before the
    # chain existed read back unchanged (and ``verify`` names them).
    for key in ("salt", "leaf", "chain"):
        value = getattr(event, key)
        if value is not None:
            record[key] = value
    return encode(record)


def unpack_event(data: bytes) -> Event:
    """The event :func:`pack_event` stored."""
    record = decode_trusted(data)
    actor = record["actor"]
    return Event(
        seq=record["seq"],
        at=record["at"],
        actor=None if actor is None else Actor(actor["role"], actor["name"]),
        op=record["op"],
        vis=record["vis"],
        name=record["name"],
        data=record["data"],
        salt=record.get("salt"),
        leaf=record.get("leaf"),
        chain=record.get("chain"),
    )


def check_numbering(room_id: str, expected: int, events: Sequence[Event]) -> None:
    """Raise ValueError unless ``events`` are numbered expected+1, expected+2, ... in order."""
    for offset, event in enumerate(events, start=1):
        if event.seq != expected + offset:
            raise ValueError(
                f"room {room_id}: events after seq {expected} must be numbered "
                f"{expected + 1}, {expected + 2}, ...; got seq {event.seq} at position {offset}"
            )
