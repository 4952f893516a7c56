"""Confidentiality as a property: random sessions, every outbound byte inspected.

Hypothesis generates sessions (items, figures with or without a low/high
range around them, notes, consents and
withdrawals, extra team members, reconnects with resume, edits after the
reveal; figures shared under seal with the neutral, withdrawn, verified,
disputed and put into the split under seal; caucus threads opened, written
in and closed; a party trying to seal the other party's figures) and plays
them against a real server on each store, in a room with a neutral that has
moved it to the dividing phase. Every frame sent to every connection, every
welcome snapshot, every log record of the server and a set of HTTP responses
are then inspected:

* no figure or note a party registered ever reaches a connection of the
  other party, unless the figure was public (revealed) by then;
* the neutral receives a party's figures only as figures that party shared
  under seal (a ``seal.shared`` event or the seals of its welcome snapshot,
  each equal to what the party shared for that version), never in any other
  frame, and never an unsealed registration or a note;
* a caucus message never reaches the other party; seal, caucus-message and
  access-log events reach only the owning party and the neutral;
* every time a neutral connection received sealed figures (live, welcome or
  resume), the log holds exactly one ``seal.accessed`` entry for it;
* no log record carries a figure, a note or a caucus message;
* every export (JSON and CSV, at random points and at the end, for every
  connection) holds nothing its role could not see: a party's own figures,
  the neutral's sealed figures checked against the version shared, the
  public deal sheet, and no other party's figure or note;
* every split a connection receives equals the brief's formula (items under
  seal included), computed here independently from what the test did.

Secret amounts are drawn from disjoint ranges per party, and value and cost
lie so close together that every net, half, transfer and total derived from
them is far smaller than any secret: an equal integer in someone else's frame
can only be a leak, never a coincidence with the split.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.frames import walk
from tests.liveserver import create_room, serve_in_loop
from tests.wsclient import WsClient
from valueroom.rooms.registry import Registry

STATS = {
    "sessions": 0,
    "connections": 0,
    "frames": 0,
    "http": 0,
    "sealed": 0,
    "caucus": 0,
    "accesses": 0,
    "log_records": 0,
    "history": 0,
    "exports": 0,
    "ranged_splits": 0,
}

PARTIES = ("buyer", "seller")
# Minor units. Each party's values and costs share one narrow band, far from
# the other party's: |value - cost| < 10e9, so every derived amount (nets,
# halves, transfers and their totals over three items) stays below 60e9,
# while every secret is at least 100e9 (and timestamps are above 1e12).
RANGES = {
    "buyer": (100_000_000_000, 110_000_000_000),
    "seller": (200_000_000_000, 210_000_000_000),
}
ITEMS = ("i0", "i1", "i2")


def amount(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


@st.composite
def figures_step(draw: st.DrawFn, party: str | None = None) -> tuple[Any, ...]:
    """One party's registration (``party``, or a drawn one), its amounts in that party's band."""
    party = party or draw(st.sampled_from(PARTIES))
    value = draw(st.integers(*RANGES[party]))
    cost = draw(st.integers(*RANGES[party]))
    note = draw(st.sampled_from(["", f"NOTE-{party}-{draw(st.integers(0, 10**6))}"]))
    low, high = RANGES[party]
    ends = draw(
        st.sampled_from(
            [
                None,
                {
                    "value_low": draw(st.integers(low, value)),
                    "value_high": draw(st.integers(value, high)),
                    "cost_low": draw(st.integers(low, cost)),
                    "cost_high": draw(st.integers(cost, high)),
                },
            ]
        )
    )
    return ("figures", party, draw(st.sampled_from(ITEMS)), value, cost, note, ends)


parties = st.sampled_from(PARTIES)
items = st.sampled_from(ITEMS)


@st.composite
def seal_all_step(draw: st.DrawFn) -> tuple[Any, ...]:
    """Register (or keep) both sides' figures, share both, verify both, attest."""
    figures = {p: (draw(st.integers(*RANGES[p])), draw(st.integers(*RANGES[p]))) for p in PARTIES}
    return ("seal_all", draw(items), draw(st.sampled_from([figures, None])))


