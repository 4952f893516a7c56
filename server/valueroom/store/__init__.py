"""Store adapters behind one small contract, chosen by URL and imported lazily.

``sqlite:///path/to/file.db`` (the embedded default), ``redis://host:port/db``
(several processes), ``redis+cluster://host:port`` (several processes on a
Redis Cluster), or ``memory://name`` (no I/O; tests and demos).
"""

from __future__ import annotations

from valueroom.store.base import Conflict, RoomRecord, Store, StoreError, UnknownRoom

__all__ = ["Conflict", "RoomRecord", "Store", "StoreError", "UnknownRoom", "open_store"]


def open_store(url: str) -> Store:
    """Build (not yet open) the store that ``url`` names."""
    if url.startswith("sqlite://"):
        from valueroom.store.sqlite import SQLiteStore

        return SQLiteStore.from_url(url)
    if url.startswith("memory://"):
        from valueroom.store.memory import MemoryStore

        return MemoryStore.from_url(url)
    if url.startswith(
        ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
    ):
        from valueroom.store.redis import RedisStore

        return RedisStore.from_url(url)
    raise ValueError(
        f"unsupported store URL {url!r}: use sqlite:///path, redis://host:port, redis+cluster://host:port or memory://name"
    )
