"""HTTP routes: create a room (JSON; also a closed room's next round), the shared schema, health.

A next round is asked for with ``previous: {token, carry_figures}``: any
invite token of a room whose agreement both parties signed. The token travels
in the request body, never in a URL. The new room's agenda is what was
agreed; a party may bring its own figures along.

Errors are JSON ``{"error": {"code": ..., "message": ...}}`` with a fitting
status. Room creation requires ``Content-Type: application/json``, which a
cross-site HTML form cannot send without a CORS preflight (that this server
never approves); a request whose ``Origin`` is another site's (and not one
of ``--allow-origin``) is refused (403 ``foreign_origin``), and one client
address may create ``--rooms-per-hour`` rooms an hour (429 ``rate_limited``
beyond, with ``Retry-After``).

Managing a room (reissue a role's link, erase the room) takes the
creator's or the neutral's token as ``Authorization: Bearer``; its refusals
are typed for the browser's "Links and room" panel: ``foreign_origin`` (403),
``rate_limited`` (429, ``--manage-per-hour`` per address, with
``Retry-After``), ``unknown_room`` (404), ``not_permitted`` (403),
``not_found`` (404, no link for that role), ``unavailable`` (503, the store
is down). No token is ever logged.

Invite links are built from ``--public-url``; without it, from the request's
``Host`` only when it is one of ``--allow-host``; otherwise they are
relative (``/join#token``) and the browser completes them with its own
origin. A forged ``Host`` header therefore never shapes a link.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

import shared_schema
from valueroom.config import Settings
from valueroom.domain.errors import DomainError
from valueroom.domain.visibility import ROLES
from valueroom.edge.limits import RateTable, address_key
from valueroom.protocol.schema import SchemaViolation, check_http
from valueroom.rooms import lifecycle
from valueroom.rooms.registry import Registry
from valueroom.store.base import StoreError

__all__ = [
    "create_room",
    "erase_room",
    "health",
    "invite_links",
    "link_base",
    "list_members",
    "reissue_link",
    "remove_member",
    "same_origin",
    "schema",
]

MAX_BODY = 16 * 1024


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def link_base(request: Request, settings: Settings) -> str:
    """The base of invite links: the public URL, an allowed Host of the request, or ``""``."""
    if settings.public_url:
        return settings.public_url
    host = request.headers.get("host", "")
    if host and host in settings.allowed_hosts:
        return f"{request.url.scheme}://{host}"
    return ""


def same_origin(request: Request, settings: Settings) -> bool:
    """No ``Origin`` (not a browser), the page's own, or an allowed one."""
    origin = request.headers.get("origin")
    if origin is None or origin in settings.allowed_origins:
        return True
    return urlsplit(origin).netloc == request.headers.get("host")


def invite_links(base: str, tokens: dict[str, str]) -> dict[str, str | None]:
    """Invite links carry the token in the fragment: browsers never send it to a server."""
    base = base.rstrip("/")
    return {role: (f"{base}/join#{tokens[role]}" if role in tokens else None) for role in ROLES}


async def create_room(request: Request) -> Response:
    registry: Registry = request.app.state.registry
    settings: Settings = request.app.state.settings
    if not same_origin(request, settings):
        return _error(403, "foreign_origin", "rooms are created from this site's own pages")
    limited = _refused(request, "creations", "too many rooms created from this address; try later")
    if limited is not None:
        return limited
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "unsupported_media_type", "send the room as application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return _error(413, "too_large", f"the request body is larger than {MAX_BODY} bytes")
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_json", "the request body is not valid JSON")
    try:
        check_http("create_room", data)
    except SchemaViolation as exc:
        return _error(400, "invalid_field", str(exc))
    previous = data.get("previous")
    if previous is not None:
        try:
            next_round = await registry.next_round(
                previous["token"], title=data["title"], carry_figures=previous["carry_figures"]
            )
        except DomainError as exc:
            return _error(409, exc.reason or exc.code, str(exc))
        if next_round is None:
            return _error(403, "bad_token", "that link opens no room")
        created = next_round
    else:
        created = await registry.create(
            title=data["title"],
            buyer_org=data.get("buyer_org", ""),
            seller_org=data.get("seller_org", ""),
            currency=data.get("currency", "EUR"),
            neutral=data.get("neutral", False),
        )
    base = link_base(request, settings)
    body_out = {
        "room_id": created.room_id,
        "log_id": created.log_id,
        "links": invite_links(base, created.tokens),
        # Manages the room (revoke and reissue links, erase); joins no role.
        "creator_token": created.creator_token,
    }
    return JSONResponse(body_out, status_code=201, headers={"Cache-Control": "no-store"})