@st.composite
def open_step(draw: st.DrawFn) -> tuple[Any, ...]:
    """Both parties register figures for one item (with a range or not) and consent: a reveal."""
    item = draw(items)
    registrations = []
    for party in PARTIES:
        step = draw(figures_step(party))
        registrations.append((*step[:2], item, *step[3:]))
    return ("open", item, registrations)


steps = st.one_of(
    figures_step(),
    figures_step(),
    open_step(),
    st.tuples(st.just("consent"), parties, items, st.booleans()),
    st.tuples(st.just("consent"), parties, items, st.just(True)),
    st.tuples(st.just("join"), st.sampled_from(("buyer", "seller", "neutral"))),
    st.tuples(st.just("reconnect"), st.integers(0, 7)),
    st.tuples(st.just("edit"), items, st.text("abcxyz ", min_size=1, max_size=12)),
    st.tuples(st.just("share"), parties, items),
    st.tuples(st.just("withdraw"), parties, items),
    st.tuples(st.just("judge"), st.sampled_from(("verified", "disputed")), parties, items),
    st.tuples(st.just("attest"), items),
    seal_all_step(),
    seal_all_step().map(lambda step: ("away", *step[1:])),
    st.tuples(st.just("talk"), parties, st.booleans()),
    st.tuples(
        st.just("caucus"),
        st.sampled_from(("party", "neutral")),
        parties,
        st.sampled_from(("open", "post", "post", "note", "close")),
    ),
    st.tuples(st.just("cross"), parties, items),
    # A connection downloads its export: (who, format)
    *[st.tuples(st.just("export"), st.integers(0, 7), st.sampled_from(("json", "csv")))] * 2,
    # A connection asks for a slice of its history: (who, from %, to %, past the head?)
    *[
        st.tuples(
            st.just("history"),
            st.integers(0, 7),
            st.integers(0, 100),
            st.integers(0, 100),
            st.booleans(),
        )
    ]
    * 3,
)


@dataclass
class Connection:
    role: str
    name: str
    client: WsClient


@dataclass
class SealModel:
    version: int
    value: int
    cost: int
    status: str = "shared"
    outdated: bool = False


