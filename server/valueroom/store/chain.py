"""Tamper evidence: every event of a room's log is chained by hash.

How the chain is built (``valueroom verify`` and the exports check it):

* ``canonical(event)`` is the UTF-8 of the JSON object
  ``{"actor", "at", "data", "name", "vis"}`` with sorted keys, no spaces and
  non-ASCII characters as they are (Python:
  ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``).
  The global sequence number and the client's op id are not in it: no role
  sees the former, and the latter travels only to the actor's own role.
* ``leaf = SHA-256(canonical)`` for a public event (every role sees it), and
  ``leaf = SHA-256(salt || canonical)`` for any other event, with ``salt`` 32
  random bytes stored with the event. The salt is sent only to the audience
  that may see the event, so a leaf in someone else's hands is a commitment
  nobody can test a guessed figure against.
* The room's chain: ``h_0 = SHA-256("valueroom/chain/v1|" + log_id)`` and
  ``h_n = SHA-256(h_{n-1} || leaf_n)`` over the global log. ``h_n`` and the
  leaf are stored with event *n* (every store), and the head is the room's
  fingerprint (shown on the deal sheet).
* A role's chain: ``r_0 = SHA-256("valueroom/chain/v1|" + log_id + "|" + role)``
  and ``r_k = SHA-256(r_{k-1} || leaf)`` over the events that role sees, in
  its own numbering. It is computed from the stored leaves, so a role can
  check its export offline without learning anything about events it did not
  see (not their count, not their timing).

The functions here are pure: the caller brings the salt (``new_salt``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from valueroom.domain.events import Event
from valueroom.domain.visibility import is_public

__all__ = [
    "TAG",
    "Break",
    "canonical",
    "canonical_fields",
    "genesis",
    "leaf_of",
    "link",
    "new_salt",
    "role_genesis",
    "stamp",
    "verify_log",
]

TAG = "valueroom/chain/v1"
# One encoder for every event: json.dumps with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
SALT_BYTES = 32
_sha256 = hashlib.sha256


def genesis(log_id: str) -> bytes:
    """``h_0`` of a room's chain: bound to the log's identity."""
    return hashlib.sha256(f"{TAG}|{log_id}".encode()).digest()


def role_genesis(log_id: str, role: str) -> bytes:
    """``r_0`` of one role's chain."""
    return hashlib.sha256(f"{TAG}|{log_id}|{role}".encode()).digest()


def canonical_fields(
    at: int, actor: dict[str, str] | None, vis: int, name: str, data: Any
) -> bytes:
    """The canonical encoding of an event's content (see the module's docstring)."""
    body = {"actor": actor, "at": at, "data": data, "name": name, "vis": vis}
    return _CANONICAL.encode(body).encode("utf-8")


def canonical(event: Event) -> bytes:
    actor = None if event.actor is None else {"role": event.actor.role, "name": event.actor.name}
    return canonical_fields(event.at, actor, event.vis, event.name, event.data)


def leaf_of(content: bytes, vis: int, salt: bytes | None) -> bytes:
    """The leaf of an event: its hash, salted unless everyone sees it."""
    if is_public(vis):
        return _sha256(content).digest()
    if salt is None or len(salt) != SALT_BYTES:
        raise ValueError("an event not every role sees needs a 32-byte salt")
    return _sha256(salt + content).digest()


def link(previous: bytes, leaf: bytes) -> bytes:
    return _sha256(previous + leaf).digest()


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def stamp(head: bytes, events: Iterable[Event], salt: Any = new_salt) -> list[Event]:
    """``events`` with their salt, leaf and chain hash set, chained after ``head``."""
    stamped: list[Event] = []
    for event in events:
        grain = None if is_public(event.vis) else salt()
        leaf = leaf_of(canonical(event), event.vis, grain)
        head = link(head, leaf)
        stamped.append(
            Event(
                event.seq,
                event.at,
                event.actor,
                event.op,
                event.vis,
                event.name,
                event.data,
                grain,
                leaf,
                head,
            )
        )
    return stamped


@dataclass(frozen=True, slots=True)
class Break:
    """Where a chain stops holding: the event's number and what is wrong with it."""

    seq: int
    name: str
    problem: str

    def __str__(self) -> str:
        return f"event {self.seq} ({self.name}): {self.problem}"


def verify_log(log_id: str, events: Sequence[Event]) -> tuple[bytes, Break | None]:
    """Check a whole log from its first event; return the head and the first break."""
    head = genesis(log_id)
    for number, event in enumerate(events, start=1):
        if event.seq != number:
            return head, Break(event.seq, event.name, f"expected event number {number}")
        if event.leaf is None or event.chain is None:
            return head, Break(event.seq, event.name, "carries no chain hash")
        try:
            leaf = leaf_of(canonical(event), event.vis, event.salt)
        except (ValueError, TypeError) as exc:
            return head, Break(event.seq, event.name, str(exc))
        if leaf != event.leaf:
            return head, Break(event.seq, event.name, "its content does not match its hash")
        head = link(head, leaf)
        if head != event.chain:
            return head, Break(event.seq, event.name, "its chain hash does not follow")
    return head, None
