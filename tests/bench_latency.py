"""Edit-to-every-peer latency: one room, N clients, M edits in all.

Starts ``valueroom serve`` as its own process (and a redis-server for
``--store redis``), connects N websocket clients to one room from this
process, and has every client send its share of M title edits at a fixed
pace. For each edit it records the time from sending it to the moment the
last of the other N-1 clients received its event.

    .venv/bin/python -m tests.bench_latency --store sqlite
    .venv/bin/python -m tests.bench_latency --store redis --clients 10 --edits 1000

Everything talks to 127.0.0.1; the run is bounded by --edits and --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect

from tests.liveserver import ServerProcess, create_room
from tests.redisproc import running_redis

MACHINE = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def start_server(stack: ExitStack, store: str) -> ServerProcess:
    """A ``valueroom serve`` process on a fresh store of kind ``store``, closed with ``stack``."""
    if store == "redis":
        store_url = stack.enter_context(running_redis())
    else:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        store_url = "sqlite:///" + str(Path(folder) / "bench.db")
    return stack.enter_context(ServerProcess(store_url))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def run(
    url: str, clients: int, edits: int, interval: float, timeout: float
) -> dict[str, Any]:
    room = await create_room(url.replace("ws://", "http://").removesuffix("/ws"))
    roles = ["buyer", "seller"]
    sockets: list[ClientConnection] = []
    sent: dict[str, float] = {}
    arrivals: dict[str, list[float]] = {}
    done = asyncio.Event()
    expected = edits * (clients - 1)
    received = 0

    async def reader(index: int, ws: ClientConnection) -> None:
        nonlocal received
        async for message in ws:
            now = time.perf_counter()
            decoded = msgpack.unpackb(message)
            for frame in decoded if isinstance(decoded, list) else [decoded]:
                if frame["type"] == "event" and frame["name"] == "item.edited":
                    op = frame["op"]
                    if not op.startswith(f"c{index}-"):
                        arrivals.setdefault(op, []).append(now)
                        received += 1
                        if received >= expected:
                            done.set()

    for i in range(clients):
        ws = await connect(url, compression=None, max_size=None)
        await ws.send(
            msgpack.packb({"type": "join", "token": room["tokens"][roles[i % 2]], "name": f"c{i}"})
        )
        sockets.append(ws)
    first = sockets[0]
    await first.send(
        msgpack.packb(
            {
                "type": "cmd",
                "op": "setup",
                "name": "item.add",
                "args": {"item_id": "x", "kind": "term", "title": "Bench"},
            }
        )
    )
    await asyncio.sleep(0.5)
    readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]

    async def writer(index: int, ws: ClientConnection, count: int) -> None:
        for n in range(count):
            op = f"c{index}-{n}"
            frame = {
                "type": "cmd",
                "op": op,
                "name": "item.edit",
                "args": {"item_id": "x", "title": f"{index} {n}"},
            }
            data = msgpack.packb(frame)
            sent[op] = time.perf_counter()
            await ws.send(data)
            await asyncio.sleep(interval)

    started = time.perf_counter()
    share = [edits // clients + (1 if i < edits % clients else 0) for i in range(clients)]
    await asyncio.gather(*(writer(i, ws, share[i]) for i, ws in enumerate(sockets)))
    try:
        await asyncio.wait_for(done.wait(), timeout=timeout)
    finally:
        elapsed = time.perf_counter() - started
        for task in readers:
            task.cancel()
        for ws in sockets:
            await ws.close()
    to_all = [
        (max(arrivals[op]) - sent[op]) * 1000
        for op in sent
        if len(arrivals.get(op, [])) == clients - 1
    ]
    each = [(t - sent[op]) * 1000 for op in sent for t in arrivals.get(op, [])]
    return {
        "clients": clients,
        "edits": len(sent),
        "deliveries": len(each),
        "wall_seconds": round(elapsed, 3),
        "edit_to_all_peers_ms": {
            "median": round(statistics.median(to_all), 2),
            "p99": round(percentile(to_all, 99), 2),
            "max": round(max(to_all), 2),
        },
        "per_delivery_ms": {
            "median": round(statistics.median(each), 2),
            "p99": round(percentile(each, 99), 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument(
        "--interval", type=float, default=0.01, help="seconds between one client's edits"
    )
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    with ExitStack() as stack:
        server = start_server(stack, args.store)
        result = asyncio.run(
            run(server.ws_url, args.clients, args.edits, args.interval, args.timeout)
        )
    result["store"] = args.store
    result["machine"] = MACHINE
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
