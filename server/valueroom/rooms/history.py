"""A role's history of a room: pages of the events it saw, read from the store.

The path of a history request (``{type: "history", log_id, from, to}``):

1. The edge checks the frame against the schema and that the connection has
   joined (else ``not_joined``), and that it has no other history request in
   flight (else ``limit_reached`` / ``history.in_flight``): one request per
   connection at a time. Per room, at most ``READERS`` pages are read from
   the store at once; further requests wait their turn.
2. :func:`page` checks ``log_id`` against the room the connection joined
   (another room's or a forged one: ``invalid_history`` /
   ``history.other_log``) and the range, in the role's own numbering:
   ``1 <= from <= to`` (``history.range``) and ``to`` at most the number of
   events the role has seen (``history.beyond_head``).
3. The room's :class:`Index` maps the role's numbers to positions in the
   log; it is built by scanning the store's log once per loaded room and then
   extended with only the new events. Size: one 32-bit integer per event per
   role that sees it (at most 12 bytes per event for three roles, 1.2 MB for
   100,000 public events), plus one 32-byte role-chain hash every
   ``CHECKPOINT`` events per role.
4. The events of the page (at most ``max_history_page`` of them, from the
   first one asked) are read from the store (``Store.read_range``), passed
   through :func:`~valueroom.domain.visibility.visible` for the role, and
   each is encoded by :func:`valueroom.protocol.frames.event`, the very
   builder of live fan-out, with the role's own number: a history event is
   byte for byte the frame the role received live.
5. The answer is one ``history`` frame: the events, and per event its proof
   (the salt when the event is not public, and the role's chain hash
   ``r_k``, see :mod:`valueroom.store.chain`). A client wanting more asks
   for the next page once this one arrived.

Nothing here reads the live room's in-memory log: the store is the record.
"""

from __future__ import annotations

import asyncio
import weakref
from array import array
from dataclasses import dataclass, field

from valueroom.domain.errors import DomainError
from valueroom.domain.events import Event
from valueroom.domain.visibility import ROLES, is_public, visible
from valueroom.protocol import frames
from valueroom.protocol.codec import decode_trusted
from valueroom.protocol.schema import limit
from valueroom.store import chain
from valueroom.store.base import RoomRecord, Store

__all__ = [
    "CHECKPOINT",
    "EXPORT_FORMAT",
    "PAGE",
    "HistoryRefused",
    "Index",
    "Proof",
    "Verdict",
    "export_lines",
    "index_for",
    "page",
    "role_events",
    "verify_room",
]

PAGE = limit("max_history_page")
CHECKPOINT = 64
READERS = 2
SCAN = 4096


class HistoryRefused(DomainError):
    """A history request that cannot be answered; nothing was sent but this error."""

    code = "invalid_history"


def _refuse(reason: str, message: str, **params: int) -> HistoryRefused:
    return HistoryRefused(message, reason=reason, params=params)


@dataclass(slots=True)
class Index:
    """Per role: the log position of each event it saw, and role-chain checkpoints.

    ``positions[role][k - 1]`` is the global sequence number of the role's
    event number ``k``; ``checkpoints[role][j]`` is ``r_{j * CHECKPOINT}``.
    """

    record: RoomRecord
    indexed: int = 0
    positions: dict[str, array[int]] = field(default_factory=dict)
    checkpoints: dict[str, list[bytes]] = field(default_factory=dict)
    heads: dict[str, bytes] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # History pages of one room being read at once; more wait their turn, so
    # many connections asking together never queue many reads ahead of the
    # room's appends on the store.
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(READERS))

    def __post_init__(self) -> None:
        for role in ROLES:
            self.positions[role] = array("I")
            start = chain.role_genesis(self.record.log_id, role)
            self.checkpoints[role] = [start]
            self.heads[role] = start

    async def refresh(self, store: Store) -> None:
        """Take in the events appended since the last refresh.

        The tail is read ``SCAN`` events at a time, so the first scan of a
        long log never holds more than that many decoded events at once.
        """
        async with self.lock:
            while True:
                start = self.indexed
                batch = await store.read_range(self.record.room_id, start, start + SCAN)
                for event in batch:
                    self._add(event)
                if len(batch) < SCAN:
                    return

    def _add(self, event: Event) -> None:
        for role in ROLES:
            if not visible(event.vis, role):
                continue
            positions = self.positions[role]
            positions.append(event.seq)
            head = self.heads[role] = chain.link(self.heads[role], event.leaf or b"")
            if len(positions) % CHECKPOINT == 0:
                self.checkpoints[role].append(head)
        self.indexed = event.seq

    def head(self, role: str) -> int:
        return len(self.positions[role])

    def size_bytes(self) -> int:
        """The memory the index holds for its numbers and checkpoints (not Python overhead)."""
        numbers = sum(p.itemsize * len(p) for p in self.positions.values())
        return numbers + sum(32 * len(c) for c in self.checkpoints.values())


