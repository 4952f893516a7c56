"""The neutral third party over the wire, on both stores: refusals, caucus, seal, access log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.frames import walk
from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.wsclient import WsClient
from valueroom.domain import permissions
from valueroom.domain.method import PHASE_IDS
from valueroom.rooms.registry import Registry

BUYER_VALUE, BUYER_COST = 12_345_678_90, 1_111_111_11  # 12,345,678.90 and 1,111,111.11
SELLER_VALUE, SELLER_COST = 2_222_222_22, 5_555_555_55
CAUCUS_SECRET = "our walk-away point is lower"


@dataclass
class Scene:
    server: LiveServer
    info: dict[str, Any]
    buyer: WsClient
    seller: WsClient
    neutral: WsClient

    async def log(self) -> list[Any]:
        registry: Registry = self.server.app.state.registry
        return await registry.store.read(self.info["room_id"])

    async def join(self, role: str, name: str, resume: dict[str, Any] | None = None) -> WsClient:
        client = await WsClient(self.server.ws_url).open()
        welcome = await client.join(self.info["tokens"][role], name, resume=resume)
        assert welcome["type"] == "welcome", welcome
        return client


async def ok(client: WsClient, name: str, args: dict[str, Any]) -> dict[str, Any]:
    reply = await client.call(name, args)
    assert reply["type"] == "ack", (name, reply)
    return reply


def money(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


@pytest.fixture
async def scene(store_url: str, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Scene]:
    caplog.set_level(logging.DEBUG, logger="valueroom")
    async with serve_in_loop(store_url) as server:
        info = await create_room(server.base, neutral=True)
        clients = {}
        for role in ("buyer", "seller", "neutral"):
            clients[role] = await WsClient(server.ws_url).open()
            assert (await clients[role].join(info["tokens"][role], role.title()))[
                "type"
            ] == "welcome"
        # The coalesced presence frame of the last join has arrived everywhere, so
        # none of it can come in the middle of a test that counts frames.
        for client in clients.values():
            await client.wait_for(lambda f: f["type"] == "presence" and len(f["members"]) == 3)
        scene = Scene(server, info, clients["buyer"], clients["seller"], clients["neutral"])
        try:
            for item_id in ("i1", "p"):
                await ok(
                    scene.buyer, "item.add", {"item_id": item_id, "kind": "term", "title": "T"}
                )
            await ok(scene.neutral, "phase.set", {"phase": "dividing"})
            await ok(scene.seller, "item.agree", {"item_id": "p", "agreed": True})
            yield scene
        finally:
            for client in clients.values():
                await client.close()
    for record in caplog.records:
        message = record.getMessage()
        for secret in (str(BUYER_VALUE), str(SELLER_COST), CAUCUS_SECRET):
            assert secret not in message


async def assert_nothing_reached_others(scene: Scene, sender: WsClient) -> None:
    """Every other connection's next frame is the ack of its own no-op: nothing came before."""
    for client in (scene.buyer, scene.seller, scene.neutral):
        if client is sender:
            continue
        mark = len(client.frames)
        reply = await client.call("item.park", {"item_id": "i1", "parked": False})
        assert client.frames[mark:] == [reply]


