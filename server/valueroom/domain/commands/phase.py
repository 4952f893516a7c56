"""Moving the room between the method's phases.

With a neutral in the room, only the neutral moves the phase (``phase.set``),
to any phase, back or forth. Without one, a phase change takes both parties:
one proposes (``phase.proposed``, public), the other proposes the same phase
and the room moves (``phase.changed``); a party may replace or withdraw its
own proposal until then. A change clears both proposals. ``closed`` is final:
the permission table refuses every command in a closed room.
"""

from __future__ import annotations

from typing import Any

from valueroom.domain.commands.common import Handler, acting_party
from valueroom.domain.errors import InvalidCommand, NotPermitted
from valueroom.domain.events import Actor, Draft
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PUBLIC, other

__all__ = ["HANDLERS"]


def _changed(state: RoomState, phase: str) -> Draft:
    return Draft("phase.changed", {"phase": phase, "from": state.phase}, PUBLIC)


def _phase_set(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    if args["phase"] == state.phase:
        return []
    return [_changed(state, args["phase"])]


def _phase_propose(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    room = state.public.room
    if room is not None and room.neutral:
        raise NotPermitted(
            "in a room with a neutral third party, the neutral moves the phase",
            reason="phase.neutral_moves",
        )
    party = acting_party(actor)
    phase = args["phase"]
    proposals = state.public.proposals
    if phase is None:
        if proposals[party] is None:
            return []
        return [Draft("phase.proposed", {"party": party, "phase": None}, PUBLIC)]
    if phase == state.phase:
        raise InvalidCommand(
            "the room is in that phase already", reason="phase.current", field="phase"
        )
    if proposals[other(party)] == phase:
        return [_changed(state, phase)]
    if proposals[party] == phase:
        return []
    return [Draft("phase.proposed", {"party": party, "phase": phase}, PUBLIC)]


HANDLERS: dict[str, Handler] = {
    "phase.set": _phase_set,
    "phase.propose": _phase_propose,
}