@dataclass
class Model:
    """What the test itself knows happened: the independent oracle."""

    figures: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    ranges: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    consent: dict[tuple[str, str], bool] = field(default_factory=dict)
    revealed: set[str] = field(default_factory=set)
    seals: dict[tuple[str, str], SealModel] = field(default_factory=dict)
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    # (party, item, version) -> the figures shared under seal in that version.
    shares: dict[tuple[str, str, int], tuple[int, int]] = field(default_factory=dict)
    sealed_split: dict[str, dict[str, Any]] = field(default_factory=dict)
    caucus_open: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(PARTIES, False))
    caucus_texts: dict[str, set[str]] = field(default_factory=lambda: {p: set() for p in PARTIES})
    secret_ints: dict[str, set[int]] = field(default_factory=lambda: {p: set() for p in PARTIES})
    notes: dict[str, set[str]] = field(default_factory=lambda: {p: set() for p in PARTIES})

    def apply_figures(
        self,
        party: str,
        item: str,
        value: int,
        cost: int,
        note: str,
        ends: dict[str, int] | None = None,
    ) -> None:
        self.figures[(party, item)] = (value, cost)
        self.secret_ints[party].update((value, cost))
        same = {"value_low": value, "value_high": value, "cost_low": cost, "cost_high": cost}
        if ends is None or ends == same:  # a range equal to the figures is no range
            self.ranges.pop((party, item), None)
        else:
            self.ranges[(party, item)] = dict(ends)
            self.secret_ints[party].update(ends.values())
        if note:
            self.notes[party].add(note)
        seal = self.seals.get((party, item))
        if seal is not None and not seal.outdated and (seal.value, seal.cost) != (value, cost):
            seal.outdated = True
            self.sealed_split.pop(item, None)

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

    def share(self, party: str, item: str) -> str:
        if item in self.revealed or (party, item) not in self.figures:
            return "invalid_command"
        seal = self.seals.get((party, item))
        if seal is not None and not seal.outdated:
            return ""
        version = self.versions.get((party, item), 0) + 1
        self.versions[(party, item)] = version
        value, cost = self.figures[(party, item)]
        self.seals[(party, item)] = SealModel(version, value, cost)
        self.shares[(party, item, version)] = (value, cost)
        return ""

    def withdraw(self, party: str, item: str) -> str:
        seal = self.seals.get((party, item))
        if seal is None:
            return ""
        if seal.status != "shared":
            return "invalid_command"
        del self.seals[(party, item)]
        return ""

    def version(self, party: str, item: str) -> int:
        seal = self.seals.get((party, item))
        return 1 if seal is None else seal.version

    def judge(self, status: str, party: str, item: str) -> str:
        seal = self.seals.get((party, item))
        if seal is None or seal.outdated:
            return "invalid_command"
        seal.status = status
        if status == "disputed":
            self.sealed_split.pop(item, None)
        return ""

    def attest(self, item: str) -> str:
        if item in self.revealed:
            return "invalid_command"
        seals = [self.seals.get((p, item)) for p in PARTIES]
        if any(s is None or s.outdated or s.status != "verified" for s in seals):
            return "invalid_command"
        known = {p: (s.value, s.cost) for p, s in zip(PARTIES, seals, strict=True) if s}
        line = self.split_line(item, known)
        self.sealed_split[item] = {k: line[k] for k in ("net", "fair", "transfer")}
        return ""

    def caucus(self, who: str, party: str, action: str, text: str) -> str:
        if action == "open":
            self.caucus_open[party] = True
        elif action == "close":
            self.caucus_open[party] = False
        elif action == "note":
            self.caucus_texts[party].add(text)  # the shared note: open or not
        elif not self.caucus_open[party]:
            return "invalid_command"
        else:
            self.caucus_texts[party].add(text)
        return ""

    def split_line(self, item: str, known: dict[str, tuple[int, int]]) -> dict[str, Any]:
        own = {p: known[p][0] - known[p][1] for p in PARTIES}
        net = own["buyer"] + own["seller"]
        fair = {"buyer": net // 2, "seller": net - net // 2}  # alone: the seller's odd cent
        return {
            "item_id": item,
            "own": own,
            "net": net,
            "fair": fair,
            "transfer": {p: fair[p] - own[p] for p in PARTIES},
            "destroys_value": net < 0,
            "sealed": False,
        }

    def sealed_line(self, item: str) -> dict[str, Any]:
        s = self.sealed_split[item]
        own = {p: s["fair"][p] - s["transfer"][p] for p in PARTIES}
        return {
            "item_id": item,
            "own": own,
            "net": s["net"],
            "fair": s["fair"],
            "transfer": s["transfer"],
            "destroys_value": s["net"] < 0,
            "sealed": True,
        }

    @staticmethod
    def alternate(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The documented odd-cent rule: odd lines give the larger half to seller, buyer, ..."""
        out, seller_turn = [], True
        for line in lines:
            low, high = line["net"] // 2, line["net"] - line["net"] // 2
            fair = {"buyer": low, "seller": high} if seller_turn else {"buyer": high, "seller": low}
            transfer = {p: fair[p] - line["own"][p] for p in PARTIES}
            out.append(dict(line, fair=fair, transfer=transfer))
            seller_turn ^= line["net"] % 2 == 1
        return out

    @staticmethod
    def total(lines: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not lines:
            return None
        total: dict[str, Any] = {"item_id": "total"}
        for key in ("own", "fair", "transfer"):
            total[key] = {p: sum(line[key][p] for line in lines) for p in PARTIES}
        total["net"] = sum(line["net"] for line in lines)
        total["destroys_value"] = total["net"] < 0
        total["sealed"] = any(line["sealed"] for line in lines)
        return total

    def own_ends(self, party: str, item: str) -> tuple[int, int, int]:
        """(lowest, expected, highest) own net of ``party`` for ``item`` by its range."""
        value, cost = self.figures[(party, item)]
        ends = self.ranges.get((party, item))
        if ends is None:
            return value - cost, value - cost, value - cost
        return (
            ends["value_low"] - ends["cost_high"],
            value - cost,
            ends["value_high"] - ends["cost_low"],
        )

    def with_ends(
        self, lines: list[dict[str, Any]], ranged: list[bool]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The lines with their low/high ends (the rule applied at each end), and the ends' totals."""
        if not any(ranged):
            return lines, {}
        ends: dict[str, list[dict[str, Any]]] = {}
        for index, end in ((0, "low"), (2, "high")):
            moved = []
            for line, has_range in zip(lines, ranged, strict=True):
                if has_range:
                    own = {p: self.own_ends(p, line["item_id"])[index] for p in PARTIES}
                    line = dict(line, own=own, net=sum(own.values()))
                moved.append(line)
            ends[end] = self.alternate(moved)
        keys = ("own", "net", "fair", "transfer")
        out = []
        for n, (line, has_range) in enumerate(zip(lines, ranged, strict=True)):
            if has_range:
                line = dict(line, **{e: {k: ends[e][n][k] for k in keys} for e in ends})
            out.append(line)
        return out, {e: self.total(lines_at) for e, lines_at in ends.items()}

    def split(self, viewer: str | None) -> dict[str, Any]:
        lines, excluded, pending, ranged = [], [], [], []
        for item in ITEMS:
            if item in self.revealed:
                lines.append(self.split_line(item, {p: self.figures[(p, item)] for p in PARTIES}))
                ranged.append(any((p, item) in self.ranges for p in PARTIES))
            elif item in self.sealed_split:
                lines.append(self.sealed_line(item))
                ranged.append(False)
            elif viewer is not None and (viewer, item) in self.figures:
                low, own, high = self.own_ends(viewer, item)
                entry = {"item_id": item, "party": viewer, "own": own}
                if (viewer, item) in self.ranges:
                    entry |= {"low": low, "high": high}
                pending.append(entry)
            else:
                excluded.append(item)
        lines = self.alternate(lines)
        without = None
        if any(line["destroys_value"] for line in lines):
            kept = self.alternate([line for line in lines if not line["destroys_value"]])
            without = self.total(kept) or {
                "item_id": "total",
                "own": {"buyer": 0, "seller": 0},
                "net": 0,
                "fair": {"buyer": 0, "seller": 0},
                "transfer": {"buyer": 0, "seller": 0},
                "destroys_value": False,
                "sealed": False,
            }
        total = self.total(lines)
        lines, end_totals = self.with_ends(lines, ranged)
        if total is not None:
            keys = ("own", "net", "fair", "transfer")
            for end, at_end in end_totals.items():
                assert at_end is not None
                total[end] = {k: at_end[k] for k in keys}
        return {
            "lines": lines,
            "total": total,
            "without_destroyers": without,
            "excluded": excluded,
            "pending": pending,
        }


AMOUNT = re.compile(r"^-?[0-9]+\.[0-9]{2}$")


def export_leaves(frame: dict[str, Any]) -> Any:
    """An export file's content as leaves to inspect: JSON parsed; CSV cells, amounts as units."""
    if frame["format"] == "json":
        return json.loads(frame["content"])
    rows = list(csv.reader(io.StringIO(frame["content"])))
    assert rows[0] == ["section", "item_id", "title", "detail", "buyer", "seller", "amount", "note"]
    return [
        [round(float(cell) * 100) if AMOUNT.match(cell) else cell for cell in row] for row in rows
    ]


def flat(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The frames with every history page replaced by the page and then its events,
    and every export by the frame and then its parsed content (``export-content``)."""
    out: list[dict[str, Any]] = []
    for frame in frames:
        if frame["type"] == "history":
            out.append({**frame, "events": []})
            out.extend(frame["events"])
        elif frame["type"] == "export":
            out.append({**frame, "content": ""})
            out.append({"type": "export-content", "format": frame["format"],
                        "content": export_leaves(frame)})  # fmt: skip
        else:
            out.append(frame)
    return out


def assert_history_as_live(conn: Connection) -> None:
    """Every history event equals the live frame of the same number (when both arrived)."""
    live = {f["seq"]: f for f in conn.client.frames if f["type"] == "event"}
    for frame in conn.client.frames:
        if frame["type"] != "history":
            continue
        numbers = [e["seq"] for e in frame["events"]]
        assert numbers == list(range(frame["from"], frame["to"] + 1))
        STATS["history"] += len(numbers)
        for event in frame["events"]:
            if event["seq"] in live:
                assert event == live[event["seq"]], (conn.role, event["seq"])


def public_ints(frame: dict[str, Any]) -> set[int]:
    """Figures a frame makes public: a reveal, a revision, or a snapshot holding them."""
    found: set[int] = set()
    if frame["type"] == "event" and frame["name"] in ("item.revealed", "figures.revised"):
        found.update(
            v for v in walk(frame["data"]) if isinstance(v, int) and not isinstance(v, bool)
        )
    if frame["type"] == "welcome" and frame["view"] is not None:
        for item in frame["view"]["items"] + frame["view"]["removed"]:
            found.update(v for v in walk(item["figures"]) if isinstance(v, int))
            found.update(v for v in walk(item["revisions"]) if isinstance(v, int))
    return found


def without_seals(frame: dict[str, Any], model: Model) -> Any:
    """The frame minus the sealed figures it legitimately carries to the neutral.

    Those are checked here against what the party shared for that version;
    the rest of the frame is inspected like any other.
    """
    if frame["type"] == "event" and frame["name"] == "seal.shared":
        d = frame["data"]
        assert (d["value"], d["cost"]) == model.shares[(d["party"], d["item_id"], d["version"])]
        STATS["sealed"] += 1
        return {k: v for k, v in d.items() if k not in ("value", "cost")}
    if frame["type"] == "export-content":
        return {**frame, "content": without_sealed_exports(frame, model)}
    if frame["type"] == "welcome" and frame["view"] is not None:
        view = frame["view"]
        assert view["private"] == {}
        for item_id, by_party in view["seals"].items():
            for party, seal in by_party.items():
                shared = model.shares[(party, item_id, seal["version"])]
                assert (seal["value"], seal["cost"]) == shared
                STATS["sealed"] += 1
        return {**frame, "view": {**view, "seals": {}}}
    return frame


def without_sealed_exports(frame: dict[str, Any], model: Model) -> Any:
    """A neutral's export minus the sealed figures it holds, each checked against its version."""
    content = frame["content"]
    if frame["format"] == "json":
        assert "own_figures" not in content
        for entry in content["sealed_figures"]:
            shared = model.shares[(entry["party"], entry["item_id"], entry["version"])]
            assert (entry["value"], entry["cost"]) == shared
            STATS["sealed"] += 1
        return {**content, "sealed_figures": []}
    kept = []
    for row in content:
        assert row[0] != "own_figures"
        if row[0] == "sealed_figures":
            party, version = row[3].split(" v")
            assert (row[4], row[5]) == model.shares[(party, row[1], int(version))]
            STATS["sealed"] += 1
            continue
        kept.append(row)
    return kept


def assert_no_leak(conn: Connection, model: Model) -> None:
    outsiders_of = [p for p in PARTIES if p != conn.role]
    public: set[int] = set()
    for frame in flat(conn.client.frames):
        public |= public_ints(frame)
        inspected = without_seals(frame, model) if conn.role == "neutral" else frame
        for party in outsiders_of:
            for leaf in walk(inspected):
                if isinstance(leaf, str):
                    assert leaf not in model.notes[party], f"{conn.role} received {party}'s note"
                    if conn.role != "neutral":
                        assert leaf not in model.caucus_texts[party], (
                            f"{conn.role} received {party}'s caucus message"
                        )
                elif (
                    isinstance(leaf, int)
                    and not isinstance(leaf, bool)
                    and leaf in model.secret_ints[party]
                ):
                    assert leaf in public, (
                        f"{conn.role} received {party}'s unrevealed figure {leaf}"
                    )
        if frame["type"] == "event":
            name = frame["name"]
            if name == "figures.registered":
                assert frame["data"]["party"] == conn.role
            if name.startswith("seal.") or name in ("caucus.posted", "caucus.noted"):
                assert conn.role in ("neutral", frame["data"]["party"]), name
            if name == "caucus.posted":
                STATS["caucus"] += 1
        if frame["type"] == "welcome" and frame["view"] is not None and conn.role != "neutral":
            view = frame["view"]
            assert set(view["seals"]) <= set(ITEMS)
            assert all(set(by_party) == {conn.role} for by_party in view["seals"].values())
            other = next(p for p in PARTIES if p != conn.role)
            assert view["caucus"][other]["messages"] == []
            assert view["caucus"][other]["note"] == ""


def receipts(conn: Connection) -> list[tuple[str, str, str, int, str]]:
    """Every time this neutral connection was handed sealed figures: (member, item, party, version, how)."""
    found = []
    how = "live"
    for frame in conn.client.frames:
        if frame["type"] == "welcome":
            how = "resume" if frame["resumed"] else "live"
            if frame["view"] is not None:
                for item_id, by_party in frame["view"]["seals"].items():
                    for party, seal in by_party.items():
                        found.append((conn.name, item_id, party, seal["version"], "welcome"))
        elif frame["type"] == "split":
            how = "live"  # the split frame ends a resume's catch-up
        elif frame["type"] == "history":
            for event in frame["events"]:
                if event["name"] == "seal.shared":
                    d = event["data"]
                    found.append((conn.name, d["item_id"], d["party"], d["version"], "history"))
        elif frame["type"] == "event" and frame["name"] == "seal.shared":
            d = frame["data"]
            found.append((conn.name, d["item_id"], d["party"], d["version"], how))
    return found


async def read_history(client: WsClient, log_id: str) -> None:
    """Ask for history pages from 1 up to what the connection has seen."""
    first, head = 1, client.last_seq
    while first <= head:
        start = len(client.frames)
        await client.send({"type": "history", "log_id": log_id, "from": first, "to": head})
        page = await client.wait_for(lambda f: f["type"] in ("history", "error"), start=start)
        assert page["type"] == "history", page
        first = page["to"] + 1


async def export(client: WsClient, room_id: str, fmt: str) -> None:
    """Ask for the connection's export; a refusal may only be the per-connection bound."""
    start = len(client.frames)
    await client.send({"type": "export", "room": room_id, "format": fmt})
    answer = await client.wait_for(lambda f: f["type"] in ("export", "error"), start=start)
    if answer["type"] == "error":
        assert answer["reason"] == "export.too_often", answer
    else:
        STATS["exports"] += 1


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def settle(conns: list[Connection]) -> None:
    """A no-op command per connection: its ack follows every frame queued before it."""
    for conn in conns:
        reply = await conn.client.call("item.park", {"item_id": ITEMS[0], "parked": False})
        assert reply["type"] == "ack", reply


def last_split(conn: Connection) -> dict[str, Any]:
    return next(f for f in reversed(conn.client.frames) if f["type"] == "split")


def code_of(reply: dict[str, Any]) -> str:
    return str(reply.get("code", ""))


async def play(store_url: str, program: list[tuple[Any, ...]]) -> None:
    records = Records()
    watched = [logging.getLogger("valueroom"), logging.getLogger()]
    levels = [logger.level for logger in watched]
    for logger, level in zip(watched, (logging.DEBUG, logging.INFO), strict=True):
        logger.addHandler(records)
        logger.setLevel(level)
    try:
        await _play(store_url, program, records)
    finally:
        for logger, level in zip(watched, levels, strict=True):
            logger.removeHandler(records)
            logger.setLevel(level)


async def _play(store_url: str, program: list[tuple[Any, ...]], records: Records) -> None:
    secrets_as_text: list[str] = []
    async with serve_in_loop(store_url) as server:
        room = await create_room(server.base, neutral=True)
        model = Model()
        conns: list[Connection] = []
        closed: list[Connection] = []
        texts = iter(range(10**6))

        async def connect(role: str, resume: dict[str, Any] | None = None) -> Connection:
            client = await WsClient(server.ws_url).open()
            name = f"{role}-{len(conns) + len(closed)}"
            welcome = await client.join(room["tokens"][role], name, resume=resume)
            assert welcome["type"] == "welcome"
            conn = Connection(role, name, client)
            conns.append(conn)
            return conn

        try:
            actors = {p: await connect(p) for p in (*PARTIES, "neutral")}
            for item in ITEMS:
                assert (
                    await actors["buyer"].client.call(
                        "item.add", {"item_id": item, "kind": "term", "title": item}
                    )
                )["type"] == "ack"
            reply = await actors["neutral"].client.call("phase.set", {"phase": "dividing"})
            assert reply["type"] == "ack", reply

            async def expect(who: str, name: str, args: dict[str, Any], code: str) -> None:
                reply = await actors[who].client.call(name, args)
                assert code_of(reply) == code, (name, args, reply)

            async def judge(status: str, party: str, item: str) -> None:
                version = model.version(party, item)
                code = model.judge(status, party, item)
                verb = "seal.verify" if status == "verified" else "seal.dispute"
                args = {"item_id": item, "party": party, "version": version, "comment": status}
                await expect("neutral", verb, args, code)

            async def register(step: tuple[Any, ...]) -> None:
                _, party, item, value, cost, note, ends = step
                args = {"item_id": item, "value": amount(value), "cost": amount(cost)}
                for end, units in (ends or {}).items():
                    args[end] = amount(units)
                await expect(party, "figures.set", {**args, "note": note}, "")
                model.apply_figures(party, item, value, cost, note, ends)

            for step in program:
                kind = step[0]
                if kind == "figures":
                    await register(step)
                elif kind == "open":
                    _, item, registrations = step
                    for registration in registrations:
                        await register(registration)
                    for party in PARTIES:
                        code = model.apply_consent(party, item, True)
                        await expect(party, "consent.set", {"item_id": item, "consent": True}, code)
                elif kind == "consent":
                    _, party, item, consent = step
                    code = model.apply_consent(party, item, consent)
                    await expect(party, "consent.set", {"item_id": item, "consent": consent}, code)
                elif kind == "share":
                    _, party, item = step
                    code = model.share(party, item)
                    await expect(party, "seal.share", {"item_id": item, "party": party}, code)
                elif kind == "withdraw":
                    _, party, item = step
                    code = model.withdraw(party, item)
                    await expect(party, "seal.withdraw", {"item_id": item, "party": party}, code)
                elif kind == "judge":
                    await judge(*step[1:])
                elif kind in ("attest", "seal_all"):
                    item = step[1]
                    if kind == "seal_all":
                        for party, (value, cost) in (step[2] or {}).items():
                            args = {"item_id": item, "value": amount(value), "cost": amount(cost)}
                            await expect(party, "figures.set", args, "")
                            model.apply_figures(party, item, value, cost, "")
                        for party in PARTIES:
                            code = model.share(party, item)
                            args = {"item_id": item, "party": party}
                            await expect(party, "seal.share", args, code)
                            await judge("verified", party, item)
                    await expect("neutral", "seal.attest", {"item_id": item}, model.attest(item))
                elif kind == "caucus":
                    _, who, party, action = step
                    text = f"CAUCUS-{party}-{next(texts)}"
                    code = model.caucus(who, party, action, text)
                    command: dict[str, Any] = {"party": party}
                    if action in ("post", "note"):
                        command["text"] = text
                    sender = party if who == "party" else "neutral"
                    await expect(sender, f"caucus.{action}", command, code)
                elif kind == "away":
                    # The neutral is offline while both sides share; it resumes later.
                    _, item, figures = step
                    old = actors["neutral"]
                    await old.client.close()
                    conns.remove(old)
                    closed.append(old)
                    for party, (value, cost) in (figures or {}).items():
                        args = {"item_id": item, "value": amount(value), "cost": amount(cost)}
                        await expect(party, "figures.set", args, "")
                        model.apply_figures(party, item, value, cost, "")
                    for party in PARTIES:
                        code = model.share(party, item)
                        await expect(party, "seal.share", {"item_id": item, "party": party}, code)
                    resume = {"log_id": room["log_id"], "seq": old.client.last_seq}
                    actors["neutral"] = await connect("neutral", resume)
                elif kind == "talk":
                    _, party, close = step
                    await expect(party, "caucus.open", {"party": party}, "")
                    model.caucus(party, party, "open", "")
                    for sender in ("neutral", party):
                        text = f"CAUCUS-{party}-{next(texts)}"
                        model.caucus(sender, party, "post", text)
                        await expect(sender, "caucus.post", {"party": party, "text": text}, "")
                    if close:
                        await expect("neutral", "caucus.close", {"party": party}, "")
                        model.caucus("neutral", party, "close", "")
                elif kind == "cross":
                    _, party, item = step
                    other = next(p for p in PARTIES if p != party)
                    args = {"item_id": item, "party": other}
                    await expect(party, "seal.share", args, "not_permitted")
                    verify = {**args, "version": 1, "comment": "mine"}
                    await expect(party, "seal.verify", verify, "not_permitted")
                elif kind == "join":
                    joined = await connect(step[1])
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
                    if actors[old.role] is old:
                        actors[old.role] = fresh
                elif kind == "history":
                    _, index, low, high, beyond = step
                    live = [c for c in conns if c.client.closed is None]
                    asker = live[index % len(live)].client
                    head = asker.last_seq
                    first = 1 + (head - 1) * low // 100
                    last = head + 1 + high if beyond else first + (head - first) * high // 100
                    start = len(asker.frames)
                    request = {"from": first, "to": last, "log_id": room["log_id"]}
                    await asker.send({"type": "history", **request})
                    answer = await asker.wait_for(
                        lambda f: (
                            f["type"] == "history"
                            or (f["type"] == "error" and str(f["reason"]).startswith("history."))
                        ),
                        start=start,
                    )
                    if beyond:
                        assert answer["reason"] == "history.beyond_head", answer
                    else:
                        assert answer["type"] == "history", answer
                        assert answer["from"] == first
                        assert answer["to"] == min(last, first + 63)
                elif kind == "export":
                    _, index, fmt = step
                    live = [c for c in conns if c.client.closed is None]
                    await export(live[index % len(live)].client, room["room_id"], fmt)
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
                    STATS["ranged_splits"] += "low" in (split["shared"]["total"] or {})
                    assert split["preview"] == (model.split(viewer) if viewer else None)
            # A late neutral: its welcome snapshot hands it every seal there is.
            await connect("neutral")
            await settle(conns)
            # Every connection reads its whole history, page by page, and exports.
            for conn in conns:
                await read_history(conn.client, room["log_id"])
                for fmt in ("json", "csv"):
                    await export(conn.client, room["room_id"], fmt)
            await settle(conns)
            observed: Counter[tuple[str, str, str, int, str]] = Counter()
            for conn in conns + closed:
                assert_no_leak(conn, model)
                assert_history_as_live(conn)
                if conn.role == "neutral":
                    observed.update(receipts(conn))
                STATS["connections"] += 1
                STATS["frames"] += len(conn.client.frames)
            registry: Registry = server.app.state.registry
            logged = Counter(
                (
                    e.data["member"],
                    e.data["item_id"],
                    e.data["party"],
                    e.data["version"],
                    e.data["how"],
                )
                for e in await registry.store.read(room["room_id"])
                if e.name == "seal.accessed"
            )
            assert logged == observed
            STATS["accesses"] += sum(logged.values())
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
            secrets_as_text += [
                text
                for party in PARTIES
                for text in (
                    *model.notes[party],
                    *model.caucus_texts[party],
                    *(str(v) for v in model.secret_ints[party]),
                )
            ]
            for response in responses:
                STATS["http"] += 1
                assert not any(text in response.text for text in secrets_as_text)
        finally:
            for conn in conns:
                await conn.client.close()
    for message in records.messages:
        assert not any(text in message for text in secrets_as_text), message
    STATS["log_records"] += len(records.messages)
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
    own = {party: RANGES[party][1] - RANGES[party][0] for party in PARTIES}
    total_own = {party: own[party] * len(ITEMS) for party in PARTIES}
    net = sum(total_own.values())
    # |transfer| = |fair - own| <= |net| / 2 + 1 + |own|
    largest = max(net, *(net // 2 + 1 + total_own[p] for p in PARTIES))
    assert largest < lowest
    (_, a_high), (b_low, _) = sorted(RANGES.values())
    assert a_high < b_low
