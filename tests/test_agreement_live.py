"""The agreement over the wire, on both stores: voided agreements, the deal sheet, sign-off, exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.wsclient import WsClient
from valueroom.protocol.exports import render as render_export
from valueroom.rooms.registry import Registry

OPTIONS = [{"id": "d45", "label": "45 days"}, {"id": "d90", "label": "90 days"}]
BUYER_SECRET = ("987654.32", "98765432", "our ceiling")
SELLER_SECRET = ("123456.78", "12345678", "our floor")


@dataclass
class Scene:
    server: LiveServer
    info: dict[str, Any]
    buyer: WsClient
    seller: WsClient
    neutral: WsClient

    @property
    def clients(self) -> tuple[WsClient, WsClient, WsClient]:
        return (self.buyer, self.seller, self.neutral)


async def ok(client: WsClient, name: str, args: dict[str, Any]) -> dict[str, Any]:
    reply = await client.call(name, args)
    assert reply["type"] == "ack", (name, reply)
    return reply


def last_deal(client: WsClient) -> dict[str, Any]:
    return [f for f in client.frames if f["type"] == "deal"][-1]


async def next_deal(client: WsClient, start: int) -> dict[str, Any]:
    return await client.wait_for(lambda f: f["type"] == "deal", start=start)


@pytest.fixture
async def scene(store_url: str) -> AsyncIterator[Scene]:
    async with serve_in_loop(store_url) as server:
        info = await create_room(server.base, neutral=True)
        clients = {}
        for role in ("buyer", "seller", "neutral"):
            clients[role] = await WsClient(server.ws_url).open()
            welcome = await clients[role].join(info["tokens"][role], role.title())
            assert welcome["type"] == "welcome"
        scene = Scene(server, info, clients["buyer"], clients["seller"], clients["neutral"])
        try:
            await ok(scene.neutral, "phase.set", {"phase": "exploring"})
            await ok(
                scene.buyer,
                "item.add",
                {"item_id": "pay", "kind": "term", "title": "Payment terms", "options": OPTIONS},
            )
            for client in (scene.buyer, scene.seller):
                await ok(client, "item.agree", {"item_id": "pay", "agreed": True, "option": "d45"})
            yield scene
        finally:
            for client in clients.values():
                await client.close()


async def test_every_role_gets_the_same_deal_sheet_and_an_edit_voids_the_agreement(
    scene: Scene,
) -> None:
    # Each role's latest deal frame names the agreed option, identically for all.
    for client in scene.clients:
        await client.wait_for(
            lambda f: f["type"] == "deal" and len(f["sheet"]["agreed"]) == 1, timeout=10
        )
    agreed = [last_deal(client) for client in scene.clients]
    assert agreed[0] == agreed[1] == agreed[2]
    assert agreed[0]["sheet"]["agreed"][0]["option"] == {"id": "d45", "label": "45 days"}
    assert agreed[0]["chain"] is None

    marks = [len(client.frames) for client in scene.clients]
    await ok(scene.buyer, "item.edit", {"item_id": "pay", "title": "Payment terms (net)"})
    voided = await scene.seller.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "item.agreement_voided", start=marks[1]
    )
    assert voided["data"] == {
        "item_id": "pay",
        "by": "buyer",
        "changes": [{"field": "title", "old": "Payment terms", "new": "Payment terms (net)"}],
    }
    after = [
        await next_deal(client, mark) for client, mark in zip(scene.clients, marks, strict=True)
    ]
    assert after[0] == after[1] == after[2]
    assert after[0]["sheet"]["agreed"] == []
    assert after[0]["hash"] != agreed[0]["hash"]


async def test_two_signatures_on_one_hash_close_the_room_and_refuse_every_change(
    scene: Scene, store_url: str
) -> None:
    await ok(scene.neutral, "phase.set", {"phase": "agreeing"})
    await scene.buyer.wait_for(
        lambda f: f["type"] == "deal" and len(f["sheet"]["agreed"]) == 1, timeout=10
    )
    current = last_deal(scene.buyer)["hash"]
    stale = await scene.seller.call("deal.sign", {"hash": "0" * 64})
    assert stale["type"] == "error"
    assert (stale["reason"], stale["params"]["current"]) == ("deal.stale_hash", current)
    refused = await scene.neutral.call("deal.sign", {"hash": current})
    assert (refused["type"], refused["reason"]) == ("error", "permission.role")
    await ok(scene.buyer, "deal.sign", {"hash": current})
    twice = await scene.buyer.call("deal.sign", {"hash": current})
    assert (twice["type"], twice["reason"]) == ("error", "deal.already_signed")
    mark = len(scene.neutral.frames)
    await ok(scene.seller, "deal.sign", {"hash": current})
    agreed = await scene.neutral.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "deal.agreed", start=mark
    )
    assert agreed["data"]["hash"] == current
    closed = await scene.neutral.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "phase.changed", start=mark
    )
    assert closed["data"]["phase"] == "closed"
    # The deal frame now carries the log's chain hash right after the agreement.
    sealed = await scene.neutral.wait_for(
        lambda f: f["type"] == "deal" and f["chain"] is not None, start=mark
    )
    registry: Registry = scene.server.app.state.registry
    stored = await registry.store.read(scene.info["room_id"])
    (event,) = [e for e in stored if e.name == "deal.agreed"]
    assert event.chain is not None
    assert sealed["chain"] == event.chain.hex()
    # Read-only: a typed refusal for every change, nothing appended.
    for client, name, args in (
        (scene.buyer, "item.edit", {"item_id": "pay", "title": "90 days"}),
        (scene.seller, "item.agree", {"item_id": "pay", "agreed": False}),
        (scene.neutral, "phase.set", {"phase": "dividing"}),
        (scene.buyer, "commitment.add", {"commitment_id": "c1", "who": "buyer", "what": "x"}),
        (scene.seller, "deal.sign", {"hash": current}),
    ):
        reply = await client.call(name, args)
        assert (reply["type"], reply["reason"]) == ("error", "phase.closed"), name
    assert len(await registry.store.read(scene.info["room_id"])) == len(stored)
    await ok(scene.neutral, "deal.witness", {"hash": current})


async def test_exports_hold_only_what_the_role_saw(scene: Scene) -> None:
    for client, (value, _, note) in ((scene.buyer, BUYER_SECRET), (scene.seller, SELLER_SECRET)):
        await ok(
            client, "figures.set", {"item_id": "pay", "value": value, "cost": "1", "note": note}
        )
    await ok(scene.seller, "seal.share", {"item_id": "pay", "party": "seller"})
    files: dict[tuple[str, str], str] = {}
    room = scene.info["room_id"]
    for role, client in zip(("buyer", "seller", "neutral"), scene.clients, strict=True):
        for fmt in ("json", "csv"):
            mark = len(client.frames)
            await client.send({"type": "export", "room": room, "format": fmt})
            frame = await client.wait_for(lambda f: f["type"] == "export", start=mark)
            assert frame["filename"] == f"valueroom-{room}-{role}.{fmt}"
            files[(role, fmt)] = frame["content"]
    buyer = json.loads(files[("buyer", "json")])
    assert [(f["item_id"], f["value"], f["note"]) for f in buyer["own_figures"]] == [
        ("pay", 98765432, "our ceiling")
    ]
    neutral = json.loads(files[("neutral", "json")])
    assert [(s["party"], s["value"]) for s in neutral["sealed_figures"]] == [("seller", 12345678)]
    rows = list(csv.reader(io.StringIO(files[("buyer", "csv")])))
    assert rows[0][0] == "section"
    assert [
        "own_figures",
        "pay",
        "Payment terms",
        "1.00",
        "",
        "",
        "987654.32",
        "our ceiling",
    ] in rows
    for (role, _), text in files.items():
        if role != "buyer":
            assert all(secret not in text for secret in BUYER_SECRET), role
        if role == "buyer":
            assert all(secret not in text for secret in SELLER_SECRET), role
    # An export of another room is refused; a flood is bounded per connection.
    mark = len(scene.buyer.frames)
    await scene.buyer.send({"type": "export", "room": "someotherroom", "format": "json"})
    error = await scene.buyer.wait_for(lambda f: f["type"] == "error", start=mark)
    assert (error["code"], error["reason"]) == ("invalid_command", "export.other_room")
    mark = len(scene.buyer.frames)
    for _ in range(12):
        await scene.buyer.send({"type": "export", "room": room, "format": "csv"})
    limited = await scene.buyer.wait_for(
        lambda f: f["type"] == "error" and f.get("reason") == "export.too_often", start=mark
    )
    assert limited["code"] == "limit_reached"
    forged = await scene.seller.call("item.park", {"item_id": "pay", "parked": False})
    assert forged["type"] == "ack"  # the others are unaffected


async def test_a_closed_room_starts_its_next_round_with_what_was_agreed(scene: Scene) -> None:
    await ok(scene.buyer, "figures.set", {"item_id": "pay", "value": "10", "cost": "1"})
    await ok(scene.seller, "figures.set", {"item_id": "pay", "value": "20", "cost": "2"})
    async with httpx.AsyncClient() as http:

        async def next_round(token: str, carry: bool) -> httpx.Response:
            body = {"title": "Round 2", "previous": {"token": token, "carry_figures": carry}}
            return await http.post(f"{scene.server.base}/api/rooms", json=body)

        early = await next_round(scene.info["tokens"]["seller"], True)
        assert (early.status_code, early.json()["error"]["code"]) == (409, "round.not_agreed")
        forged = await next_round(scene.info["tokens"]["seller"][:-4] + "AAAA", True)
        assert (forged.status_code, forged.json()["error"]["code"]) == (403, "bad_token")
        await ok(scene.neutral, "phase.set", {"phase": "agreeing"})
        await scene.buyer.wait_for(
            lambda f: f["type"] == "deal" and len(f["sheet"]["agreed"]) == 1, timeout=10
        )
        current = last_deal(scene.buyer)["hash"]
        await ok(scene.buyer, "deal.sign", {"hash": current})
        await ok(scene.seller, "deal.sign", {"hash": current})
        answer = await next_round(scene.info["tokens"]["seller"], True)
    assert answer.status_code == 201, answer.text
    links = answer.json()["links"]
    assert set(links) == {"buyer", "seller", "neutral"}  # the neutral takes part again
    tokens = {role: link.split("#", 1)[1] for role, link in links.items()}
    views = {}
    for role in ("buyer", "seller"):
        async with WsClient(scene.server.ws_url) as client:
            welcome = await client.join(tokens[role], role.title())
            assert welcome["type"] == "welcome", welcome
            views[role] = welcome["view"]
    for view in views.values():
        assert [(i["id"], i["title"], i["options"]) for i in view["items"]] == [
            ("pay", "Payment terms", OPTIONS)
        ]
        assert view["items"][0]["agreed"] == {"buyer": False, "seller": False}
        assert view["room"]["title"] == "Round 2"
        assert view["room"]["buyer_org"] == "Buyer BV"
    assert views["seller"]["private"] == {"pay": {"value": 2000, "cost": 200, "note": ""}}
    assert views["buyer"]["private"] == {}


def test_a_csv_export_never_hands_a_spreadsheet_a_formula() -> None:
    sheet = {
        "room": {"id": "r", "title": "=HYPERLINK(\"http://x\")", "currency": "EUR",
                 "buyer_org": "+B", "seller_org": "@S", "neutral": False},
        "agreed": [], "split": {"lines": [], "total": None},
        "settlement": {"payer": None, "payee": None, "amount": 0},
        "open": [{"item_id": "i", "title": "=1+1", "parked": False}], "commitments": [],
    }  # fmt: skip
    content = {"deal_sheet": sheet, "hash": "0" * 64, "signatures": {},
               "own_figures": [{"item_id": "i", "title": "-5 days", "value": -500, "cost": 0,
                                "note": "@SUM(A1)"}]}  # fmt: skip
    rows = list(csv.reader(io.StringIO(render_export(content, "csv", 2))))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert "'=1+1" in cells
    assert "'@SUM(A1)" in cells
    assert "-5.00" in cells  # a negative amount stays a number
    assert "-5 days" in cells
