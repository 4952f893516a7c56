"""A room's state as plain data, and back: the content of a stored snapshot.

:func:`to_record` turns a :class:`~valueroom.domain.state.RoomState` (every
role's view and the public view, each exactly as ``RoomState.apply`` folded
it) into dicts, lists, strings, integers, booleans and None; :func:`from_record`
rebuilds an equal state. Nothing is filtered or recomputed here: a snapshot
of a role's view *is* that view, so restoring a snapshot and folding on gives
the same views as folding the whole log (``tests/test_snapshots.py`` checks
it on generated sessions). The record holds everything a view holds,
including what is never sent (op ids, seal versions): it is stored, never
sent as is.

The same state always gives the same record, in the same order (the views'
dicts keep the fold's insertion order), so its encoding is canonical and its
digest can be checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from valueroom.domain.rules import Rules
from valueroom.domain.state import (
    Access,
    Commitment,
    FigureRecord,
    Item,
    Message,
    Note,
    RoomInfo,
    RoomState,
    Seal,
    View,
)
from valueroom.domain.visibility import ROLES

__all__ = ["FORMAT", "from_record", "to_record"]

#: Bumped whenever the record's shape changes; an older snapshot is then ignored.
FORMAT = 5  # 5: figures may carry a range (uncertain figures)


def _plain(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


# View fields that hold objects or tuple keys, converted one by one below; every
# other field of a View is plain data (str, int, bool, None, lists and dicts of
# them) and is stored as it is, so a field added to View later is carried
# without touching this module (a field that is not plain fails to encode).
_CONVERTED = {
    "room",
    "items",
    "private",
    "notes",
    "threads",
    "seals",
    "seal_versions",
    "access",
    "ops",
    "commitments",
}


def _view_record(view: View) -> dict[str, Any]:
    record = {f.name: getattr(view, f.name) for f in fields(view) if f.name not in _CONVERTED}
    record.update(
        {
            "room": None if view.room is None else _plain(view.room),
            "items": [_plain(item) for item in view.items.values()],
            "private": {key: _plain(record) for key, record in view.private.items()},
            "notes": [_plain(note) for note in view.notes.values()],
            "threads": {
                party: [_plain(m) for m in messages] for party, messages in view.threads.items()
            },
            "seals": {
                item_id: {party: _plain(seal) for party, seal in by_party.items()}
                for item_id, by_party in view.seals.items()
            },
            "seal_versions": [[item, party, v] for (item, party), v in view.seal_versions.items()],
            "access": {
                item_id: [_plain(entry) for entry in entries]
                for item_id, entries in view.access.items()
            },
            "ops": [[role, name, op, n] for (role, name, op), n in view.ops.items()],
            "commitments": [_plain(c) for c in view.commitments.values()],
        }
    )
    return record


def _view_from(record: dict[str, Any]) -> View:
    room = record["room"]
    plain = {f.name: record[f.name] for f in fields(View) if f.name not in _CONVERTED}
    return View(
        **plain,
        room=None if room is None else RoomInfo(**room),
        items={d["id"]: Item(**d) for d in record["items"]},
        private={key: FigureRecord(**d) for key, d in record["private"].items()},
        notes={d["id"]: Note(**d) for d in record["notes"]},
        threads={party: [Message(**m) for m in ms] for party, ms in record["threads"].items()},
        seals={
            item_id: {party: Seal(**d) for party, d in by_party.items()}
            for item_id, by_party in record["seals"].items()
        },
        seal_versions={(item, party): v for item, party, v in record["seal_versions"]},
        access={
            item_id: [Access(**d) for d in entries] for item_id, entries in record["access"].items()
        },
        ops={(role, name, op): n for role, name, op, n in record["ops"]},
        commitments={d["id"]: Commitment(**d) for d in record["commitments"]},
    )


def to_record(state: RoomState) -> dict[str, Any]:
    """Every view of ``state`` and its log position, as plain data."""
    return {
        "format": FORMAT,
        "seq": state.seq,
        "views": {role: _view_record(view) for role, view in state.views.items()},
        "public": _view_record(state.public),
    }


def from_record(
    record: dict[str, Any], rules: Rules | None = None, roles: Iterable[str] = ROLES
) -> RoomState:
    """The state :func:`to_record` described, narrowed to ``roles``' views.

    Raises ValueError/KeyError/TypeError if the record is malformed.
    """
    if record.get("format") != FORMAT:
        raise ValueError(f"snapshot format {record.get('format')!r} is not {FORMAT}")
    state = RoomState(rules, roles)
    views = record["views"]
    if set(views) != set(ROLES):
        raise ValueError("a snapshot must hold one view per role")
    state.views = {role: _view_from(views[role]) for role in state.views}
    state.public = _view_from(record["public"])
    state.seq = int(record["seq"])
    return state
