"""History costs on a long log: ``.venv/bin/python -m tests.bench_history [EVENTS]``.

Builds a room of EVENTS events (default 100,000; one in five private) on SQLite
and on the memory store, then times: chaining (``chain.stamp``) per event, the
first history page (which scans the log into the role index), later pages,
the index's size, and ``verify_room`` over the whole log.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time

from valueroom.domain.events import Actor, Event
from valueroom.rooms import history
from valueroom.store import chain, open_store
from valueroom.store.base import RoomRecord

__all__ = ["main"]


async def measure(url: str, count: int) -> str:
    store = open_store(url)
    await store.open()
    try:
        record = RoomRecord("r1", "log-1", 0, {})
        events = [
            Event(
                n,
                1_700_000_000_000 + n,
                Actor("buyer", "Anna"),
                f"op{n}",
                7 if n % 5 else 1,
                "item.edited",
                {"item_id": "abc123", "title": f"Price per unit {n}"},
            )
            for n in range(1, count + 1)
        ]
        started = time.perf_counter()
        stamped = chain.stamp(chain.genesis(record.log_id), events)
        stamping = (time.perf_counter() - started) / count
        await store.create_room(record, stamped[:1])
        for at in range(1, count, 1000):
            await store.append("r1", at, stamped[at : at + 1000])
        index = history.Index(record)
        started = time.perf_counter()
        await history.page(store, index, "seller", record.log_id, 1, 64)
        first = time.perf_counter() - started
        head = index.head("seller")
        started = time.perf_counter()
        for k in range(20):
            last = head - 64 * k
            await history.page(store, index, "seller", record.log_id, last - 63, last)
        later = (time.perf_counter() - started) / 20
        started = time.perf_counter()
        verdict = await history.verify_room(store, "r1")
        checking = time.perf_counter() - started
        assert verdict is not None
        assert verdict.broken is None
        return (
            f"{url.split(':')[0]:7} {count} events: chaining {stamping * 1e6:.1f} us/event, "
            f"first page (index scan) {first * 1000:.0f} ms, later pages {later * 1000:.1f} ms, "
            f"index {index.size_bytes() / 1024:.0f} KiB, verify {checking * 1000:.0f} ms"
        )
    finally:
        await store.close()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        print(asyncio.run(measure(f"sqlite:///{folder}/bench.db", count)))
    print(asyncio.run(measure("memory://bench-history", count)))


if __name__ == "__main__":
    main()