REFUSALS = [
    pytest.param(
        "buyer",
        "seal.share",
        {"item_id": "i1", "party": "seller"},
        "seal.own_only",
        id="buyer-seals-sellers-figures",
    ),
    pytest.param(
        "buyer",
        "seal.verify",
        {"item_id": "i1", "party": "seller", "version": 1, "comment": "fine"},
        "permission.role",
        id="buyer-verifies",
    ),
    pytest.param(
        "seller",
        "seal.verify",
        {"item_id": "i1", "party": "seller", "version": 1, "comment": "mine"},
        "permission.role",
        id="seller-verifies-own",
    ),
    pytest.param(
        "neutral",
        "consent.set",
        {"item_id": "i1", "consent": True},
        "permission.role",
        id="neutral-consents",
    ),
    pytest.param(
        "neutral",
        "figures.set",
        {"item_id": "i1", "value": "1", "cost": "0"},
        "permission.role",
        id="neutral-registers",
    ),
    pytest.param(
        "neutral",
        "seal.share",
        {"item_id": "i1", "party": "buyer"},
        "permission.role",
        id="neutral-seals",
    ),
    pytest.param(
        "buyer", "phase.set", {"phase": "agreeing"}, "permission.role", id="party-sets-phase"
    ),
    pytest.param(
        "seller",
        "phase.propose",
        {"phase": "agreeing"},
        "phase.neutral_moves",
        id="party-proposes-with-neutral",
    ),
    pytest.param("buyer", "agenda.lock", {"locked": False}, "permission.role", id="party-locks"),
    pytest.param(
        "neutral", "item.delete", {"item_id": "p"}, "item.protected", id="neutral-deletes-agreed"
    ),
    pytest.param(
        "buyer", "item.delete", {"item_id": "p"}, "item.protected", id="party-deletes-agreed"
    ),
    pytest.param(
        "buyer",
        "caucus.post",
        {"party": "seller", "text": "psst"},
        "caucus.own_only",
        id="buyer-writes-sellers-caucus",
    ),
    pytest.param(
        "seller",
        "caucus.open",
        {"party": "buyer"},
        "caucus.own_only",
        id="seller-opens-buyers-caucus",
    ),
    pytest.param(
        "neutral", "seal.attest", {"item_id": "i1"}, "seal.not_verified", id="attest-unverified"
    ),
]


@pytest.mark.parametrize(("role", "name", "args", "reason"), REFUSALS)
async def test_refused_neutral_commands_are_typed_change_nothing_and_reach_nobody(
    scene: Scene, role: str, name: str, args: dict[str, Any], reason: str
) -> None:
    before = len(await scene.log())
    sender: WsClient = getattr(scene, role)
    reply = await sender.call(name, args)
    assert reply["type"] == "error"
    assert reply["reason"] == reason
    assert reply["code"] in ("not_permitted", "invalid_command")
    assert len(await scene.log()) == before
    await assert_nothing_reached_others(scene, sender)


async def test_locked_agenda_refuses_a_partys_changes_over_the_wire(scene: Scene) -> None:
    await ok(scene.neutral, "agenda.lock", {"locked": True})
    locked = await scene.seller.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "agenda.locked"
    )
    assert locked["data"] == {"locked": True}
    before = len(await scene.log())
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("item.add", {"item_id": "new", "kind": "term", "title": "Late"}),
        ("item.delete", {"item_id": "i1"}),
        ("item.move", {"item_id": "i1", "position": "a5"}),
        ("item.park", {"item_id": "i1", "parked": True}),
    ]
    for name, args in attempts:
        reply = await scene.buyer.call(name, args)
        assert (reply["code"], reply["reason"]) == ("not_permitted", "agenda.locked"), name
    assert len(await scene.log()) == before
    # A late joiner sees the lock in its snapshot.
    late = await scene.join("seller", "Late")
    try:
        assert late.welcome is not None
        assert late.welcome["view"]["locked"] is True
    finally:
        await late.close()
    await ok(scene.neutral, "agenda.lock", {"locked": False})
    await ok(scene.buyer, "item.add", {"item_id": "new", "kind": "term", "title": "Late"})


async def test_a_one_sided_phase_change_is_refused_in_a_room_without_a_neutral(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url) as server:
        info = await create_room(server.base, neutral=False)
        async with WsClient(server.ws_url) as bea, WsClient(server.ws_url) as sam:
            await bea.join(info["tokens"]["buyer"], "Bea")
            await sam.join(info["tokens"]["seller"], "Sam")
            reply = await bea.call("phase.set", {"phase": "exploring"})
            assert (reply["code"], reply["reason"]) == ("not_permitted", "permission.role")
            await ok(bea, "phase.propose", {"phase": "exploring"})
            proposed = await sam.wait_for(
                lambda f: f["type"] == "event" and f["name"] == "phase.proposed"
            )
            assert proposed["data"] == {"party": "buyer", "phase": "exploring"}
            reply = await bea.call("consent.set", {"item_id": "x", "consent": True})
            assert reply["reason"] == "permission.phase"  # still preparing
            await ok(sam, "phase.propose", {"phase": "exploring"})
            changed = await bea.wait_for(
                lambda f: f["type"] == "event" and f["name"] == "phase.changed"
            )
            assert changed["data"] == {"phase": "exploring", "from": "preparation"}
            reply = await bea.call("caucus.open", {"party": "buyer"})
            assert (reply["code"], reply["reason"]) == ("invalid_command", "room.no_neutral")


