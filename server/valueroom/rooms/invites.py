"""Invite tokens: ``<room id>.<secret>``; the secret decides the role.

Secrets are 192 random bits and only their SHA-256 digests are stored, so a
copy of the database does not let anyone in. A slow hash buys nothing for
secrets this long. Digests are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["CREATOR", "MANAGERS", "Invite", "mint", "new_id", "parse", "role_for"]

# The creator's secret joins no role: it manages the room's links and its erasure.
CREATOR = "creator"
# Who may revoke and reissue links and erase the room: the creator and the neutral.
MANAGERS = frozenset({CREATOR, "neutral"})

SECRET_BYTES = 24


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
        if hmac.compare_digest(digest, stored):
            found = role
    return found
