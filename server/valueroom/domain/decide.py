"""Commands decided into events: permissions, invariants and privacy, with no I/O.

``decide(state, actor, name, args)`` returns the drafts a command produces, or
raises a :class:`~valueroom.domain.errors.DomainError`. Arguments arrive
already checked against the shared schema (types, lengths, sizes). First the
permission table (:mod:`valueroom.domain.permissions`) decides whether the
actor's role may send the command in the room's phase; then the command's
handler (:mod:`valueroom.domain.commands`) checks what only the room's state
can tell. An empty list means the command is valid and changes nothing (it is
acknowledged at the current sequence number).

Visibility is decided by the handlers, per draft: agenda and process events
are public; a party's registration is for its own team only; its caucus and
its figures under seal are for its team and the neutral; the reveal is public
and carries both parties' figures in one event, so both sides learn them at
the same moment.
"""

from __future__ import annotations

from typing import Any

from valueroom.domain import permissions
from valueroom.domain.agreement import consequences
from valueroom.domain.commands import HANDLERS
from valueroom.domain.events import Actor, Draft
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PUBLIC

__all__ = ["create_room", "decide"]


def create_room(
    room_id: str, title: str, buyer_org: str, seller_org: str, currency: str, neutral: bool
) -> list[Draft]:
    """The first event of every room's log."""
    data = {
        "id": room_id,
        "title": title,
        "buyer_org": buyer_org,
        "seller_org": seller_org,
        "currency": currency,
        "neutral": neutral,
    }
    return [Draft("room.created", data, PUBLIC)]


def decide(state: RoomState, actor: Actor, name: str, args: dict[str, Any]) -> list[Draft]:
    """Decide command ``name`` sent by ``actor``; raise a DomainError to refuse it."""
    permissions.check(name, actor.role, state.phase)
    return consequences(state, actor, name, HANDLERS[name](state, actor, args))
