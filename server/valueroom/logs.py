"""Logging as operators expect: context on every line, text or JSON, no frame dumps.

Every module logs through ``logging.getLogger(__name__)``. :func:`install`
(called by the app factory and by ``valueroom serve``) makes every log record
created in this process carry ``room`` and ``member``: the room and the
member a line is about, taken from context variables that the websocket edge
sets for a connection once it has joined, and the room's writer for its own
task. ``-`` means none (a line about the process, or a connection that has
not joined yet).

:func:`configure` sends every line (uvicorn's too) to standard error, either
as text::

    2026-05-01 12:00:00,123 INFO valueroom.rooms.registry [room=Ab3 member=-] room loaded: 42 events

or, with ``json``, as one JSON object per line with the keys ``time``,
``level``, ``logger``, ``message``, ``room``, ``member`` (and ``exc`` with a
traceback).

Volume: with a rate (``--log-rate``, lines per second, bursts of ten times
that) lines beyond it are counted, not written; the next line written is
preceded by one that says how many were dropped. Whatever clients do, the log
grows at most that fast.

Privacy: log lines name rooms, members (by id) and roles, never a figure or
a note. The websocket protocol's frame dumps (at DEBUG, frame bytes in hex)
are dropped, since a frame may hold a party's private figures.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "FORMATS",
    "TEXT_FORMAT",
    "JsonFormatter",
    "RateLimitedHandler",
    "bind",
    "bound",
    "configure",
    "install",
]

ROOM: ContextVar[str | None] = ContextVar("valueroom_log_room", default=None)
MEMBER: ContextVar[str | None] = ContextVar("valueroom_log_member", default=None)

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [room=%(room)s member=%(member)s] %(message)s"

# Loggers the websocket protocol writes frame dumps to (uvicorn hands its own to websockets).
_FRAME_LOGGERS = ("uvicorn.error", "websockets")


def bind(*, room: str | None, member: str | None) -> None:
    """Set the context of every later line of the current task (and tasks it starts)."""
    ROOM.set(room)
    MEMBER.set(member)


@contextlib.contextmanager
def bound(*, room: str | None, member: str | None) -> Iterator[None]:
    """The context for the lines logged inside the block only."""
    room_token = ROOM.set(room)
    member_token = MEMBER.set(member)
    try:
        yield
    finally:
        MEMBER.reset(member_token)
        ROOM.reset(room_token)


class _FrameDumps(logging.Filter):
    """Drops the websocket protocol's per-frame DEBUG lines (``< BINARY 84 a4 74 ...``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(type(arg).__module__ == "websockets.frames" for arg in args)


_installed = False


def install() -> None:
    """Give every log record ``room`` and ``member``; drop frame dumps. Idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        rec = make(*args, **kwargs)
        rec.room = ROOM.get() or "-"
        rec.member = MEMBER.get() or "-"
        return rec

    logging.setLogRecordFactory(record)
    for name in _FRAME_LOGGERS:
        logging.getLogger(name).addFilter(_FrameDumps())


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "room": getattr(record, "room", "-"),
            "member": getattr(record, "member", "-"),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class RateLimitedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes at most ``rate`` lines a second (bursts of ``10 * rate``).

    Lines over the rate are counted and dropped; the next line written is
    preceded by a WARNING saying how many were. ``rate`` 0 writes every line.
    """

    def __init__(self, rate: float = 0.0, clock: Any = time.monotonic) -> None:
        super().__init__()
        self.rate = rate
        self.burst = max(1.0, rate * 10)
        self.tokens = self.burst
        self.dropped = 0
        self._clock = clock
        self._stamp = clock()

    def handle(self, record: logging.LogRecord) -> bool:
        if self.rate <= 0:
            return bool(super().handle(record))
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self.tokens < 1:
            self.dropped += 1
            return False
        self.tokens -= 1
        if self.dropped:
            note = logging.LogRecord(
                __name__,
                logging.WARNING,
                __file__,
                0,
                "%d log lines were dropped (over --log-rate)",
                (self.dropped,),
                None,
            )
            note.room = note.member = "-"
            self.dropped = 0
            super().handle(note)
        return bool(super().handle(record))


def configure(
    level: str = "info", fmt: Literal["text", "json"] = "text", rate: float = 0.0
) -> None:
    """Send every line to standard error in ``fmt`` at ``level`` and above, at most ``rate`` a second."""
    install()
    handler = RateLimitedHandler(rate)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