def _refused(request: Request, table: str, message: str) -> Response | None:
    """The 429 answer when this client address has spent its ``table`` tokens, else None."""
    rates: RateTable = getattr(request.app.state, table)
    client = request.client
    wait = rates.take(address_key(client.host if client else None))
    if wait is None:
        return None
    response = _error(429, "rate_limited", message)
    response.headers["Retry-After"] = str(max(1, round(wait)))
    return response


_UNAVAILABLE = (503, "unavailable", "the store is unavailable; try again in a moment")


async def _manager(request: Request) -> tuple[Registry, str] | Response:
    """The registry and room id when the request carries a managing token, else the refusal.

    Refusals, in this order: another site's ``Origin`` (403 ``foreign_origin``),
    too many management requests from this address (429 ``rate_limited``,
    counted before the token is checked, so tokens cannot be guessed fast),
    no room with that id (404 ``unknown_room``: a room id alone grants
    nothing, and the creator's device must learn that a room it remembers was
    erased), a token that does not manage this room (403 ``not_permitted``),
    the store failing (503 ``unavailable``).
    """
    registry: Registry = request.app.state.registry
    settings: Settings = request.app.state.settings
    if not same_origin(request, settings):
        return _error(403, "foreign_origin", "rooms are managed from this site's own pages")
    limited = _refused(request, "managing", "too many link or room changes from this address")
    if limited is not None:
        return limited
    room_id = request.path_params["room_id"]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        if await registry.store.room(room_id) is None:
            return _error(404, "unknown_room", "no room has that id; it may have been erased")
        role = await lifecycle.authorize(registry, room_id, token)
    except StoreError:
        return _error(*_UNAVAILABLE)
    if scheme.lower() != "bearer" or role is None:
        return _error(403, "not_permitted", "send the creator's or the neutral's token")
    return registry, room_id


async def reissue_link(request: Request) -> Response:
    """``POST /api/rooms/{room_id}/links/{role}``: revoke the role's link, answer the new one."""
    found = await _manager(request)
    if isinstance(found, Response):
        return found
    registry, room_id = found
    role = request.path_params["role"]
    try:
        token = await lifecycle.reissue(registry, room_id, role)
    except StoreError:
        return _error(*_UNAVAILABLE)
    if token is None:
        return _error(404, "not_found", "this room has no link for that role")
    link = invite_links(link_base(request, request.app.state.settings), {role: token})[role]
    return JSONResponse({"role": role, "link": link}, headers={"Cache-Control": "no-store"})


async def erase_room(request: Request) -> Response:
    """``DELETE /api/rooms/{room_id}``: close every member and delete the room for good."""
    found = await _manager(request)
    if isinstance(found, Response):
        return found
    registry, room_id = found
    try:
        await lifecycle.erase(registry, room_id)
    except StoreError:
        return _error(*_UNAVAILABLE)
    return Response(status_code=204)


async def list_members(request: Request) -> Response:
    """``GET /api/rooms/{room_id}/members``: who is here (id, role, name), for a manager's page.

    The presence list the members see, without what anyone is editing; empty
    when the room is not loaded on this process.
    """
    found = await _manager(request)
    if isinstance(found, Response):
        return found
    registry, room_id = found
    room = registry.rooms.get(room_id)
    members = [] if room is None else room.presence.members()
    listed = [{"id": m["id"], "role": m["role"], "name": m["name"]} for m in members]
    return JSONResponse({"members": listed}, headers={"Cache-Control": "no-store"})


async def remove_member(request: Request) -> Response:
    """``DELETE /api/rooms/{room_id}/members/{member_id}``: remove one member from its link.

    204 when done; 404 ``member.unknown`` when no such member is in the room;
    409 ``member.too_many`` when the room bars as many members as it keeps;
    503 ``unavailable`` when the store fails (nobody was closed then).
    """
    found = await _manager(request)
    if isinstance(found, Response):
        return found
    registry, room_id = found
    try:
        await lifecycle.remove(registry, room_id, request.path_params["member_id"])
    except lifecycle.RemovalRefused as refused:
        status = 404 if refused.reason == "member.unknown" else 409
        return _error(status, refused.reason, str(refused))
    except StoreError:
        return _error(*_UNAVAILABLE)
    return Response(status_code=204)


async def schema(request: Request) -> Response:
    return FileResponse(shared_schema.SCHEMA_PATH, media_type="application/json")


async def health(request: Request) -> Response:
    """Healthy or not, and nothing else: no counts that would tell a stranger how busy we are."""
    registry: Registry | None = getattr(request.app.state, "registry", None)
    ok = registry is not None and await registry.store.healthy()
    return JSONResponse({"ok": ok}, status_code=200 if ok else 503)