async def test_a_closed_room_refuses_every_change(scene: Scene) -> None:
    await ok(scene.neutral, "phase.set", {"phase": "closed"})
    before = len(await scene.log())
    for client, name, args in [
        (scene.neutral, "phase.set", {"phase": "dividing"}),
        (scene.buyer, "item.edit", {"item_id": "i1", "title": "x"}),
        (scene.seller, "figures.set", {"item_id": "i1", "value": "1", "cost": "0"}),
    ]:
        reply = await client.call(name, args)
        assert (reply["code"], reply["reason"]) == ("not_permitted", "phase.closed")
    assert len(await scene.log()) == before


async def test_the_other_party_sees_only_that_a_caucus_is_going_on(scene: Scene) -> None:
    seller_mark = len(scene.seller.frames)
    await ok(scene.buyer, "caucus.open", {"party": "buyer"})
    await ok(scene.neutral, "caucus.post", {"party": "buyer", "text": "What is your real limit?"})
    await ok(scene.buyer, "caucus.post", {"party": "buyer", "text": CAUCUS_SECRET})
    answer = await scene.neutral.wait_for(
        lambda f: (
            f["type"] == "event"
            and f["name"] == "caucus.posted"
            and f["data"]["text"] == CAUCUS_SECRET
        )
    )
    assert answer["vis"] == 5
    await ok(scene.neutral, "caucus.close", {"party": "buyer"})
    await assert_nothing_reached_others(scene, scene.neutral)
    seen = [f["name"] for f in scene.seller.frames[seller_mark:] if f["type"] == "event"]
    assert seen == ["caucus.opened", "caucus.closed"]
    assert all(CAUCUS_SECRET not in str(f) for f in scene.seller.frames)
    # Nor through a snapshot or a resume.
    late = await scene.join("seller", "Late")
    resumed = await scene.join("seller", "Back", resume={"log_id": scene.info["log_id"], "seq": 1})
    try:
        assert late.welcome is not None
        assert late.welcome["view"]["caucus"]["buyer"] == {
            "open": False,
            "messages": [],
            "note": "",
        }
        await resumed.wait_for(lambda f: f["type"] == "split")
        assert all(CAUCUS_SECRET not in str(f) for f in late.frames + resumed.frames)
        buyer_late = await scene.join("buyer", "Bob")
        assert buyer_late.welcome is not None
        texts = [m["text"] for m in buyer_late.welcome["view"]["caucus"]["buyer"]["messages"]]
        assert texts == ["What is your real limit?", CAUCUS_SECRET]
        await buyer_late.close()
    finally:
        await late.close()
        await resumed.close()


async def share_and_verify(scene: Scene, item_id: str = "i1") -> None:
    for client, party, value, cost in (
        (scene.buyer, "buyer", BUYER_VALUE, BUYER_COST),
        (scene.seller, "seller", SELLER_VALUE, SELLER_COST),
    ):
        args = {"item_id": item_id, "value": money(value), "cost": money(cost), "note": "n"}
        await ok(client, "figures.set", args)
        await ok(client, "seal.share", {"item_id": item_id, "party": party})

        def shared_by(frame: dict[str, Any], party: str = party) -> bool:
            return frame.get("name") == "seal.shared" and frame["data"]["party"] == party

        shared = await scene.neutral.wait_for(shared_by)
        assert (shared["data"]["value"], shared["data"]["cost"]) == (value, cost)
        version = shared["data"]["version"]
        comment = {"item_id": item_id, "party": party, "version": version, "comment": "checked"}
        await ok(scene.neutral, "seal.verify", comment)


