"""Presence across every process serving a room: who is here, in which role, editing what.

Presence is ephemeral: it is never appended to the log. Each process knows
its own members; when several processes share a store (Redis), each one
publishes its member list on the room's channel whenever it changes and every
``heartbeat`` seconds, and forgets another process's list ``ttl`` seconds
after last hearing it (a process that died stops counting). A process that
loads the room asks the others to publish at once, so a newcomer sees
everyone without waiting for a heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from valueroom.protocol import frames
from valueroom.protocol.codec import decode_trusted, encode
from valueroom.store.base import Store, StoreError

__all__ = ["SharedPresence"]

log = logging.getLogger(__name__)


class SharedPresence:
    def __init__(
        self,
        room_id: str,
        process_id: str,
        store: Store,
        local: Callable[[], list[dict[str, Any]]],
        on_change: Callable[[], None],
        *,
        on_control: Callable[[dict[str, Any]], None] = lambda notice: None,
        heartbeat: float = 10.0,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.room_id = room_id
        self.process_id = process_id
        self.store = store
        self.shared = store.shares_rooms
        self._local = local
        self._on_change = on_change
        self._on_control = on_control
        self._remote: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._heartbeat = heartbeat
        self._ttl = ttl
        self._clock = clock
        self._timer: asyncio.TimerHandle | None = None
        self._ask = True
        self.due = self.shared

    def start(self) -> None:
        if self.shared:
            self.store.listen(self.room_id, self.on_notice)
            self._timer = asyncio.get_running_loop().call_later(self._heartbeat, self._beat)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.shared:
            self.store.unlisten(self.room_id, self.on_notice)

    def members(self) -> list[dict[str, Any]]:
        """This process's members, then every other live process's, for the presence frame.

        One entry per member: a member with several connections (two tabs,
        or a reconnect while the old socket is not yet dropped) is listed
        once, editing what any of its connections edits.
        """
        now = self._clock()
        everyone = self._local()
        for expires, members in self._remote.values():
            if expires > now:
                everyone.extend(members)
        listed: dict[str, dict[str, Any]] = {}
        for member in everyone:
            first = listed.get(member["id"])
            if first is None:
                listed[member["id"]] = member
            elif first["editing"] is None and member["editing"] is not None:
                listed[member["id"]] = {**first, "editing": member["editing"]}
        return list(listed.values())

    def remote_members(self) -> list[dict[str, Any]]:
        """The members other live processes last announced."""
        now = self._clock()
        return [m for expires, members in self._remote.values() if expires > now for m in members]

    def frame(self) -> bytes:
        return frames.presence(self.members())

    def local_changed(self) -> None:
        self.due = self.shared

    def on_notice(self, payload: bytes) -> None:
        try:
            notice = decode_trusted(payload)
            if isinstance(notice, dict) and "control" in notice:
                # A link revoked or the room erased by another process (see rooms.lifecycle).
                if notice.get("proc") != self.process_id:
                    self._on_control(notice)
                return
            sender = notice["proc"]
            members = [
                {"id": m["id"], "role": m["role"], "name": m["name"], "editing": m["editing"]}
                for m in notice["members"]
            ]
            ask = bool(notice.get("ask"))
        except (ValueError, TypeError, KeyError):
            log.warning("room %s: ignoring a malformed presence notice", self.room_id)
            return
        if sender == self.process_id:
            return
        if members:
            self._remote[sender] = (self._clock() + self._ttl, members)
        else:
            self._remote.pop(sender, None)
        if ask:
            self.due = True
        self._on_change()

    async def publish(self, *, leaving: bool = False) -> None:
        """Tell the other processes who is here (nobody, when ``leaving``)."""
        self.due = False
        members = [] if leaving else self._local()
        notice = {"proc": self.process_id, "members": members, "ask": self._ask}
        self._ask = False
        try:
            await self.store.notify(self.room_id, encode(notice))
        except StoreError as exc:
            log.warning("room %s: could not publish presence: %s", self.room_id, exc)

    def _beat(self) -> None:
        now = self._clock()
        expired = [proc for proc, (expires, _) in self._remote.items() if expires <= now]
        for proc in expired:
            del self._remote[proc]
        self.due = True
        self._on_change()
        self._timer = asyncio.get_running_loop().call_later(self._heartbeat, self._beat)
