"""The websocket edge: one asyncio protocol object per connection to ``/ws``.

uvicorn accepts the TCP connection and parses the HTTP request; an upgrade
request is handed to :class:`RoomSocket` (uvicorn's ``ws`` protocol class,
made by :meth:`Edge.protocol`). From then on neither ASGI nor Starlette is
involved: the ``websockets`` library's sans-I/O ``ServerProtocol`` does the
handshake and parses and serializes frames, and this module drives it from
asyncio's callbacks. A frame is decoded, checked against the shared schema
and handed to its room inside ``data_received``: no task is spawned per
message, and a joined connection has no task at all. Only the join runs as a
task, because it waits for the store.

Close codes (besides the standard ones, e.g. 1009 for a frame over the
64 KiB limit, which the protocol enforces):

====  ==========================================================
4400  no ``join`` frame within the join timeout
4401  the invite token is not valid (after a ``bad_token`` error)
4408  the connection could not keep up; reconnect and resume
4403  the link this member joined through was revoked (after a ``revoked``
      error, reason ``link.revoked``)
4409  the room, or its role's link, has as many members as allowed (after a
      ``room_full`` error)
4410  the room was erased (after an ``erased`` error, reason ``room.erased``)
4411  this member was removed from its role's link by the creator or the
      neutral (after a ``removed`` error, reason ``member.removed``); final
1011  the store could not open the room (after an ``unavailable`` error),
      or the room's writer failed (the room is reloaded on the next join)
1012  the server is shutting down
====  ==========================================================

A handshake from a foreign ``Origin`` is refused before it is accepted (HTTP
403), so a page on another site cannot use a visitor's invite link
(cross-site websocket hijacking). Clients that send no ``Origin`` (not
browsers) are let through: they still need a token. A handshake to another
path is answered 404.

Every inbound frame is decoded and checked against the shared schema before
anything else looks at it. A bad frame gets a typed ``error`` frame and
changes nothing; the connection stays open.

Logging: each connection runs its callbacks in a context of its own, so
once it has joined, every line logged about it (the join, the leave, how it
closed) carries its room and member (see :mod:`valueroom.logs`). The
websocket protocol's own lines are kept below WARNING: at DEBUG it would dump
frames, which may hold a party's private figures.

Keepalive: every ``ping_interval`` (20 s) one timer pings every open
connection; one that sent nothing since the previous round, not even a pong,
is dropped and leaves its room, so a peer that vanished without closing does
not stay present for good.

Limits (see :mod:`valueroom.edge.limits`): every connection holds a slot
of the edge's :class:`~valueroom.edge.limits.Gate` from its TCP accept to
its close, counted as unjoined until its join succeeds. A joined member may
send ``--commands-per-second`` frames a second (bursts of twice that); a
frame beyond gets a typed ``rate_limited`` error (its op echoed, nothing
changed); the frames that arrived with it wait, unread, and the connection is
not read again until the rate allows the next frame. A flooding member thus
gets one refusal per refill and costs the process little; its frames pile up
in its own socket, not in the server.

Sending never blocks the room: frames queued for a connection during one turn
of the event loop leave together at the end of it, as one batch message (an
array of up to 64 frames) when there are several. While the peer does not
read (the socket's buffer is full), frames wait in a bounded queue; past
``send_queue`` of them the connection is dropped (4408) and leaves its room.
A resume's catch-up and the parts of a large welcome arrive as a stream
(an iterator of frames) that takes one place in that queue and is pulled a
batch at a time, only while the socket accepts more; no batch exceeds the
frame limit (64 KiB): what a connection holds is bounded by the queue, the
socket's write buffer and one batch, however much it missed. A connection
whose socket stays full for ``send_deadline`` seconds is dropped (4408).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import deque
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import urlsplit

from websockets.exceptions import InvalidState
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

from valueroom import logs
from valueroom.config import Settings
from valueroom.domain.errors import DomainError
from valueroom.edge.limits import Bucket, Gate, GatedHttp, descriptor_budget
from valueroom.protocol import frames
from valueroom.protocol.codec import MAX_BATCH, FrameDecodeError, decode, encode_batch
from valueroom.protocol.schema import (
    SchemaViolation,
    check_client_frame,
    check_command_args,
    limit,
)
from valueroom.rooms import history, invites
from valueroom.rooms.live import (
    CLOSE_REMOVED,
    LiveRoom,
    Member,
    MemberRemoved,
    RoomClosed,
    RoomFull,
)
from valueroom.rooms.registry import Registry
from valueroom.store.base import StoreError

__all__ = [
    "CLOSE_BAD_TOKEN",
    "CLOSE_FULL",
    "CLOSE_NO_JOIN",
    "CLOSE_TOO_SLOW",
    "CLOSE_UNAVAILABLE",
    "Edge",
    "RoomSocket",
]

log = logging.getLogger(__name__)
_protocol_log = logging.getLogger(__name__ + ".protocol")
_protocol_log.setLevel(logging.WARNING)

CLOSE_NO_JOIN = 4400
CLOSE_BAD_TOKEN = 4401
CLOSE_TOO_SLOW = 4408
CLOSE_FULL = 4409
CLOSE_UNAVAILABLE = 1011
CLOSE_RESTART = 1012
# How long a closing handshake may take before the TCP connection is dropped,
# and how long a close frame may wait behind data a peer does not read.
CLOSE_TIMEOUT = 10.0
STALLED_CLOSE_TIMEOUT = 1.0
# Exports per connection: a burst, then one per EXPORT_EVERY seconds.
EXPORT_BURST = 10
EXPORT_EVERY = 1.0


class Edge:
    """What every connection of one app shares: settings, the registry, the flusher.

    ``registry`` is set when the app starts (its lifespan). The flusher sends,
    once per turn of the event loop, what was queued for every connection
    during that turn: one callback for all of them, not one per connection.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry: Registry | None = None
        self.max_size = limit("max_frame_bytes")
        self._dirty: list[RoomSocket] = []
        # Open connections, for the keepalive round (one timer for all of them).
        self._open: set[RoomSocket] = set()
        self._keepalive: asyncio.TimerHandle | None = None
        budget = settings.max_connections or descriptor_budget(settings.descriptor_reserve)
        self.gate = Gate(
            budget=budget,
            per_address=settings.max_per_address,
            unjoined=settings.max_unjoined,
            unjoined_per_address=settings.max_unjoined_per_address,
        )
        self.gate.on_refuse = self._refused
        # Frames refused as over a member's rate, for the operator.
        self.rate_limited = 0

    def http_protocol(self, **kwargs: Any) -> GatedHttp:
        """Make the HTTP protocol of one accepted connection (uvicorn's ``http`` class)."""
        return GatedHttp(self.gate, self.settings.header_timeout, **kwargs)

    def _refused(self, reason: str) -> None:
        log.info(
            "refused a connection: %s",
            "server full" if reason == "full" else "address has too many",
        )

    def protocol(self, *, server_state: Any = None, **_: Any) -> RoomSocket:
        """Make the protocol of one upgraded connection (uvicorn's ``ws`` class).

        uvicorn's ``server_state.connections`` is the set it asks to
        ``shutdown()`` when it stops and waits for until they are gone.
        """
        connections = None if server_state is None else server_state.connections
        return RoomSocket(self, connections)

    def dirty(self, socket: RoomSocket) -> None:
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._flush)
        self._dirty.append(socket)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for socket in dirty:
            socket.flush()

    def opened(self, socket: RoomSocket) -> None:
        self._open.add(socket)
        if self._keepalive is None:
            loop = asyncio.get_running_loop()
            self._keepalive = loop.call_later(self.settings.ping_interval, self._ping_all)

    def closed(self, socket: RoomSocket) -> None:
        self._open.discard(socket)

    def _ping_all(self) -> None:
        """Drop the connections that sent nothing since the last round; ping the others.

        A peer that vanished without closing (a laptop lid, a dead network)
        would otherwise stay a member, shown as present, until TCP gives up.
        """
        self._keepalive = None
        for socket in list(self._open):
            socket.keepalive()
        if self._open:
            loop = asyncio.get_running_loop()
            self._keepalive = loop.call_later(self.settings.ping_interval, self._ping_all)


