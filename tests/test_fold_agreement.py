"""The server's fold and the browser's fold agree on every generated event log.

Hypothesis drives commands through the real core (``decide`` via
``tests/domainkit.py``), refusals included. For each role, the frames that
role would receive (the events :func:`visible` admits, numbered 1, 2, ...
for that role, built by ``protocol/frames.py``) are folded under Node by
``client/src/model.js`` from an empty state, and again from the welcome
snapshot the server would send midway. Both must equal the server's view of
that role (``View.to_wire()``, the welcome snapshot) exactly.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fractional_indexing
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.domainkit import BUYER, NEUTRAL, SELLER, Room
from tests.test_schema_agreement import node_verdicts
from valueroom.domain.agreement import deal_hash, deal_sheet, touches_deal
from valueroom.domain.commands.seal import record_access
from valueroom.domain.errors import DomainError
from valueroom.domain.events import Event
from valueroom.domain.method import catalog
from valueroom.domain.permissions import allowed_for
from valueroom.domain.state import (
    KEPT_ACCESS,
    KEPT_MESSAGES,
    KEPT_PULSES,
    KEPT_REVISIONS,
    RoomState,
)
from valueroom.domain.visibility import ROLES, visible
from valueroom.protocol import frames

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tests" / "fold_agreement.mjs"
HOOKS = REPO / "client" / "test" / "support" / "register.js"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")

ITEMS = ("i0", "i1", "i2")
PARTY_COMMANDS = {
    "figures.set",
    "consent.set",
    "item.agree",
    "item.withdraw",
    "seal.share",
    "seal.withdraw",
    "opening.answer",
    "opening.share",
    "plan.set",
    "trust.pulse",
    "deal.sign",
}
NEUTRAL_COMMANDS = {
    "deal.witness",
    "phase.set",
    "agenda.lock",
    "timer.set",
    "timer.clear",
    "note.add",
    "note.edit",
    "note.remove",
    "seal.verify",
    "seal.dispute",
    "seal.attest",
}
PHASES = ("preparation", "opening", "exploring", "dividing", "agreeing")
ACTORS = {"buyer": BUYER, "seller": SELLER, "neutral": NEUTRAL}
# Mostly acceptable amounts, some the core refuses (a negative cost, too many decimals, text).
AMOUNTS = st.sampled_from(
    ["0", "1", "12.5", "120000", "9999999999.99", "7,25", "-3.01", "1.005", "x"]
)
OPTIONS = st.lists(
    st.fixed_dictionaries(
        {"id": st.sampled_from(["o1", "o2", "o3"]), "label": st.text("ab ", min_size=1, max_size=4)}
    ),
    max_size=3,
)

EDITS = {
    "title": st.text("pq", min_size=1, max_size=4),
    "description": st.text("d ", max_size=4),
    "options": OPTIONS,
    "kind": st.sampled_from(["term", "question"]),
}

Step = tuple[str, str, dict[str, Any]]


# Weighted towards the private work, the reveal and the seal, where the folds differ most.
COMMANDS = (
    ["item.add"] * 2
    + ["item.edit", "item.move", "item.park", "item.agree", "item.delete"]
    + ["item.withdraw", "item.restore"]
    + ["figures.set"] * 4
    + ["consent.set"] * 4
    + ["phase.set", "agenda.lock", "timer.set", "timer.clear"]
    + ["note.add", "note.edit", "note.remove"]
    + ["caucus.open", "caucus.close"]
    + ["caucus.post"] * 2
    + ["caucus.note"]
    + ["seal.share"] * 3
    + ["seal.withdraw", "seal.dispute"]
    + ["seal.verify", "seal.attest"] * 2
    + ["opening.answer"] * 3
    + ["opening.share", "plan.set", "trust.pulse"]
    + ["item.agree"] * 3
    + ["commitment.add", "commitment.set", "deal.witness"]
    + ["deal.sign"] * 3
)


@st.composite
def step(draw: st.DrawFn) -> Step:
    name = draw(st.sampled_from(COMMANDS))
    parties_mostly = ["buyer", "seller"] * 4 + ["neutral"]
    if name in NEUTRAL_COMMANDS:
        who = draw(st.sampled_from(["neutral"] * 4 + ["buyer"]))
    else:
        who = draw(st.sampled_from(parties_mostly if name in PARTY_COMMANDS else list(ACTORS)))
    # Only i2 is ever deleted, so the others live long enough to be revealed and revised.
    item = "i2" if name == "item.delete" else draw(st.sampled_from(ITEMS))
    args: dict[str, Any] = {"item_id": item}
    if name == "item.add":
        args |= {"kind": draw(st.sampled_from(["term", "measure", "relationship", "question"]))}
        args |= {"title": draw(st.text("xyz", min_size=1, max_size=5))}
        if draw(st.booleans()):
            args["options"] = draw(OPTIONS)
    elif name == "item.edit":
        field = draw(st.sampled_from(["title", "description", "options", "kind"]))
        args[field] = draw(EDITS[field])
    elif name == "item.move":
        args["slot"] = draw(st.integers(0, len(ITEMS)))
    elif name == "item.park":
        args["parked"] = draw(st.booleans())
    elif name == "item.agree":
        args["agreed"] = draw(st.booleans())
        args["option"] = draw(st.sampled_from([None, "o1", "o2", "preferred"]))
    elif name == "commitment.add":
        args |= {
            "commitment_id": draw(st.sampled_from(["c1", "c2"])),
            "who": draw(st.sampled_from(["buyer", "seller", "neutral"])),
            "what": "deliver",
            "due": draw(st.sampled_from([None, "2027-02-28", "2027-02-30"])),
        }
    elif name == "commitment.set":
        args = {
            "commitment_id": draw(st.sampled_from(["c1", "c2"])),
            "status": draw(st.sampled_from(["open", "kept", "broken"])),
            "comment": draw(st.sampled_from(["", "late"])),
        }
    elif name in ("deal.sign", "deal.witness"):
        # The hash is filled in at play time (the current one), or left stale.
        args = {"hash": draw(st.sampled_from(["current", "current", "0" * 64]))}
    elif name == "figures.set":
        args |= {"value": draw(AMOUNTS), "cost": draw(AMOUNTS)}
        if draw(st.booleans()):
            args["note"] = draw(st.sampled_from(["", "walk-away", "note"]))
        if draw(st.booleans()):  # a range: an end may be refused (outside the figures)
            args["value_low"] = draw(st.sampled_from(["0", "-5", args["value"]]))
            args["cost_high"] = draw(st.sampled_from(["99999", args["cost"]]))
    elif name == "consent.set":
        args["consent"] = draw(st.booleans())
    elif name == "item.withdraw":
        args["withdraw"] = draw(st.booleans())
    elif name == "phase.set":
        args = {"phase": draw(st.sampled_from(PHASES))}
    elif name == "agenda.lock":
        args = {"locked": draw(st.booleans())}
    elif name == "timer.set":
        args = {"seconds": draw(st.sampled_from([60, 300])), "label": "round"}
    elif name == "timer.clear":
        args = {}
    elif name in ("note.add", "note.edit"):
        args = {
            "note_id": draw(st.sampled_from(["n1", "n2"])),
            "text": draw(st.text("ab", min_size=1, max_size=4)),
        }
    elif name == "note.remove":
        args = {"note_id": draw(st.sampled_from(["n1", "n2"]))}
    elif name.startswith("caucus."):
        args = {"party": draw(st.sampled_from(["buyer", "seller"]))}
        if name in ("caucus.post", "caucus.note"):
            args["text"] = draw(st.sampled_from(["why so?", "fine", ""]))
    elif name == "opening.answer":
        args = {
            "question": draw(st.sampled_from(["valuable", "cooperation"])),
            "answer": draw(st.sampled_from(["", "yes", "not yet"])),
        }
    elif name == "opening.share":
        args = {}
    elif name == "plan.set":
        args["open"] = draw(st.booleans())
    elif name == "trust.pulse":
        args = {"behaviour": draw(st.sampled_from(["respect", "listen_first"]))}
    elif name in ("seal.share", "seal.withdraw"):
        args["party"] = draw(st.sampled_from(["buyer", "seller"]))
    elif name in ("seal.verify", "seal.dispute"):
        # The version is filled in at play time (the one the neutral sees), or left stale.
        args |= {"party": draw(st.sampled_from(["buyer", "seller"])), "comment": "checked"}
        args["version"] = draw(st.sampled_from(["current", "current", 1]))
    return who, name, args


def play(
    room: Room, program: list[Step], then: Callable[[list[Event]], None] | None = None
) -> None:
    """Two items first, then every step through ``decide``; refused ones append nothing.

    ``then`` is given each accepted step's events, once they are applied.
    """
    for event in (room.add("i0", "First"), room.add("i1", "Second", kind="relationship")):
        if then is not None:
            then([event])
    for who, name, args in program:
        if name == "item.move":
            slot = args.pop("slot")
            keys = sorted(i.position for i in room.state.view("buyer").live_items())
            before = keys[slot - 1] if 0 < slot <= len(keys) else None
            after = keys[slot] if slot < len(keys) else None
            if before is not None and after is not None and before >= after:
                continue
            args["position"] = fractional_indexing.generate_key_between(before, after)
        if args.get("hash") == "current":
            args["hash"] = deal_hash(room.state.public)
        if args.get("version") == "current":
            seal = room.state.view("neutral").seals.get(args["item_id"], {}).get(args["party"])
            args["version"] = seal.version if seal is not None else 1
        with contextlib.suppress(DomainError):
            events = room.do(ACTORS[who], name, **args)
            if then is not None:
                then(events)


def role_frames(room: Room, role: str) -> list[dict[str, Any]]:
    """The event frames ``role`` receives, exactly as the server encodes them."""
    seen = [event for event in room.log if visible(event.vis, role)]
    return [msgpack.unpackb(frames.event(e, role, n), raw=False) for n, e in enumerate(seen, 1)]


def client_folds(cases: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    data = tmp_path / "cases.json"
    data.write_text(json.dumps(cases))
    out = subprocess.run(
        ["node", "--import", HOOKS.as_uri(), str(SCRIPT), str(data)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    results: list[dict[str, Any]] = json.loads(out.stdout)
    return results


def check_agreement(room: Room, tmp_path: Path) -> None:
    middle = RoomState.fold(room.log[: len(room.log) // 2])
    cases = []
    for role in ROLES:
        snapshot = middle.view(role)
        cases.append(
            {
                "frames": role_frames(room, role),
                "snapshot": {"at": snapshot.seq, "view": snapshot.to_wire()},
            }
        )
    for role, result in zip(ROLES, client_folds(cases, tmp_path), strict=True):
        server = room.state.view(role).to_wire()
        assert result["folded"] == server, f"{role}: the client's fold of its frames differs"
        assert result["resumed"] == server, f"{role}: snapshot plus later frames differs"


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=st.lists(step(), min_size=30, max_size=90))
def test_server_and_client_folds_agree_for_every_role(program: list[Step], tmp_path: Path) -> None:
    room = Room(neutral=True, phase="dividing")
    play(room, program)
    check_agreement(room, tmp_path)


@given(program=st.lists(step(), min_size=30, max_size=90))
def test_the_deal_sheet_changes_only_after_events_said_to_touch_it(program: list[Step]) -> None:
    """The live room rebuilds the sheet only when ``touches_deal`` says so: it must never miss."""
    room = Room()
    sheet = [deal_sheet(room.state.public)]

    def check(events: list[Event]) -> None:
        now = deal_sheet(room.state.public)
        if not touches_deal(room.state.public, events):
            assert now == sheet[0], [e.name for e in events]
        sheet[0] = now

    play(room, program, then=check)


def test_folds_agree_on_a_session_that_reveals_and_revises(tmp_path: Path) -> None:
    """A fixed session through every event type, so the agreement never rests on luck."""
    room = Room(neutral=True, phase="dividing")
    for actor in (BUYER, SELLER):
        room.do(actor, "opening.answer", question="valuable", answer="Yes, both ways")
        room.do(actor, "opening.answer", question="cooperation", answer="Not yet")
        room.do(actor, "opening.share")
    room.add("stock", "Consignment stock", kind="relationship")
    room.do(BUYER, "plan.set", item_id="stock", open=True)
    room.do(SELLER, "trust.pulse", behaviour="keep_commitments")
    room.add("gone", "Temporary")
    room.do(BUYER, "figures.set", item_id="stock", value="120000", cost="10000", note="private")
    room.do(SELLER, "figures.set", item_id="stock", value="20000", cost="50000")
    room.do(BUYER, "figures.set", item_id="gone", value="1", cost="1")
    room.do(BUYER, "item.delete", item_id="gone")
    room.do(SELLER, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "consent.set", item_id="stock", consent=True)
    room.do(SELLER, "figures.set", item_id="stock", value="25000", cost="50000")
    room.do(BUYER, "item.agree", item_id="stock", agreed=True, option="preferred")
    room.do(SELLER, "item.agree", item_id="stock", agreed=True, option="preferred")
    room.do(BUYER, "item.agree", item_id="stock", agreed=True, option="outcome")
    room.do(
        SELLER, "item.edit", item_id="stock", title="Stock", options=[{"id": "x", "label": "X"}]
    )
    room.do(NEUTRAL, "item.park", item_id="stock", parked=True)
    room.do(BUYER, "item.move", item_id="stock", position="Zz")
    room.do(NEUTRAL, "item.park", item_id="stock", parked=False)
    room.do(BUYER, "item.restore", item_id="gone")
    room.add("kept", "Kept")
    room.do(BUYER, "item.agree", item_id="kept", agreed=True)
    room.do(BUYER, "item.withdraw", item_id="kept", withdraw=True)
    room.do(SELLER, "item.withdraw", item_id="kept", withdraw=True)
    room.do(NEUTRAL, "agenda.lock", locked=True)
    room.do(NEUTRAL, "agenda.lock", locked=False)
    room.do(NEUTRAL, "timer.set", seconds=300, label="Round 1")
    room.do(NEUTRAL, "timer.clear")
    room.do(NEUTRAL, "note.add", note_id="n1", text="Both sides agree on the scope")
    room.do(NEUTRAL, "note.edit", note_id="n1", text="Scope agreed")
    room.do(NEUTRAL, "note.add", note_id="n2", text="To remove")
    room.do(NEUTRAL, "note.remove", note_id="n2")
    room.do(NEUTRAL, "caucus.open", party="buyer")
    room.do(BUYER, "caucus.post", party="buyer", text="Our margin is thin")
    room.do(NEUTRAL, "caucus.note", party="buyer", text="Check the margin with the accountant")
    room.do(NEUTRAL, "caucus.close", party="buyer")
    room.add("sealed", "Sealed item")
    room.do(BUYER, "figures.set", item_id="sealed", value="500", cost="100")
    room.do(SELLER, "figures.set", item_id="sealed", value="300", cost="200")
    room.do(BUYER, "seal.share", item_id="sealed", party="buyer")
    room.do(SELLER, "seal.share", item_id="sealed", party="seller")
    seals = room.state.view("neutral").seals["sealed"]
    for party in ("buyer", "seller"):
        room.do(NEUTRAL, "seal.verify", item_id="sealed", party=party,
                version=seals[party].version, comment="ok")  # fmt: skip
    room.do(NEUTRAL, "seal.attest", item_id="sealed")
    room.do(BUYER, "figures.set", item_id="sealed", value="600", cost="100")
    room.do(BUYER, "seal.share", item_id="sealed", party="buyer")
    room.do(BUYER, "seal.withdraw", item_id="sealed", party="buyer")
    room.do(SELLER, "figures.set", item_id="sealed", value="350", cost="200")
    room.do(SELLER, "seal.share", item_id="sealed", party="seller")
    version = room.state.view("neutral").seals["sealed"]["seller"].version
    room.do(NEUTRAL, "seal.dispute", item_id="sealed", party="seller", version=version,
            comment="cost?")  # fmt: skip
    room.do(BUYER, "commitment.add", commitment_id="c1", who="seller", what="Deliver",
            due="2027-03-31", item_id="stock")  # fmt: skip
    room.do(BUYER, "item.agree", item_id="stock", agreed=True, option="x")
    room.do(SELLER, "item.agree", item_id="stock", agreed=True, option="x")
    room.do(NEUTRAL, "phase.set", phase="agreeing")
    room.do(BUYER, "deal.sign", hash=deal_hash(room.state.public))
    room.do(SELLER, "commitment.set", commitment_id="c1", status="open", comment="on track")
    room.do(BUYER, "deal.sign", hash=deal_hash(room.state.public))
    room.do(NEUTRAL, "deal.witness", hash=deal_hash(room.state.public))
    room.do(SELLER, "deal.sign", hash=deal_hash(room.state.public))
    room.do(SELLER, "commitment.set", commitment_id="c1", status="kept", comment="delivered")
    names = {event.name for event in room.log}
    assert {
        "room.created", "item.added", "figures.registered", "item.deleted", "consent.changed",
        "item.revealed", "figures.revised", "item.agreed", "item.edited", "item.parked", "item.moved",
        "item.restored", "item.withdrawn", "withdrawal.changed", "agenda.locked", "timer.started",
        "timer.cleared", "note.added", "note.edited", "note.removed", "caucus.opened",
        "caucus.posted", "caucus.noted", "caucus.closed", "seal.shared", "seal.verified", "split.sealed",
        "seal.outdated", "split.unsealed", "seal.withdrawn", "seal.disputed", "phase.changed",
        "opening.answered", "opening.ready", "opening.shared", "plan.changed", "trust.pulsed",
        "item.agreement_voided", "commitment.added", "commitment.updated", "deal.signed",
        "deal.unsigned", "deal.agreed",
    } <= names  # fmt: skip
    assert room.state.phase == "closed"
    check_agreement(room, tmp_path)


def test_folds_agree_past_the_kept_histories_and_welcomes_stay_valid(tmp_path: Path) -> None:
    """Past KEPT_* revisions, caucus messages and access entries both folds keep the same last ones."""
    room = Room(neutral=True, phase="dividing")
    room.add("a", "Revealed")
    room.do(BUYER, "figures.set", item_id="a", value="100", cost="10")
    room.do(SELLER, "figures.set", item_id="a", value="100", cost="20")
    room.do(SELLER, "consent.set", item_id="a", consent=True)
    room.do(BUYER, "consent.set", item_id="a", consent=True)
    for n in range(KEPT_REVISIONS + 3):
        room.do(BUYER, "figures.set", item_id="a", value=str(200 + n), cost="10")
    room.do(NEUTRAL, "caucus.open", party="buyer")
    for n in range(KEPT_MESSAGES + 3):
        room.do(BUYER, "caucus.post", party="buyer", text=f"message {n}")
    for n in range(KEPT_PULSES + 3):
        room.do(SELLER if n % 2 else BUYER, "trust.pulse", behaviour="listen_first")
    room.add("s", "Sealed")
    room.do(BUYER, "figures.set", item_id="s", value="50", cost="10")
    room.do(BUYER, "seal.share", item_id="s", party="buyer")
    for n in range(KEPT_ACCESS + 3):
        room.system(NEUTRAL, record_access(f"Nora {n}", ("s", "buyer", 1), "live"))
    welcomes = []
    for role in ROLES:
        view = room.state.view(role)
        if role == "buyer":
            assert len(view.items["a"].revisions) == KEPT_REVISIONS
            assert (
                view.items["a"].revisions[-1]["after"]["value"] == (200 + KEPT_REVISIONS + 2) * 100
            )  # cents
            assert len(view.threads["buyer"]) == KEPT_MESSAGES
            assert view.threads["buyer"][0].text == "message 3"
            assert len(view.access["s"]) == KEPT_ACCESS
            assert view.access["s"][-1].member == f"Nora {KEPT_ACCESS + 2}"
        assert len(view.pulses) == KEPT_PULSES
        welcome = {
            "type": "welcome",
            "log_id": "log1",
            "seq": view.seq,
            "you": {"id": "m1", "role": role, "name": "X", "editing": None},
            "resumed": False,
            "view": view.to_wire(),
            "currency_decimals": 2,
            "method": {**catalog(), "permissions": allowed_for(role)},
        }
        welcomes.append(("server", welcome))
    for verdict in node_verdicts(welcomes, tmp_path):  # the browser's validator accepts them
        assert verdict == {"ok": True, "type": "welcome"}, verdict
    check_agreement(room, tmp_path)
