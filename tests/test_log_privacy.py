"""No log line, at any level, holds a private figure or note.

A session registers, refuses, reveals and revises figures on a real server
(both stores) while every logger of the process logs at DEBUG, the
websocket protocol and the store clients included. Every line is then
formatted both ways operators can ask for (text and JSON) and searched for
each secret in every form it could take: as typed, as minor units, as
money, as the hex of its bytes (how frame dumps show data), as its msgpack
encoding.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import msgpack
import pytest

from tests.liveserver import create_room, serve_in_loop
from tests.loglines import LogLines
from tests.wsclient import WsClient
from valueroom.logs import TEXT_FORMAT, JsonFormatter

SECRET_VALUE = "9876543.21"  # the buyer's value: revealed later
SECRET_COST = "1234.57"
HIDDEN_VALUE = "5551212.34"  # on an item never revealed
NOTE = "walk-away price is much lower"
HIDDEN_NOTE = "our real margin is thin"


def hexed(data: bytes) -> str:
    return " ".join(f"{b:02x}" for b in data)


def forms(typed: str) -> set[str]:
    """Every way a log line could spell an amount typed as ``typed``."""
    units = int(typed.replace(".", ""))
    whole, cents = typed.split(".")
    grouped = f"{int(whole):,}"
    return {
        typed,
        str(units),
        typed.replace(".", ","),
        f"{grouped}.{cents}",
        f"{grouped.replace(',', '.')},{cents}",
        hexed(typed.encode()),
        hexed(msgpack.packb(units)),
    }


def note_forms(note: str) -> set[str]:
    data = note.encode()
    windows = {hexed(data[i : i + 8]) for i in range(len(data) - 7)}
    return {note, *windows}


SECRETS = (
    forms(SECRET_VALUE) | forms(SECRET_COST) | forms(HIDDEN_VALUE) | note_forms(NOTE)
) | note_forms(HIDDEN_NOTE)


@pytest.fixture
async def everything() -> AsyncIterator[LogLines]:
    """Every record of every logger of this process, at DEBUG."""
    lines = LogLines()
    root = logging.getLogger()
    touched = {name: logging.getLogger(name).level for name in ("", "uvicorn.error")}
    root.addHandler(lines)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(lines)
        for name, level in touched.items():
            logging.getLogger(name).setLevel(level)


async def test_no_log_line_holds_a_private_figure_or_note(
    store_url: str, everything: LogLines
) -> None:
    async with serve_in_loop(store_url) as server:
        # uvicorn set its own level from the server's settings: open it up too.
        logging.getLogger("uvicorn.error").setLevel(logging.DEBUG)
        room = await create_room(server.base, neutral=True)
        async with (
            WsClient(server.ws_url) as bea,
            WsClient(server.ws_url) as sam,
            WsClient(server.ws_url) as nora,
        ):
            await bea.join(room["tokens"]["buyer"], "Bea")
            await sam.join(room["tokens"]["seller"], "Sam")
            await nora.join(room["tokens"]["neutral"], "Nora")
            assert (await nora.call("phase.set", {"phase": "dividing"}))["type"] == "ack"
            for item in ("stock", "margin"):
                await bea.call("item.add", {"item_id": item, "kind": "term", "title": item})
            figures = {"item_id": "stock", "value": SECRET_VALUE, "cost": SECRET_COST}
            assert (await bea.call("figures.set", {**figures, "note": NOTE}))["type"] == "ack"
            hidden = {"item_id": "margin", "value": HIDDEN_VALUE, "cost": "0"}
            assert (await bea.call("figures.set", {**hidden, "note": HIDDEN_NOTE}))["type"] == "ack"
            refused = [
                (bea, {"item_id": "stock", "value": SECRET_VALUE + "9", "cost": "0"}),
                (bea, {"item_id": "stock", "value": SECRET_VALUE, "cost": "-" + SECRET_COST}),
                (bea, {"item_id": "gone", "value": SECRET_VALUE, "cost": "0", "note": NOTE}),
                (nora, {"item_id": "stock", "value": HIDDEN_VALUE, "cost": "0"}),
                (sam, {"item_id": "stock", "value": NOTE, "cost": "0"}),
            ]
            for client, args in refused:
                assert (await client.call("figures.set", args))["type"] == "error"
            await sam.call("figures.set", {"item_id": "stock", "value": "10", "cost": "20"})
            await sam.call("consent.set", {"item_id": "stock", "consent": True})
            reveal = await bea.call("consent.set", {"item_id": "stock", "consent": True})
            assert reveal["type"] == "ack"
            revise = await bea.call("figures.set", {**figures, "value": "1", "note": NOTE})
            assert revise["type"] == "ack"
            withdraw = await bea.call("consent.set", {"item_id": "stock", "consent": False})
            assert withdraw["code"] == "transparency"
        # A resume replays the private events to the buyer's team.
        async with WsClient(server.ws_url) as again:
            await again.join(
                room["tokens"]["buyer"], "Bea", resume={"log_id": room["log_id"], "seq": 1}
            )
    server_side = [r for r in everything.records if not r.name.startswith("websockets.client")]
    names = {r.name for r in server_side}
    assert any(n.startswith("valueroom.") for n in names), names
    assert any(r.levelno == logging.DEBUG for r in server_side), "nothing logged at DEBUG"
    text, json_lines = logging.Formatter(TEXT_FORMAT), JsonFormatter()
    for record in server_side:
        for line in (text.format(record), json_lines.format(record)):
            found = [secret for secret in SECRETS if secret in line]
            assert not found, f"{record.name} logged {found}: {line[:300]}"
