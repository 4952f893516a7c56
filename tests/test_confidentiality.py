"""Confidentiality as a property: random sessions, every outbound byte inspected.

Hypothesis generates sessions (items, figures, notes, consents and
withdrawals, extra team members, reconnects with resume, edits after the
reveal) and plays them against a real server on each store. Every frame sent
to every connection, every welcome snapshot and a set of HTTP responses are
then inspected:

* no figure or note a party registered ever reaches a connection outside
  that party's team, unless the figure was public (revealed) by then;
* every split a connection receives equals the brief's formula, computed
  here independently from the figures the test itself registered.

Secret amounts are drawn from disjoint ranges per party and field, and every
amount derived from them (nets, halves, transfers, totals) is far smaller
than any secret (see ``RANGES``), so an equal integer in someone else's frame
can only be a leak, never a coincidence with their own figures or the split.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.frames import walk
from tests.liveserver import create_room, serve_in_loop
from tests.wsclient import WsClient

STATS = {"sessions": 0, "connections": 0, "frames": 0, "http": 0}

PARTIES = ("buyer", "seller")
# Minor units. The four ranges are disjoint, and every amount derived from
# them is far below the smallest: a party's own net (value - cost) lies within
# ±5e9, so created value, halves, transfers and their totals over the three
# items stay within ±3e10, while every secret is at least 1e11. (Ranges that
# let an own net reach 2e11 once made a seller's own preview total equal a
# buyer's value: a coincidence the leak check took for a leak.) Owns of both
# signs keep value-creating and value-destroying items in play.
RANGES = {
    ("buyer", "value"): (104_000_000_000, 104_999_999_999),
    ("buyer", "cost"): (100_000_000_000, 100_999_999_999),
    ("seller", "value"): (102_000_000_000, 102_999_999_999),
    ("seller", "cost"): (106_000_000_000, 106_999_999_999),
}
ITEMS = ("i0", "i1", "i2")


def amount(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


@st.composite
def figures_step(draw: st.DrawFn) -> tuple[Any, ...]:
    party = draw(st.sampled_from(PARTIES))
    value = draw(st.integers(*RANGES[(party, "value")]))
    cost = draw(st.integers(*RANGES[(party, "cost")]))
    note = draw(st.sampled_from(["", f"NOTE-{party}-{draw(st.integers(0, 10**6))}"]))
    return ("figures", party, draw(st.sampled_from(ITEMS)), value, cost, note)


steps = st.one_of(
    figures_step(),
    figures_step(),
    st.tuples(st.just("consent"), st.sampled_from(PARTIES), st.sampled_from(ITEMS), st.booleans()),
    st.tuples(st.just("consent"), st.sampled_from(PARTIES), st.sampled_from(ITEMS), st.just(True)),
    st.tuples(st.just("join"), st.sampled_from(("buyer", "seller", "neutral"))),
    st.tuples(st.just("reconnect"), st.integers(0, 7)),
    st.tuples(st.just("edit"), st.sampled_from(ITEMS), st.text("abcxyz ", min_size=1, max_size=12)),
)


@dataclass
class Connection:
    role: str
    client: WsClient
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Model:
    """What the test itself knows happened: the independent oracle."""

    figures: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    consent: dict[tuple[str, str], bool] = field(default_factory=dict)
    revealed: set[str] = field(default_factory=set)
    secret_ints: dict[str, set[int]] = field(default_factory=lambda: {p: set() for p in PARTIES})
    notes: dict[str, set[str]] = field(default_factory=lambda: {p: set() for p in PARTIES})

    def apply_figures(self, party: str, item: str, value: int, cost: int, note: str) -> None:
        self.figures[(party, item)] = (value, cost)
        self.secret_ints[party].update((value, cost))
        if note:
            self.notes[party].add(note)

    def apply_consent(self, party: str, item: str, consent: bool) -> str:
        """The error code the server must answer, or "" for an ack."""
        if item in self.revealed:
            return "" if consent else "transparency"
        if consent and (party, item) not in self.figures:
            return "transparency"
        self.consent[(party, item)] = consent
        if all(self.consent.get((p, item)) for p in PARTIES):
            self.revealed.add(item)
        return ""

    def split_line(self, item: str, known: dict[str, tuple[int, int] | None]) -> dict[str, Any]:
        own = {p: (known[p][0] - known[p][1]) if known[p] is not None else 0 for p in PARTIES}  # type: ignore[index]
        net = own["buyer"] + own["seller"]
        fair = {"buyer": net // 2, "seller": net - net // 2}  # the documented odd-cent rule
        return {
            "item_id": item,
            "own": own,
            "net": net,
            "fair": fair,
            "transfer": {p: fair[p] - own[p] for p in PARTIES},
            "destroys_value": net < 0,
            "partial": any(v is None for v in known.values()),
        }

    def split(self, viewer: str | None) -> dict[str, Any]:
        lines, excluded = [], []
        for item in ITEMS:
            if item in self.revealed:
                lines.append(self.split_line(item, {p: self.figures[(p, item)] for p in PARTIES}))
            elif viewer is not None and (viewer, item) in self.figures:
                known = {p: self.figures[(p, item)] if p == viewer else None for p in PARTIES}
                lines.append(self.split_line(item, known))
            else:
                excluded.append(item)
        total: dict[str, Any] | None = None
        if lines:
            total = {"item_id": "total", "destroys_value": False, "partial": False}
            for key in ("own", "fair", "transfer"):
                total[key] = {p: sum(line[key][p] for line in lines) for p in PARTIES}
            total["net"] = sum(line["net"] for line in lines)
            total["destroys_value"] = total["net"] < 0
            total["partial"] = any(line["partial"] for line in lines)
        return {"lines": lines, "total": total, "excluded": excluded}


def public_ints(frame: dict[str, Any]) -> set[int]:
    """Figures a frame makes public: a reveal, a revision, or a snapshot holding them."""
    found: set[int] = set()
    if frame["type"] == "event" and frame["name"] in ("item.revealed", "figures.revised"):
        found.update(
            v for v in walk(frame["data"]) if isinstance(v, int) and not isinstance(v, bool)
        )
    if frame["type"] == "welcome" and frame["view"] is not None:
        for item in frame["view"]["items"]:
            found.update(v for v in walk(item["figures"]) if isinstance(v, int))
            found.update(v for v in walk(item["revisions"]) if isinstance(v, int))
    return found


def assert_no_leak(conn: Connection, model: Model) -> None:
    outsiders_of = [p for p in PARTIES if p != conn.role]
    public: set[int] = set()
    for frame in conn.client.frames:
        public |= public_ints(frame)
        for party in outsiders_of:
            for leaf in walk(frame):
                if isinstance(leaf, str):
                    assert leaf not in model.notes[party], f"{conn.role} received {party}'s note"
                elif (
                    isinstance(leaf, int)
                    and not isinstance(leaf, bool)
                    and leaf in model.secret_ints[party]
                ):
                    assert leaf in public, (
                        f"{conn.role} received {party}'s unrevealed figure {leaf}"
                    )
        if frame["type"] == "event" and frame["name"] == "figures.registered":
            assert frame["data"]["party"] == conn.role
        if frame["type"] == "welcome" and frame["view"] is not None and conn.role == "neutral":
            assert frame["view"]["private"] == {}


async def settle(conns: list[Connection]) -> None:
    """A no-op command per connection: its ack follows every frame queued before it."""
    for conn in conns:
        reply = await conn.client.call("item.park", {"item_id": ITEMS[0], "parked": False})
        assert reply["type"] == "ack", reply


def last_split(conn: Connection) -> dict[str, Any]:
    return next(f for f in reversed(conn.client.frames) if f["type"] == "split")


async def play(store_url: str, program: list[tuple[Any, ...]]) -> None:
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        model = Model()
        conns: list[Connection] = []
        closed: list[Connection] = []

        async def connect(role: str, resume: dict[str, Any] | None = None) -> Connection:
            client = await WsClient(server.ws_url).open()
            welcome = await client.join(room["tokens"][role], f"{role}-{len(conns)}", resume=resume)
            assert welcome["type"] == "welcome"
            conn = Connection(role, client)
            conns.append(conn)
            return conn

        try:
            actors = {p: await connect(p) for p in PARTIES}
            await connect("neutral")
            for item in ITEMS:
                assert (
                    await actors["buyer"].client.call(
                        "item.add", {"item_id": item, "kind": "term", "title": item}
                    )
                )["type"] == "ack"
            for step in program:
                kind = step[0]
                if kind == "figures":
                    _, party, item, value, cost, note = step
                    reply = await actors[party].client.call(
                        "figures.set",
                        {
                            "item_id": item,
                            "value": amount(value),
                            "cost": amount(cost),
                            "note": note,
                        },
                    )
                    assert reply["type"] == "ack", reply
                    model.apply_figures(party, item, value, cost, note)
                elif kind == "consent":
                    _, party, item, consent = step
                    reply = await actors[party].client.call(
                        "consent.set", {"item_id": item, "consent": consent}
                    )
                    expected = model.apply_consent(party, item, consent)
                    assert reply.get("code", "") == expected, reply
                elif kind == "join":
                    joined = await connect(step[1])
                    if step[1] in PARTIES:
                        actors[step[1]] = joined
                elif kind == "reconnect":
                    live = [c for c in conns if c.client.closed is None]
                    old = live[step[1] % len(live)]
                    await old.client.close()
                    conns.remove(old)
                    closed.append(old)
                    resume = {"log_id": room["log_id"], "seq": old.client.last_seq}
                    fresh = await connect(old.role, resume)
                    assert fresh.client.welcome is not None
                    assert fresh.client.welcome["resumed"] is True
                    if old.role in actors and actors[old.role] is old:
                        actors[old.role] = fresh
                elif kind == "edit":
                    _, item, title = step
                    await actors["seller"].client.call(
                        "item.edit", {"item_id": item, "title": title}
                    )
                await settle(conns)
                for conn in conns:
                    viewer = conn.role if conn.role in PARTIES else None
                    split = last_split(conn)
                    assert split["shared"] == model.split(None)
                    assert split["preview"] == (model.split(viewer) if viewer else None)
            for conn in conns + closed:
                assert_no_leak(conn, model)
                STATS["connections"] += 1
                STATS["frames"] += len(conn.client.frames)
            async with httpx.AsyncClient() as http:
                responses = [
                    await http.get(f"{server.base}{path}")
                    for path in (
                        "/",
                        "/join",
                        "/api/health",
                        "/schema.json",
                        f"/api/rooms/{room['room_id']}",
                    )
                ]
                responses.append(
                    await http.post(f"{server.base}/api/rooms", json={"title": "Another"})
                )
                responses.append(await http.post(f"{server.base}/api/rooms", json={"title": 5}))
            for response in responses:
                STATS["http"] += 1
                body = response.text
                for party in PARTIES:
                    assert not any(note in body for note in model.notes[party])
                    assert not any(str(v) in body for v in model.secret_ints[party])
        finally:
            for conn in conns:
                await conn.client.close()
    STATS["sessions"] += 1


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=st.lists(steps, min_size=4, max_size=24))
def test_no_private_figure_reaches_anyone_outside_the_team(
    kind: str,
    program: list[tuple[Any, ...]],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    if kind == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("confidential") / "store.db")
    else:
        url = request.getfixturevalue("redis_url_session")
    asyncio.run(play(url, program))


def test_no_derived_amount_can_equal_a_secret() -> None:
    """The oracle's premise: nets, halves, transfers and totals stay below every secret."""
    lowest = min(low for low, _ in RANGES.values())
    own = {
        party: max(
            abs(value - cost)
            for value in RANGES[(party, "value")]
            for cost in RANGES[(party, "cost")]
        )
        for party in PARTIES
    }
    total_own = {party: own[party] * len(ITEMS) for party in PARTIES}
    net = sum(total_own.values())
    # |transfer| = |fair - own| <= |net| / 2 + 1 + |own|
    largest = max(net, *(net // 2 + 1 + total_own[p] for p in PARTIES))
    assert largest < lowest
    lows = sorted(RANGES.values())
    assert all(a[1] < b[0] for a, b in itertools.pairwise(lows))
