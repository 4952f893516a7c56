"""Invite tokens: ``<room id>.<secret>``; the secret decides the role.

Secrets are 192 random bits and only their SHA-256 digests are stored, so a
copy of the database does not let anyone in. A slow hash buys nothing for
secrets this long. Digests are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = [
    "CREATOR",
    "MANAGERS",
    "MAX_REMOVED",
    "REMOVED",
    "Invite",
    "bar",
    "barred",
    "member_id",
    "mint",
    "new_id",
    "parse",
    "role_for",
    "unbar",
]

# The creator's secret joins no role: it manages the room's links and its erasure.
CREATOR = "creator"
# Who may revoke and reissue links and erase the room: the creator and the neutral.
MANAGERS = frozenset({CREATOR, "neutral"})

SECRET_BYTES = 24
# Record keys of removed members ("removed.<member id>"), never a role's digest.
REMOVED = "removed."
#: How many removed members one room's record keeps; reissuing a link clears its role's.
MAX_REMOVED = 1000


@dataclass(frozen=True, slots=True)
class Invite:
    role: str
    token: str
    digest: str


def new_id(nbytes: int = 16) -> str:
    """A random URL-safe identifier (128 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def mint(room_id: str, roles: tuple[str, ...]) -> list[Invite]:
    """One fresh invite per role."""
    invites = []
    for role in roles:
        secret = secrets.token_urlsafe(SECRET_BYTES)
        invites.append(Invite(role, f"{room_id}.{secret}", _digest(secret)))
    return invites


def parse(token: str) -> tuple[str, str] | None:
    """Split a token into (room id, secret), or None if it is not shaped like one."""
    room_id, dot, secret = token.partition(".")
    if not dot or not room_id or not secret:
        return None
    return room_id, secret


def role_for(secret: str, digests: dict[str, str]) -> str | None:
    """The role whose stored digest matches ``secret``, or None."""
    digest = _digest(secret)
    found = None
    for role, stored in digests.items():
        if not role.startswith(REMOVED) and hmac.compare_digest(digest, stored):
            found = role
    return found


def member_id(role: str, key: str) -> str:
    """The stable id of the member holding ``key`` in ``role`` (16 URL-safe characters).

    One-way: the id is shown to everyone in the room, the key never leaves
    its browser but in its own joins.
    """
    digest = hashlib.sha256(f"{role}\x00{key}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode("ascii")


def barred(digests: dict[str, str], role: str) -> set[str]:
    """The ids of the members removed from ``role``'s link."""
    return {
        key[len(REMOVED) :]
        for key, value in digests.items()
        if key.startswith(REMOVED) and value == role
    }


def bar(digests: dict[str, str], role: str, member: str) -> dict[str, str]:
    """``digests`` with ``member`` removed from ``role``'s link."""
    return {**digests, REMOVED + member: role}


def unbar(digests: dict[str, str], role: str) -> dict[str, str]:
    """``digests`` without the removals from ``role``'s link (the link was reissued)."""
    return {
        key: value
        for key, value in digests.items()
        if not (key.startswith(REMOVED) and value == role)
    }
