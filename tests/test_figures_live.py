"""Private figures over the wire: refusals are typed, store nothing and leak nothing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.frames import walk
from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.wsclient import WsClient
from valueroom.rooms.registry import Registry

SECRET_VALUE = 987_654_321  # minor units, i.e. 9,876,543.21
SECRET_NOTE = "walk-away price is much lower"


@dataclass
class Room:
    server: LiveServer
    info: dict[str, Any]
    buyer: WsClient
    seller: WsClient
    neutral: WsClient

    def by_role(self, role: str) -> WsClient:
        client: WsClient = getattr(self, role)
        return client


def leaked(client: WsClient) -> bool:
    return any(
        leaf in (SECRET_VALUE, SECRET_NOTE) for frame in client.frames for leaf in walk(frame)
    )


@pytest.fixture
async def room(store_url: str, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Room]:
    caplog.set_level(logging.DEBUG)
    async with serve_in_loop(store_url) as server:
        info = await create_room(server.base, neutral=True)
        clients = {}
        for role in ("buyer", "seller", "neutral"):
            clients[role] = await WsClient(server.ws_url).open()
            assert (await clients[role].join(info["tokens"][role], role.title()))[
                "type"
            ] == "welcome"
        # The coalesced presence frame of the last join has arrived everywhere, so
        # no frame of it can come in the middle of a test that counts frames.
        for client in clients.values():
            await client.wait_for(lambda f: f["type"] == "presence" and len(f["members"]) == 3)
        buyer = clients["buyer"]
        for item_id in ("i1", "gone"):
            assert (
                await buyer.call("item.add", {"item_id": item_id, "kind": "term", "title": item_id})
            )["type"] == "ack"
        assert (await buyer.call("item.delete", {"item_id": "gone"}))["type"] == "ack"
        # Transparency belongs to the division: the neutral moves the room there.
        phase = await clients["neutral"].call("phase.set", {"phase": "dividing"})
        assert phase["type"] == "ack"
        reply = await buyer.call(
            "figures.set",
            {"item_id": "i1", "value": "9876543.21", "cost": "100", "note": SECRET_NOTE},
        )
        assert reply["type"] == "ack"
        try:
            yield Room(server, info, buyer, clients["seller"], clients["neutral"])
        finally:
            for client in clients.values():
                await client.close()
        for record in caplog.records:
            assert str(SECRET_VALUE) not in record.getMessage()
            assert "9876543" not in record.getMessage()
            assert SECRET_NOTE not in record.getMessage()


async def log_length(room: Room) -> int:
    registry: Registry = room.server.app.state.registry
    return len(await registry.store.read(room.info["room_id"]))


REFUSALS = [
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "twelve", "cost": "0"},
        "invalid_figure",
        id="text-for-number",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "NaN", "cost": "0"},
        "invalid_figure",
        id="nan",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "Infinity", "cost": "0"},
        "invalid_figure",
        id="infinity",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "-inf", "cost": "0"},
        "invalid_figure",
        id="minus-inf",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "1e6", "cost": "0"},
        "invalid_figure",
        id="exponent",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": 1.5, "cost": "0"},
        "invalid_frame",
        id="float-not-text",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "10000000000.00", "cost": "0"},
        "invalid_figure",
        id="beyond-bound",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "5", "cost": "-0.01"},
        "invalid_figure",
        id="negative-cost",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "5.123", "cost": "0"},
        "invalid_figure",
        id="too-many-decimals",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "1.234,56", "cost": "0"},
        "invalid_figure",
        id="localised-not-canonical",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "120,000", "cost": "0"},
        "invalid_figure",
        id="thousands-separator",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "nope", "value": "5", "cost": "0"},
        "item_not_found",
        id="missing-item",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "gone", "value": "5", "cost": "0"},
        "item_not_found",
        id="deleted-item",
    ),
    pytest.param(
        "neutral",
        "figures.set",
        {"item_id": "i1", "value": "5", "cost": "0"},
        "not_permitted",
        id="neutral-registers",
    ),
    pytest.param(
        "neutral",
        "consent.set",
        {"item_id": "i1", "consent": True},
        "not_permitted",
        id="neutral-consents",
    ),
    pytest.param(
        "seller",
        "figures.set",
        {"item_id": "i1", "value": "5", "cost": "0", "party": "buyer"},
        "invalid_frame",
        id="seller-sets-buyers-figures",
    ),
    pytest.param(
        "seller",
        "consent.set",
        {"item_id": "i1", "consent": True, "party": "buyer"},
        "invalid_frame",
        id="seller-consents-for-buyer",
    ),
    pytest.param(
        "seller",
        "consent.set",
        {"item_id": "i1", "consent": True},
        "transparency",
        id="consent-without-figures",
    ),
]


@pytest.mark.parametrize(("role", "name", "args", "code"), REFUSALS)
async def test_refused_figure_commands_store_nothing_and_leak_nothing(
    room: Room, role: str, name: str, args: dict[str, Any], code: str
) -> None:
    before = await log_length(room)
    actor = room.by_role(role)
    reply = await actor.call(name, args)
    assert reply["type"] == "error"
    assert reply["code"] == code
    assert await log_length(room) == before
    # A later command from the seller still works, and the buyer's secret stayed put.
    assert (await room.seller.call("item.edit", {"item_id": "i1", "title": "Still fine"}))[
        "type"
    ] == "ack"
    await room.neutral.wait_for(
        lambda f: f["type"] == "event" and f["data"].get("title") == "Still fine"
    )
    assert not leaked(room.seller)
    assert not leaked(room.neutral)


async def test_consent_withdrawal_is_refused_after_the_reveal(room: Room) -> None:
    await room.seller.call("figures.set", {"item_id": "i1", "value": "10", "cost": "20"})
    assert not leaked(room.seller)
    await room.buyer.call("consent.set", {"item_id": "i1", "consent": True})
    assert not leaked(room.seller)
    reveal = await room.seller.call("consent.set", {"item_id": "i1", "consent": True})
    assert reveal["type"] == "ack"
    revealed = await room.seller.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "item.revealed"
    )
    assert revealed["data"]["buyer"] == {"value": SECRET_VALUE, "cost": 10_000}
    assert not any(leaf == SECRET_NOTE for frame in room.seller.frames for leaf in walk(frame))
    before = await log_length(room)
    reply = await room.buyer.call("consent.set", {"item_id": "i1", "consent": False})
    assert reply["code"] == "transparency"
    assert await log_length(room) == before


async def test_reveal_reaches_both_parties_and_the_neutral_in_one_event(room: Room) -> None:
    await room.seller.call("figures.set", {"item_id": "i1", "value": "10", "cost": "20"})
    await room.seller.call("consent.set", {"item_id": "i1", "consent": True})
    await room.buyer.call("consent.set", {"item_id": "i1", "consent": True})
    reveals = []
    for client in (room.buyer, room.seller, room.neutral):
        reveals.append(
            await client.wait_for(lambda f: f["type"] == "event" and f["name"] == "item.revealed")
        )
    same = [{k: v for k, v in f.items() if k not in ("seq", "op")} for f in reveals]
    assert same[0] == same[1] == same[2]
    # The op id goes back to the actor's own team only.
    assert [f["op"] is not None for f in reveals] == [True, False, False]
    split = await room.neutral.wait_for(
        lambda f: f["type"] == "split" and f["shared"]["lines"] != []
    )
    (line,) = split["shared"]["lines"]
    assert line["own"] == {"buyer": SECRET_VALUE - 10_000, "seller": -1_000}
    assert line["net"] == SECRET_VALUE - 11_000
    assert line["fair"]["buyer"] + line["fair"]["seller"] == line["net"]
    assert line["transfer"]["buyer"] == -line["transfer"]["seller"]


async def test_later_changes_are_public_with_old_and_new_figures(room: Room) -> None:
    await room.seller.call("figures.set", {"item_id": "i1", "value": "10", "cost": "20"})
    await room.seller.call("consent.set", {"item_id": "i1", "consent": True})
    await room.buyer.call("consent.set", {"item_id": "i1", "consent": True})
    await room.seller.call("figures.set", {"item_id": "i1", "value": "15", "cost": "20"})
    revised = await room.buyer.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "figures.revised"
    )
    assert revised["vis"] == 7
    assert revised["data"] == {
        "item_id": "i1",
        "party": "seller",
        "before": {"value": 1000, "cost": 2000},
        "after": {"value": 1500, "cost": 2000},
    }
    async with WsClient(room.server.ws_url) as late:
        welcome = await late.join(room.info["tokens"]["neutral"], "Late")
        (item,) = [i for i in welcome["view"]["items"] if i["id"] == "i1"]
        assert item["revisions"][0]["before"] == {"value": 1000, "cost": 2000}
        assert welcome["view"]["private"] == {}


async def test_other_audiences_receive_nothing_while_a_party_works_privately(room: Room) -> None:
    """Private work leaves no trace for others: no frame, no gap in their numbering."""
    seller_seq = room.seller.last_seq
    neutral_seq = room.neutral.last_seq
    marks = {name: len(room.by_role(name).frames) for name in ("seller", "neutral")}
    for value in ("1", "2", "2", "3.5", "x"):
        await room.buyer.call("figures.set", {"item_id": "i1", "value": value, "cost": "0"})
    for name in ("seller", "neutral"):
        client = room.by_role(name)
        reply = await client.call("item.park", {"item_id": "i1", "parked": False})
        assert reply["type"] == "ack"
        # The no-op's ack is queued after everything decided before it.
        assert client.frames[marks[name] :] == [reply]
    assert (await room.buyer.call("item.edit", {"item_id": "i1", "title": "Public"}))[
        "type"
    ] == "ack"
    seen = await room.seller.wait_for(lambda f: f["type"] == "event" and f["name"] == "item.edited")
    assert seen["seq"] == seller_seq + 1
    seen = await room.neutral.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "item.edited"
    )
    assert seen["seq"] == neutral_seq + 1
    assert seen["op"] is None  # another role's op id would count its sender's commands
