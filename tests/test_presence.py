"""Presence from other processes expires when they stop speaking."""

from __future__ import annotations

from typing import Any

from valueroom.protocol.codec import encode
from valueroom.rooms.presence import SharedPresence
from valueroom.store.base import Store


def notice(proc: str, *names: str, ask: bool = False) -> bytes:
    members = [{"id": f"{proc}-{n}", "role": "buyer", "name": n, "editing": None} for n in names]
    return encode({"proc": proc, "members": members, "ask": ask})


def make(store: Store, now: list[float], changes: list[int]) -> SharedPresence:
    local: list[dict[str, Any]] = [{"id": "me", "role": "seller", "name": "Sam", "editing": None}]
    return SharedPresence(
        "room",
        "here",
        store,
        lambda: list(local),
        lambda: changes.append(1),
        ttl=30,
        clock=lambda: now[0],
    )


async def test_remote_members_count_until_their_process_falls_silent(store: Store) -> None:
    now = [100.0]
    changes: list[int] = []
    presence = make(store, now, changes)
    presence.on_notice(notice("there", "Bea", "Bob"))
    assert [m["name"] for m in presence.members()] == ["Sam", "Bea", "Bob"]
    assert changes
    now[0] = 129.0
    assert len(presence.members()) == 3
    now[0] = 131.0
    assert [m["name"] for m in presence.members()] == ["Sam"]


async def test_own_notices_and_garbage_are_ignored(store: Store) -> None:
    now = [0.0]
    changes: list[int] = []
    presence = make(store, now, changes)
    presence.on_notice(notice("here", "Ghost"))
    presence.on_notice(b"\xc1not msgpack")
    presence.on_notice(encode({"proc": "x"}))
    assert [m["name"] for m in presence.members()] == ["Sam"]
    assert changes == []


async def test_an_empty_list_removes_that_process_at_once(store: Store) -> None:
    now = [0.0]
    changes: list[int] = []
    presence = make(store, now, changes)
    presence.on_notice(notice("there", "Bea"))
    presence.on_notice(notice("there"))
    assert [m["name"] for m in presence.members()] == ["Sam"]


async def test_a_newcomer_asking_makes_this_process_answer(store: Store) -> None:
    now = [0.0]
    changes: list[int] = []
    presence = make(store, now, changes)
    presence.due = False
    presence.on_notice(notice("new", "Nora", ask=True))
    assert presence.due


async def test_a_member_on_several_connections_is_listed_once(store: Store) -> None:
    now = [0.0]
    presence = make(store, now, [])
    # The same member ("me") in another tab, on another process, editing an item.
    tab = {"id": "me", "role": "seller", "name": "Sam", "editing": "i1"}
    presence.on_notice(encode({"proc": "there", "members": [tab], "ask": False}))
    assert presence.members() == [{"id": "me", "role": "seller", "name": "Sam", "editing": "i1"}]
