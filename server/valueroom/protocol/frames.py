"""Every frame the server sends, built in one place.

The rooms and the edge call these functions; nothing else assembles a
server frame or turns one into bytes. Each function returns the msgpack bytes
of one frame, ready to queue (frames that pile up for one connection are sent
together with :func:`~valueroom.protocol.codec.encode_batch`).

Privacy: :func:`event` takes the role it encodes for. The sequence number is
that role's own number for the event, and the client's op id travels only to
the actor's own role: an op id is the sender's counter, and another audience
could count the sender's private commands from its gaps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from valueroom.domain.errors import DomainError
from valueroom.domain.events import Actor, Event
from valueroom.domain.split import Split
from valueroom.domain.split import to_wire as split_to_wire
from valueroom.protocol import exports
from valueroom.protocol.codec import encode, encode_with_raw_list
from valueroom.protocol.schema import SCHEMA, SchemaViolation, check_op_id, limit

__all__ = [
    "ack",
    "actor",
    "deal",
    "domain_error",
    "error",
    "event",
    "export",
    "history",
    "presence",
    "schema_error",
    "split",
    "welcome",
    "welcome_frames",
]

#: A welcome larger than this is sent as a skeleton and ``view_part`` frames of
#: about this size, so that no message exceeds the frame limit (64 KiB; the
#: largest single entry, an item at its limits, stays below it).
WELCOME_PART_BYTES = limit("max_frame_bytes") // 2

_MAX_MESSAGE = 300
# A presence frame lists at most this many members (the rooms cap members
# below it; members of other processes may briefly add a few).
_MAX_PRESENCE: int = SCHEMA["server"]["presence"]["members"]["type"]["max"]


def actor(who: Actor | None) -> dict[str, str] | None:
    """The ``Actor`` record of the schema."""
    return None if who is None else {"role": who.role, "name": who.name}


def event(ev: Event, role: str, seq: int) -> bytes:
    """The ``event`` frame of ``ev`` for members of ``role``, who number it ``seq``."""
    own = ev.actor is not None and ev.actor.role == role
    return encode(
        {
            "type": "event",
            "seq": seq,
            "at": ev.at,
            "actor": actor(ev.actor),
            "op": ev.op if own else None,
            "vis": ev.vis,
            "name": ev.name,
            "data": ev.data,
        }
    )


def history(
    *,
    log_id: str,
    first: int,
    last: int,
    head: int,
    events: Sequence[bytes],
    proofs: Sequence[tuple[bytes | None, bytes]],
) -> bytes:
    """A page of a role's history: ``events`` are :func:`event` frames, already encoded.

    ``proofs[i]`` is the salt (None for a public event) and the role's chain
    hash of ``events[i]``, as lowercase hex.
    """
    return encode_with_raw_list(
        {
            "type": "history",
            "log_id": log_id,
            "from": first,
            "to": last,
            "head": head,
            "proofs": [
                {"salt": None if salt is None else salt.hex(), "chain": chain.hex()}
                for salt, chain in proofs
            ],
        },
        "events",
        events,
    )


def welcome(
    *,
    log_id: str,
    seq: int,
    you: Mapping[str, Any],
    resumed: bool,
    view: Mapping[str, Any] | None,
    currency_decimals: int,
    method: Mapping[str, Any],
) -> bytes:
    return encode(
        {
            "type": "welcome",
            "log_id": log_id,
            "seq": seq,
            "you": dict(you),
            "resumed": resumed,
            "view": None if view is None else dict(view),
            "currency_decimals": currency_decimals,
            "method": dict(method),
        }
    )


def welcome_frames(
    *,
    log_id: str,
    seq: int,
    you: Mapping[str, Any],
    view: Mapping[str, Any],
    currency_decimals: int,
    method: Mapping[str, Any],
) -> tuple[bytes, Iterator[bytes] | None]:
    """The welcome with a whole view: one frame, or a skeleton and its parts.

    When the whole welcome would exceed :data:`WELCOME_PART_BYTES`, the
    welcome carries the view without its collections (``more: true``) and the
    second value yields ``view_part`` frames holding them, entry by entry in
    the view's order, each about that size, the last with ``last: true``.
    The client puts the view back together before it uses it. The parts are
    encoded only as they are pulled, so a stream of them costs the view, not
    its bytes twice.
    """
    whole = welcome(
        log_id=log_id,
        seq=seq,
        you=you,
        resumed=False,
        view=view,
        currency_decimals=currency_decimals,
        method=method,
    )
    if len(whole) <= WELCOME_PART_BYTES:
        return whole, None
    skeleton = dict(view)
    for key in ("items", "removed", "notes"):
        skeleton[key] = []
    for key in ("private", "seals", "access"):
        skeleton[key] = {}
    skeleton["caucus"] = {
        party: {**thread, "messages": []} for party, thread in view["caucus"].items()
    }
    head = encode(
        {
            "type": "welcome",
            "log_id": log_id,
            "seq": seq,
            "you": dict(you),
            "resumed": False,
            "view": skeleton,
            "currency_decimals": currency_decimals,
            "method": dict(method),
            "more": True,
        }
    )
    return head, _view_parts(view)


def _view_entries(view: Mapping[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
    """Every entry of the view's collections: (collection, key or None for lists, entry)."""
    for key in ("items", "removed", "notes"):
        for entry in view[key]:
            yield key, None, entry
    for key in ("private", "seals", "access"):
        for name, entry in view[key].items():
            yield key, name, entry
    for party, thread in view["caucus"].items():
        for message in thread["messages"]:
            yield "messages", party, message


