"""One loaded room: its state, its members, and the single task that writes its log.

Ordering and durability promises:

* Every change to a room's state happens on the room's one writer task, in
  sequence order: commands, joins, and events appended by other processes.
* A batch of commands is decided against the state, appended to the store in
  one conditional write (group commit), and only then acknowledged and
  broadcast. A lone command is not delayed: the writer takes whatever is
  pending when it wakes, which may be one command.
* If another process appended first (``Conflict``), the batch is rolled back,
  the room catches up from the log, and the commands are decided again.
* A member joins between batches, never in the middle of one, so its welcome
  snapshot holds exactly the committed state and it receives every later event.
* Every frame a member receives passed :func:`visible` for its role: events
  directly, snapshots because a view is the fold of visible events only.
* Each role numbers the events it sees 1, 2, 3, ... (its view's ``seq``);
  acks, welcomes and resumes speak in that role's numbers, so no member can
  tell how many events another audience received. A split frame goes to a
  role only when its content changed for that role.
* Sending never blocks the room: each member has a bounded queue; a member
  whose queue overflows is disconnected (it resumes on reconnect). A resume's
  catch-up is handed over as a stream the connection pulls as its socket
  drains, never pushed into that queue at once.
* Bounded memory: a loaded room holds its state (every view, bounded by the
  room's limits), the last :data:`RESUME_WINDOW` events of its log (for
  resumes and rollbacks) and the encoded snapshot it last wrote; never its
  whole log. It is loaded from its newest valid snapshot and the log after
  it, folded in chunks that yield to the loop, and writes a snapshot every
  :data:`~valueroom.rooms.snapshots.SNAPSHOT_EVERY` events.
* A resume from a number the window no longer covers (or from another log)
  gets a fresh welcome with the role's whole view instead: resuming always
  converges.
  whose queue overflows is disconnected (it resumes on reconnect).
* Presence is coalesced: however often members come, go or move their focus,
  a room sends its presence frame at most every ``PRESENCE_INTERVAL``
  seconds (the first change after a quiet spell at once), and a presence
  frame still waiting in a member's queue is replaced by the newer one
  (``Outbox.push_latest``). No member's behaviour can fill another's queue
  with presence.
* Data-room access log: whenever a neutral's connection is handed a party's
  figures under seal (the live event, its welcome snapshot, a resume), the
  room appends a ``seal.accessed`` event for that party and the neutral in
  its next batch. Those events carry no figures, so they never log again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from valueroom import logs
from valueroom.clock import now_ms
from valueroom.domain.agreement import deal_sheet, export_content, touches_deal
from valueroom.domain.commands.seal import record_access, sealed_in_event, sealed_in_view
from valueroom.domain.decide import decide
from valueroom.domain.errors import DomainError, InvalidCommand
from valueroom.domain.events import Actor, Event
from valueroom.domain.method import CLOSED, catalog
from valueroom.domain.permissions import allowed_for
from valueroom.domain.rules import Rules
from valueroom.domain.state import RoomState, View
from valueroom.domain.views import SPLIT_EVENTS, preview_split, shared_split
from valueroom.domain.visibility import NEUTRAL, ROLES, bit, is_party
from valueroom.protocol import frames
from valueroom.protocol.schema import SCHEMA
from valueroom.rooms import snapshots
from valueroom.rooms.presence import SharedPresence
from valueroom.store import chain
from valueroom.store.base import (
    Conflict,
    RoomRecord,
    Store,
    StoreError,
    pack_event,
    unpack_event,
)

__all__ = [
    "CLOSE_ERASED",
    "CLOSE_REMOVED",
    "CLOSE_REVOKED",
    "RESUME_WINDOW",
    "LiveRoom",
    "Member",
    "MemberRemoved",
    "Outbox",
    "RoomClosed",
    "RoomFull",
]

log = logging.getLogger(__name__)

MAX_BATCH = 512
# Close codes of members removed by the room's lifecycle (documented in edge/ws.py).
CLOSE_REVOKED = 4403
CLOSE_ERASED = 4410
CLOSE_REMOVED = 4411
PRESENCE_INTERVAL = 0.1
# The schema's longest display name: a suffixed name stays within it.
NAME_MAX: int = SCHEMA["types"]["Name"]["max"]
# Conditional appends that lose to another process are retried after a
# randomised, growing pause (capped), so two busy processes cannot starve
# one of them; past this many losses the commands get a ``busy`` error.
MAX_RETRIES = 40
RETRY_PAUSE_CAP = 0.05
#: How many of the latest log events a loaded room keeps: a resume that
#: missed fewer than this is streamed from here, an older one gets a fresh
#: welcome. It also covers a rollback to the last snapshot (at most
#: SNAPSHOT_EVERY + MAX_BATCH events back), and lets a young room keep no
#: encoded snapshot at all: its first is written before the window could
#: forget its first event.
RESUME_WINDOW = 2048
assert RESUME_WINDOW >= snapshots.SNAPSHOT_EVERY + MAX_BATCH


class RoomClosed(Exception):
    """The room was unloaded while a caller was using it; look it up again."""


class RoomFull(Exception):
    """The room (``join.room_full``) or its role's link (``join.link_full``) is at its limit."""

    def __init__(self, reason: str, limit: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


class MemberRemoved(Exception):
    """This member was removed from its role's link (``member.removed``)."""


class Probe:
    """What a room reports for the operator's metrics; this one ignores it (see edge.metrics)."""

    def appended(self, seconds: float, events: int) -> None:
        """One append of ``events`` took ``seconds`` (store latency)."""

    def fanned_out(self, seconds: float) -> None:
        """Handing one batch's events, acks and splits to every member's queue took ``seconds``."""

    def decided(self, commands: int) -> None:
        """``commands`` commands were decided (accepted or refused)."""


class Outbox(Protocol):
    """Where a member's frames go. ``push`` and ``stream`` never block and never raise."""

    def push(self, frame: bytes) -> None: ...

    def stream(self, frames: Iterator[bytes]) -> None:
        """Send ``frames`` after what is queued, pulling them only as the peer reads."""

    def push_latest(self, frame: bytes) -> None:
        """Queue ``frame`` in place of the previous ``push_latest`` frame if that has not left yet."""

    def close(self, code: int, reason: str) -> None: ...


@dataclass(eq=False, slots=True)
class Member:
    """One connection in a room.

    ``id`` is the member's (see :func:`valueroom.rooms.invites.member_id`):
    the same for every connection and reconnection of one browser in one
    role. ``conn`` tells this connection from the member's others.
    """

    id: str
    role: str
    name: str
    outbox: Outbox
    editing: str | None = None
    conn: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    bit: int = field(init=False)

    def __post_init__(self) -> None:
        self.bit = bit(self.role)

    @property
    def actor(self) -> Actor:
        return Actor(self.role, self.name)

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "name": self.name, "editing": self.editing}


