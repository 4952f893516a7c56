"""The caucus: a private channel between the neutral and one party's team.

Messages are ``caucus.posted`` events visible to that party's team and the
neutral only (``with_neutral(party)``): the other party receives them in no
frame, snapshot, catch-up or error. It sees only *that* a caucus is going on:
``caucus.opened`` and ``caucus.closed`` are public and name the party, with no
content. Either the neutral or that party opens and closes it; messages only
while it is open. A party can never open, close or write in the other
party's caucus (``caucus.own_only``).

Each caucus also has one shared note (``caucus.note``): a text the neutral and
that party's team keep together across the session (what was asked, what
remains to check), open or not, in the same audience as the messages.
"""

from __future__ import annotations

from typing import Any

from valueroom.domain.commands.common import Handler, own_party, require_neutral
from valueroom.domain.errors import InvalidCommand
from valueroom.domain.events import Actor, Draft
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PUBLIC, with_neutral

__all__ = ["HANDLERS"]


def _open(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    require_neutral(state)
    party = own_party(actor, args["party"], reason="caucus.own_only")
    if state.public.caucus[party]:
        return []
    return [Draft("caucus.opened", {"party": party}, PUBLIC)]


def _close(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    require_neutral(state)
    party = own_party(actor, args["party"], reason="caucus.own_only")
    if not state.public.caucus[party]:
        return []
    return [Draft("caucus.closed", {"party": party}, PUBLIC)]


def _post(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    require_neutral(state)
    party = own_party(actor, args["party"], reason="caucus.own_only")
    if not state.public.caucus[party]:
        raise InvalidCommand(
            "open the caucus before writing in it", reason="caucus.not_open", field="party"
        )
    return [Draft("caucus.posted", {"party": party, "text": args["text"]}, with_neutral(party))]


def _note(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    require_neutral(state)
    party = own_party(actor, args["party"], reason="caucus.own_only")
    if state.view(actor.role).caucus_notes[party] == args["text"]:
        return []
    return [Draft("caucus.noted", {"party": party, "text": args["text"]}, with_neutral(party))]


HANDLERS: dict[str, Handler] = {
    "caucus.note": _note,
    "caucus.open": _open,
    "caucus.close": _close,
    "caucus.post": _post,
}