def _view_parts(view: Mapping[str, Any]) -> Iterator[bytes]:
    part: dict[str, Any] = {}
    size = 0
    for collection, key, entry in _view_entries(view):
        cost = len(encode(entry)) + (0 if key is None else len(key) + 2)
        if part and size + cost > WELCOME_PART_BYTES:
            yield encode({"type": "view_part", **part, "last": False})
            part, size = {}, 0
        if collection in ("items", "removed", "notes"):
            part.setdefault(collection, []).append(entry)
        elif collection == "messages":
            assert key is not None
            part.setdefault("messages", {}).setdefault(key, []).append(entry)
        else:
            part.setdefault(collection, {})[key] = entry
        size += cost
    yield encode({"type": "view_part", **part, "last": True})


def ack(op: str, seq: int) -> bytes:
    return encode({"type": "ack", "op": op, "seq": seq})


def error(
    op: Any,
    code: str,
    message: str,
    *,
    reason: str | None = None,
    field: str | None = None,
    params: Mapping[str, str] | None = None,
) -> bytes:
    """A typed error for one connection.

    ``op`` is echoed only when it is a valid op id: a client's invalid input is
    never sent back. ``message`` is English (for logs and developers); the
    browser shows ``reason`` (or ``code``) with ``params`` in its own language.
    """
    return encode(
        {
            "type": "error",
            "op": op if check_op_id(op) else None,
            "code": code,
            "message": message[:_MAX_MESSAGE] or code,
            "reason": reason,
            "field": field,
            "params": dict(params or {}),
        }
    )


def domain_error(op: str | None, exc: DomainError) -> bytes:
    """The error frame of a refused command."""
    return error(op, exc.code, exc.message, reason=exc.reason, field=exc.field, params=exc.params)


def schema_error(op: Any, code: str, exc: SchemaViolation) -> bytes:
    """The error frame of a frame that does not match the schema."""
    return error(op, code, str(exc), reason=exc.key, field=exc.path or None, params=exc.params)


def presence(members: Iterable[Mapping[str, Any]]) -> bytes:
    listed = [dict(m) for _, m in zip(range(_MAX_PRESENCE), members, strict=False)]
    return encode({"type": "presence", "members": listed})


def split(shared: Split, preview: Split | None) -> bytes:
    """The split frame: the shared split, and a party's private preview (None for the neutral)."""
    return encode(
        {
            "type": "split",
            "shared": split_to_wire(shared),
            "preview": None if preview is None else split_to_wire(preview),
        }
    )


def deal(sheet: Mapping[str, Any], chain: str | None) -> bytes:
    """The live deal sheet and its hash: the same frame for every role (built from public events).

    The hash is :func:`valueroom.domain.canonical.digest` of the sheet,
    computed here with ``json.dumps`` (the same bytes, a test holds them
    equal, and about ten times faster for a large agenda). ``chain`` is the
    event log's chain hash right after the agreement (``deal.agreed``), once
    there is one; None before.
    """
    text = json.dumps(sheet, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return encode({"type": "deal", "hash": digest, "sheet": dict(sheet), "chain": chain})


def export(fmt: str, filename: str, content: Mapping[str, Any], decimals: int) -> bytes:
    """A role's export as a file the browser saves (see :mod:`valueroom.protocol.exports`)."""
    text = exports.render(dict(content), fmt, decimals)
    return encode({"type": "export", "format": fmt, "filename": filename, "content": text})
