"""Snapshots of a room's state, stored beside its log: load fast, seek anywhere.

A snapshot is a room's :class:`~valueroom.domain.state.RoomState` (one view
per role and the public view, each the fold of exactly the events
:func:`~valueroom.domain.visibility.visible` admits for it) at one log
position, encoded by :mod:`valueroom.domain.snapshot`. There is no second
visibility path: restoring a snapshot and folding on with ``RoomState.apply``
gives the same views as folding the whole log.

Stored form (msgpack): ``{"seq", "positions", "digest", "content"}`` where
``content`` is the canonical msgpack of the state record (with the room id
and the log position inside it), ``digest`` the SHA-256 of ``content`` in hex,
and ``positions`` each view's own sequence number at ``seq`` (so a seek by a
role's number finds its snapshot without decoding the content).

Promises:

* A room writes a snapshot every :data:`SNAPSHOT_EVERY` events of its log
  (after the batch that crosses the mark, so at most ``SNAPSHOT_EVERY`` plus
  one batch apart), and keeps all of them: any position of the history is
  at most that many events from a snapshot.
* A snapshot whose digest, room or position does not match its content, or
  whose recorded chain head (``store/chain.py``) is not the log's at its
  position, is :class:`SnapshotInvalid`: it is logged and skipped, and the
  load falls back to the next older snapshot, or to the whole log. A broken
  snapshot costs time, never correctness. (The digest catches corruption
  and edits that leave it as it was; the chain head ties a snapshot to the
  log it was folded from. Someone who can write the store and recomputes
  the digest of an edited state is not caught here: that takes folding the
  log again, which ``valueroom verify`` and a replay do.)
* Folding yields to the event loop every :data:`FOLD_YIELD` events, so a
  long fold never holds up other rooms' traffic for more than a few
  milliseconds at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from valueroom.domain.events import Event
from valueroom.domain.rules import Rules
from valueroom.domain.snapshot import from_record, to_record
from valueroom.domain.state import PUBLIC_VIEW, RoomState, View
from valueroom.domain.visibility import ROLES
from valueroom.protocol.codec import decode_trusted, encode
from valueroom.store.base import Store

__all__ = [
    "FOLD_CHUNK",
    "FOLD_YIELD",
    "SNAPSHOT_EVERY",
    "Restored",
    "SnapshotInvalid",
    "decode_snapshot",
    "encode_snapshot",
    "fold_forward",
    "latest",
    "restore",
    "snapshot_positions",
    "view_at",
]

log = logging.getLogger(__name__)

#: A snapshot is written every this many log events (K).
SNAPSHOT_EVERY = 1000
#: Events read from the store in one page.
FOLD_CHUNK = 500
#: Events folded between two yields to the event loop (a few milliseconds).
FOLD_YIELD = 100


class SnapshotInvalid(Exception):
    """A stored snapshot does not match its digest, its room or its position."""

    def __init__(self, room_id: str, seq: int, why: str) -> None:
        super().__init__(f"room {room_id}: the snapshot at {seq} is invalid: {why}")
        self.room_id = room_id
        self.seq = seq
        self.why = why


def encode_snapshot(
    room_id: str, state: RoomState, head: bytes | None = None, agreed: bytes | None = None
) -> bytes:
    """The stored form of ``state`` (which must hold committed events only).

    ``head`` is the room's chain hash at the snapshot's position (the chain
    field of its last event, see :mod:`valueroom.store.chain`); a load checks
    it against the log. ``agreed`` is the chain hash at the last agreement
    (``deal.agreed``), shown on the deal sheet.
    """
    content = encode({"room": room_id, "chain": head, "agreed": agreed, "state": to_record(state)})
    positions = {role: view.seq for role, view in state.views.items()}
    positions[PUBLIC_VIEW] = state.public.seq
    return encode(
        {
            "seq": state.seq,
            "positions": positions,
            "digest": hashlib.sha256(content).hexdigest(),
            "content": content,
        }
    )


def _envelope(room_id: str, seq: int, body: bytes) -> dict[str, object]:
    try:
        envelope = decode_trusted(body)
        if not isinstance(envelope, dict) or envelope.get("seq") != seq:
            raise SnapshotInvalid(room_id, seq, "stored under another position")
        if not isinstance(envelope.get("content"), bytes) or not isinstance(
            envelope.get("positions"), dict
        ):
            raise SnapshotInvalid(room_id, seq, "malformed")
    except SnapshotInvalid:
        raise
    except Exception as exc:
        raise SnapshotInvalid(room_id, seq, f"undecodable ({type(exc).__name__})") from exc
    return envelope


def snapshot_positions(room_id: str, seq: int, body: bytes) -> dict[str, int]:
    """Each view's own sequence number in the snapshot (unchecked: a hint for seeking)."""
    positions = _envelope(room_id, seq, body)["positions"]
    assert isinstance(positions, dict)
    return {str(k): int(v) for k, v in positions.items()}


