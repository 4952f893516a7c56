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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from valueroom.domain.errors import DomainError
from valueroom.domain.events import Actor, Event
from valueroom.domain.split import Split
from valueroom.domain.split import to_wire as split_to_wire
from valueroom.protocol import exports
from valueroom.protocol.codec import encode, encode_with_raw_list
from valueroom.protocol.schema import SCHEMA, SchemaViolation, check_op_id

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
]

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
