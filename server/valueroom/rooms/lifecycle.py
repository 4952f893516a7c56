"""A room's links and its end: revoke and reissue a role's link, erase the room.

Who may: the room's creator (the creator token returned when the room was
created) and its neutral (the neutral's invite token). Promises:

* :func:`reissue` replaces a role's invite secret in the store; the old link
  stops working at once, and every member who joined through it is closed
  with 4403 (after an ``error`` ``revoked``, reason ``link.revoked``), on this
  process and, through the store's notices, on every other one serving the
  room. It returns the new token.
* :func:`remove` removes one member (see :func:`valueroom.rooms.invites.member_id`)
  from its role's link: every connection of that member closes with 4411
  (after an ``error`` ``removed``, reason ``member.removed``) on every
  process, and the room's record bars the member's id from the link until
  the link is reissued, so a reload, a resume or a restart does not bring it
  back. The others stay and see presence without it. Only a member who is
  here (on this process or announced by another) can be removed.
* Both change the room's record by reading and rewriting it, one at a time
  in this process (``Registry.records``). Two processes changing one room's
  record at the same moment could still undo one another: managing a room
  is rare and done by one or two people, so the store has no compare-and-set
  for it (yet).
* :func:`erase` closes every member (4410, ``room.erased``), unloads the room
  and deletes its record and its whole log from the store. Afterwards no row
  or key of the store names the room.
* :func:`keep_for` (``--retention``): a room that reached the closed phase is
  erased that long after it closed, by whichever process sweeps first. The
  sweep runs every quarter of the retention (at most every minute).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from valueroom import logs
from valueroom.clock import now_ms
from valueroom.domain.visibility import ROLES
from valueroom.protocol.codec import encode
from valueroom.rooms import invites
from valueroom.rooms.registry import Registry
from valueroom.store.base import StoreError

__all__ = ["RemovalRefused", "authorize", "erase", "keep_for", "reissue", "remove", "sweep"]

log = logging.getLogger(__name__)


class RemovalRefused(Exception):
    """A removal that cannot be done: ``reason`` is ``member.unknown`` or ``member.too_many``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


async def authorize(registry: Registry, room_id: str, token: str) -> str | None:
    """The managing role (``creator`` or ``neutral``) ``token`` grants over ``room_id``, or None."""
    parsed = invites.parse(token)
    if parsed is None or parsed[0] != room_id:
        return None
    record = await registry.store.room(room_id)
    if record is None:
        return None
    role = invites.role_for(parsed[1], record.secret_hashes)
    return role if role in invites.MANAGERS else None


async def reissue(registry: Registry, room_id: str, role: str) -> str | None:
    """Revoke ``role``'s link and mint a new one; None if the room has no such role."""
    if role not in ROLES:
        return None
    async with registry.records:
        record = await registry.store.room(room_id)
        if record is None or role not in record.secret_hashes:
            return None
        (invite,) = invites.mint(room_id, (role,))
        # A new link is a fresh start: the members removed from the old one are forgotten.
        digests = invites.unbar(record.secret_hashes, role)
        if not await registry.store.set_secrets(room_id, {**digests, role: invite.digest}):
            return None
    with logs.bound(room=room_id, member=None):
        log.info("%s link revoked and reissued", role)
    room = registry.rooms.get(room_id)
    if room is not None:
        room.revoked(role)
    await _tell_others(registry, room_id, {"control": "revoke", "role": role})
    return invite.token


async def remove(registry: Registry, room_id: str, member_id: str) -> str:
    """Remove member ``member_id`` from the room everywhere; return its role.

    Raises :class:`RemovalRefused` (``member.unknown``) when no member with
    that id is here, and (``member.too_many``) when the record already bars
    :data:`~valueroom.rooms.invites.MAX_REMOVED` members (reissue a link to
    start it afresh). The bar is stored before anyone is closed, so a closed
    member cannot slip back in.
    """
    room = registry.rooms.get(room_id)
    role = room.present(member_id) if room is not None else None
    if room is None or role is None:
        raise RemovalRefused("member.unknown", "no member with that id is in the room")
    async with registry.records:
        record = await registry.store.room(room_id)
        if record is None:
            raise RemovalRefused("member.unknown", "the room is gone")
        digests = record.secret_hashes
        if sum(key.startswith(invites.REMOVED) for key in digests) >= invites.MAX_REMOVED:
            raise RemovalRefused(
                "member.too_many", "too many members removed; reissue a link first"
            )
        if not await registry.store.set_secrets(room_id, invites.bar(digests, role, member_id)):
            raise RemovalRefused("member.unknown", "the room is gone")
    room.remove(member_id, role)
    with logs.bound(room=room_id, member=member_id):
        log.info("member removed from the %s link", role)
    await _tell_others(registry, room_id, {"control": "remove", "member": member_id, "role": role})
    return role


async def erase(registry: Registry, room_id: str) -> None:
    """Close the room's members everywhere, unload it, and delete it from the store."""
    room = registry.rooms.get(room_id)
    if room is not None:
        room.erased()
    await _tell_others(registry, room_id, {"control": "erase"})
    await registry.store.erase(room_id)
    with logs.bound(room=room_id, member=None):
        log.info("room erased")


async def _tell_others(registry: Registry, room_id: str, notice: dict[str, str]) -> None:
    try:
        await registry.store.notify(room_id, encode({"proc": registry.process_id, **notice}))
    except StoreError as exc:
        log.warning("could not tell the other processes (%s): %s", notice["control"], exc)


async def sweep(registry: Registry, retention: float) -> int:
    """Erase every room closed more than ``retention`` seconds ago; return how many."""
    expired = await registry.store.closed_before(now_ms() - int(retention * 1000))
    for room_id in expired:
        await erase(registry, room_id)
    return len(expired)


async def keep_for(registry: Registry, retention: float, stop: asyncio.Event) -> None:
    """Sweep until ``stop`` is set; a sweep under way is finished, never cut short.

    A failing sweep is retried at the next turn.
    """
    pause = min(max(retention / 4, 0.05), 60.0)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        if stop.is_set():
            return
        try:
            await sweep(registry, retention)
        except StoreError as exc:
            log.warning("retention sweep failed: %s", exc)
