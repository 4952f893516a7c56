"""The facilitator's tools: the agenda lock, a round timer, process notes.

All public: everyone sees the lock, the timer and the notes. The timer event
carries its duration and label; clients count down from the event's ``at``,
so the core never reads a clock.
"""

from __future__ import annotations

from typing import Any

from valueroom.domain.commands.common import Handler
from valueroom.domain.errors import InvalidCommand, LimitReached
from valueroom.domain.events import Actor, Draft
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PUBLIC

__all__ = ["HANDLERS"]


def _lock(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    if state.public.locked == args["locked"]:
        return []
    return [Draft("agenda.locked", {"locked": args["locked"]}, PUBLIC)]


def _timer_set(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    data = {"seconds": args["seconds"], "label": args.get("label", "")}
    return [Draft("timer.started", data, PUBLIC)]


def _timer_clear(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    if state.public.timer is None:
        return []
    return [Draft("timer.cleared", {}, PUBLIC)]


def _note_missing(note_id: str) -> InvalidCommand:
    return InvalidCommand(
        f"there is no process note {note_id!r}", reason="note.not_found", field="note_id"
    )


def _note_add(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    notes = state.public.notes
    if args["note_id"] in notes:
        raise InvalidCommand(
            "a process note with that id exists already", reason="note.exists", field="note_id"
        )
    most = state.rules.max_notes
    if len(notes) >= most:
        raise LimitReached(
            f"a room holds at most {most} process notes",
            reason="notes.full",
            params={"max": most},
        )
    return [Draft("note.added", {"note_id": args["note_id"], "text": args["text"]}, PUBLIC)]


def _note_edit(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    note = state.public.notes.get(args["note_id"])
    if note is None:
        raise _note_missing(args["note_id"])
    if note.text == args["text"]:
        return []
    return [Draft("note.edited", {"note_id": note.id, "text": args["text"]}, PUBLIC)]


def _note_remove(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    note = state.public.notes.get(args["note_id"])
    if note is None:
        raise _note_missing(args["note_id"])
    return [Draft("note.removed", {"note_id": note.id}, PUBLIC)]


HANDLERS: dict[str, Handler] = {
    "agenda.lock": _lock,
    "timer.set": _timer_set,
    "timer.clear": _timer_clear,
    "note.add": _note_add,
    "note.edit": _note_edit,
    "note.remove": _note_remove,
}
