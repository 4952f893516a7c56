"""Settings from flags and environment variables (flags win).

=================  ======================  ==========================================
flag               environment             meaning (default)
=================  ======================  ==========================================
``--host``         ``VALUEROOM_HOST``      interface to bind (127.0.0.1)
``--port``         ``PORT``                TCP port (8000)
``--store``        ``REDIS_URL`` or        store URL; ``REDIS_URL`` wins when set
                   ``VALUEROOM_STORE``     (sqlite:///valueroom.db)
``--public-url``   ``VALUEROOM_PUBLIC_URL``  base of invite links (from the request)
``--allow-origin`` ``VALUEROOM_ALLOWED_ORIGINS``  extra websocket origins, comma-separated
``--idle``         ``VALUEROOM_IDLE_SECONDS``  unload rooms idle this long (30)
``--queue``        ``VALUEROOM_SEND_QUEUE``  frames buffered per connection (2048)
=================  ======================  ==========================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "default_client_dir"]


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


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    store_url: str = "sqlite:///valueroom.db"
    public_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    idle_seconds: float = 30.0
    send_queue: int = 2048
    # A connection whose socket buffer stays full this long (its peer reads
    # nothing) is dropped: what a stalled reader holds is freed in bounded time.
    send_deadline: float = 30.0
    join_timeout: float = 10.0
    # Every this many seconds each websocket is pinged; one that sent nothing
    # (no pong either) by the next round is dropped as dead.
    ping_interval: float = 20.0
    client_dir: Path = field(default_factory=default_client_dir)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        base = cls()
        origins = env.get("VALUEROOM_ALLOWED_ORIGINS", "")
        return cls(
            host=env.get("VALUEROOM_HOST", base.host),
            port=int(env.get("PORT", base.port)),
            store_url=env.get("REDIS_URL") or env.get("VALUEROOM_STORE") or base.store_url,
            public_url=env.get("VALUEROOM_PUBLIC_URL") or None,
            allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            idle_seconds=float(env.get("VALUEROOM_IDLE_SECONDS", base.idle_seconds)),
            send_queue=int(env.get("VALUEROOM_SEND_QUEUE", base.send_queue)),
            send_deadline=float(env.get("VALUEROOM_SEND_DEADLINE", base.send_deadline)),
        )
