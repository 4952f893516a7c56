"""Memory held per idle connection: valueroom against a bare ``websockets`` server.

Opens ``--connections`` websocket connections to a ``valueroom serve``
process (joined, spread over rooms of ``--per-room``), waits for the server
to settle, and reads the server's resident memory from /proc before and
after. Then does the same against a bare ``websockets`` server (compression
off, handler awaiting the connection's end) on the same machine, as the
yardstick.

    .venv/bin/python -m tests.bench_idle --connections 1000

127.0.0.1 only; the number of connections is the bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect

from tests.bench_latency import MACHINE
from tests.bench_throughput import rss_kib
from tests.liveserver import ServerProcess, create_room, free_port

BARE_SERVER = """
import asyncio, sys
from websockets.asyncio.server import serve
async def handler(ws):
    await ws.wait_closed()
async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), compression=None):
        print("ready", flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


def per_connection(before: int, after: int, connections: int) -> dict[str, Any]:
    return {
        "rss_before_kib": before,
        "rss_after_kib": after,
        "per_connection_kib": round((after - before) / connections, 1),
    }


async def settle(pid: int) -> int:
    """RSS once it stops moving (bounded: 5 s)."""
    last = rss_kib(pid)
    for _ in range(25):
        await asyncio.sleep(0.2)
        now = rss_kib(pid)
        if abs(now - last) < 16:
            return now
        last = now
    return last


async def valueroom(connections: int, per_room: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as folder,
        ServerProcess("sqlite:///" + str(Path(folder) / "idle.db")) as server,
    ):
        assert server.proc is not None
        pid = server.proc.pid
        rooms = [await create_room(server.base) for _ in range(-(-connections // per_room))]
        before = await settle(pid)
        sockets: list[ClientConnection] = []
        for i in range(connections):
            room = rooms[i // per_room]
            ws = await connect(server.ws_url, compression=None, max_size=None)
            await ws.send(
                msgpack.packb(
                    {
                        "type": "join",
                        "token": room["tokens"][("buyer", "seller")[i % 2]],
                        "name": f"c{i}",
                    }
                )
            )
            sockets.append(ws)
        after = await settle(pid)
        for ws in sockets:
            await ws.close()
    return per_connection(before, after, connections)


async def bare(pid: int, port: int, connections: int) -> dict[str, Any]:
    before = await settle(pid)
    url = f"ws://127.0.0.1:{port}"
    sockets = [await connect(url, compression=None) for _ in range(connections)]
    after = await settle(pid)
    for ws in sockets:
        await ws.close()
    return per_connection(before, after, connections)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--per-room", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(port)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        yardstick = asyncio.run(bare(proc.pid, port, args.connections))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    result = {
        "connections": args.connections,
        "valueroom": asyncio.run(valueroom(args.connections, args.per_room)),
        "bare_websockets": yardstick,
        "seconds": 0.0,
        "machine": MACHINE,
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
