"""Relay throughput: many rooms of 4 clients editing at once.

Starts ``valueroom serve`` as its own process, opens ``--rooms`` rooms with 4
websocket clients each (two per party) from this process, and lets every
client keep ``--window`` edits in flight for ``--seconds``. Reports the
deliveries per second (an event reaching a client other than its sender),
their latency, and the CPU time the server process used, read from
/proc, so that deliveries per server CPU-second can be compared with other
relays whatever the load generator costs.

    .venv/bin/python -m tests.bench_throughput --store sqlite --rooms 50

Bounded in time (--seconds) and in count (--max-edits); 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect

from tests.bench_latency import MACHINE, percentile, start_server
from tests.liveserver import ServerProcess, create_room


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def run(
    server: ServerProcess, rooms: int, window: int, seconds: float, max_edits: int
) -> dict[str, Any]:
    assert server.proc is not None
    pid = server.proc.pid
    base_rss = rss_kib(pid)
    sockets: list[ClientConnection] = []
    sent: dict[str, float] = {}
    latencies: list[float] = []
    deliveries = 0
    stop = asyncio.Event()
    edits = 0

    for r in range(rooms):
        room = await create_room(server.base)
        for i, role in enumerate(("buyer", "seller", "buyer", "seller")):
            ws = await connect(server.ws_url, compression=None, max_size=None)
            await ws.send(
                msgpack.packb({"type": "join", "token": room["tokens"][role], "name": f"r{r}c{i}"})
            )
            sockets.append(ws)
        first = sockets[-4]
        await first.send(
            msgpack.packb(
                {
                    "type": "cmd",
                    "op": f"r{r}-setup",
                    "name": "item.add",
                    "args": {"item_id": "x", "kind": "term", "title": "T"},
                }
            )
        )
    await asyncio.sleep(1.0)
    connected_rss = rss_kib(pid)

    async def client(index: int, ws: ClientConnection) -> None:
        nonlocal deliveries, edits
        credit = asyncio.Semaphore(window)
        prefix = f"c{index}-"

        async def reader() -> None:
            nonlocal deliveries
            async for message in ws:
                now = time.perf_counter()
                decoded = msgpack.unpackb(message)
                for frame in decoded if isinstance(decoded, list) else [decoded]:
                    kind = frame["type"]
                    if kind == "ack":
                        credit.release()
                    elif kind == "event" and frame["name"] == "item.edited":
                        op = frame["op"]
                        if not op.startswith(prefix):
                            deliveries += 1
                            latencies.append(now - sent[op])

        task = asyncio.create_task(reader())
        n = 0
        try:
            while not stop.is_set() and edits < max_edits:
                await credit.acquire()
                op = f"{prefix}{n}"
                n += 1
                edits += 1
                sent[op] = time.perf_counter()
                await ws.send(
                    msgpack.packb(
                        {
                            "type": "cmd",
                            "op": op,
                            "name": "item.edit",
                            "args": {"item_id": "x", "title": op},
                        }
                    )
                )
        finally:
            await asyncio.sleep(0.5)
            task.cancel()

    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    tasks = [asyncio.create_task(client(i, ws)) for i, ws in enumerate(sockets)]
    await asyncio.sleep(seconds)
    stop.set()
    elapsed = time.perf_counter() - started
    cpu_used = cpu_seconds(pid) - cpu_before
    counted = deliveries
    await asyncio.gather(*tasks, return_exceptions=True)
    for ws in sockets:
        await ws.close()
    lat_ms = [x * 1000 for x in latencies]
    return {
        "rooms": rooms,
        "clients": len(sockets),
        "seconds": round(elapsed, 2),
        "edits_sent": edits,
        "deliveries": counted,
        "deliveries_per_second": round(counted / elapsed),
        "server_cpu_seconds": round(cpu_used, 2),
        "deliveries_per_server_cpu_second": round(counted / cpu_used) if cpu_used else None,
        "latency_ms": {
            "median": round(statistics.median(lat_ms), 2),
            "p99": round(percentile(lat_ms, 99), 2),
        },
        "server_rss_kib": {"before_clients": base_rss, "with_clients_connected": connected_rss},
        "rss_per_connection_kib": round((connected_rss - base_rss) / len(sockets), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--window", type=int, default=4, help="edits each client keeps in flight")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-edits", type=int, default=2_000_000)
    args = parser.parse_args()
    with ExitStack() as stack:
        server = start_server(stack, args.store)
        result = asyncio.run(run(server, args.rooms, args.window, args.seconds, args.max_edits))
    result["store"] = args.store
    result["machine"] = MACHINE
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
