"""The browser's validator (client/src/schema.js) and the server's agree, frame by frame.

Both read shared_schema/schema.json; this runs the JavaScript one under Node
on the same frames and requires the same verdict and the same offending path.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valueroom.protocol.schema import (
    SchemaViolation,
    check_client_frame,
    check_command_args,
    check_server_frame,
    check_server_message,
)

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tests" / "schema_agreement.mjs"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")


def python_verdict(side: str, frame: Any) -> dict[str, Any]:
    try:
        if side == "client":
            kind = check_client_frame(frame)
            if kind == "cmd":
                check_command_args(frame["name"], frame["args"])
        elif side == "message":
            kind = ",".join(check_server_message(frame))
        else:
            kind = check_server_frame(frame)
    except SchemaViolation as exc:
        return {"ok": False, "path": exc.path}
    return {"ok": True, "type": kind}


def node_verdicts(cases: list[tuple[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    data = tmp_path / "cases.msgpack"
    data.write_bytes(msgpack.packb([list(c) for c in cases], use_bin_type=True))
    out = subprocess.run(
        ["node", str(SCRIPT), str(data)], capture_output=True, check=True, timeout=60
    )
    verdicts: list[dict[str, Any]] = json.loads(out.stdout)
    return verdicts


TOKEN = "r" * 22 + "." + "s" * 32
ITEM = {
    "id": "i1",
    "kind": "term",
    "title": "Price",
    "description": "",
    "options": [{"id": "a", "label": "A"}],
    "position": "a0",
    "parked": False,
    "agreed": {"buyer": True, "seller": False},
    "consent": {"buyer": False, "seller": False},
    "removed": None,
    "withdrawal": {"buyer": False, "seller": False},
    "revealed": False,
    "figures": {},
    "revisions": [],
    "sealed": None,
}
LINE = {
    "item_id": "i1",
    "own": {"buyer": 5, "seller": -3},
    "net": 2,
    "fair": {"buyer": 1, "seller": 1},
    "transfer": {"buyer": -4, "seller": 4},
    "destroys_value": False,
    "sealed": False,
}
END = {k: LINE[k] for k in ("own", "net", "fair", "transfer")}
RANGE = {"value_low": 4, "value_high": 9, "cost_low": 0, "cost_high": 1}
VIEW = {
    "room": None,
    "items": [ITEM],
    "removed": [dict(ITEM, id="i9", removed="withdrawn")],
    "private": {"i1": {"value": 1, "cost": 0, "note": ""}},
    "phase": "dividing",
    "proposals": {"buyer": None, "seller": "agreeing"},
    "locked": True,
    "timer": {"seconds": 600, "label": "Round 1", "started_at": 1700000000000},
    "notes": [{"id": "n1", "text": "Listen first", "by": "Nora", "at": 1}],
    "caucus": {
        "buyer": {
            "open": True,
            "messages": [{"role": "neutral", "name": "Nora", "text": "Why?", "at": 2}],
            "note": "Ask for the depot invoices",
        },
        "seller": {"open": False, "messages": [], "note": ""},
    },
    "seals": {
        "i1": {
            "buyer": {
                "version": 2,
                "value": 5,
                "cost": 1,
                "status": "verified",
                "outdated": False,
                "comment": "ok",
            }
        }
    },
    "access": {
        "i1": [{"party": "buyer", "version": 2, "member": "Nora", "how": "resume", "at": 3}]
    },
    "guide": {
        "own": {"valuable": "Yes", "cooperation": ""},
        "ready": {"buyer": True, "seller": False},
        "shared": None,
        "plan": {"i1": {"buyer": True, "seller": None}},
        "pulses": [{"party": "seller", "behaviour": "listen_first", "at": 4}],
    },
}
METHOD = {
    "relationship_models": [{"id": "preferred", "label": "Preferred"}],
    "phases": [{"id": "preparation", "label": "Preparation"}],
    "permissions": [{"command": "seal.verify", "phases": ["exploring", "dividing"]}],
}

ACK = {"type": "ack", "op": "o1", "seq": 3}

CASES: list[tuple[str, Any]] = [
    ("message", ACK),
    ("message", [ACK, {"type": "presence", "members": []}]),
    ("message", []),
    ("message", [ACK] * 64),
    ("message", [ACK] * 65),
    ("message", [ACK, {"type": "ack", "op": "o1"}]),
    ("client", {"type": "join", "token": TOKEN, "name": "Bea\nEve"}),
    ("client", {"type": "join", "token": TOKEN, "name": "Bea\u202eEve"}),
    # Spoofing controls: bidi overrides, isolates and marks, invisible and filler
    # characters are refused in names and titles; bidi overrides in any text.
    ("client", {"type": "join", "token": TOKEN, "name": "\u202eSeller (neutral)"}),
    ("client", {"type": "join", "token": TOKEN, "name": "Bea\u2066x\u2069"}),
    ("client", {"type": "join", "token": TOKEN, "name": "Bea\u200f"}),
    ("client", {"type": "join", "token": TOKEN, "name": "B\u200bea"}),
    ("client", {"type": "join", "token": TOKEN, "name": "B\u00adea"}),
    ("client", {"type": "join", "token": TOKEN, "name": "\u3164"}),
    ("client", {"type": "join", "token": TOKEN, "name": "Bea\u0085"}),
    ("client", {"type": "join", "token": TOKEN, "name": "\U0001f469\u200d\U0001f4bb Bea"}),
    ("client", {"type": "join", "token": TOKEN, "name": "\u0645\u0631\u064a\u0645"}),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "title": "Price\u202e(agreed)"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "description": "a\u2067b\u2069"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "description": "\u05e9\u05dc\u05d5\u05dd\u200f 5"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "title": "a\x00b"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "description": "line\nline\ttab"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "description": "bell\x07"},
        },
    ),
    ("client", {"type": "join", "token": TOKEN, "name": "Bea"}),
    (
        "client",
        {"type": "join", "token": TOKEN, "name": "Bea", "resume": {"log_id": "abc", "seq": 4}},
    ),
    ("client", {"type": "join", "token": TOKEN, "name": ""}),
    ("client", {"type": "join", "token": "short.x", "name": "Bea"}),
    (
        "client",
        {"type": "join", "token": TOKEN, "name": "Bea", "resume": {"log_id": "abc", "seq": -1}},
    ),
    ("client", {"type": "join", "token": TOKEN, "name": "😀" * 60}),
    ("client", {"type": "join", "token": TOKEN, "name": "😀" * 61}),
    ("client", {"type": "presence", "editing": None}),
    ("client", {"type": "presence", "editing": "i1"}),
    ("client", {"type": "presence"}),
    ("client", {"type": "nope"}),
    ("client", {"kind": "join"}),
    ("client", [1, 2]),
    ("client", "join"),
    ("client", None),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.add",
            "args": {"item_id": "i1", "kind": "term", "title": "T"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.add",
            "args": {"item_id": "i1", "kind": "term", "title": "T", "x": 1},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.add",
            "args": {"item_id": "i 1", "kind": "term", "title": "T"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.add",
            "args": {"item_id": "i1", "kind": "law", "title": "T"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "options": [{"id": "a", "label": "x"}] * 20},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "options": [{"id": "a", "label": "x"}] * 21},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.edit",
            "args": {"item_id": "i1", "options": [{"id": "a"}]},
        },
    ),
    (
        "client",
        {"type": "cmd", "op": "o1", "name": "item.park", "args": {"item_id": "i1", "parked": 0}},
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "item.move",
            "args": {"item_id": "i1", "position": "a0-"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "figures.set",
            "args": {"item_id": "i1", "value": "1.5", "cost": "0"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "figures.set",
            "args": {"item_id": "i1", "value": 1.5, "cost": "0"},
        },
    ),
    # Uncertain figures: range ends are optional amounts; the split's ends and a pending range.
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "figures.set",
            "args": {
                "item_id": "i1",
                "value": "5",
                "cost": "0",
                "value_low": "1",
                "cost_high": "2",
            },
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "figures.set",
            "args": {"item_id": "i1", "value": "5", "cost": "0", "value_high": 6},
        },
    ),
    (
        "server",
        {
            "type": "split",
            "shared": {
                "lines": [dict(LINE, low=END, high=END)],
                "total": dict(LINE, low=END, high=END),
                "without_destroyers": None,
                "excluded": [],
                "pending": [{"item_id": "i3", "party": "buyer", "own": -4, "low": -9, "high": 2}],
            },
            "preview": None,
        },
    ),
    (
        "server",
        {
            "type": "split",
            "shared": {
                "lines": [dict(LINE, low={"net": 1})],
                "total": None,
                "without_destroyers": None,
                "excluded": [],
                "pending": [],
            },
            "preview": None,
        },
    ),
    (
        "server",
        {
            "type": "event",
            "seq": 2,
            "at": 1,
            "actor": {"role": "buyer", "name": "B"},
            "op": "o1",
            "vis": 7,
            "name": "item.revealed",
            "data": {
                "item_id": "i1",
                "buyer": {"value": 5, "cost": 1, "range": RANGE},
                "seller": {"value": 5, "cost": 1},
            },
        },
    ),
    (
        "server",
        {
            "type": "event",
            "seq": 2,
            "at": 1,
            "actor": {"role": "buyer", "name": "B"},
            "op": "o1",
            "vis": 1,
            "name": "figures.registered",
            "data": {
                "item_id": "i1",
                "party": "buyer",
                "value": 5,
                "cost": 1,
                "note": "",
                "range": dict(RANGE, cost_high="2"),
            },
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "consent.set",
            "args": {"item_id": "i1", "consent": True},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "consent.set",
            "args": {"item_id": "i1", "consent": "yes"},
        },
    ),
    ("client", {"type": "cmd", "op": "", "name": "item.delete", "args": {"item_id": "i1"}}),
    ("client", {"type": "cmd", "op": "o" * 65, "name": "item.delete", "args": {"item_id": "i1"}}),
    ("client", {"type": "cmd", "op": "o1", "name": "item.nuke", "args": {}}),
    ("server", {"type": "ack", "op": "o1", "seq": 3}),
    ("server", {"type": "ack", "op": "o1", "seq": 2**53}),
    ("server", {"type": "error", "op": None, "code": "bad_frame", "message": "x"}),
    ("server", {"type": "error", "op": None, "code": "Bad-Frame", "message": "x"}),
    (
        "server",
        {
            "type": "presence",
            "members": [{"id": "m1", "role": "buyer", "name": "Bea", "editing": None}],
        },
    ),
    (
        "server",
        {
            "type": "presence",
            "members": [{"id": "m1", "role": "judge", "name": "Bea", "editing": None}],
        },
    ),
    (
        "server",
        {
            "type": "split",
            "shared": {
                "lines": [LINE],
                "total": LINE,
                "without_destroyers": None,
                "excluded": ["i2"],
                "pending": [{"item_id": "i3", "party": "buyer", "own": -4}],
            },
            "preview": None,
        },
    ),
    (
        "server",
        {
            "type": "split",
            "shared": {
                "lines": [dict(LINE, net=1.5)],
                "total": None,
                "without_destroyers": None,
                "excluded": [],
                "pending": [],
            },
            "preview": None,
        },
    ),
    (
        "server",
        {
            "type": "event",
            "seq": 2,
            "at": 1,
            "actor": {"role": "buyer", "name": "B"},
            "op": "o1",
            "vis": 7,
            "name": "item.deleted",
            "data": {"item_id": "i1"},
        },
    ),
    (
        "server",
        {
            "type": "event",
            "seq": 2,
            "at": 1,
            "actor": None,
            "op": None,
            "vis": 8,
            "name": "item.deleted",
            "data": {"item_id": "i1"},
        },
    ),
    (
        "server",
        {
            "type": "event",
            "seq": 2,
            "at": 1,
            "actor": None,
            "op": None,
            "vis": 1,
            "name": "item.deleted",
            "data": {},
        },
    ),
    (
        "server",
        {
            "type": "welcome",
            "log_id": "L1",
            "seq": 9,
            "you": {"id": "m1", "role": "seller", "name": "S", "editing": None},
            "resumed": False,
            "view": VIEW,
            "currency_decimals": 2,
            "method": METHOD,
        },
    ),
    (
        "server",
        {
            "type": "welcome",
            "log_id": "L1",
            "seq": 9,
            "you": {"id": "m1", "role": "neutral", "name": "N", "editing": None},
            "resumed": False,
            "view": {**VIEW, "phase": "haggling"},
            "currency_decimals": 2,
            "method": METHOD,
        },
    ),
    (
        "server",
        {
            "type": "welcome",
            "log_id": "L1",
            "seq": 9,
            "you": {"id": "m1", "role": "neutral", "name": "N", "editing": None},
            "resumed": False,
            "view": VIEW,
            "currency_decimals": 2,
            "method": {**METHOD, "permissions": [{"command": "seal.peek", "phases": []}]},
        },
    ),
    (
        "server",
        {
            "type": "event",
            "seq": 4,
            "at": 5,
            "actor": {"role": "buyer", "name": "B"},
            "op": None,
            "vis": 5,
            "name": "seal.shared",
            "data": {"item_id": "i1", "party": "buyer", "version": 1, "value": -5, "cost": 3},
        },
    ),
    (
        "server",
        {
            "type": "event",
            "seq": 4,
            "at": 5,
            "actor": {"role": "neutral", "name": "N"},
            "op": None,
            "vis": 6,
            "name": "caucus.posted",
            "data": {"party": "seller", "text": ""},
        },
    ),
    (
        "server",
        {
            "type": "event",
            "seq": 4,
            "at": 5,
            "actor": None,
            "op": None,
            "vis": 7,
            "name": "split.sealed",
            "data": {
                "item_id": "i1",
                "net": 2,
                "fair": {"buyer": 1, "seller": 1},
                "transfer": {"buyer": -4, "seller": 4},
            },
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "seal.verify",
            "args": {"item_id": "i1", "party": "buyer", "version": 1, "comment": "ok"},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "phase.propose",
            "args": {"phase": None},
        },
    ),
    (
        "client",
        {
            "type": "cmd",
            "op": "o1",
            "name": "timer.set",
            "args": {"seconds": 0},
        },
    ),
    (
        "server",
        {
            "type": "welcome",
            "log_id": "L1",
            "seq": 9,
            "you": {"id": "m1", "role": "seller", "name": "S", "editing": None},
            "resumed": False,
            "view": {"room": None, "items": [dict(ITEM, parked="no")], "private": {}},
            "currency_decimals": 2,
        },
    ),
]


def test_validators_agree_on_hand_written_frames(tmp_path: Path) -> None:
    expected = [python_verdict(side, frame) for side, frame in CASES]
    assert any(v["ok"] for v in expected)
    assert any(not v["ok"] for v in expected)
    assert node_verdicts(CASES, tmp_path) == expected


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=8),
    st.sampled_from(["i1", "term", "buyer", "a0", "item.add", "cmd", "join", TOKEN]),
)
frames = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "op",
                    "name",
                    "args",
                    "item_id",
                    "kind",
                    "title",
                    "token",
                    "editing",
                    "parked",
                    "x",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=12,
)
command_frames = st.fixed_dictionaries(
    {
        "type": st.just("cmd"),
        "op": st.sampled_from(["o1", "", "x" * 70]),
        "name": st.sampled_from(["item.add", "item.edit", "item.park", "consent.set", "bogus"]),
        "args": st.dictionaries(
            st.sampled_from(["item_id", "kind", "title", "parked", "consent", "options", "extra"]),
            json_leaf,
            max_size=4,
        ),
    }
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(st.lists(st.one_of(frames, command_frames), min_size=100, max_size=100))
def test_validators_agree_on_generated_frames(tmp_path: Path, generated: list[Any]) -> None:
    cases = [("client", frame) for frame in generated]
    assert node_verdicts(cases, tmp_path) == [python_verdict(side, frame) for side, frame in cases]
