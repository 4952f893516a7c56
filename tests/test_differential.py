"""No metadata leaks: what the other audiences receive does not depend on a party's private work.

Hypothesis draws pairs of sessions with the same public script (the seller
adds and edits items, the neutral moves the phase) and two
different private scripts of the buyer, interleaved at the same points:
figures registered with other values, notes and ranges (low/high around
value and cost, or none), re-sent identical figures (no event), invalid
amounts and ranges (refused), and a different number of each. Both
sessions of a pair run against a real server on one store; the seller's and
the neutral's transcripts (every frame, in order, with the random parts
normalised: times, ids, the room's id; presence frames, whose number depends
on the clock, by the last one) must be identical. Every step waits
for its reply, and each transcript ends with an acknowledged no-op of its own,
which is queued after everything decided before it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.liveserver import LiveServer, create_room, serve_in_loop
from tests.wsclient import WsClient

STATS = {"pairs": 0, "private_actions": 0, "frames_compared": 0}

ITEMS = ("i0", "i1")


def amount(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


amounts = st.integers(1, 10**9).map(amount)


@st.composite
def ranges(draw: st.DrawFn) -> dict[str, str]:
    """Optional range ends around figures of 10 to 20 million units: any subset, low <= high."""
    ends: dict[str, str] = {}
    for figure in ("value", "cost"):
        if draw(st.booleans()):
            ends[f"{figure}_low"] = amount(draw(st.integers(0, 10**7)))
        if draw(st.booleans()):
            ends[f"{figure}_high"] = amount(draw(st.integers(2 * 10**7, 3 * 10**7)))
    return ends


middling = st.integers(10**7, 2 * 10**7).map(amount)
private_action = st.one_of(
    st.tuples(
        st.just("figures"), st.sampled_from(ITEMS), amounts, amounts, st.just(""), st.just({})
    ),
    st.tuples(
        st.just("figures"),
        st.sampled_from(ITEMS),
        amounts,
        amounts,
        st.text("abcxyz", min_size=1, max_size=8),
        st.just({}),
    ),
    st.tuples(
        st.just("figures"), st.sampled_from(ITEMS), middling, middling, st.just(""), ranges()
    ),
    st.tuples(
        st.just("badrange"),
        st.sampled_from(ITEMS),
        st.sampled_from(["value_low", "cost_low", "value_high", "cost_high"]),
    ),
    st.tuples(st.just("again"), st.sampled_from(ITEMS)),  # the same figures once more
    st.tuples(
        st.just("invalid"),
        st.sampled_from(ITEMS),
        st.sampled_from(["abc", "-5", "1e9", "12.345", "NaN", " "]),
    ),
)
public_action = st.one_of(
    st.tuples(st.just("add"), st.just("seller")),
    st.tuples(st.just("edit"), st.sampled_from(ITEMS), st.text("pqrs", min_size=1, max_size=6)),
)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[list[Any], list[list[Any]], list[list[Any]]]:
    """A public script, and two private scripts: a list of buyer actions before each public step."""
    public = draw(st.lists(public_action, min_size=1, max_size=6))
    slots = len(public) + 1
    first = [draw(st.lists(private_action, max_size=3)) for _ in range(slots)]
    second = [draw(st.lists(private_action, max_size=3)) for _ in range(slots)]
    return public, first, second


def normalise(frame: Any, room_id: str) -> Any:
    """Drop what differs between any two runs: times, random ids, the room's id."""
    if isinstance(frame, dict):
        out = {}
        for key, value in frame.items():
            if key in ("at", "log_id", "created_at", "hash"):  # a hash covers the random room id
                continue
            if key == "id" and isinstance(value, str) and "role" in frame:
                continue  # a member's random id
            out[key] = normalise(value, room_id)
        return out
    if isinstance(frame, list):
        return [normalise(value, room_id) for value in frame]
    if isinstance(frame, str):
        return frame.replace(room_id, "ROOM")
    return frame


