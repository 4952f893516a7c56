"""Links that can be revoked and reissued, rooms that can be erased without a trace."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import httpx
import pytest
import redis

from tests.liveserver import LiveServer, ServerProcess, create_room, serve_in_loop
from tests.loglines import log_lines
from tests.redisproc import running_redis
from tests.wsclient import WsClient
from valueroom.domain.events import Event
from valueroom.rooms.live import CLOSE_ERASED, CLOSE_REVOKED
from valueroom.store.base import RoomRecord, Store

# -- the store contract ------------------------------------------------------------------


def record(room_id: str) -> RoomRecord:
    return RoomRecord(room_id, "log-" + room_id, 1, {"buyer": "aa", "seller": "bb"})


def first(room_id: str) -> list[Event]:
    return [Event(1, 1, None, None, 7, "room.created", {"room_id": room_id})]


async def test_lifecycle_store_replaces_secrets_of_an_existing_room_only(store: Store) -> None:
    await store.create_room(record("r1"), first("r1"))
    assert await store.set_secrets("r1", {"buyer": "cc", "seller": "bb"})
    found = await store.room("r1")
    assert found is not None
    assert found.secret_hashes == {"buyer": "cc", "seller": "bb"}
    assert not await store.set_secrets("ghost", {"buyer": "cc"})
    assert await store.room("ghost") is None


async def test_lifecycle_store_erase_leaves_nothing_of_the_room_and_spares_others(
    store: Store,
) -> None:
    for room_id in ("r1", "r2"):
        await store.create_room(record(room_id), first(room_id))
    await store.erase("r1")
    assert await store.room("r1") is None
    assert await store.read("r1") == []
    assert await store.room("r2") is not None
    assert len(await store.read("r2")) == 1
    await store.erase("r1")  # twice is fine


# -- links ---------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def reissue(server: LiveServer, room_id: str, role: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base) as http:
        return await http.post(f"/api/rooms/{room_id}/links/{role}", headers=bearer(token))


async def test_lifecycle_creator_revokes_a_link_and_its_members_are_closed(
    store_url: str,
) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        creator = room["creator_token"]
        async with WsClient(server.ws_url) as stranger:
            refused = await stranger.join(creator, "Mallory")
            assert refused["code"] == "bad_token"  # the creator's token joins no role
        async with (
            WsClient(server.ws_url) as bea,
            WsClient(server.ws_url) as bob,
            WsClient(server.ws_url) as sam,
        ):
            await bea.join(room["tokens"]["buyer"], "Bea")
            await bob.join(room["tokens"]["buyer"], "Bob")
            await sam.join(room["tokens"]["seller"], "Sam")
            answer = await reissue(server, room["room_id"], "buyer", creator)
            assert answer.status_code == 200
            new_token = answer.json()["link"].split("#", 1)[1]
            for gone in (bea, bob):
                error = await gone.wait_for(lambda f: f["type"] == "error")
                assert (error["code"], error["reason"]) == ("revoked", "link.revoked")
                assert (await gone.wait_closed())[0] == CLOSE_REVOKED
            await sam.wait_for(
                lambda f: f["type"] == "presence" and [m["name"] for m in f["members"]] == ["Sam"]
            )
            assert (await sam.call("item.add", {"item_id": "i", "kind": "term", "title": "I"}))[
                "type"
            ] == "ack"
        async with WsClient(server.ws_url) as old, WsClient(server.ws_url) as new:
            assert (await old.join(room["tokens"]["buyer"], "Bea"))["code"] == "bad_token"
            assert (await new.join(new_token, "Bea"))["type"] == "welcome"


async def test_lifecycle_only_the_creator_and_the_neutral_manage_links(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        other = await create_room(server.base, neutral=True)
        room_id = room["room_id"]
        for token, status in [
            (room["tokens"]["seller"], 403),
            (room["tokens"]["buyer"], 403),
            (other["creator_token"], 403),
            ("not.a-token", 403),
            (room["tokens"]["neutral"], 200),
        ]:
            assert (await reissue(server, room_id, "seller", token)).status_code == status
        assert (await reissue(server, room_id, "admin", room["creator_token"])).status_code == 404
        async with httpx.AsyncClient(base_url=server.base) as http:
            foreign = await http.post(
                f"/api/rooms/{room_id}/links/buyer",
                headers={**bearer(room["creator_token"]), "Origin": "https://evil.example"},
            )
        assert foreign.status_code == 403


# -- erasure -------------------------------------------------------------------------------


def traces_in_sqlite(path: Path, needles: list[bytes]) -> list[str]:
    found = []
    for file in path.parent.glob(path.name + "*"):  # the database, its WAL and its index
        data = file.read_bytes()
        found += [f"{file.name}: {needle!r}" for needle in needles if needle in data]
    return found


def traces_in_redis(url: str, needles: list[bytes]) -> list[str]:
    found = []
    with redis.Redis.from_url(url) as client:
        for key in client.scan_iter(count=1000):
            dumped = client.dump(key) or b""
            found += [f"{key!r}: {n!r}" for n in needles if n in key or n in dumped]
    return found


async def test_lifecycle_erase_leaves_nothing_in_the_store(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        keep = await create_room(server.base)
        room = await create_room(server.base, title="Erase me")
        room_id = room["room_id"]
        async with WsClient(server.ws_url) as bea, WsClient(server.ws_url) as sam:
            await bea.join(room["tokens"]["buyer"], "Bea")
            await sam.join(room["tokens"]["seller"], "Sam")
            await bea.call("item.add", {"item_id": "i1", "kind": "term", "title": "Secretive"})
            await bea.call(
                "figures.set",
                {"item_id": "i1", "value": "1234567", "cost": "1", "note": "zebra-note"},
            )
            async with httpx.AsyncClient(base_url=server.base) as http:
                wrong = await http.delete(f"/api/rooms/{room_id}", headers=bearer("x.y"))
                assert wrong.status_code == 403
                done = await http.delete(
                    f"/api/rooms/{room_id}", headers=bearer(room["creator_token"])
                )
                assert done.status_code == 204
            for member in (bea, sam):
                error = await member.wait_for(lambda f: f["type"] == "error")
                assert (error["code"], error["reason"]) == ("erased", "room.erased")
                assert (await member.wait_closed())[0] == CLOSE_ERASED
        async with WsClient(server.ws_url) as late:
            assert (await late.join(room["tokens"]["buyer"], "Bea"))["code"] == "bad_token"
        async with WsClient(server.ws_url) as other:
            assert (await other.join(keep["tokens"]["buyer"], "Kay"))["type"] == "welcome"
    needles = [room_id.encode(), b"Erase me", b"Secretive", b"zebra-note"]
    if store_url.startswith("sqlite:///"):
        path = Path(store_url.removeprefix("sqlite:///"))
        traces = traces_in_sqlite(path, needles)
        assert traces_in_sqlite(path, [keep["room_id"].encode()])  # the scan does see rooms
    else:
        traces = traces_in_redis(store_url, needles)
        assert traces_in_redis(store_url, [keep["room_id"].encode()])  # the scan does see rooms
    assert traces == []


@pytest.mark.parametrize("who", ["creator_token", "neutral"])
async def test_lifecycle_creator_or_neutral_may_erase(store_url: str, who: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        token = room["creator_token"] if who == "creator_token" else room["tokens"]["neutral"]
        async with httpx.AsyncClient(base_url=server.base) as http:
            refused = await http.delete(
                f"/api/rooms/{room['room_id']}", headers=bearer(room["tokens"]["seller"])
            )
            assert refused.status_code == 403
            done = await http.delete(f"/api/rooms/{room['room_id']}", headers=bearer(token))
            assert done.status_code == 204


@pytest.mark.redis
async def test_lifecycle_a_revoke_on_one_process_closes_members_on_another(
    shared_url: str,
) -> None:
    with ServerProcess(shared_url) as one, ServerProcess(shared_url) as two:
        room = await create_room(one.base, neutral=True)
        async with WsClient(two.ws_url) as bea, WsClient(two.ws_url) as sam:
            await bea.join(room["tokens"]["buyer"], "Bea")
            await sam.join(room["tokens"]["seller"], "Sam")
            async with httpx.AsyncClient(base_url=one.base) as http:
                answer = await http.post(
                    f"/api/rooms/{room['room_id']}/links/buyer",
                    headers=bearer(room["tokens"]["neutral"]),
                )
                assert answer.status_code == 200
            assert (await bea.wait_closed())[0] == CLOSE_REVOKED
            async with httpx.AsyncClient(base_url=one.base) as http:
                erased = await http.delete(
                    f"/api/rooms/{room['room_id']}", headers=bearer(room["creator_token"])
                )
                assert erased.status_code == 204
            assert (await sam.wait_closed())[0] == CLOSE_ERASED


async def test_lifecycle_retention_erases_a_closed_room_after_its_time(store_url: str) -> None:
    async with serve_in_loop(store_url, retention=0.3) as server:
        open_room = await create_room(server.base, neutral=True)
        closed = await create_room(server.base, neutral=True)
        with log_lines() as lines:
            async with WsClient(server.ws_url) as nia:
                await nia.join(closed["tokens"]["neutral"], "Nia")
                assert (await nia.call("phase.set", {"phase": "closed"}))["type"] == "ack"
            await lines.wait_for(
                lambda r: (
                    r.getMessage() == "room erased" and getattr(r, "room", "") == closed["room_id"]
                )
            )
        store = server.app.state.registry.store
        assert await store.room(closed["room_id"]) is None
        assert await store.read(closed["room_id"]) == []
        assert await store.room(open_room["room_id"]) is not None
        assert await store.closed_before(2**62) == []


# -- what the browser's "Links and room" panel is told -------------------------------------


async def test_lifecycle_an_erased_room_is_unknown_to_its_managers(store_url: str) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        room_id = room["room_id"]
        async with httpx.AsyncClient(base_url=server.base) as http:
            done = await http.delete(f"/api/rooms/{room_id}", headers=bearer(room["creator_token"]))
            assert done.status_code == 204
            for answer in (
                await http.delete(f"/api/rooms/{room_id}", headers=bearer(room["creator_token"])),
                await reissue(server, room_id, "buyer", room["tokens"]["neutral"]),
            ):
                assert answer.status_code == 404
                assert answer.json()["error"]["code"] == "unknown_room"


async def test_lifecycle_management_is_rate_limited_per_address(store_url: str) -> None:
    async with serve_in_loop(store_url, manage_per_hour=2) as server:
        room = await create_room(server.base, neutral=True)
        other = await create_room(server.base)
        # Wrong tokens count too: nobody guesses a managing token quickly.
        assert (await reissue(server, room["room_id"], "buyer", "x.y")).status_code == 403
        assert (await reissue(server, room["room_id"], "buyer", room["creator_token"])).is_success
        limited = await reissue(server, other["room_id"], "buyer", other["creator_token"])
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        async with WsClient(server.ws_url) as bea:  # the old link still works: nothing changed
            assert (await bea.join(other["tokens"]["buyer"], "Bea"))["type"] == "welcome"


@pytest.mark.redis
async def test_lifecycle_management_during_a_store_outage_is_unavailable() -> None:
    with running_redis() as url:
        async with serve_in_loop(url) as server:
            room = await create_room(server.base)
            with contextlib.suppress(redis.exceptions.ConnectionError):
                redis.Redis.from_url(url).shutdown(nosave=True)
            async with httpx.AsyncClient(base_url=server.base) as http:
                for answer in (
                    await reissue(server, room["room_id"], "buyer", room["creator_token"]),
                    await http.delete(
                        f"/api/rooms/{room['room_id']}", headers=bearer(room["creator_token"])
                    ),
                ):
                    assert answer.status_code == 503
                    assert answer.json()["error"]["code"] == "unavailable"


async def test_lifecycle_no_managing_token_or_new_link_reaches_the_log(store_url: str) -> None:
    async with serve_in_loop(store_url, manage_per_hour=4) as server:
        room = await create_room(server.base, neutral=True)
        room_id, creator, neutral = (
            room["room_id"],
            room["creator_token"],
            room["tokens"]["neutral"],
        )
        with log_lines("", logging.DEBUG) as lines:
            reissued = await reissue(server, room_id, "seller", creator)
            new_token = reissued.json()["link"].split("#", 1)[1]
            assert (
                await reissue(server, room_id, "buyer", room["tokens"]["seller"])
            ).status_code == 403
            async with httpx.AsyncClient(base_url=server.base) as http:
                erased = await http.delete(f"/api/rooms/{room_id}", headers=bearer(neutral))
                assert erased.status_code == 204
            assert (await reissue(server, room_id, "buyer", creator)).status_code == 404
            assert (await reissue(server, room_id, "buyer", creator)).status_code == 429
            await lines.wait_for(lambda r: r.getMessage() == "room erased")
        secrets = [
            t.split(".", 1)[1] for t in (creator, neutral, new_token, room["tokens"]["seller"])
        ]
        logged = [f"{r.getMessage()} {r.__dict__}" for r in lines.records]
        assert any("link revoked and reissued" in line for line in logged)  # the log was seen
        assert [s for s in secrets for line in logged if s in line] == []