_INDEXES: weakref.WeakKeyDictionary[object, Index] = weakref.WeakKeyDictionary()


def index_for(owner: object, record: RoomRecord) -> Index:
    """The index cached for a loaded room (``owner``); dropped when the room is."""
    index = _INDEXES.get(owner)
    if index is None:
        index = _INDEXES[owner] = Index(record)
    return index


@dataclass(frozen=True, slots=True)
class Proof:
    """What a role needs to check one of its events: the salt and its chain hash."""

    salt: bytes | None
    chain: bytes


async def role_events(
    store: Store, index: Index, role: str, first: int, last: int
) -> list[tuple[int, Event, Proof]]:
    """The role's events ``first..last`` (its numbers), each with its proof."""
    positions = index.positions[role]
    start = ((first - 1) // CHECKPOINT) * CHECKPOINT  # the checkpoint at or before first-1
    head = index.checkpoints[role][start // CHECKPOINT]
    after = positions[start - 1] if start else 0
    events = await store.read_range(index.record.room_id, after, positions[last - 1])
    out: list[tuple[int, Event, Proof]] = []
    number = start
    for event in events:
        if not visible(event.vis, role):
            continue
        number += 1
        head = chain.link(head, event.leaf or b"")
        if number >= first:
            salt = None if is_public(event.vis) else event.salt
            out.append((number, event, Proof(salt, head)))
    return out


async def page(
    store: Store, index: Index, role: str, log_id: str, first: int, last: int
) -> tuple[bytes, list[Event]]:
    """The ``history`` frame answering a request, and the events it holds.

    Raises a :class:`DomainError` (code ``invalid_history``) for another
    room's or a forged log id, an empty or inverted range, or a range past
    what the role has seen. At most ``PAGE`` events are answered, from ``first``.
    """
    if log_id != index.record.log_id:
        raise _refuse("history.other_log", "this history belongs to another room")
    if first < 1 or last < first:
        raise _refuse("history.range", "ask for events from 1 up, with from <= to")
    async with index.slots:
        await index.refresh(store)
        head = index.head(role)
        if last > head:
            raise _refuse("history.beyond_head", "there are not that many events yet", head=head)
        last = min(last, first + PAGE - 1)
        items = await role_events(store, index, role, first, last)
    encoded = [frames.event(event, role, number) for number, event, _ in items]
    proofs = [(p.salt, p.chain) for _, _, p in items]
    frame = frames.history(
        log_id=log_id, first=first, last=last, head=head, events=encoded, proofs=proofs
    )
    return frame, [event for _, event, _ in items]


EXPORT_FORMAT = "valueroom-history/1"


async def export_lines(store: Store, index: Index, role: str) -> list[dict[str, object]]:
    """A role's whole history as export records (see ``valueroom.verify_export``).

    The first record is the header (format, room, log id, role, number of
    events, the role's chain head); then one record per event: the event as
    the role receives it live (without ``type``), its salt (hex, None when
    public) and the role's chain hash after it. The browser builds the same
    lines from its history pages.
    """
    await index.refresh(store)
    head = index.head(role)
    lines: list[dict[str, object]] = [
        {
            "format": EXPORT_FORMAT,
            "room": index.record.room_id,
            "log_id": index.record.log_id,
            "role": role,
            "events": head,
            "chain": index.heads[role].hex(),
        }
    ]
    for start in range(1, head + 1, 1024):
        for number, event, proof in await role_events(
            store, index, role, start, min(head, start + 1023)
        ):
            # The event exactly as the role receives it live (the same builder).
            record = decode_trusted(frames.event(event, role, number))
            del record["type"]
            lines.append(
                {
                    "event": record,
                    "salt": None if proof.salt is None else proof.salt.hex(),
                    "chain": proof.chain.hex(),
                }
            )
    return lines


@dataclass(frozen=True, slots=True)
class Verdict:
    events: int
    head: bytes
    broken: chain.Break | None


async def verify_room(store: Store, room_id: str) -> Verdict | None:
    """Check a room's whole chain in the store; None when there is no such room."""
    record = await store.room(room_id)
    if record is None:
        return None
    events = await store.read(room_id, 0)
    head, broken = chain.verify_log(record.log_id, events)
    return Verdict(len(events), head, broken)