def decode_snapshot(
    room_id: str,
    seq: int,
    body: bytes,
    rules: Rules | None = None,
    roles: Iterable[str] = ROLES,
) -> RoomState:
    """The state stored in ``body`` (``roles``' views); raises :class:`SnapshotInvalid` unless it checks out."""
    return _decode(room_id, seq, body, rules, roles)[0]


def _decode(
    room_id: str, seq: int, body: bytes, rules: Rules | None, roles: Iterable[str]
) -> tuple[RoomState, bytes | None, bytes | None]:
    """The state, chain head and agreement hash recorded in ``body``, checked against its digest."""
    envelope = _envelope(room_id, seq, body)
    content = envelope["content"]
    assert isinstance(content, bytes)
    if hashlib.sha256(content).hexdigest() != envelope.get("digest"):
        raise SnapshotInvalid(room_id, seq, "its digest does not match its content")
    try:
        record = decode_trusted(content)
        if record["room"] != room_id:
            raise SnapshotInvalid(room_id, seq, "it belongs to another room")
        state = from_record(record["state"], rules, roles)
        head = record.get("chain")
        agreed = record.get("agreed")
        if not all(v is None or isinstance(v, bytes) for v in (head, agreed)):
            raise SnapshotInvalid(room_id, seq, "its chain hashes are malformed")
    except SnapshotInvalid:
        raise
    except Exception as exc:
        raise SnapshotInvalid(room_id, seq, f"malformed content ({type(exc).__name__})") from exc
    if state.seq != seq:
        raise SnapshotInvalid(room_id, seq, f"its content is at {state.seq}")
    # The positions sit outside the digested content (a seek reads them
    # without decoding it), so they are checked against it here.
    positions = envelope["positions"]
    assert isinstance(positions, dict)
    for role, view in state.views.items():
        if positions.get(role) != view.seq:
            raise SnapshotInvalid(room_id, seq, "its positions do not match its content")
    return state, head, agreed


@dataclass(slots=True)
class Restored:
    """A state rebuilt from the store, and what it took."""

    state: RoomState
    snapshot: int  # the log position of the snapshot it started from (0: none)
    folded: int  # events folded after the snapshot
    invalid: list[SnapshotInvalid]
    chain_head: bytes | None = None  # the chain hash of the state's last event, if chained
    agreed_chain: bytes | None = None  # the chain hash at the last ``deal.agreed``, if any


async def _latest_valid(
    store: Store,
    room_id: str,
    rules: Rules | None,
    seqs: list[int],
    roles: Iterable[str] = ROLES,
) -> tuple[RoomState | None, tuple[bytes | None, bytes | None], list[SnapshotInvalid]]:
    """The newest snapshot among ``seqs`` that checks out (newest first), its chain head, or None.

    Checking out: its digest, room and positions match its content, and the
    chain head it recorded is the one the log holds at its position.
    """
    invalid: list[SnapshotInvalid] = []
    for seq in reversed(seqs):
        body = await store.get_snapshot(room_id, seq)
        if body is None:
            continue
        try:
            state, head, agreed = _decode(room_id, seq, body, rules, roles)
            if seq > 0:
                head = await _chain_at(store, room_id, seq, head)
            return state, (head, agreed), invalid
        except SnapshotInvalid as exc:
            log.warning("%s; falling back to an older one", exc)
            invalid.append(exc)
    return None, (None, None), invalid


async def _chain_at(store: Store, room_id: str, seq: int, recorded: bytes | None) -> bytes | None:
    """The log's chain hash at ``seq``, which must be the snapshot's ``recorded`` one."""
    found = await store.read_range(room_id, seq - 1, seq)
    if not found:
        raise SnapshotInvalid(room_id, seq, "it lies beyond the end of the log")
    logged = found[0].chain
    if recorded is not None and logged != recorded:
        raise SnapshotInvalid(room_id, seq, "its chain head is not the log's at its position")
    return logged


