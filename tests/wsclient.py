"""A real websocket client for tests, speaking the valueroom protocol.

Every frame it receives is checked against the shared schema, and kept (a
batch message is unpacked into its frames, in order), so a test can inspect
everything a connection was ever sent. Every wait is for a frame or the
close, bounded by a timeout that ``tests.timing`` scales.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.timing import timeout as scaled
from valueroom.protocol.schema import check_server_message

__all__ = ["WsClient"]

_ops = itertools.count(1)

Frame = dict[str, Any]


class WsClient:
    def __init__(self, url: str, *, origin: str | None = None) -> None:
        self.url = url
        self.origin = origin
        self.ws: ClientConnection | None = None
        self.frames: list[Frame] = []
        self.raw: list[bytes] = []
        self.closed: tuple[int | None, str] | None = None
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        self.welcome: Frame | None = None
        self.last_seq = 0
        self.batches = 0

    async def open(self) -> WsClient:
        headers = {"Origin": self.origin} if self.origin else None
        self.ws = await connect(
            self.url,
            additional_headers=headers,
            compression=None,
            max_size=None,
            open_timeout=scaled(10),
            close_timeout=scaled(10),
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for message in self.ws:
                assert isinstance(message, bytes), "server sent a text frame"
                decoded = msgpack.unpackb(message, raw=False)
                check_server_message(decoded)
                self.raw.append(message)
                if isinstance(decoded, list):
                    self.batches += 1
                for frame in decoded if isinstance(decoded, list) else [decoded]:
                    self.frames.append(frame)
                    if frame["type"] in ("event", "welcome"):
                        self.last_seq = max(self.last_seq, frame["seq"])
                async with self._changed:
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            self.closed = (self.ws.close_code, self.ws.close_reason or "")
            async with self._changed:
                self._changed.notify_all()

    async def send(self, frame: Any) -> None:
        assert self.ws is not None
        await self.ws.send(msgpack.packb(frame, use_bin_type=True))

    async def send_raw(self, data: bytes | str) -> None:
        assert self.ws is not None
        await self.ws.send(data)

    async def join(
        self,
        token: str,
        name: str = "Tester",
        resume: dict[str, Any] | None = None,
        *,
        key: str | None = None,
    ) -> Frame:
        frame: Frame = {"type": "join", "token": token, "name": name}
        if key is not None:
            frame["key"] = key
        if resume is not None:
            frame["resume"] = resume
        start = len(self.frames)
        await self.send(frame)
        welcome = await self.wait_for(lambda f: f["type"] in ("welcome", "error"), start=start)
        if welcome["type"] == "welcome" and welcome.get("more"):
            # A large view comes in parts: put it back together as the browser does.
            view = welcome["view"]
            index = self.frames.index(welcome) + 1
            while True:
                part = await self.wait_for(lambda f: f["type"] == "view_part", start=index)
                index = self.frames.index(part) + 1
                for key in ("items", "removed", "notes"):
                    view[key].extend(part.get(key, []))
                for key in ("private", "seals", "access"):
                    view[key].update(part.get(key, {}))
                for party, messages in part.get("messages", {}).items():
                    view["caucus"][party]["messages"].extend(messages)
                if part["last"]:
                    break
        if welcome["type"] == "welcome":
            self.welcome = welcome
        return welcome

    async def command(self, name: str, args: dict[str, Any], op: str | None = None) -> str:
        op = op or f"op{next(_ops)}"
        await self.send({"type": "cmd", "op": op, "name": name, "args": args})
        return op

    async def call(self, name: str, args: dict[str, Any], op: str | None = None) -> Frame:
        """Send a command and wait for its ack or error."""
        op = await self.command(name, args, op)
        return await self.reply(op)

    async def reply(self, op: str, timeout: float = 10) -> Frame:
        """The ack or error for ``op`` (waiting at most ``timeout`` seconds, scaled)."""
        return await self.wait_for(
            lambda f: f["type"] in ("ack", "error") and f.get("op") == op, timeout=timeout
        )

    async def wait_for(
        self, predicate: Callable[[Frame], bool], *, timeout: float = 10, start: int = 0
    ) -> Frame:
        async def find() -> Frame:
            index = start
            async with self._changed:
                while True:
                    for frame in self.frames[index:]:
                        if predicate(frame):
                            return frame
                    index = len(self.frames)
                    if self.closed is not None:
                        raise ConnectionError(f"closed {self.closed} before the frame arrived")
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout=scaled(timeout))

    async def wait_closed(self, timeout: float = 10) -> tuple[int | None, str]:
        async def closed() -> tuple[int | None, str]:
            async with self._changed:
                while self.closed is None:
                    await self._changed.wait()
                return self.closed

        return await asyncio.wait_for(closed(), timeout=scaled(timeout))

    def events(self, name: str | None = None) -> list[Frame]:
        return [
            f for f in self.frames if f["type"] == "event" and (name is None or f["name"] == name)
        ]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._reader, timeout=scaled(5))

    async def __aenter__(self) -> WsClient:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
