"""Members of a team: an identity of their own within the role, and removal by the managers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.liveserver import LiveServer, ServerProcess, create_room, serve_in_loop
from tests.wsclient import Frame, WsClient
from valueroom.protocol.schema import SchemaViolation, check_client_frame
from valueroom.rooms import invites
from valueroom.rooms.live import CLOSE_REMOVED

BEA_KEY = "bea-browser-key-0123456789"
BOB_KEY = "bob-browser-key-0123456789"
NORA_KEY = "nora-browser-key-012345678"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def remove(
    base: str, room_id: str, member_id: str, token: str, **headers: str
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as http:
        return await http.delete(
            f"/api/rooms/{room_id}/members/{member_id}", headers={**bearer(token), **headers}
        )


def names(frame: Frame) -> list[tuple[str, str]]:
    return sorted((m["role"], m["name"]) for m in frame["members"])


def presence_is(expected: list[tuple[str, str]]) -> Any:
    return lambda f: f["type"] == "presence" and names(f) == sorted(expected)


# -- identity ------------------------------------------------------------------------------


def test_members_id_is_one_way_and_per_role() -> None:
    bea = invites.member_id("buyer", BEA_KEY)
    assert bea == invites.member_id("buyer", BEA_KEY)
    assert bea != invites.member_id("seller", BEA_KEY)
    assert bea != invites.member_id("buyer", BOB_KEY)
    assert BEA_KEY not in bea
    assert len(bea) == 16


def test_members_key_must_be_long_and_plain() -> None:
    join = {"type": "join", "token": "room-id.secret-part-x", "name": "Bea"}
    assert check_client_frame({**join, "key": BEA_KEY}) == "join"
    for bad in ("short", "x" * 65, "has space in it 0123456789", 12345):
        with pytest.raises(SchemaViolation):
            check_client_frame({**join, "key": bad})


async def test_members_a_rejoin_with_the_same_key_is_the_same_member(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base)
        buyer = room["tokens"]["buyer"]
        async with WsClient(server.ws_url) as first:
            you = (await first.join(buyer, "Bea", key=BEA_KEY))["you"]
            assert you["id"] == invites.member_id("buyer", BEA_KEY)
            # A second tab of the same browser: the same member, listed once.
            async with WsClient(server.ws_url) as tab:
                again = (await tab.join(buyer, "Bea", key=BEA_KEY))["you"]
                assert (again["id"], again["name"]) == (you["id"], "Bea")
                await tab.wait_for(
                    lambda f: (
                        f["type"] == "presence" and [m["id"] for m in f["members"]] == [you["id"]]
                    )
                )
        async with WsClient(server.ws_url) as reload:
            assert (await reload.join(buyer, "Bea", key=BEA_KEY))["you"]["id"] == you["id"]
        async with WsClient(server.ws_url) as other:
            assert (await other.join(buyer, "Bob", key=BOB_KEY))["you"]["id"] != you["id"]


async def test_members_a_second_name_in_one_role_gets_a_suffix(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base)
        buyer, seller = room["tokens"]["buyer"], room["tokens"]["seller"]
        async with (
            WsClient(server.ws_url) as bea,
            WsClient(server.ws_url) as other,
            WsClient(server.ws_url) as third,
            WsClient(server.ws_url) as sam,
        ):
            assert (await bea.join(buyer, "Bea", key=BEA_KEY))["you"]["name"] == "Bea"
            assert (await other.join(buyer, "bea", key=BOB_KEY))["you"]["name"] == "bea (2)"
            assert (await third.join(buyer, "Bea"))["you"]["name"] == "Bea (3)"
            # Another role's label tells them apart: no suffix there.
            assert (await sam.join(seller, "Bea"))["you"]["name"] == "Bea"
            await sam.wait_for(
                presence_is(
                    [
                        ("buyer", "Bea"),
                        ("buyer", "bea (2)"),
                        ("buyer", "Bea (3)"),
                        ("seller", "Bea"),
                    ]
                )
            )
            # Each one's edits are their own: the same op id from two teammates is two edits.
            add = {"kind": "term", "title": "Price"}
            first = await bea.call("item.add", {**add, "item_id": "a"}, op="same-op")
            second = await other.call("item.add", {**add, "item_id": "b"}, op="same-op")
            assert first["type"] == second["type"] == "ack"
            assert first["seq"] != second["seq"]
        async with WsClient(server.ws_url) as long:
            name = "B" * 60
            await long.join(buyer, name, key=BEA_KEY)
            async with WsClient(server.ws_url) as twin:
                got = (await twin.join(buyer, name))["you"]["name"]
                assert got == "B" * 56 + " (2)"


# -- removal -------------------------------------------------------------------------------


async def test_members_the_neutral_removes_one_member_and_the_team_stays(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        buyer, room_id = room["tokens"]["buyer"], room["room_id"]
        async with (
            WsClient(server.ws_url) as bea,
            WsClient(server.ws_url) as bob,
            WsClient(server.ws_url) as sam,
            WsClient(server.ws_url) as nora,
        ):
            await bea.join(buyer, "Bea", key=BEA_KEY)
            bob_id = (await bob.join(buyer, "Bob", key=BOB_KEY))["you"]["id"]
            await sam.join(room["tokens"]["seller"], "Sam")
            await nora.join(room["tokens"]["neutral"], "Nora", key=NORA_KEY)
            answer = await remove(server.base, room_id, bob_id, room["tokens"]["neutral"])
            assert answer.status_code == 204
            error = await bob.wait_for(lambda f: f["type"] == "error")
            assert (error["code"], error["reason"]) == ("removed", "member.removed")
            assert (await bob.wait_closed())[0] == CLOSE_REMOVED
            rest = [("buyer", "Bea"), ("seller", "Sam"), ("neutral", "Nora")]
            for member in (bea, sam, nora):
                await member.wait_for(presence_is(rest))
            assert (await bea.call("item.add", {"item_id": "i", "kind": "term", "title": "I"}))[
                "type"
            ] == "ack"
            # The removed member cannot come back with its identity, the others can.
            async with WsClient(server.ws_url) as back:
                refused = await back.join(buyer, "Bob", key=BOB_KEY)
                assert (refused["code"], refused["reason"]) == ("removed", "member.removed")
                assert (await back.wait_closed())[0] == CLOSE_REMOVED
            for member in (bea, sam, nora):
                assert member.closed is None
    # A restart remembers the removal.
    async with (
        serve_in_loop(store_url) as server,
        WsClient(server.ws_url) as back,
        WsClient(server.ws_url) as bea,
    ):
        assert (await back.join(buyer, "Bob", key=BOB_KEY))["reason"] == "member.removed"
        assert (await bea.join(buyer, "Bea", key=BEA_KEY))["type"] == "welcome"


async def removable(server: LiveServer, room: dict[str, Any]) -> tuple[WsClient, str]:
    client = await WsClient(server.ws_url).open()
    welcome = await client.join(room["tokens"]["buyer"], "Bob", key=BOB_KEY)
    return client, welcome["you"]["id"]


async def test_members_only_the_creator_and_the_neutral_remove(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        other = await create_room(server.base, neutral=True)
        room_id = room["room_id"]
        bob, bob_id = await removable(server, room)
        try:
            for token in (
                room["tokens"]["buyer"],
                room["tokens"]["seller"],
                other["creator_token"],
                other["tokens"]["neutral"],
                "not.a-token",
            ):
                refused = await remove(server.base, room_id, bob_id, token)
                assert refused.status_code == 403
                assert refused.json()["error"]["code"] == "not_permitted"
            async with httpx.AsyncClient(base_url=server.base) as http:
                for token, status in [
                    (room["tokens"]["buyer"], 403),
                    (other["creator_token"], 403),
                    (room["creator_token"], 200),
                ]:
                    listed = await http.get(f"/api/rooms/{room_id}/members", headers=bearer(token))
                    assert listed.status_code == status
            assert listed.json() == {"members": [{"id": bob_id, "role": "buyer", "name": "Bob"}]}
            foreign = await remove(
                server.base, room_id, bob_id, room["creator_token"], Origin="https://evil.example"
            )
            assert foreign.status_code == 403
            unknown = await remove(server.base, room_id, "nobody-here", room["creator_token"])
            assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "member.unknown")
            # Refusals changed nothing: Bob is still here and works.
            assert (await bob.call("item.add", {"item_id": "i", "kind": "term", "title": "I"}))[
                "type"
            ] == "ack"
            done = await remove(server.base, room_id, bob_id, room["creator_token"])
            assert done.status_code == 204
            assert (await bob.wait_closed())[0] == CLOSE_REMOVED
            again = await remove(server.base, room_id, bob_id, room["creator_token"])
            assert again.status_code == 404
        finally:
            await bob.close()


async def test_members_a_reissued_link_is_a_fresh_start(store_url: str) -> None:
    async with (
        serve_in_loop(store_url) as server,
        WsClient(server.ws_url) as sam,  # keeps the room loaded
    ):
        room = await create_room(server.base, neutral=True)
        await sam.join(room["tokens"]["seller"], "Sam")
        bob, bob_id = await removable(server, room)
        async with bob:
            assert (
                await remove(server.base, room["room_id"], bob_id, room["creator_token"])
            ).status_code == 204
            await bob.wait_closed()
        async with httpx.AsyncClient(base_url=server.base) as http:
            answer = await http.post(
                f"/api/rooms/{room['room_id']}/links/buyer", headers=bearer(room["creator_token"])
            )
        new_token = answer.json()["link"].split("#", 1)[1]
        async with WsClient(server.ws_url) as back:
            welcome = await back.join(new_token, "Bob", key=BOB_KEY)
            assert welcome["type"] == "welcome"
            assert welcome["you"]["id"] == bob_id


@pytest.mark.redis
async def test_members_a_removal_on_one_process_closes_the_member_on_another(
    shared_url: str,
) -> None:
    with ServerProcess(shared_url) as one, ServerProcess(shared_url) as two:
        room = await create_room(one.base, neutral=True)
        buyer = room["tokens"]["buyer"]
        async with (
            WsClient(one.ws_url) as nora,
            WsClient(two.ws_url) as bea,
            WsClient(two.ws_url) as bob,
        ):
            await nora.join(room["tokens"]["neutral"], "Nora", key=NORA_KEY)
            await bea.join(buyer, "Bea", key=BEA_KEY)
            bob_id = (await bob.join(buyer, "Bob", key=BOB_KEY))["you"]["id"]
            everyone = [("neutral", "Nora"), ("buyer", "Bea"), ("buyer", "Bob")]
            # The neutral's process knows Bob is here (announced by the other process).
            await nora.wait_for(presence_is(everyone))
            # Names are unique across processes too.
            start = len(nora.frames)
            async with WsClient(one.ws_url) as namesake:
                assert (await namesake.join(buyer, "BOB"))["you"]["name"] == "BOB (2)"
                seen = await nora.wait_for(
                    presence_is([*everyone, ("buyer", "BOB (2)")]), start=start
                )
            await nora.wait_for(presence_is(everyone), start=nora.frames.index(seen) + 1)
            answer = await remove(one.base, room["room_id"], bob_id, room["tokens"]["neutral"])
            assert answer.status_code == 204
            assert (await bob.wait_closed())[0] == CLOSE_REMOVED
            rest = [("neutral", "Nora"), ("buyer", "Bea")]
            await bea.wait_for(presence_is(rest))
            await nora.wait_for(presence_is(rest))
        # Barred on every process, not only the one that removed it.
        for server in (one, two):
            async with WsClient(server.ws_url) as back:
                assert (await back.join(buyer, "Bob", key=BOB_KEY))["reason"] == "member.removed"


async def test_members_a_room_bars_a_bounded_number_of_members(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invites, "MAX_REMOVED", 1)
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        async with (
            WsClient(server.ws_url) as bea,
            WsClient(server.ws_url) as bob,
        ):
            bea_id = (await bea.join(room["tokens"]["buyer"], "Bea", key=BEA_KEY))["you"]["id"]
            bob_id = (await bob.join(room["tokens"]["buyer"], "Bob", key=BOB_KEY))["you"]["id"]
            first = await remove(server.base, room["room_id"], bob_id, room["creator_token"])
            assert first.status_code == 204
            full = await remove(server.base, room["room_id"], bea_id, room["creator_token"])
            assert (full.status_code, full.json()["error"]["code"]) == (409, "member.too_many")
            assert (await bea.call("item.add", {"item_id": "i", "kind": "term", "title": "I"}))[
                "type"
            ] == "ack"