async def fold_forward(
    store: Store,
    room_id: str,
    state: RoomState,
    *,
    until: int | None = None,
    stop: Callable[[RoomState], bool] | None = None,
    on_event: Callable[[Event, dict[str, int]], None] | None = None,
) -> int:
    """Fold the log into ``state`` from its position, page by page, yielding between pages.

    Stops at the log's end, at position ``until``, or as soon as ``stop(state)``
    is true. ``on_event`` is given each folded event and the numbers
    ``RoomState.apply`` gave it. Returns how many events were folded.
    """
    folded = 0
    while until is None or state.seq < until:
        want = FOLD_CHUNK if until is None else min(FOLD_CHUNK, until - state.seq)
        page = await store.read_page(room_id, state.seq, want)
        for event in page:
            numbers = state.apply(event)
            if on_event is not None:
                on_event(event, numbers)
            folded += 1
            if stop is not None and stop(state):
                return folded
            if folded % FOLD_YIELD == 0:
                await asyncio.sleep(0)  # let other rooms' traffic through
        if len(page) < want:
            break
    return folded


async def latest(
    store: Store, room_id: str, rules: Rules | None = None
) -> tuple[RoomState, tuple[bytes | None, bytes | None], list[SnapshotInvalid]]:
    """The newest valid snapshot's state (an empty state if there is none), its chain
    head, and the invalid ones skipped."""
    seqs = await store.snapshot_seqs(room_id)
    state, hashes, invalid = await _latest_valid(store, room_id, rules, seqs)
    return (RoomState(rules) if state is None else state), hashes, invalid


async def restore(
    store: Store,
    room_id: str,
    rules: Rules | None = None,
    *,
    on_start: Callable[[RoomState], None] | None = None,
    on_event: Callable[[Event, dict[str, int]], None] | None = None,
) -> Restored:
    """The room's current state: the newest valid snapshot, folded forward to the log's end.

    ``on_start`` sees the state as the snapshot gave it, before anything is
    folded into it; ``on_event`` each event folded after that.
    """
    state, (head, agreed), invalid = await latest(store, room_id, rules)
    start = state.seq
    if on_start is not None:
        on_start(state)
    last: list[bytes | None] = [head, agreed]

    def folding(event: Event, numbers: dict[str, int]) -> None:
        last[0] = event.chain
        if event.name == "deal.agreed":
            last[1] = event.chain
        if on_event is not None:
            on_event(event, numbers)

    folded = await fold_forward(store, room_id, state, on_event=folding)
    return Restored(state, start, folded, invalid, last[0], last[1])


# Each stored snapshot's positions, per store, once read: a snapshot at a log
# position always holds the same fold (the log is append-only), so they never
# change. A wrong entry (a tampered snapshot) only picks which snapshot to
# try; the one picked is checked in full. At most POSITIONS_CACHED per store.
POSITIONS_CACHED = 100_000
_positions: weakref.WeakKeyDictionary[Store, dict[tuple[str, int], dict[str, int]]] = (
    weakref.WeakKeyDictionary()
)


async def _position(store: Store, room_id: str, seq: int, role: str) -> int | None:
    """``role``'s number in the snapshot at ``seq`` (None if it cannot be read)."""
    known = _positions.setdefault(store, {})
    positions = known.get((room_id, seq))
    if positions is None:
        body = await store.get_snapshot(room_id, seq)
        try:
            positions = {} if body is None else snapshot_positions(room_id, seq, body)
        except SnapshotInvalid:
            positions = {}
        if len(known) >= POSITIONS_CACHED:
            known.clear()
        known[(room_id, seq)] = positions
    return positions.get(role)


async def view_at(
    store: Store, room_id: str, role: str, position: int, rules: Rules | None = None
) -> View:
    """``role``'s view as it was when that role had seen ``position`` events (its own numbers).

    The newest valid snapshot at or before that point, then the log folded
    forward (through ``RoomState.apply``, the one visibility filter) until the
    role's view holds ``position`` events: at most one snapshot interval.
    Raises ValueError for an unknown role, a negative position, or one beyond
    what the role has seen.
    """
    if role not in ROLES:
        raise ValueError(f"{role!r} is not a role")
    if position < 0:
        raise ValueError("a position is not negative")
    seqs = await store.snapshot_seqs(room_id)
    # Snapshot positions grow with the log: binary search on the role's numbers.
    lo, hi = 0, len(seqs)
    while lo < hi:
        mid = (lo + hi) // 2
        at = await _position(store, room_id, seqs[mid], role)
        if at is not None and at <= position:
            lo = mid + 1
        else:
            hi = mid
    # Only this role's view is restored and folded (RoomState.apply, narrowed
    # to one role: the same filter, three fewer views to update).
    state, _, _ = await _latest_valid(store, room_id, rules, seqs[:lo], (role,))
    if state is None:
        state = RoomState(rules, (role,))
    view = state.view(role)
    if view.seq < position:
        await fold_forward(store, room_id, state, stop=lambda s: s.view(role).seq >= position)
    if view.seq != position:
        raise ValueError(f"the {role} has seen {view.seq} events, not {position}")
    return state.view(role)