class RoomSocket(asyncio.Protocol):
    """One websocket connection: handshake, join, one handler per frame type, sending.

    It is also the member's :class:`~valueroom.rooms.live.Outbox`: ``push``
    never blocks and never raises.
    """

    def __init__(self, edge: Edge, connections: set[Any] | None = None) -> None:
        self.edge = edge
        self._connections = connections
        self.transport: asyncio.Transport | None = None
        self.ws = ServerProtocol(max_size=edge.max_size, logger=_protocol_log)
        self._context = contextvars.copy_context()
        self._opened = False
        self.room: LiveRoom | None = None
        self.member: Member | None = None
        self._fragments: list[bytes] | None = None
        self._binary = True
        # Frames waiting to leave, and catch-up streams pulled as the socket
        # drains. An empty entry stands for ``_latest``, the newest presence
        # frame, so a queued one is replaced, never repeated.
        self._queue: deque[bytes | Iterator[bytes]] = deque()
        self._latest: bytes | None = None
        self._queued = False  # waiting for the edge's flush
        self._writable = True
        self._close: tuple[int, str] | None = None  # a close to send once the queue is out
        self._closing = False  # nothing more is read or queued
        self._heard = True  # something arrived since the last keepalive round
        self._join_timer: asyncio.TimerHandle | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._joining: asyncio.Task[None] | None = None
        # Frames that arrived during the join or while throttled (made when needed:
        # an idle connection is kept as small as it can be).
        self._held: deque[Frame] | None = None
        # The one history request this connection may have in flight.
        self._history: asyncio.Task[None] | None = None
        self._export_credit = float(EXPORT_BURST)
        self._export_at = 0.0
        self._bucket: Bucket | None = None  # a joined member's frame rate
        self._throttled = False  # not read until the bucket has a token again

    # -- asyncio callbacks ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self._connections is not None:
            self._connections.add(self)

    def data_received(self, data: bytes) -> None:
        self._context.run(self._received, data)

    def eof_received(self) -> bool | None:
        self._context.run(self._received, None)
        return None  # let the transport close

    def _received(self, data: bytes | None) -> None:
        self._heard = True
        if data is None:
            self.ws.receive_eof()
        else:
            self.ws.receive_data(data)
        self._handle(self.ws.events_received())
        self._write_out()

    def pause_writing(self) -> None:
        self._writable = False
        if self._deadline is None:
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self.edge.settings.send_deadline, self._too_slow)

    def resume_writing(self) -> None:
        self._writable = True
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._queue or self._close is not None:
            self._schedule()

    def _too_slow(self) -> None:
        """The socket stayed full past the send deadline: the peer is not reading."""
        self._deadline = None
        if self._closing or self.transport is None:
            return
        log.warning(
            "dropping a connection that read nothing for %gs", self.edge.settings.send_deadline
        )
        self._context.run(self._overflow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._context.run(self._lost)

    def _lost(self) -> None:
        self._closing = True
        self._drop_queue()
        for timer in (self._join_timer, self._close_timer, self._deadline):
            if timer is not None:
                timer.cancel()
        if self.transport is not None:
            self.edge.gate.release(self.transport)
        # A join under way is not cancelled (it could be cancelled just after
        # the room admitted the member): it finishes, sees the peer gone, and
        # leaves again.
        self._leave()
        self.transport = None
        if self._connections is not None:
            self._connections.discard(self)
        if self._opened:
            self.edge.closed(self)
            self._log_close()

    def keepalive(self) -> None:
        """One keepalive round: drop a peer that sent nothing since the last one, else ping."""
        if self.transport is None or self.ws.state is not State.OPEN:
            return
        if not self._heard:
            log.info("dropping a connection that answered no ping")
            self._context.run(self._leave)
            self.transport.abort()
            return
        self._heard = False
        self.ws.send_ping(b"")
        self._write_out()

    def _log_close(self) -> None:
        ws = self.ws
        received, sent = ws.close_rcvd, ws.close_sent
        if received is not None and (sent is None or ws.close_rcvd_then_sent):
            log.info("connection closed by the peer: code %d", received.code)
        elif sent is not None:
            log.info("connection closed: code %d", sent.code)
        else:
            log.info("connection closed by the peer: code 1006")  # no close frame

    # -- the handshake ------------------------------------------------------------

    def _handle(self, events: list[Request | Response | Frame]) -> None:
        for event in events:
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, Response):
                continue  # only a client receives responses
            elif self._joining is not None or self._throttled:
                # Read again once joined, or once the rate allows.
                if self._held is None:
                    self._held = deque()
                self._held.append(event)
            else:
                self._frame(event)

    def _handshake(self, request: Request) -> None:
        ws = self.ws
        if urlsplit(request.path).path != "/ws":
            response = ws.reject(HTTPStatus.NOT_FOUND, "Not Found\n")
        elif not self._origin_allowed(request):
            log.warning("refused websocket from foreign origin %r", request.headers.get("Origin"))
            response = ws.reject(HTTPStatus.FORBIDDEN, "Forbidden: foreign origin\n")
        else:
            response = ws.accept(request)
        ws.send_response(response)
        # websockets' parser keeps the handshake request for the connection's
        # whole life (a local of its generator); its headers are no longer
        # needed once answered. About 1.7 KiB less per idle connection.
        request.headers.clear()
        if ws.state is State.OPEN:
            self._opened = True
            self.edge.opened(self)
            loop = asyncio.get_running_loop()
            self._join_timer = loop.call_later(self.edge.settings.join_timeout, self._no_join)

    def _origin_allowed(self, request: Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None or origin in self.edge.settings.allowed_origins:
            return True
        host = request.headers.get("Host")
        return host is not None and urlsplit(origin).netloc == host

    def _no_join(self) -> None:
        # Only the wait for a join frame is timed: a join under way is never
        # cut short, so a member can't be admitted behind a session's back.
        self._join_timer = None
        if self.member is None and self._joining is None:
            self.close(CLOSE_NO_JOIN, "join first")

    # -- inbound frames -----------------------------------------------------------

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        data = bytes(frame.data)
        if opcode is Opcode.BINARY or opcode is Opcode.TEXT:
            if frame.fin:
                self._message(data, binary=opcode is Opcode.BINARY)
            else:
                self._fragments = [data]
                self._binary = opcode is Opcode.BINARY
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), None
                self._message(data, binary=self._binary)
        # Pings are answered and close frames handled by the protocol itself.

    def _message(self, data: bytes, *, binary: bool) -> None:
        if self._closing:
            return
        # Every frame of a member counts against its rate, valid or not, before
        # the schema is checked: a flood of garbage costs as little as one of edits.
        if not binary:
            if self._allowed(None):
                self.error("bad_frame", "frames must be binary msgpack")
            return
        try:
            frame = decode(data)
        except FrameDecodeError as exc:
            if self._allowed(None):
                self.error("bad_frame", str(exc))
            return
        op = frame.get("op") if isinstance(frame, dict) else None
        if not self._allowed(op):
            return
        try:
            kind = check_client_frame(frame)
            if kind == "cmd":
                check_command_args(frame["name"], frame["args"])
        except SchemaViolation as exc:
            code = "unknown_type" if exc.path == "type" else "invalid_frame"
            self.push(frames.schema_error(op, code, exc))
            return
        room, member = self.room, self.member
        if room is None or member is None:
            if kind == "join":
                self._start_join(frame)
            else:
                self.error("not_joined", "send a join frame first", op)
            return
        handler = _JOINED_HANDLERS.get(kind)
        if handler is None:  # a frame type the schema has and this edge does not
            log.error("no handler for %r frames", kind)
            self.error("internal_error", "this frame type is not served", op)
            return
        handler(self, room, member, frame)

    # One handler per frame type of a joined connection (see _JOINED_HANDLERS).

    def _on_cmd(self, room: LiveRoom, member: Member, frame: dict[str, Any]) -> None:
        room.submit(member, frame["op"], frame["name"], frame["args"])

    def _on_presence(self, room: LiveRoom, member: Member, frame: dict[str, Any]) -> None:
        room.set_editing(member, frame["editing"])

    def _on_history(self, room: LiveRoom, member: Member, frame: dict[str, Any]) -> None:
        """One page of the role's history, read from the store (see rooms/history.py).

        One request per connection at a time: a second one before the first
        is answered gets ``limit_reached`` (``history.in_flight``), so a flood
        costs its sender only errors and never queues reads for anyone else.
        """
        if self._history is not None:
            self.push(
                frames.error(
                    None,
                    "limit_reached",
                    "one history request at a time",
                    reason="history.in_flight",
                )
            )
            return
        loop = asyncio.get_running_loop()
        self._history = loop.create_task(
            self._serve_history(room, member, frame), context=self._context
        )

    async def _serve_history(self, room: LiveRoom, member: Member, frame: dict[str, Any]) -> None:
        try:
            index = history.index_for(room, room.record)
            answer, events = await history.page(
                room.store, index, member.role, frame["log_id"], frame["from"], frame["to"]
            )
        except history.HistoryRefused as exc:
            self.push(frames.domain_error(None, exc))
        except StoreError as exc:
            log.error("history read failed, answered unavailable: %s", exc)
            self.error("unavailable", "the history cannot be read right now; try again")
        except Exception:
            log.exception("serving a history page failed; answered internal_error")
            self.error("internal_error", "this history request failed")
        else:
            if self.member is member:
                self.push(answer)
                room.handed(member, events, "history")
        finally:
            self._history = None

    def _on_export(self, room: LiveRoom, member: Member, frame: dict[str, Any]) -> None:
        """The member's export, from its role's view (see ``LiveRoom.export``).

        Bounded per connection: a burst of ``EXPORT_BURST``, then one every
        ``EXPORT_EVERY`` seconds; beyond that ``limit_reached``
        (``export.too_often``), which costs nobody else anything.
        """
        now = asyncio.get_running_loop().time()
        credit = min(EXPORT_BURST, self._export_credit + (now - self._export_at) / EXPORT_EVERY)
        self._export_at = now
        if credit < 1:
            self._export_credit = credit
            self.push(
                frames.error(
                    None,
                    "limit_reached",
                    "too many exports; try again in a moment",
                    reason="export.too_often",
                )
            )
            return
        self._export_credit = credit - 1
        try:
            self.push(room.export(member, frame["room"], frame["format"]))
        except DomainError as exc:
            self.push(frames.domain_error(None, exc))

    def _on_join_again(self, room: LiveRoom, member: Member, frame: dict[str, Any]) -> None:
        self.error("already_joined", "this connection has already joined")

    def error(self, code: str, message: str, op: object = None) -> None:
        self.push(frames.error(op, code, message))

    def _allowed(self, op: object) -> bool:
        """Spend one of the member's frame tokens; refuse the frame (rate_limited) if none is left."""
        bucket = self._bucket
        if bucket is None or bucket.take():
            return True
        wait = bucket.wait()
        self.edge.rate_limited += 1
        self.push(
            frames.error(
                op,
                "rate_limited",
                "too many frames; slow down",
                reason="rate.limited",
                params={"retry_ms": str(max(1, round(wait * 1000)))},
            )
        )
        if not self._throttled and self.transport is not None:
            self._throttled = True
            self.transport.pause_reading()
            asyncio.get_running_loop().call_later(wait, self._unthrottle)
        return False

    def _unthrottle(self) -> None:
        """The rate allows a frame again: take the held ones, then read again if still allowed."""
        self._throttled = False
        if self._joining is not None:
            return  # the join takes the held frames when it ends
        self._context.run(self._take_held)

    def _take_held(self) -> None:
        while self._held and not self._closing and not self._throttled:
            self._frame(self._held.popleft())
        if not self._held:
            self._held = None
        self._write_out()
        if self.transport is not None and not self._throttled:
            self.transport.resume_reading()

    # -- the join -----------------------------------------------------------------

    def _start_join(self, frame: dict[str, Any]) -> None:
        if self._join_timer is not None:
            self._join_timer.cancel()
            self._join_timer = None
        # Frames that follow the join wait for it, in order; the socket is not
        # read meanwhile, so a client cannot pile up work behind a slow store.
        if self.transport is not None:
            self.transport.pause_reading()
        # The join runs in this connection's context, so what it binds (room,
        # member) is there for every later line about the connection.
        loop = asyncio.get_running_loop()
        self._joining = loop.create_task(self._join(frame), context=self._context)

    async def _join(self, frame: dict[str, Any]) -> None:
        try:
            await self._admit(frame)
        finally:
            self._joining = None
        if self.transport is None:
            return  # the peer went away while joining
        if self.member is None:
            self._held = None
        while self._held and not self._closing and not self._throttled:
            self._frame(self._held.popleft())
        if not self._held:
            self._held = None
        self._write_out()
        if self.transport is not None and not self._throttled:
            # Also after a failed join: the peer's answer to our close frame must be read.
            self.transport.resume_reading()

    async def _admit(self, frame: dict[str, Any]) -> None:
        registry = self.edge.registry
        try:
            if registry is None:
                raise StoreError("the app has not started")
            found = await registry.authenticate(frame["token"])
            if found is None:
                self.error("bad_token", "this invite link is not valid")
                self.close(CLOSE_BAD_TOKEN, "bad token")
                return
            record, role = found
            # Without a member key (not a browser), every connection is a member of its own.
            key = frame.get("key") or invites.new_id()
            member = Member(invites.member_id(role, key), role, frame["name"], self)
            logs.bind(room=record.room_id, member=member.id)
            if member.id in invites.barred(record.secret_hashes, role):
                raise MemberRemoved(member.id)
            room = await registry.join(record, member, frame.get("resume"))
        except MemberRemoved:
            log.info("join refused: the member was removed")
            self.push(
                frames.error(
                    None, "removed", "you were removed from the room", reason="member.removed"
                )
            )
            self.close(CLOSE_REMOVED, "member.removed")
            return
        except RoomFull as full:
            log.info("join refused: %s", full.reason)
            self.push(
                frames.error(
                    None,
                    "room_full",
                    "this room has as many members as allowed",
                    reason=full.reason,
                    params={"max": str(full.limit)},
                )
            )
            self.close(CLOSE_FULL, "full")
            return
        except (StoreError, RoomClosed) as exc:
            log.error("join failed, answered unavailable: %s", exc)
            self.error("unavailable", "the room cannot be opened right now; try again")
            self.close(CLOSE_UNAVAILABLE, "unavailable")
            return
        if self.transport is None:
            room.leave(member)  # admitted just as the peer left
            return
        self.room, self.member = room, member
        self.edge.gate.joined(self.transport)
        rate = self.edge.settings.commands_per_second
        self._bucket = Bucket(rate, 2 * rate)

    def _leave(self) -> None:
        room, member = self.room, self.member
        self.room = self.member = None
        if room is not None and member is not None:
            room.leave(member)

    # -- outbound -----------------------------------------------------------------

    def push(self, frame: bytes) -> None:
        """Queue ``frame``; it leaves at the end of this turn of the event loop."""
        if self._closing or self._close is not None:
            return
        if len(self._queue) >= self.edge.settings.send_queue:
            self._overflow()
            return
        self._queue.append(frame)
        if self._writable:
            self._schedule()

    def stream(self, frames: Iterator[bytes]) -> None:
        """Send ``frames`` after what is queued, pulling them a batch at a time as the socket drains."""
        if self._closing or self._close is not None:
            return
        if len(self._queue) >= self.edge.settings.send_queue:
            self._overflow()
            return
        self._queue.append(frames)
        if self._writable:
            self._schedule()

    def push_latest(self, frame: bytes) -> None:
        """Queue ``frame``, replacing the previous one pushed this way if it is still queued."""
        if self._latest is not None:
            self._latest = frame
            return
        self.push(_LATEST)
        if self._queue and self._queue[-1] is _LATEST:
            self._latest = frame

    def close(self, code: int, reason: str) -> None:
        """Send what is queued, then a close frame with ``code``."""
        if self._closing or self._close is not None:
            return
        self._close = (code, reason)
        self._schedule()
        if not self._writable and self._close_timer is None:
            # The peer is not reading: the close frame may never get out.
            loop = asyncio.get_running_loop()
            self._close_timer = loop.call_later(STALLED_CLOSE_TIMEOUT, self._abort)

    def _schedule(self) -> None:
        if not self._queued:
            self._queued = True
            self.edge.dirty(self)

    def flush(self) -> None:
        """Hand queued frames to the protocol in batches, each batch to the socket, while it accepts more."""
        self._queued = False
        if self.transport is None or not self._writable:
            return
        ws, queue = self.ws, self._queue
        try:
            while queue and self._writable:
                batch = self._next_batch()
                if batch:
                    ws.send_binary(batch[0] if len(batch) == 1 else encode_batch(batch))
                    # To the socket now: if its buffer fills, pause_writing
                    # stops this loop (and the streams) until the peer reads.
                    self._write_out()
            if self._close is not None and not queue:
                code, reason = self._close
                self._closing = True
                ws.send_close(code, reason)
        except InvalidState:
            self._drop_queue()  # the closing handshake has begun: nothing more is sent
        self._write_out()

    def _next_batch(self) -> list[bytes]:
        """The next frames to send as one message: at most MAX_BATCH, and within the frame limit.

        Frames come from the queue in order; a stream gives its next frames
        and stays at the head until it is exhausted; the presence placeholder
        gives the newest presence frame.
        """
        queue, limit = self._queue, self.edge.max_size - 16  # room for the batch header
        batch: list[bytes] = []
        size = 0
        while queue and len(batch) < MAX_BATCH:
            head = queue[0]
            if isinstance(head, bytes):
                frame = (self._latest or b"") if head is _LATEST else head
                if batch and size + len(frame) > limit:
                    break
                queue.popleft()
                if head is _LATEST:
                    self._latest = None
            else:
                pulled = next(head, None)
                if pulled is None:
                    queue.popleft()  # the stream is exhausted
                    continue
                frame = pulled
                if batch and size + len(frame) > limit:
                    queue.appendleft(frame)  # it leads the next batch
                    break
            batch.append(frame)
            size += len(frame)
        return batch

    def _drop_queue(self) -> None:
        self._queue.clear()
        self._latest = None

    def _overflow(self) -> None:
        """The peer fell too far behind: leave the room now, tell it if it ever reads again."""
        log.warning("dropping a connection that fell %d frames behind", len(self._queue))
        self._drop_queue()
        self._closing = True
        self._leave()
        with contextlib.suppress(InvalidState):
            self.ws.send_close(CLOSE_TOO_SLOW, "too slow; resume")
        self._write_out(stalled=True)

    def _write_out(self, *, stalled: bool = False) -> None:
        """Write what the protocol produced; close the TCP connection when it says so."""
        transport = self.transport
        if transport is None:
            return
        for data in self.ws.data_to_send():
            if data:
                transport.write(data)
            else:
                transport.close()  # the protocol's end of stream: flush, then close
                return
        if self.ws.close_expected() and (self._close_timer is None or stalled):
            # The peer should answer our close frame and hang up; if it does
            # not (or cannot: it stopped reading), the connection is dropped.
            self._closing = True
            if self._close_timer is not None:
                self._close_timer.cancel()
            timeout = STALLED_CLOSE_TIMEOUT if stalled else CLOSE_TIMEOUT
            self._close_timer = asyncio.get_running_loop().call_later(timeout, self._abort)

    def _abort(self) -> None:
        self._close_timer = None
        if self.transport is not None:
            self.transport.abort()

    def shutdown(self) -> None:
        """The server is stopping: say so to the peer and close."""
        if self.ws.state is State.OPEN:
            self._drop_queue()
            self._closing = True
            self.ws.send_close(CLOSE_RESTART, "server restart")
            self._write_out(stalled=True)
        elif self.transport is not None:
            self.transport.close()


# The queue entry that stands for the newest presence frame (see RoomSocket.push_latest).
_LATEST = b"\x00latest presence"

_JOINED_HANDLERS: dict[str, Callable[[RoomSocket, LiveRoom, Member, dict[str, Any]], None]] = {
    "cmd": RoomSocket._on_cmd,
    "presence": RoomSocket._on_presence,
    "history": RoomSocket._on_history,
    "export": RoomSocket._on_export,
    "join": RoomSocket._on_join_again,
}
