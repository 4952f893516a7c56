"""The raw yardstick: a bare ``websockets`` broadcast server (bench only).

    python tests/bench_peers/raw_server.py PORT

Each connection's path names its room; every binary message is sent as it
is to every other connection of the room. No parsing, no storage, no
per-recipient work, compression off: what relaying costs with nothing else.
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve

rooms: dict[str, set[ServerConnection]] = {}


async def handler(ws: ServerConnection) -> None:
    room = rooms.setdefault(ws.request.path if ws.request else "/", set())
    room.add(ws)
    try:
        async for message in ws:
            broadcast([peer for peer in room if peer is not ws], message)
    finally:
        room.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=2**16):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
