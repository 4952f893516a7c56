"""Settings from flags and environment variables (flags win).

Every setting an operator may change is one row of :data:`OPTIONS`: its
field, its ``valueroom serve`` flag, its environment variable and what it
means. The command line (``cli.py``) and :meth:`Settings.from_env` are built
from that table, and ``tests/test_config.py`` checks that the README's
configuration table lists every row, so the three cannot drift apart.

Durations are seconds, or a number with a unit: ``90s``, ``15m``, ``12h``,
``30d``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["OPTIONS", "Option", "Settings", "default_client_dir", "duration"]

# The shared schema's presence frame lists at most this many members.
MAX_MEMBERS_PER_ROOM = 1000


def default_client_dir() -> Path:
    """The browser client: bundled in the package (an installed wheel), else the checkout's.

    A wheel carries it as ``valueroom/client/`` (see ``setup.py``); an editable
    install or a checkout on ``PYTHONPATH`` serves ``client/`` at the top of
    the checkout.
    """
    package = Path(__file__).resolve().parent
    bundled = package / "client"
    if (bundled / "index.html").is_file():
        return bundled
    return package.parents[1] / "client"


_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """Seconds from ``"90"``, ``"90s"``, ``"15m"``, ``"12h"`` or ``"30d"``."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if found is None:
        raise ValueError(f"not a duration: {text!r} (seconds, or a number with s, m, h or d)")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    store_url: str = "sqlite:///valueroom.db"
    public_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    idle_seconds: float = 30.0
    send_queue: int = 2048
    # A connection whose socket buffer stays full this long (its peer reads
    # nothing) is dropped: what a stalled reader holds is freed in bounded time.
    send_deadline: float = 30.0
    join_timeout: float = 10.0
    header_timeout: float = 10.0
    # 0: as many as the descriptor budget allows (the soft RLIMIT_NOFILE,
    # raised at start-up where allowed, less ``descriptor_reserve``).
    max_connections: int = 0
    descriptor_reserve: int = 64
    # A browser opens several HTTP connections per page (kept alive for a few
    # seconds), and an office shares one address: the defaults leave room.
    max_per_address: int = 256
    max_unjoined: int = 1024
    max_unjoined_per_address: int = 64
    rooms_per_hour: int = 30
    # Link reissues and erasures asked for by one address: enough for a
    # person managing a few rooms, too few to guess a managing token.
    manage_per_hour: int = 60
    commands_per_second: float = 20.0
    members_per_room: int = 100
    members_per_link: int = 30
    log_lines_per_second: float = 20.0
    retention: float = 0.0
    metrics: str | None = None
    # Every this many seconds each websocket is pinged; one that sent nothing
    # (no pong either) by the next round is dropped as dead.
    ping_interval: float = 20.0
    # Presence changes of a room go out together at most this often.
    presence_interval: float = 0.1
    client_dir: Path = field(default_factory=default_client_dir)

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.members_per_room <= MAX_MEMBERS_PER_ROOM:
            problems.append(f"members per room must be 1 to {MAX_MEMBERS_PER_ROOM}")
        if not 1 <= self.members_per_link <= self.members_per_room:
            problems.append("members per link must be at least 1 and at most the members per room")
        for name in ("max_per_address", "max_unjoined", "max_unjoined_per_address", "send_queue"):
            if getattr(self, name) < 1:
                problems.append(f"{name.replace('_', ' ')} must be at least 1")
        for name in ("commands_per_second", "header_timeout", "join_timeout", "send_deadline"):
            if getattr(self, name) <= 0:
                problems.append(f"{name.replace('_', ' ')} must be positive")
        if (
            self.max_connections < 0
            or self.rooms_per_hour < 0
            or self.manage_per_hour < 0
            or self.retention < 0
        ):
            problems.append("limits and durations cannot be negative")
        if self.log_lines_per_second < 0:
            problems.append("log lines per second cannot be negative (0: no limit)")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The defaults, overridden by every environment variable of :data:`OPTIONS` that is set."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for option in OPTIONS:
            for name in option.env:
                raw = env.get(name)
                if raw:
                    values[option.field] = option.parse(raw)
                    break
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: its field, flag, environment variables (first set wins) and meaning."""

    field: str
    flag: str
    env: tuple[str, ...]
    parse: Callable[[str], Any]
    help: str
    many: bool = False  # a repeatable flag (and a comma-separated variable)
    metavar: str | None = None


def _optional(text: str) -> str | None:
    return text or None


OPTIONS: tuple[Option, ...] = (
    Option("host", "--host", ("VALUEROOM_HOST",), str, "interface to bind"),
    Option("port", "--port", ("PORT",), int, "TCP port"),
    Option(
        "store_url",
        "--store",
        ("REDIS_URL", "VALUEROOM_STORE"),
        str,
        "event store URL: sqlite:///file.db, redis://host:port/db or redis+cluster://host:port",
    ),
    Option(
        "public_url",
        "--public-url",
        ("VALUEROOM_PUBLIC_URL",),
        _optional,
        "base URL of invite links (else an allowed host of the request, else links relative to the page)",
    ),
    Option(
        "allowed_origins",
        "--allow-origin",
        ("VALUEROOM_ALLOWED_ORIGINS",),
        _names,
        "also accept websockets and room creation from this Origin; repeatable",
        many=True,
    ),
    Option(
        "allowed_hosts",
        "--allow-host",
        ("VALUEROOM_ALLOWED_HOSTS",),
        _names,
        "a Host header invite links may be built from when --public-url is not set; repeatable",
        many=True,
    ),
    Option(
        "idle_seconds",
        "--idle",
        ("VALUEROOM_IDLE_SECONDS",),
        duration,
        "unload a room idle this long",
    ),
    Option(
        "send_queue",
        "--queue",
        ("VALUEROOM_SEND_QUEUE",),
        int,
        "frames buffered per connection before it is dropped as too slow (4408)",
    ),
    Option(
        "send_deadline",
        "--send-deadline",
        ("VALUEROOM_SEND_DEADLINE",),
        float,
        "drop a connection whose peer read nothing for this many seconds while frames waited",
    ),
    Option(
        "join_timeout",
        "--join-timeout",
        ("VALUEROOM_JOIN_TIMEOUT",),
        duration,
        "close a websocket that sent no join this long after its handshake (4400)",
    ),
    Option(
        "header_timeout",
        "--header-timeout",
        ("VALUEROOM_HEADER_TIMEOUT",),
        duration,
        "close a connection whose HTTP request (or handshake) is not complete this long after it began",
    ),
    Option(
        "max_connections",
        "--max-connections",
        ("VALUEROOM_MAX_CONNECTIONS",),
        int,
        "open connections at most (0: the descriptor budget, the raised soft limit less --descriptor-reserve)",
    ),
    Option(
        "descriptor_reserve",
        "--descriptor-reserve",
        ("VALUEROOM_DESCRIPTOR_RESERVE",),
        int,
        "file descriptors kept free for the store, the log and the listening sockets",
    ),
    Option(
        "max_per_address",
        "--max-per-address",
        ("VALUEROOM_MAX_PER_ADDRESS",),
        int,
        "open connections per client address",
    ),
    Option(
        "max_unjoined",
        "--max-unjoined",
        ("VALUEROOM_MAX_UNJOINED",),
        int,
        "connections that have not joined a room (HTTP requests, websockets before their join)",
    ),
    Option(
        "max_unjoined_per_address",
        "--max-unjoined-per-address",
        ("VALUEROOM_MAX_UNJOINED_PER_ADDRESS",),
        int,
        "of those, per client address",
    ),
    Option(
        "rooms_per_hour",
        "--rooms-per-hour",
        ("VALUEROOM_ROOMS_PER_HOUR",),
        int,
        "rooms one client address may create per hour (0: no limit)",
    ),
    Option(
        "manage_per_hour",
        "--manage-per-hour",
        ("VALUEROOM_MANAGE_PER_HOUR",),
        int,
        "link reissues and room erasures one client address may ask for per hour (0: no limit)",
    ),
    Option(
        "commands_per_second",
        "--commands-per-second",
        ("VALUEROOM_COMMANDS_PER_SECOND",),
        float,
        "frames per second one member may send (bursts of twice that); beyond: rate_limited",
    ),
    Option(
        "members_per_room",
        "--members-per-room",
        ("VALUEROOM_MEMBERS_PER_ROOM",),
        int,
        f"connections joined to one room (at most {MAX_MEMBERS_PER_ROOM})",
    ),
    Option(
        "members_per_link",
        "--members-per-link",
        ("VALUEROOM_MEMBERS_PER_LINK",),
        int,
        "connections joined to one room through one role's link",
    ),
    Option(
        "retention",
        "--retention",
        ("VALUEROOM_RETENTION",),
        duration,
        "erase a room this long after it reached the closed phase (0: keep rooms)",
    ),
    Option(
        "metrics",
        "--metrics",
        ("VALUEROOM_METRICS",),
        _optional,
        "serve Prometheus metrics on this HOST:PORT, a listener of their own (off when not set)",
        metavar="HOST:PORT",
    ),
    Option(
        "log_lines_per_second",
        "--log-rate",
        ("VALUEROOM_LOG_RATE",),
        float,
        "log lines per second (bursts of ten times that); the rest are counted, not written (0: no limit)",
    ),
)
