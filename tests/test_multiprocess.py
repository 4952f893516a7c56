"""Two server processes sharing one Redis (or one Redis Cluster) serve the same room as one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.liveserver import ServerProcess, create_room
from tests.timing import timeout
from tests.wsclient import WsClient


async def final_view(url: str, token: str) -> dict[str, Any]:
    async with WsClient(url) as probe:
        welcome = await probe.join(token, "Probe")
        view: dict[str, Any] = welcome["view"]
        view["seq"] = welcome["seq"]
        return view


@pytest.mark.redis
async def test_clients_on_two_processes_see_every_edit_in_the_same_order(shared_url: str) -> None:
    with ServerProcess(shared_url) as one, ServerProcess(shared_url) as two:
        room = await create_room(one.base)
        async with WsClient(one.ws_url) as bea, WsClient(two.ws_url) as sam:
            await bea.join(room["tokens"]["buyer"], "Bea")
            await sam.join(room["tokens"]["seller"], "Sam")

            async def edits(client: WsClient, prefix: str) -> None:
                for i in range(60):
                    if i % 3 == 0:
                        op = await client.command(
                            "item.add",
                            {"item_id": f"{prefix}{i}", "kind": "term", "title": f"{prefix} {i}"},
                        )
                    else:
                        target = f"{prefix}{i - i % 3}"
                        op = await client.command(
                            "item.edit", {"item_id": target, "description": f"{prefix} edit {i}"}
                        )
                    if i % 7 == 0:
                        reply = await client.reply(op)
                        assert reply["type"] == "ack", reply

            await asyncio.gather(edits(bea, "b"), edits(sam, "s"))
            total = 1 + 120
            await bea.wait_for(lambda f: f["type"] == "event" and f["seq"] == total, timeout=30)
            await sam.wait_for(lambda f: f["type"] == "event" and f["seq"] == total, timeout=30)
            order_b = [(e["seq"], e["at"], e["name"], e["data"]) for e in bea.events()]
            order_s = [(e["seq"], e["at"], e["name"], e["data"]) for e in sam.events()]
            assert order_b == order_s
            assert [s for s, *_ in order_b] == list(range(2, total + 1))
        view_one = await final_view(one.ws_url, room["tokens"]["buyer"])
        view_two = await final_view(two.ws_url, room["tokens"]["buyer"])
        assert view_one == view_two
        assert view_one["seq"] == total


@pytest.mark.redis
async def test_a_process_loading_the_room_while_edits_arrive_misses_nothing(
    shared_url: str,
) -> None:
    with ServerProcess(shared_url) as one, ServerProcess(shared_url) as two:
        room = await create_room(one.base)
        async with WsClient(one.ws_url) as writer:
            await writer.join(room["tokens"]["buyer"], "Writer")
            stop = asyncio.Event()
            acked = 0
            progress = asyncio.Condition()

            async def keep_editing() -> int:
                nonlocal acked
                while not stop.is_set() and acked < 2000:
                    n = acked
                    if n < 50:
                        args = {"item_id": f"w{n}", "kind": "term", "title": f"W {n}"}
                        reply = await writer.call("item.add", args)
                    else:
                        reply = await writer.call(
                            "item.edit", {"item_id": f"w{n % 50}", "description": str(n)}
                        )
                    assert reply["type"] == "ack"
                    async with progress:
                        acked += 1
                        progress.notify_all()
                return acked

            async def more_edits(count: int) -> None:
                """Wait until process one has appended ``count`` more edits."""
                target = acked + count
                async with progress:
                    await asyncio.wait_for(
                        progress.wait_for(lambda: acked >= target or task.done()), timeout(30)
                    )

            task = asyncio.create_task(keep_editing())
            joiners = []
            try:
                # Process two loads the room (first join) while process one appends.
                for i in range(5):
                    await more_edits(1 + i)
                    joiner = await WsClient(two.ws_url).open()
                    welcome = await joiner.join(room["tokens"]["seller"], f"Late {i}")
                    assert welcome["type"] == "welcome"
                    joiners.append(joiner)
                    if i == 2:
                        # Leave so the room unloads on process two and loads again.
                        for j in joiners:
                            await j.close()
                        joiners.clear()
                # Edits keep landing while the latest joiners are in.
                await more_edits(10)
            finally:
                stop.set()
                sent = await task
            last = 1 + sent
            for joiner in joiners:
                await joiner.wait_for(
                    lambda f: f["type"] == "event" and f["seq"] == last, timeout=30
                )
                assert joiner.welcome is not None
                start = joiner.welcome["seq"]
                assert [e["seq"] for e in joiner.events()] == list(range(start + 1, last + 1))
                await joiner.close()
            assert (await final_view(two.ws_url, room["tokens"]["buyer"])) == (
                await final_view(one.ws_url, room["tokens"]["buyer"])
            )


async def test_restart_keeps_the_room(store_url: str) -> None:
    server = ServerProcess(store_url).start()
    try:
        room = await create_room(server.base)
        async with WsClient(server.ws_url) as bea:
            await bea.join(room["tokens"]["buyer"], "Bea")
            ack = await bea.call(
                "item.add",
                {"item_id": "kept", "kind": "relationship", "title": "Form of cooperation"},
            )
            assert ack["type"] == "ack"
    finally:
        server.stop()
    # A new port: the old one may still be held (TIME_WAIT) or taken by now.
    with ServerProcess(store_url) as again:
        view = await final_view(again.ws_url, room["tokens"]["seller"])
        assert [i["title"] for i in view["items"]] == ["Form of cooperation"]


@pytest.mark.redis
async def test_presence_spans_processes(shared_url: str) -> None:
    with ServerProcess(shared_url) as one, ServerProcess(shared_url) as two:
        room = await create_room(one.base, neutral=True)

        def names(frame: dict[str, Any]) -> set[tuple[str, str, str | None]]:
            return {(m["name"], m["role"], m["editing"]) for m in frame["members"]}

        async with WsClient(one.ws_url) as bea:
            await bea.join(room["tokens"]["buyer"], "Bea")
            async with WsClient(two.ws_url) as sam, WsClient(two.ws_url) as nora:
                await sam.join(room["tokens"]["seller"], "Sam")
                await nora.join(room["tokens"]["neutral"], "Nora")
                everyone = {
                    ("Bea", "buyer", None),
                    ("Sam", "seller", None),
                    ("Nora", "neutral", None),
                }
                await bea.wait_for(lambda f: f["type"] == "presence" and names(f) == everyone)
                # The newcomer's process asked the others: Sam sees Bea without a heartbeat.
                await sam.wait_for(
                    lambda f: f["type"] == "presence" and names(f) == everyone, timeout=5
                )
                await sam.send({"type": "presence", "editing": "i1"})
                await bea.wait_for(
                    lambda f: f["type"] == "presence" and ("Sam", "seller", "i1") in names(f)
                )
            # Both left process two: Bea sees them gone.
            await bea.wait_for(
                lambda f: f["type"] == "presence" and names(f) == {("Bea", "buyer", None)},
                timeout=5,
            )