async def run(server: LiveServer, public: list[Any], private: list[list[Any]]) -> dict[str, Any]:
    room = await create_room(server.base, neutral=True)
    clients = {role: WsClient(server.ws_url) for role in ("buyer", "seller", "neutral")}
    registered: dict[str, tuple[str, str, str, dict[str, str]]] = {}
    added = 0
    try:
        for role, client in clients.items():
            await client.open()
            assert (await client.join(room["tokens"][role], role.title()))["type"] == "welcome"
        # Op ids of the watchers are fixed: they are part of the transcripts compared.
        for item in ITEMS:
            args = {"item_id": item, "kind": "term", "title": item}
            await clients["seller"].call("item.add", args, f"setup-{item}")
        reply = await clients["neutral"].call("phase.set", {"phase": "dividing"}, "setup-phase")
        assert reply["type"] == "ack"
        buyer = clients["buyer"]
        for step in range(len(public) + 1):
            for action in private[step]:
                STATS["private_actions"] += 1
                if action[0] == "figures":
                    _, item, value, cost, note, ends = action
                    registered[item] = (value, cost, note, ends)
                    args = {"item_id": item, "value": value, "cost": cost, **ends}
                    if note:
                        args["note"] = note
                    assert (await buyer.call("figures.set", args))["type"] == "ack"
                elif action[0] == "again":
                    value, cost, note, ends = registered.get(action[1], ("1.00", "1.00", "", {}))
                    args = {"item_id": action[1], "value": value, "cost": cost, **ends}
                    if note:
                        args["note"] = note
                    await buyer.call("figures.set", args)
                elif action[0] == "badrange":
                    _, item, end = action
                    # An end on the wrong side of its figure: refused.
                    bad = "5.00" if end.endswith("_low") else "1.00"
                    args = {"item_id": item, "value": "2.00", "cost": "2.00", end: bad}
                    reply = await buyer.call("figures.set", args)
                    assert reply["type"] == "error"
                    assert reply["reason"].startswith("figure.range_")
                else:
                    _, item, bad = action
                    args = {"item_id": item, "value": "1", "cost": bad}  # a cost is never negative
                    assert (await buyer.call("figures.set", args))["type"] == "error"
            if step == len(public):
                break
            kind, *rest = public[step]
            if kind == "add":
                added += 1
                args = {"item_id": f"p{added}", "kind": "term", "title": f"P{added}"}
                reply = await clients[rest[0]].call("item.add", args, f"{rest[0]}-add-{added}")
            else:
                reply = await clients["seller"].call(
                    "item.edit", {"item_id": rest[0], "title": rest[1]}, f"edit-{step}"
                )
            assert reply["type"] == "ack"
        transcripts = {}
        for role in ("seller", "neutral"):
            await clients[role].wait_for(
                lambda f: f["type"] == "presence" and len(f["members"]) == 3
            )
            # A no-op of each watcher's own: everything decided before it reached it first.
            reply = await clients[role].call("item.edit", {"item_id": "i0"}, f"{role}-last")
            assert reply["type"] in ("ack", "error")
            frames = normalise(clients[role].frames, room["room_id"])
            # Presence is coalesced in time (how many frames depends on the clock, not on
            # anyone's work): compare the frames in between and the last presence.
            presence = [f for f in frames if f["type"] == "presence"]
            transcripts[role] = [f for f in frames if f["type"] != "presence"] + presence[-1:]
        return transcripts
    finally:
        for client in clients.values():
            await client.close()


async def compare(store_url: str, public: list[Any], first: list[Any], second: list[Any]) -> None:
    async with serve_in_loop(store_url, rooms_per_hour=0) as server:
        one = await run(server, public, first)
        two = await run(server, public, second)
    for role in ("seller", "neutral"):
        assert one[role] == two[role], role
        STATS["frames_compared"] += len(one[role])
    STATS["pairs"] += 1


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pair=pairs())
def test_differential_private_work_leaves_no_trace_for_the_other_audiences(
    kind: str,
    pair: tuple[list[Any], list[list[Any]], list[list[Any]]],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    if kind == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("differential") / "store.db")
    else:
        url = request.getfixturevalue("redis_url_session")
    asyncio.run(compare(url, *pair))


def test_differential_normalising_keeps_what_matters() -> None:
    frame = {"type": "presence", "members": [{"id": "x1", "role": "seller", "name": "S"}]}
    assert normalise(frame, "R") == {
        "type": "presence",
        "members": [{"role": "seller", "name": "S"}],
    }
    event = {"type": "event", "seq": 3, "at": 99, "data": {"item_id": "i0", "room": "R-1"}}
    assert normalise(event, "R") == {
        "type": "event",
        "seq": 3,
        "data": {"item_id": "i0", "room": "ROOM-1"},
    }