@dataclass(slots=True)
class _Command:
    member: Member
    op: str
    name: str
    args: dict[str, Any]


@dataclass(slots=True)
class _Access:
    """A neutral member received sealed figures: to be recorded in the log."""

    member: Member
    sealed: tuple[str, str, int]
    how: str


@dataclass(slots=True)
class _Join:
    member: Member
    resume: dict[str, Any] | None
    done: asyncio.Future[None]


class _Wire(dict[str, Any]):
    """A view's wire form that the room can hold weakly (see ``LiveRoom._wire_view``)."""

    __slots__ = ("__weakref__",)


class LiveRoom:
    """A room loaded in this process. Create with :meth:`load`."""

    def __init__(
        self,
        record: RoomRecord,
        store: Store,
        *,
        on_idle: Callable[[LiveRoom], None],
        process_id: str = "",
        rules: Rules | None = None,
        clock: Callable[[], int] = now_ms,
        members_per_room: int = 1000,
        members_per_link: int = 1000,
        probe: Probe | None = None,
    ) -> None:
        self.id = record.room_id
        self.probe = probe or Probe()
        self.members_per_room = members_per_room
        self.members_per_link = members_per_link
        self.record = record
        self.store = store
        self.rules = rules or Rules()
        self.state = RoomState(self.rules)
        # Connections by ``Member.conn``; a member may have several.
        self.members: dict[str, Member] = {}
        # Member id -> role: members removed while this room was loaded (the
        # store's record bars them too, across restarts and processes).
        self.barred: dict[str, str] = {}
        self.closed = False
        # The latest committed events with each role's number for them, and
        # per role the number it had seen just before the window's first
        # event: a resume from ``n`` can be streamed iff ``_floor[role] <= n``.
        # Events are kept in their stored form (a few hundred bytes each, a
        # fraction of the objects) and each role's number as a tuple in ROLES
        # order, 0 where the role does not see the event.
        self._window: deque[tuple[bytes, tuple[int, ...]]] = deque()
        self._floor: dict[str, int] = dict.fromkeys(ROLES, 0)
        # The last snapshot (encoded) and its position: rollbacks start there.
        # None while the window still holds every event since the room's
        # first (a young room: fewer than SNAPSHOT_EVERY events, the first
        # snapshot comes well before the window drops any), so a rollback
        # folds the window from an empty state; an idle room keeps no copy.
        self._base: bytes | None = None
        self._base_seq = 0
        self._saving: set[asyncio.Task[None]] = set()
        # The hash of the last committed event (store/chain.py): new events
        # are chained after it just before they are appended.
        self._genesis = chain.genesis(record.log_id)
        self.chain_head: bytes = self._genesis
        self.agreed_chain: bytes | None = None
        # Per role: the last welcome view made, and the view's seq then.
        # Held weakly: kept while a joiner's welcome still streams from it, not
        # for the life of an idle room.
        self._wire: dict[str, tuple[int, weakref.ReferenceType[_Wire]]] = {}
        # The split frame each role last received, so an unchanged one is not sent.
        self._split_sent: dict[str, bytes] = {}
        # The deal frame everyone here last received (one for all: public events only).
        self._deal_sent: bytes | None = None
        self._commands: deque[_Command] = deque()
        self._accesses: list[_Access] = []
        self._joins: deque[_Join] = deque()
        self._signal = asyncio.Event()
        self._behind = False
        self._on_idle = on_idle
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._presence_timer: asyncio.TimerHandle | None = None
        self._marked_closed = False
        self._presence_sent = -PRESENCE_INTERVAL
        self.presence = SharedPresence(
            self.id,
            process_id,
            store,
            lambda: [m.to_wire() for m in self.members.values()],
            self._presence_changed,
            on_control=self._control,
        )

    # -- lifecycle ---------------------------------------------------------

    @classmethod
    async def load(
        cls,
        record: RoomRecord,
        store: Store,
        *,
        on_idle: Callable[[LiveRoom], None],
        process_id: str = "",
        rules: Rules | None = None,
        members_per_room: int = 1000,
        members_per_link: int = 1000,
        probe: Probe | None = None,
    ) -> LiveRoom:
        """Subscribe first, then read the log, so no append can fall in between.

        The state is the newest valid snapshot folded forward to the log's
        end, in chunks that yield to the event loop.
        """
        room = cls(
            record,
            store,
            on_idle=on_idle,
            process_id=process_id,
            rules=rules,
            members_per_room=members_per_room,
            members_per_link=members_per_link,
            probe=probe,
        )
        await store.subscribe(room.id, room._wake)
        room.presence.start()
        try:
            restored = await snapshots.restore(
                store, room.id, room.rules, on_start=room._restoring, on_event=room._record
            )
            if restored.chain_head is not None:
                room.chain_head = restored.chain_head
            room.agreed_chain = restored.agreed_chain
            room._loaded(restored)
        except BaseException:
            room.presence.stop()
            await store.unsubscribe(room.id, room._wake)
            raise
        room._task = asyncio.create_task(room._run(), name=f"room-{room.id}")
        room._signal.set()
        return room

    def _restoring(self, state: RoomState) -> None:
        """The snapshot a load starts from: the window (filled by the fold) begins after it."""
        self.state = state
        self._floor = {role: view.seq for role, view in state.views.items()}

    def _loaded(self, restored: snapshots.Restored) -> None:
        state = restored.state
        due = restored.folded >= snapshots.SNAPSHOT_EVERY or bool(restored.invalid)
        # A room whose window holds its whole log (no stored snapshot, every
        # role's floor 0) keeps no base: a rollback folds the window from empty.
        if due or any(self._floor.values()):
            self._base = snapshots.encode_snapshot(self.id, state, self._head(), self.agreed_chain)
            self._base_seq = state.seq
            if due:
                self._save(self._base, state.seq)
        log.info(
            "room state restored: snapshot at %d, %d events folded after it, %d invalid skipped",
            restored.snapshot,
            restored.folded,
            len(restored.invalid),
        )

    def _save(self, body: bytes, seq: int) -> None:
        """Store a snapshot in the background: a failure costs a longer load later, nothing else."""

        async def save() -> None:
            try:
                await self.store.put_snapshot(self.id, seq, body)
            except Exception as exc:
                log.warning("storing the snapshot at %d failed: %r", seq, exc)

        task = asyncio.get_running_loop().create_task(save())
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    async def close(self) -> None:
        """Stop the writer and unsubscribe. Members are expected to be gone."""
        self.closed = True
        self._signal.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for join in self._joins:
            if not join.done.done():
                join.done.set_exception(RoomClosed(self.id))
        self._joins.clear()
        for saving in list(self._saving):
            with contextlib.suppress(Exception):
                await saving
        if not self._marked_closed and self.state.phase == CLOSED:
            await self._mark_closed()  # the writer may have been stopped before it did
        self._stop_presence()
        if self.presence.shared:
            await self.presence.publish(leaving=True)
        await self.store.unsubscribe(self.id, self._wake)

    @property
    def idle(self) -> bool:
        return not self.members and not self._joins and not self._commands and not self._accesses

    # -- called by connections ---------------------------------------------

    async def join(self, member: Member, resume: dict[str, Any] | None) -> None:
        """Admit ``member`` at the next batch boundary; its welcome is then queued.

        Raises :class:`RoomFull` at once when the room already has
        ``members_per_room`` members (here, joining, or on other processes),
        or its role ``members_per_link``; :class:`MemberRemoved` when the
        member was removed (here, or as another process told this one).

        A name another member of the role already shows (here or on another
        process, compared case-insensitively) gets a suffix: the second
        "Bea" of the buyer's link becomes "Bea (2)". The welcome's ``you``
        carries the name the member got.
        """
        if self.closed:
            raise RoomClosed(self.id)
        if member.id in self.barred:
            raise MemberRemoved(member.id)
        roles = [m.role for m in self.members.values()]
        roles += [j.member.role for j in self._joins]
        roles += [m["role"] for m in self.presence.remote_members()]
        if len(roles) >= self.members_per_room:
            raise RoomFull(reason="join.room_full", limit=self.members_per_room)
        if roles.count(member.role) >= self.members_per_link:
            raise RoomFull(reason="join.link_full", limit=self.members_per_link)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._joins.append(_Join(member, resume, done))
        self._signal.set()
        await done

    def leave(self, member: Member) -> None:
        if self.members.pop(member.conn, None) is not None:
            log.info("member left (%s); %d here", member.role, len(self.members))
            self._broadcast_presence()
        if self.idle:
            self._on_idle(self)

    def expel(self, code: int, reason: str, role: str | None = None) -> int:
        """Close every member (of ``role``, or all) with an error frame and ``code``; return how many.

        ``reason`` is the error's reason key (``link.revoked``, ``room.erased``).
        """
        gone = [m for m in self.members.values() if role is None or m.role == role]
        return self._close_members(gone, code, reason)

    def remove(self, member_id: str, role: str) -> int:
        """Close every connection of ``role``'s member ``member_id`` (4411, ``member.removed``); bar it.

        The member's id can no longer join this room here (the store's record
        bars it everywhere, see :mod:`valueroom.rooms.lifecycle`); the others
        stay and see presence without it. Returns how many connections closed.
        """
        self.barred[member_id] = role
        gone = [m for m in self.members.values() if m.id == member_id]
        return self._close_members(gone, CLOSE_REMOVED, "member.removed")

    def present(self, member_id: str) -> str | None:
        """The role of member ``member_id`` if it is here or on another process, else None."""
        for member in self.members.values():
            if member.id == member_id:
                return member.role
        for entry in self.presence.remote_members():
            if entry["id"] == member_id:
                return str(entry["role"])
        return None

    def _close_members(self, gone: list[Member], code: int, reason: str) -> int:
        for member in gone:
            self.members.pop(member.conn, None)
            member.outbox.push(
                frames.error(
                    None, reason.split(".")[1], "you were removed from the room", reason=reason
                )
            )
            member.outbox.close(code, reason)
        if gone:
            log.info("%d members closed (%s)", len(gone), reason)
            self._broadcast_presence()
        return len(gone)

    def revoked(self, role: str) -> int:
        """``role``'s link was reissued: close its members (4403) and lift its removals."""
        self.barred = {member: was for member, was in self.barred.items() if was != role}
        return self.expel(CLOSE_REVOKED, reason="link.revoked", role=role)

    def erased(self) -> None:
        """The room was erased: close its members, refuse new ones, and let it be unloaded."""
        self.expel(CLOSE_ERASED, reason="room.erased")
        self.closed = True
        for join in self._joins:
            if not join.done.done():
                join.done.set_exception(RoomClosed(self.id))
        self._joins.clear()
        self._on_idle(self)

    def _control(self, notice: dict[str, Any]) -> None:
        if notice.get("control") == "revoke" and notice.get("role") in ROLES:
            self.revoked(notice["role"])
        elif notice.get("control") == "erase":
            self.erased()
        elif notice.get("control") == "remove" and notice.get("role") in ROLES:
            self.remove(str(notice.get("member")), notice["role"])

    def submit(self, member: Member, op: str, name: str, args: dict[str, Any]) -> None:
        """Queue a schema-valid command; its ack or error reaches the member's outbox."""
        self._commands.append(_Command(member, op, name, args))
        self._signal.set()

    def set_editing(self, member: Member, item_id: str | None) -> None:
        if member.conn in self.members and member.editing != item_id:
            member.editing = item_id
            self._broadcast_presence()

    def handed(self, member: Member, events: list[Event], how: str) -> None:
        """``member`` was sent ``events`` outside fan-out (a history page).

        A neutral handed a party's figures under seal this way is recorded in
        the access log like any other way (``how``: ``history``).
        """
        if member.conn not in self.members:
            return
        for event in events:
            if event.vis & NEUTRAL:
                self._accessed(member, sealed_in_event(event), how)

    # -- the writer task ---------------------------------------------------

    def _wake(self, seq: int) -> None:
        if seq == 0 or seq > self.state.seq:
            self._behind = True
            self._signal.set()

    async def _run(self) -> None:
        logs.bind(room=self.id, member=None)
        # ``closed`` ends the loop even if a client library swallowed the
        # cancellation (redis-py may, while it is reading a reply).
        while not self.closed:
            await self._signal.wait()
            self._signal.clear()
            try:
                if self._behind:
                    await self._catch_up()
                while self._joins:
                    self._admit(self._joins.popleft())
                if self.presence.due:
                    await self.presence.publish()
                if self._commands:
                    batch: list[_Command | _Access] = [
                        self._commands.popleft() for _ in range(min(MAX_BATCH, len(self._commands)))
                    ]
                    await self._commit(batch)
                    if self._commands:
                        self._signal.set()
                if self._accesses:
                    await self._commit_accesses()
                if not self._marked_closed and self.state.phase == CLOSED:
                    await self._mark_closed()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The room's one boundary: whatever broke, its members are told
                # (close 1011) and reconnect to a freshly loaded room.
                log.exception("writer failed; closing %d members with 1011", len(self.members))
                self._fail()
                return

    async def _mark_closed(self) -> None:
        """Tell the store the room closed, for the retention sweep (idempotent there)."""
        try:
            await self.store.mark_closed(self.id, self._clock())
        except StoreError as exc:
            log.warning("could not mark the room closed (retried on the next batch): %s", exc)
            return
        self._marked_closed = True

    async def _commit_accesses(self) -> None:
        """Append the access-log entries queued so far (at most a batch's worth)."""
        batch: list[_Command | _Access] = list(self._accesses[:MAX_BATCH])
        del self._accesses[:MAX_BATCH]
        more = bool(self._accesses)
        await self._commit(batch)
        if more:
            self._signal.set()
        elif self.idle:
            self._on_idle(self)  # the neutral left before its access was logged

    async def _catch_up(self) -> None:
        """Fold what other processes appended, a page at a time."""
        self._behind = False
        while True:
            events = await self.store.read_page(self.id, self.state.seq, snapshots.FOLD_CHUNK)
            self._absorb(events)
            if len(events) < snapshots.FOLD_CHUNK:
                return

    def _absorb(self, events: list[Event]) -> None:
        for event in events:
            if event.seq <= self.state.seq:
                continue
            numbers = self.state.apply(event)
            self._record(event, numbers)
            self._fan_out(event, numbers)
        self._snapshot_if_due()
        if any(e.name in SPLIT_EVENTS for e in events):
            self._broadcast_split()
        if touches_deal(self.state.public, events):
            self._broadcast_deal()

    def _record(self, event: Event, numbers: dict[str, int]) -> None:
        """Remember a committed event in the window, forgetting the oldest beyond it."""
        if event.chain is not None:
            self.chain_head = event.chain
            if event.name == "deal.agreed":
                # The log's fingerprint when the agreement was made: shown on the
                # signed deal sheet (a single value, so it tells nobody when
                # private events happened).
                self.agreed_chain = event.chain
        window = self._window
        window.append((pack_event(event), tuple(numbers.get(role, 0) for role in ROLES)))
        if len(window) > RESUME_WINDOW:
            _, gone = window.popleft()
            for role, number in zip(ROLES, gone, strict=True):
                if number:
                    self._floor[role] = number

    def _snapshot_if_due(self) -> None:
        """Every SNAPSHOT_EVERY events (committed ones only), encode and store a snapshot."""
        if self.state.seq - self._base_seq < snapshots.SNAPSHOT_EVERY:
            return
        self._base = snapshots.encode_snapshot(self.id, self.state, self._head(), self.agreed_chain)
        self._base_seq = self.state.seq
        self._save(self._base, self._base_seq)

    def _head(self) -> bytes | None:
        """The chain head to record in a snapshot now (None for a log from before the chain)."""
        return None if self.state.seq == 0 or self.chain_head == self._genesis else self.chain_head

    async def _commit(self, batch: list[_Command | _Access]) -> None:
        self.probe.decided(sum(1 for command in batch if isinstance(command, _Command)))
        for attempt in range(MAX_RETRIES):
            if attempt > 1:
                await asyncio.sleep(random.uniform(0, min(RETRY_PAUSE_CAP, 0.001 * 2**attempt)))
                if self._behind:
                    await self._catch_up()
            base = self.state.seq
            decided, replies = self._decide(batch, base)
            events = chain.stamp(self.chain_head, [event for event, _ in decided])
            decided = [
                (event, numbers) for event, (_, numbers) in zip(events, decided, strict=True)
            ]
            if not events:
                self._reply(replies)
                return
            started = time.perf_counter()
            try:
                await self.store.append(self.id, base, events)
            except Conflict:
                self._rollback(base)
                await self._catch_up()
                continue
            except StoreError as exc:
                log.error("append failed: %s", exc)
                self._rollback(base)
                self._reply_error(batch, "unavailable", "the event store is unavailable; try again")
                return
            appended = time.perf_counter()
            self.probe.appended(appended - started, len(events))
            for event, numbers in decided:
                self._record(event, numbers)
                self._fan_out(event, numbers)
            self._snapshot_if_due()
            self._reply(replies)
            if any(e.name in SPLIT_EVENTS for e in events):
                self._broadcast_split()
            if touches_deal(self.state.public, events):
                self._broadcast_deal()
            self.probe.fanned_out(time.perf_counter() - appended)
            return
        self._reply_error(batch, "busy", "the room is too busy; try again")

    def _decide(
        self, batch: list[_Command | _Access], base: int
    ) -> tuple[list[tuple[Event, dict[str, int]]], list[tuple[Member, bytes]]]:
        """Decide every command, applying its events speculatively so the next sees them."""
        decided: list[tuple[Event, dict[str, int]]] = []
        replies: list[tuple[Member, bytes]] = []
        now = self._clock()
        seq = base
        for command in batch:
            member = command.member
            if isinstance(command, _Access):
                draft = record_access(member.name, command.sealed, command.how)
                seq += 1
                event = Event(seq, now, member.actor, None, draft.vis, draft.name, draft.data)
                decided.append((event, self.state.apply(event)))
                continue
            view = self.state.view(member.role)
            done = view.ops.get((member.role, member.name, command.op))
            if done is not None:
                replies.append((member, frames.ack(command.op, done)))
                continue
            try:
                drafts = decide(self.state, member.actor, command.name, command.args)
            except DomainError as exc:
                replies.append((member, frames.domain_error(command.op, exc)))
                continue
            except Exception:
                # A bug in one decision must not take the room down: decide()
                # changed nothing, so refuse this command and carry on.
                with logs.bound(room=self.id, member=member.id):
                    log.exception("deciding %s failed; answered internal_error", command.name)
                replies.append(
                    (member, frames.error(command.op, "internal_error", "this command failed"))
                )
                continue
            for draft in drafts:
                seq += 1
                event = Event(seq, now, member.actor, command.op, draft.vis, draft.name, draft.data)
                decided.append((event, self.state.apply(event)))
            replies.append((member, frames.ack(command.op, view.seq)))
        return decided, replies

    def _rollback(self, seq: int) -> None:
        """Forget speculative events after ``seq``: the last snapshot, folded on from the window."""
        if self.state.seq == seq:
            return
        if self._base is None:
            state = RoomState(self.rules)
        else:
            state = snapshots.decode_snapshot(self.id, self._base_seq, self._base, self.rules)
        for body, _ in self._window:
            event = unpack_event(body)
            if state.seq < event.seq <= seq:
                state.apply(event)
        if state.seq != seq:
            raise RuntimeError(f"rollback to {seq} reached only {state.seq}")
        self.state = state

    def _reply(self, replies: list[tuple[Member, bytes]]) -> None:
        for member, frame in replies:
            member.outbox.push(frame)

    def _reply_error(self, batch: list[_Command | _Access], code: str, message: str) -> None:
        for command in batch:
            if isinstance(command, _Command):
                command.member.outbox.push(frames.error(command.op, code, message))
            else:
                # Not lost: the neutral did receive those figures. It is logged
                # with the room's next batch (no retry loop while the store is down).
                self._accesses.append(command)

    def _fail(self) -> None:
        self.closed = True
        if self._presence_timer is not None:
            self._presence_timer.cancel()
            self._presence_timer = None
        for member in list(self.members.values()):
            member.outbox.close(1011, "room failed")
        self.members.clear()
        for join in self._joins:
            if not join.done.done():
                join.done.set_exception(RoomClosed(self.id))
        self._joins.clear()
        self._on_idle(self)

    # -- joining -------------------------------------------------------------

    def _admit(self, join: _Join) -> None:
        member = join.member
        if join.done.done():  # the connection went away while waiting
            return
        if member.id in self.barred:
            join.done.set_exception(MemberRemoved(member.id))
            return
        member.name = self._unique_name(member)
        view = self.state.view(member.role)
        room = view.room
        decimals = self.rules.decimals(room.currency) if room else 2
        resume = join.resume
        resumed = (
            resume is not None
            and resume["log_id"] == self.record.log_id
            and self._floor[member.role] <= resume["seq"] <= view.seq
        )
        method = {**catalog(), "permissions": allowed_for(member.role)}
        if resumed:
            member.outbox.push(
                frames.welcome(
                    log_id=self.record.log_id,
                    seq=view.seq,
                    you=member.to_wire(),
                    resumed=True,
                    view=None,
                    currency_decimals=decimals,
                    method=method,
                )
            )
        else:
            # A large view goes as a skeleton and parts, streamed as the socket drains.
            head, parts = frames.welcome_frames(
                log_id=self.record.log_id,
                seq=view.seq,
                you=member.to_wire(),
                view=self._wire_view(view),
                currency_decimals=decimals,
                method=method,
            )
            member.outbox.push(head)
            if parts is not None:
                member.outbox.stream(parts)
        if resumed:
            assert resume is not None
            missed = self._missed(member.role, resume["seq"])
            if member.role == "neutral":
                for body, _ in missed:
                    self._accessed(member, sealed_in_event(unpack_event(body)), "resume")
            if missed:
                member.outbox.stream(_event_frames(missed, member.role))
        else:
            self._accessed(member, sealed_in_view(view), "welcome")
        member.outbox.push(self._deal_frame())
        member.outbox.push(self._split_frame(member.role))
        self.members[member.conn] = member
        with logs.bound(room=self.id, member=member.id):
            log.info(
                "member joined as %s (%s at %d); %d here",
                member.role,
                "resumed" if resumed else "welcomed",
                view.seq,
                len(self.members),
            )
        self._broadcast_presence()
        join.done.set_result(None)

    def _unique_name(self, member: Member) -> str:
        """``member.name``, or with the first free suffix " (2)", " (3)", ... in its role."""
        taken = {
            m.name.casefold()
            for m in self.members.values()
            if m.role == member.role and m.id != member.id
        }
        taken |= {
            str(m["name"]).casefold()
            for m in self.presence.remote_members()
            if m["role"] == member.role and m["id"] != member.id
        }
        name = member.name
        number = 1
        while name.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            name = member.name[: NAME_MAX - len(suffix)].rstrip() + suffix
        return name

    def _wire_view(self, view: View) -> dict[str, Any]:
        """``view.to_wire()``, shared by the joiners of one role while the view is unchanged.

        Never mutated once made, so the welcome parts of many joiners (even
        ones that read nothing) are cut from one copy, not one each.
        """
        cached = self._wire.get(view.role)
        if cached is not None and cached[0] == view.seq:
            alive = cached[1]()
            if alive is not None:
                return alive
        wire = _Wire(view.to_wire())
        self._wire[view.role] = (view.seq, weakref.ref(wire))
        return wire

    def _missed(self, role: str, after: int) -> list[tuple[bytes, int]]:
        """The window's events ``role`` numbers above ``after`` (stored form), with those numbers."""
        index = ROLES.index(role)
        missed: list[tuple[bytes, int]] = []
        for body, numbers in reversed(self._window):
            number = numbers[index]
            if not number:
                continue
            if number <= after:
                break
            missed.append((body, number))
        missed.reverse()
        return missed

    # -- fan-out -------------------------------------------------------------

    def _fan_out(self, event: Event, numbers: dict[str, int]) -> None:
        """Send ``event`` to every member whose role sees it, encoded once per role."""
        encoded: dict[str, bytes] = {}
        sealed = sealed_in_event(event) if event.vis & NEUTRAL else []
        for member in list(self.members.values()):
            seq = numbers.get(member.role)
            if seq is None:
                continue
            frame = encoded.get(member.role)
            if frame is None:
                frame = encoded[member.role] = frames.event(event, member.role, seq)
            member.outbox.push(frame)
            if sealed:
                self._accessed(member, sealed, "live")

    def _accessed(self, member: Member, sealed: list[tuple[str, str, int]], how: str) -> None:
        """Queue access-log entries when a neutral member was handed sealed figures."""
        if member.role != "neutral" or not sealed:
            return
        self._accesses.extend(_Access(member, entry, how) for entry in sealed)
        self._signal.set()

    def _broadcast_presence(self) -> None:
        """A local member came, left or moved focus: tell everyone here and elsewhere."""
        self.presence.local_changed()
        self._presence_changed()

    def _presence_changed(self) -> None:
        """Send presence soon: at once after a quiet spell, else when the interval is up."""
        if self._presence_timer is not None or self.closed:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._presence_sent + PRESENCE_INTERVAL - loop.time())
        self._presence_timer = loop.call_later(delay, self._send_presence)

    def _send_presence(self) -> None:
        self._presence_timer = None
        self._presence_sent = asyncio.get_running_loop().time()
        frame = self.presence.frame()
        for member in list(self.members.values()):
            member.outbox.push_latest(frame)
        if self.presence.due:
            self._signal.set()

    def _stop_presence(self) -> None:
        if self._presence_timer is not None:
            self._presence_timer.cancel()
            self._presence_timer = None
        self.presence.stop()

    def _split_frame(self, role: str) -> bytes:
        """The split frame for ``role`` now; remembered as the last one that role received."""
        preview = preview_split(self.state, role) if is_party(role) else None
        frame = frames.split(shared_split(self.state), preview)
        self._split_sent[role] = frame
        return frame

    def _deal_frame(self) -> bytes:
        """The deal frame now (the same for every role); remembered as the last one sent."""
        public = self.state.public
        fingerprint = None if self.agreed_chain is None else self.agreed_chain.hex()
        self._deal_sent = frames.deal(deal_sheet(public), fingerprint)
        return self._deal_sent

    def _broadcast_deal(self) -> None:
        """Send everyone here the deal sheet, but only when it changed."""
        before = self._deal_sent
        frame = self._deal_frame()
        if frame == before:
            return
        for member in list(self.members.values()):
            member.outbox.push(frame)

    def export(self, member: Member, room_id: str, fmt: str) -> bytes:
        """A member's export of this room, built from its own role's view only.

        Refused (``export.other_room``) when the request names another room:
        a connection exports the room it joined, nothing else.
        """
        if room_id != self.id:
            raise InvalidCommand(
                "a connection can only export the room it joined",
                reason="export.other_room",
                field="room",
            )
        content = export_content(self.state, member.role)
        room = self.state.public.room
        decimals = self.rules.decimals(room.currency) if room is not None else 2
        filename = f"valueroom-{self.id}-{member.role}.{fmt}"
        return frames.export(fmt, filename, content, decimals)

    def _broadcast_split(self) -> None:
        """Send each role its split frame, but only when it differs from the last one it got."""
        changed: dict[str, bytes | None] = {}
        for member in list(self.members.values()):
            role = member.role
            if role not in changed:
                before = self._split_sent.get(role)
                frame = self._split_frame(role)
                changed[role] = None if frame == before else frame
            update = changed[role]
            if update is not None:
                member.outbox.push(update)


def _event_frames(missed: list[tuple[bytes, int]], role: str) -> Iterator[bytes]:
    """Encode a catch-up's frames one at a time, as the connection asks for them."""
    for body, number in missed:
        yield frames.event(unpack_event(body), role, number)
