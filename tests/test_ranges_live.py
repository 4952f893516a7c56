"""Uncertain figures over the wire: a range reaches its party's team only until the reveal.

A real server on each store (``store_url``), real websocket clients: the
buyer (two members of its team), the seller and the neutral. Range ends are
amounts no other number in the session equals, so finding one in a frame
can only mean the range was sent there.
"""

from __future__ import annotations

from tests.frames import walk
from tests.liveserver import create_room, serve_in_loop
from tests.wsclient import WsClient

# Minor units of the buyer's range ends (nothing else in the session is near them).
VALUE_LOW, VALUE_HIGH, COST_HIGH = 9_137_111, 14_219_333, 1_777_555
ENDS = {VALUE_LOW, VALUE_HIGH, COST_HIGH}


def carries_range(client: WsClient, start: int = 0) -> bool:
    """Whether any frame from ``start`` on holds one of the buyer's range ends."""
    return any(leaf in ENDS for frame in client.frames[start:] for leaf in walk(frame))


async def settled(client: WsClient, token: str) -> None:
    """Everything decided before this no-op has reached ``client`` (its ack is queued after)."""
    reply = await client.call("item.edit", {"item_id": "stock"}, f"settle-{token}")
    assert reply["type"] in ("ack", "error")


async def test_range_reaches_the_buyer_team_only_until_the_reveal_then_everyone(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url) as server:
        info = await create_room(server.base, neutral=True)
        clients: dict[str, WsClient] = {}
        try:
            for who in ("buyer", "buyer2", "seller", "neutral"):
                role = "buyer" if who == "buyer2" else who
                clients[who] = await WsClient(server.ws_url).open()
                welcome = await clients[who].join(info["tokens"][role], who.title())
                assert welcome["type"] == "welcome"
            buyer, seller, neutral = clients["buyer"], clients["seller"], clients["neutral"]
            args = {"item_id": "stock", "kind": "term", "title": "Consignment stock"}
            assert (await buyer.call("item.add", args))["type"] == "ack"
            assert (await neutral.call("phase.set", {"phase": "dividing"}))["type"] == "ack"

            figures = {"item_id": "stock", "value": "120000", "cost": "10000"}
            ranged = {
                **figures,
                "value_low": "91371.11",
                "value_high": "142193.33",
                "cost_high": "17775.55",
            }
            assert (await buyer.call("figures.set", ranged))["type"] == "ack"
            registered = await clients["buyer2"].wait_for(
                lambda f: f["type"] == "event" and f["name"] == "figures.registered"
            )
            assert registered["data"]["range"] == {
                "value_low": VALUE_LOW,
                "value_high": VALUE_HIGH,
                "cost_low": 1_000_000,
                "cost_high": COST_HIGH,
            }
            preview = await buyer.wait_for(
                lambda f: f["type"] == "split" and f["preview"] and f["preview"]["pending"]
            )
            (pending,) = preview["preview"]["pending"]
            assert (pending["low"], pending["high"]) == (
                VALUE_LOW - COST_HIGH,
                VALUE_HIGH - 1_000_000,
            )
            # A refused range: typed, in the field it concerns, and nothing changes.
            bad = {**figures, "cost_low": "10000.01"}
            refused = await buyer.call("figures.set", bad)
            assert refused["type"] == "error"
            assert (refused["reason"], refused["field"]) == ("figure.range_low", "cost_low")
            # The seller registers and consents; nobody outside the buyer's team saw the range.
            seller_figures = {"item_id": "stock", "value": "20000", "cost": "50000"}
            assert (await seller.call("figures.set", seller_figures))["type"] == "ack"
            assert (await seller.call("consent.set", {"item_id": "stock", "consent": True}))[
                "type"
            ] == "ack"
            for who in ("seller", "neutral"):
                await settled(clients[who], f"{who}-before")
                assert not carries_range(clients[who]), f"{who} received the buyer's range"
            # A late seller member's welcome holds no range either.
            async with WsClient(server.ws_url) as late:
                assert (await late.join(info["tokens"]["seller"], "Late"))["type"] == "welcome"
                assert not carries_range(late)
            marks = {who: len(client.frames) for who, client in clients.items()}

            assert (await buyer.call("consent.set", {"item_id": "stock", "consent": True}))[
                "type"
            ] == "ack"
            for who, client in clients.items():
                revealed = await client.wait_for(
                    lambda f: f["type"] == "event" and f["name"] == "item.revealed",
                    start=marks[who],
                )
                assert revealed["data"]["buyer"]["range"]["value_high"] == VALUE_HIGH
                assert "range" not in revealed["data"]["seller"]
                split = await client.wait_for(
                    lambda f: f["type"] == "split" and f["shared"]["total"] is not None,
                    start=marks[who],
                )
                (line,) = split["shared"]["lines"]
                assert line["net"] == 8_000_000
                assert line["low"]["net"] == VALUE_LOW - COST_HIGH - 3_000_000
                assert line["high"]["net"] == VALUE_HIGH - 1_000_000 - 3_000_000
                assert split["shared"]["total"]["low"] == line["low"]
            async with WsClient(server.ws_url) as late:
                welcome = await late.join(info["tokens"]["seller"], "Later")
                (item,) = welcome["view"]["items"]
                assert item["figures"]["buyer"]["range"]["cost_high"] == COST_HIGH
        finally:
            for client in clients.values():
                await client.close()
