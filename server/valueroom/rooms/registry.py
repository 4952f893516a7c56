"""The rooms this process has loaded: load on first join, unload when idle.

Promises: at most one :class:`LiveRoom` per room id per process; a room with
no members and nothing pending is unloaded after ``idle_seconds`` (0 unloads
at once); a join racing an unload loads the room again rather than failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from valueroom import logs
from valueroom.clock import now_ms
from valueroom.domain.agreement import next_round
from valueroom.domain.decide import create_room
from valueroom.domain.events import Draft, Event
from valueroom.domain.rules import Rules
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PARTIES, ROLES
from valueroom.rooms import invites
from valueroom.rooms.live import LiveRoom, Member, Probe, RoomClosed
from valueroom.store import chain
from valueroom.store.base import RoomRecord, Store

__all__ = ["CreatedRoom", "Registry"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CreatedRoom:
    room_id: str
    log_id: str
    tokens: dict[str, str]  # role -> invite token
    creator_token: str  # manages the room (rooms.lifecycle); joins no role


class Registry:
    def __init__(
        self,
        store: Store,
        *,
        idle_seconds: float = 30.0,
        rules: Rules | None = None,
        members_per_room: int = 1000,
        members_per_link: int = 1000,
    ) -> None:
        self.store = store
        self.members_per_room = members_per_room
        self.members_per_link = members_per_link
        # What rooms report for the operator's metrics (set by the edge when they are on).
        self.probe = Probe()
        self.idle_seconds = idle_seconds
        self.rules = rules or Rules()
        self.rooms: dict[str, LiveRoom] = {}
        # Tells this process's presence notices from other processes' ones.
        self.process_id = invites.new_id(9)
        self._loading: dict[str, asyncio.Task[LiveRoom]] = {}
        self._unloads: dict[str, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task[None]] = set()
        # Serialises this process's read-modify-writes of room records (a link
        # reissued, a member removed), so neither undoes the other.
        self.records = asyncio.Lock()

    async def create(
        self,
        *,
        title: str,
        buyer_org: str,
        seller_org: str,
        currency: str,
        neutral: bool,
        seed: Sequence[Draft] = (),
    ) -> CreatedRoom:
        """Create a room; ``seed`` drafts follow its ``room.created`` (a next round's agenda)."""
        room_id = invites.new_id()
        roles = ROLES if neutral else PARTIES
        minted = invites.mint(room_id, (*roles, invites.CREATOR))
        now = now_ms()
        record = RoomRecord(
            room_id=room_id,
            log_id=invites.new_id(12),
            created_at=now,
            secret_hashes={invite.role: invite.digest for invite in minted},
        )
        drafts = [*create_room(room_id, title, buyer_org, seller_org, currency, neutral), *seed]
        first: Sequence[Event] = chain.stamp(
            chain.genesis(record.log_id),
            [Event(i, now, None, None, d.vis, d.name, d.data) for i, d in enumerate(drafts, 1)],
        )
        await self.store.create_room(record, first)
        with logs.bound(room=room_id, member=None):
            log.info("room created (%s)", "with a neutral" if neutral else "two parties")
        tokens = {i.role: i.token for i in minted}
        creator = tokens.pop(invites.CREATOR)
        return CreatedRoom(room_id, record.log_id, tokens, creator)

    async def next_round(
        self, token: str, *, title: str, carry_figures: bool
    ) -> CreatedRoom | None:
        """Create the next round of the room ``token`` opens; None if the token opens none.

        The new room keeps the organisations, the currency and whether a
        neutral takes part; its agenda is what both parties agreed (see
        :func:`valueroom.domain.agreement.next_round`). With
        ``carry_figures``, a party's own figures come along, for its team
        only; nobody can carry the other side's. Raises a DomainError
        (``round.not_agreed``) for a room without a signed agreement. The old
        room is read from the store and folded once (its rooms stay as they are).
        """
        found = await self.authenticate(token)
        if found is None:
            return None
        record, role = found
        state = RoomState.fold(await self.store.read(record.room_id), self.rules)
        seed = next_round(state, role if carry_figures else None)
        room = state.public.room
        assert room is not None
        return await self.create(
            title=title,
            buyer_org=room.buyer_org,
            seller_org=room.seller_org,
            currency=room.currency,
            neutral=room.neutral,
            seed=seed,
        )

    async def authenticate(self, token: str) -> tuple[RoomRecord, str] | None:
        """The room and role an invite token grants, or None (the creator's token joins no role)."""
        parsed = invites.parse(token)
        if parsed is None:
            return None
        room_id, secret = parsed
        record = await self.store.room(room_id)
        if record is None:
            return None
        role = invites.role_for(secret, record.secret_hashes)
        return None if role not in ROLES else (record, role)

    async def join(
        self, record: RoomRecord, member: Member, resume: dict[str, object] | None
    ) -> LiveRoom:
        """Admit ``member`` to the room, loading it if needed; return the live room."""
        for _ in range(5):
            room = await self._get(record)
            self._cancel_unload(room.id)
            try:
                await room.join(member, resume)
            except RoomClosed:
                continue
            return room
        raise RoomClosed(record.room_id)

    async def _get(self, record: RoomRecord) -> LiveRoom:
        room = self.rooms.get(record.room_id)
        if room is not None and not room.closed:
            return room
        task = self._loading.get(record.room_id)
        if task is None:
            task = asyncio.create_task(self._load(record))
            self._loading[record.room_id] = task
        # Shielded: a joiner that goes away must not cancel the load for the others.
        return await asyncio.shield(task)

    async def _load(self, record: RoomRecord) -> LiveRoom:
        logs.bind(room=record.room_id, member=None)
        try:
            room = await LiveRoom.load(
                record,
                self.store,
                on_idle=self._idle,
                process_id=self.process_id,
                rules=self.rules,
                members_per_room=self.members_per_room,
                members_per_link=self.members_per_link,
                probe=self.probe,
            )
            self.rooms[record.room_id] = room
            log.info("room loaded: %d events", room.state.seq)
            return room
        finally:
            del self._loading[record.room_id]

    def _idle(self, room: LiveRoom) -> None:
        self._cancel_unload(room.id)
        loop = asyncio.get_running_loop()
        if room.closed or self.idle_seconds <= 0:
            self._unload(room)
        else:
            self._unloads[room.id] = loop.call_later(self.idle_seconds, self._unload, room)

    def _cancel_unload(self, room_id: str) -> None:
        handle = self._unloads.pop(room_id, None)
        if handle is not None:
            handle.cancel()

    def _unload(self, room: LiveRoom) -> None:
        self._unloads.pop(room.id, None)
        if not room.closed and not room.idle:
            return
        if self.rooms.get(room.id) is room:
            del self.rooms[room.id]
        with logs.bound(room=room.id, member=None):
            log.info("room unloaded: %d events", room.state.seq)
        task = asyncio.get_running_loop().create_task(room.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for handle in self._unloads.values():
            handle.cancel()
        self._unloads.clear()
        rooms = list(self.rooms.values())
        self.rooms.clear()
        for room in rooms:
            with logs.bound(room=room.id, member=None):
                log.info("room unloaded at shutdown: %d events", room.state.seq)
            await room.close()
        for task in list(self._closing):
            with contextlib.suppress(asyncio.CancelledError):
                await task
