"""The websocket edge: handshake checks, the join, and one handler per frame type.

Close codes (besides the standard ones, e.g. 1009 for a frame over the size
limit, which the websocket layer enforces):

====  ==========================================================
4400  no ``join`` frame within the join timeout
4401  the invite token is not valid (after a ``bad_token`` error)
4408  the connection could not keep up; reconnect and resume
1011  the store could not open the room (after an ``unavailable`` error),
      or the room's writer failed (the room is reloaded on the next join)
====  ==========================================================

A handshake from a foreign ``Origin`` is refused before it is accepted (HTTP
403), so a page on another site cannot use a visitor's invite link
(cross-site websocket hijacking). Clients that send no ``Origin`` (not
browsers) are let through: they still need a token.

Every inbound frame is decoded and checked against the shared schema before
anything else looks at it. A bad frame gets a typed ``error`` frame and
changes nothing; the connection stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from valueroom import logs
from valueroom.config import Settings
from valueroom.protocol import frames
from valueroom.protocol.codec import MAX_BATCH, FrameDecodeError, decode, encode_batch
from valueroom.protocol.schema import SchemaViolation, check_client_frame, check_command_args
from valueroom.rooms import invites
from valueroom.rooms.live import LiveRoom, Member, RoomClosed
from valueroom.rooms.registry import Registry
from valueroom.store.base import StoreError

__all__ = [
    "CLOSE_BAD_TOKEN",
    "CLOSE_NO_JOIN",
    "CLOSE_TOO_SLOW",
    "CLOSE_UNAVAILABLE",
    "serve_websocket",
]

log = logging.getLogger(__name__)

CLOSE_NO_JOIN = 4400
CLOSE_BAD_TOKEN = 4401
CLOSE_TOO_SLOW = 4408
CLOSE_UNAVAILABLE = 1011


class _Outbox:
    """A bounded queue drained by one writer task per connection.

    Frames leave in order. When several are waiting, they are sent together
    as one batch message (a msgpack array); a lone frame is sent at once.

    ``push`` never blocks. Past ``limit`` queued frames the connection is
    given up on: the queue is dropped, the writer task is cancelled (it may be
    stuck behind a peer that stopped reading) and so is the reading task
    (``owner``), which ends the session and takes the member out of the room
    at once.
    """

    __slots__ = ("_close", "_limit", "_queue", "_ready", "_ws", "overflowed", "owner", "task")

    def __init__(self, ws: WebSocket, limit: int, owner: asyncio.Task[Any] | None) -> None:
        self._ws = ws
        self._limit = limit
        self._queue: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self.overflowed = False
        self.owner = owner
        self.task: asyncio.Task[None] | None = None

    @property
    def closing(self) -> bool:
        return self._close is not None

    @property
    def close_code(self) -> int | None:
        """The close code this side chose, if it chose one."""
        return None if self._close is None else self._close[0]

    def push(self, frame: bytes) -> None:
        if self._close is not None:
            return
        if len(self._queue) >= self._limit:
            self._queue.clear()
            self.overflowed = True
            self._close = (CLOSE_TOO_SLOW, "too slow; resume")
            for task in (self.task, self.owner):
                if task is not None:
                    task.cancel()
            return
        self._queue.append(frame)
        self._ready.set()

    def close(self, code: int, reason: str) -> None:
        if self._close is None:
            self._close = (code, reason)
            self._ready.set()

    async def pump(self) -> None:
        """Send queued frames in order until closed; then send the close frame."""
        ws = self._ws
        queue = self._queue
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                while queue:
                    if len(queue) == 1:
                        await ws.send_bytes(queue.popleft())
                    else:
                        # Frames that piled up while the last send was under way
                        # go out as one message: one send, one syscall.
                        count = min(len(queue), MAX_BATCH)
                        await ws.send_bytes(encode_batch([queue.popleft() for _ in range(count)]))
                if self._close is not None:
                    await ws.close(*self._close)
                    return
        except (WebSocketDisconnect, OSError):
            return  # the peer is gone; the session ends with it
        except RuntimeError:
            # Starlette's word for "a close was already sent": the session is
            # over. Any other RuntimeError is a bug and must be seen.
            if ws.application_state is not WebSocketState.DISCONNECTED:
                raise


def origin_allowed(ws: WebSocket, settings: Settings) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    if origin in settings.allowed_origins:
        return True
    host = ws.headers.get("host")
    return host is not None and urlsplit(origin).netloc == host


async def serve_websocket(ws: WebSocket, registry: Registry, settings: Settings) -> None:
    """Serve one connection: this task reads, one more task writes."""
    if not origin_allowed(ws, settings):
        log.warning("refused websocket from foreign origin %r", ws.headers.get("origin"))
        await ws.close(code=1008)
        return
    await ws.accept()
    outbox = _Outbox(ws, settings.send_queue, owner=asyncio.current_task())
    session = _Session(ws, outbox, registry)
    pump = outbox.task = asyncio.create_task(outbox.pump())
    try:
        await session.run(settings.join_timeout)
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if not outbox.overflowed or current is None:
            raise
        current.uncancel()  # our own doing: the peer fell too far behind
    finally:
        session.leave()
    if outbox.overflowed:
        # Best effort: a peer that stopped reading may never see this.
        await _close_quietly(ws, CLOSE_TOO_SLOW, "too slow; resume")
    elif not pump.done():
        outbox.close(1000, "bye")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(pump), timeout=5)
        pump.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pump
    if session.peer_code is not None:
        log.info("connection closed by the peer: code %d", session.peer_code)
    else:
        log.info("connection closed: code %d", outbox.close_code or 1000)


async def _close_quietly(ws: WebSocket, code: int, reason: str) -> None:
    """Send a close frame unless the connection is already gone, waiting at most a second."""
    if ws.application_state is WebSocketState.DISCONNECTED:
        return
    with contextlib.suppress(TimeoutError, WebSocketDisconnect, OSError):
        await asyncio.wait_for(ws.close(code, reason), timeout=1)


class _Session:
    """One connection's life: wait for ``join``, then dispatch frames to the room."""

    def __init__(self, ws: WebSocket, outbox: _Outbox, registry: Registry) -> None:
        self.ws = ws
        self.outbox = outbox
        self.registry = registry
        self.room: LiveRoom | None = None
        self.member: Member | None = None
        self.peer_code: int | None = None  # how the peer closed, when it did
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
            "join": self._on_join,
            "cmd": self._on_cmd,
            "presence": self._on_presence,
        }

    def error(self, code: str, message: str, op: object = None) -> None:
        self.outbox.push(frames.error(op, code, message))

    async def run(self, join_timeout: float) -> None:
        """Read frames until the peer leaves; return early if the join fails."""
        # Only the wait for a join frame is timed: a join under way is never
        # cut short, so a member can't be admitted behind a session's back.
        try:
            join = await asyncio.wait_for(self._join_frame(), timeout=join_timeout)
        except TimeoutError:
            self.outbox.close(CLOSE_NO_JOIN, "join first")
            return
        except WebSocketDisconnect as gone:
            self.peer_code = gone.code
            return
        await self._on_join(join)
        if self.member is None:
            return
        try:
            while True:
                frame = await self._receive()
                if frame is not None:
                    await self._handlers[frame["type"]](frame)
        except WebSocketDisconnect as gone:
            self.peer_code = gone.code

    async def _join_frame(self) -> dict[str, Any]:
        """The first valid ``join`` frame; anything before it is answered with an error."""
        while True:
            frame = await self._receive()
            if frame is None:
                continue
            if frame["type"] == "join":
                return frame
            self.error("not_joined", "send a join frame first", frame.get("op"))

    async def _receive(self) -> dict[str, Any] | None:
        """The next valid frame, or None after answering an invalid one with an error."""
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        data = message.get("bytes")
        if data is None:
            self.error("bad_frame", "frames must be binary msgpack")
            return None
        try:
            frame = decode(data)
        except FrameDecodeError as exc:
            self.error("bad_frame", str(exc))
            return None
        op = frame.get("op") if isinstance(frame, dict) else None
        try:
            kind = check_client_frame(frame)
            if kind == "cmd":
                check_command_args(frame["name"], frame["args"])
        except SchemaViolation as exc:
            code = "unknown_type" if exc.path == "type" else "invalid_frame"
            self.outbox.push(frames.schema_error(op, code, exc))
            return None
        result: dict[str, Any] = frame
        return result

    async def _on_join(self, frame: dict[str, Any]) -> None:
        if self.member is not None:
            self.error("already_joined", "this connection has already joined")
            return
        try:
            found = await self.registry.authenticate(frame["token"])
            if found is None:
                self.error("bad_token", "this invite link is not valid")
                self.outbox.close(CLOSE_BAD_TOKEN, "bad token")
                return
            record, role = found
            member = Member(invites.new_id(9), role, frame["name"], self.outbox)
            logs.bind(room=record.room_id, member=member.id)
            self.room = await self.registry.join(record, member, frame.get("resume"))
        except (StoreError, RoomClosed) as exc:
            log.error("join failed, answered unavailable: %s", exc)
            self.error("unavailable", "the room cannot be opened right now; try again")
            self.outbox.close(CLOSE_UNAVAILABLE, "unavailable")
            return
        self.member = member

    async def _on_cmd(self, frame: dict[str, Any]) -> None:
        assert self.room is not None
        assert self.member is not None
        self.room.submit(self.member, frame["op"], frame["name"], frame["args"])

    async def _on_presence(self, frame: dict[str, Any]) -> None:
        assert self.room is not None
        assert self.member is not None
        self.room.set_editing(self.member, frame["editing"])

    def leave(self) -> None:
        if self.room is not None and self.member is not None:
            self.room.leave(self.member)
