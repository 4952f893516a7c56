"""A flooding member in a process of its own: ``python -m tests.faults.flood WS_URL TOKEN COUNT``.

Joins with ``TOKEN`` and sends ``COUNT`` edits of item ``f`` as fast as the
socket takes them, never waiting for an answer; prints how many it sent.
Run apart from the test so that its work does not slow the test's own
measuring client.
"""

from __future__ import annotations

import sys

import msgpack
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def main(url: str, token: str, count: int) -> int:
    sent = 0
    with connect(url, compression=None, max_size=None, max_queue=None) as ws:
        ws.send(msgpack.packb({"type": "join", "token": token, "name": "Flo"}))
        try:
            for n in range(count):
                args = {"item_id": "f", "title": f"x{n % 7}"}
                ws.send(
                    msgpack.packb(
                        {"type": "cmd", "op": f"f:{n}", "name": "item.edit", "args": args}
                    )
                )
                sent += 1
        except ConnectionClosed:
            pass
    print(sent)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