async def test_split_under_seal_shows_net_halves_and_transfer_never_the_other_side(
    scene: Scene,
) -> None:
    await share_and_verify(scene)
    await ok(scene.neutral, "seal.attest", {"item_id": "i1"})
    own = {"buyer": BUYER_VALUE - BUYER_COST, "seller": SELLER_VALUE - SELLER_COST}
    net = own["buyer"] + own["seller"]
    for client in (scene.buyer, scene.seller, scene.neutral):
        split = await client.wait_for(lambda f: f["type"] == "split" and f["shared"]["lines"] != [])
        (line,) = split["shared"]["lines"]
        assert line["sealed"] is True
        assert line["net"] == net
        assert line["fair"] == {"buyer": net // 2, "seller": net - net // 2}
        assert line["transfer"]["buyer"] == net // 2 - own["buyer"]
    await assert_nothing_reached_others(scene, scene.neutral)
    for client, other in (
        (scene.buyer, (SELLER_VALUE, SELLER_COST)),
        (scene.seller, (BUYER_VALUE, BUYER_COST)),
    ):
        leaves = {leaf for frame in client.frames for leaf in walk(frame)}
        assert not leaves & set(other)
    # Changing figures after the attestation takes the item out, publicly.
    await ok(scene.seller, "figures.set", {"item_id": "i1", "value": "1234567.89", "cost": "0"})
    unsealed = await scene.buyer.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "split.unsealed"
    )
    assert unsealed["data"] == {"item_id": "i1", "reason": "figures_changed"}
    outdated = await scene.neutral.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "seal.outdated"
    )
    assert outdated["data"] == {"item_id": "i1", "party": "seller", "version": 1}
    assert 123_456_789 not in {leaf for frame in scene.neutral.frames for leaf in walk(frame)}


async def test_every_receipt_of_sealed_figures_is_logged_for_the_owner(scene: Scene) -> None:
    await ok(
        scene.buyer, "figures.set", {"item_id": "i1", "value": money(BUYER_VALUE), "cost": "1"}
    )
    await ok(scene.buyer, "seal.share", {"item_id": "i1", "party": "buyer"})
    live = await scene.buyer.wait_for(
        lambda f: f["type"] == "event" and f["name"] == "seal.accessed"
    )
    assert live["data"] == {
        "item_id": "i1",
        "party": "buyer",
        "version": 1,
        "member": "Neutral",
        "how": "live",
    }
    assert live["vis"] == 5
    # A second neutral connection gets the seal in its welcome snapshot.
    nora = await scene.join("neutral", "Nora")
    await scene.buyer.wait_for(
        lambda f: (
            f["type"] == "event" and f["name"] == "seal.accessed" and f["data"]["how"] == "welcome"
        )
    )
    # It drops off, the buyer shares a new version, it resumes: the catch-up is logged too.
    last = nora.last_seq
    await nora.close()
    await ok(
        scene.buyer, "figures.set", {"item_id": "i1", "value": money(BUYER_VALUE), "cost": "2"}
    )
    await ok(scene.buyer, "seal.share", {"item_id": "i1", "party": "buyer"})
    back = await scene.join("neutral", "Nora", resume={"log_id": scene.info["log_id"], "seq": last})
    try:
        entry = await scene.buyer.wait_for(
            lambda f: (
                f["type"] == "event"
                and f["name"] == "seal.accessed"
                and f["data"]["how"] == "resume"
            )
        )
        assert entry["data"]["member"] == "Nora"
        assert entry["data"]["version"] == 2
        await assert_nothing_reached_others(scene, scene.buyer)
        logged = [
            (e.data["member"], e.data["version"], e.data["how"])
            for e in await scene.log()
            if e.name == "seal.accessed"
        ]
        assert logged == [
            ("Neutral", 1, "live"),
            ("Nora", 1, "welcome"),
            ("Neutral", 2, "live"),
            ("Nora", 2, "resume"),
        ]
        assert not any(f.get("name") == "seal.accessed" for f in scene.seller.frames)
        owner = await scene.join("buyer", "Bob")
        assert owner.welcome is not None
        assert [a["how"] for a in owner.welcome["view"]["access"]["i1"]] == [
            "live",
            "welcome",
            "live",
            "resume",
        ]
        await owner.close()
    finally:
        await back.close()


async def test_the_welcome_tells_each_role_its_rows_of_the_permission_table(scene: Scene) -> None:
    for client, role in ((scene.buyer, "buyer"), (scene.neutral, "neutral")):
        assert client.welcome is not None
        method = client.welcome["method"]
        assert [p["id"] for p in method["phases"]] == list(PHASE_IDS)
        assert method["permissions"] == permissions.allowed_for(role)
        commands = {row["command"] for row in method["permissions"]}
        assert ("seal.verify" in commands) == (role == "neutral")
        assert ("figures.set" in commands) == (role != "neutral")
