"""The agreement in the pure core: what was agreed stays agreed, the deal sheet, the sign-off.

Each test drives commands through ``decide`` (``tests/domainkit.py``) exactly
as the server does and checks the events and the views that result.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.domainkit import BUYER, NEUTRAL, SELLER, Room
from valueroom.domain.agreement import (
    deal_hash,
    deal_sheet,
    export_content,
    next_round,
    touches_deal,
)
from valueroom.domain.canonical import canonical, digest
from valueroom.domain.errors import DomainError, InvalidCommand, ItemNotFound, NotPermitted
from valueroom.domain.permissions import COMMANDS, may
from valueroom.protocol import frames

OPTIONS = [{"id": "d45", "label": "45 days"}, {"id": "d90", "label": "90 days"}]


def agreed_room(neutral: bool = True) -> Room:
    """A room in the agreeing phase with one term both parties agreed on 45 days."""
    room = Room(neutral=neutral, phase="exploring")
    room.add("pay", title="Payment terms", options=OPTIONS)
    room.do(BUYER, "item.agree", item_id="pay", agreed=True, option="d45")
    room.do(SELLER, "item.agree", item_id="pay", agreed=True, option="d45")
    assert room.state.public.items["pay"].agreed_by_both
    return room


def names(events: list[Any]) -> list[str]:
    return [event.name for event in events]


def refused(room: Room, actor: Any, name: str, **args: Any) -> DomainError:
    before = (len(room.log), room.state.public.to_wire())
    with pytest.raises(DomainError) as caught:
        room.do(actor, name, **args)
    assert (len(room.log), room.state.public.to_wire()) == before
    return caught.value


# -- agreement integrity --------------------------------------------------------


def test_an_edit_to_an_agreed_item_voids_both_agreements_with_old_and_new() -> None:
    room = Room(phase="exploring")
    room.add("pay", title="Payment terms 45 days")
    room.do(BUYER, "item.agree", item_id="pay", agreed=True)
    room.do(SELLER, "item.agree", item_id="pay", agreed=True)
    events = room.do(BUYER, "item.edit", item_id="pay", title="Payment terms 90 days")
    assert names(events) == ["item.edited", "item.agreement_voided"]
    assert events[1].data == {
        "item_id": "pay",
        "by": "buyer",
        "changes": [
            {"field": "title", "old": "Payment terms 45 days", "new": "Payment terms 90 days"}
        ],
    }
    for role in ("buyer", "seller", "neutral"):
        item = room.state.view(role).items["pay"]
        assert item.agreed == {"buyer": False, "seller": False}
        assert item.voided is not None
        assert item.voided["by"] == "buyer"
    # Agreed again, it holds again, and the notice of the voiding stays for the record.
    room.do(BUYER, "item.agree", item_id="pay", agreed=True)
    room.do(SELLER, "item.agree", item_id="pay", agreed=True)
    assert room.state.public.items["pay"].agreed_by_both


def test_one_partys_agreement_is_voided_too_and_an_unagreed_item_edits_freely() -> None:
    room = Room(phase="exploring")
    room.add("a", title="A")
    room.add("b", title="B")
    room.do(SELLER, "item.agree", item_id="a", agreed=True)
    assert names(room.do(BUYER, "item.edit", item_id="a", description="new scope")) == [
        "item.edited",
        "item.agreement_voided",
    ]
    assert names(room.do(BUYER, "item.edit", item_id="b", description="new scope")) == [
        "item.edited"
    ]


def test_agreeing_on_an_item_with_options_names_one_of_them() -> None:
    room = Room(phase="exploring")
    room.add("pay", title="Payment terms", options=OPTIONS)
    error = refused(room, BUYER, "item.agree", item_id="pay", agreed=True)
    assert error.reason == "agree.option_required"
    error = refused(room, BUYER, "item.agree", item_id="pay", agreed=True, option="d30")
    assert error.reason == "option.unknown"
    room.add("plain", title="No options")
    error = refused(room, BUYER, "item.agree", item_id="plain", agreed=True, option="d45")
    assert error.reason == "option.unknown"
    room.do(BUYER, "item.agree", item_id="pay", agreed=True, option="d45")
    room.do(SELLER, "item.agree", item_id="pay", agreed=True, option="d90")
    item = room.state.public.items["pay"]
    assert item.agreed == {"buyer": True, "seller": True}
    assert not item.agreed_by_both  # two different options are no agreement
    room.do(SELLER, "item.agree", item_id="pay", agreed=True, option="d45")
    assert room.state.public.items["pay"].agreed_by_both


def test_choosing_another_option_after_both_agreed_voids_the_agreement() -> None:
    room = agreed_room()
    events = room.do(BUYER, "item.agree", item_id="pay", agreed=True, option="d90")
    assert names(events) == ["item.agreement_voided", "item.agreed"]
    assert events[0].data["changes"] == [{"field": "option", "old": "45 days", "new": "90 days"}]
    item = room.state.public.items["pay"]
    assert item.agreed == {"buyer": True, "seller": False}
    assert item.chosen == {"buyer": "d90", "seller": None}


def test_renaming_the_agreed_option_voids_the_agreement() -> None:
    room = agreed_room()
    renamed = [{"id": "d45", "label": "60 days"}, OPTIONS[1]]
    events = room.do(SELLER, "item.edit", item_id="pay", options=renamed)
    assert names(events) == ["item.edited", "item.agreement_voided"]
    assert events[1].data["changes"] == [
        {"field": "options", "old": "45 days / 90 days", "new": "60 days / 90 days"}
    ]


def test_a_revision_of_revealed_figures_voids_the_agreement() -> None:
    room = Room(phase="exploring")
    room.add("stock", title="Consignment stock")
    for actor, value, cost in ((BUYER, "1000", "100"), (SELLER, "200", "500")):
        room.do(actor, "figures.set", item_id="stock", value=value, cost=cost)
        room.do(actor, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "item.agree", item_id="stock", agreed=True)
    room.do(SELLER, "item.agree", item_id="stock", agreed=True)
    events = room.do(SELLER, "figures.set", item_id="stock", value="250", cost="500")
    assert names(events) == ["figures.registered", "figures.revised", "item.agreement_voided"]
    voided = events[2]
    assert voided.data["changes"] == [
        {"field": "figures.seller", "old": "20000/50000", "new": "25000/50000"}
    ]
    # The voiding is public, but it says nothing the public revision did not say already.
    assert voided.vis == 7


# -- the deal sheet and its hash ---------------------------------------------------------


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_the_canonical_encoding_is_sorted_compact_json(value: Any) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(value) == expected


def test_the_deal_sheet_is_the_same_for_every_role_and_lists_what_was_agreed() -> None:
    room = agreed_room()
    room.add("stock", title="Consignment stock", kind="measure")
    room.add("open", title="Still talking")
    for actor, value, cost in ((BUYER, "1000", "100"), (SELLER, "200", "500")):
        room.do(actor, "figures.set", item_id="stock", value=value, cost=cost)
        room.do(actor, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "item.agree", item_id="stock", agreed=True)
    room.do(SELLER, "item.agree", item_id="stock", agreed=True)
    room.do(BUYER, "commitment.add", commitment_id="c1", who="seller", what="Deliver stock",
            due="2027-03-31", item_id="stock")  # fmt: skip
    sheet = deal_sheet(room.state.public)
    for role in ("buyer", "seller", "neutral"):
        assert deal_sheet(room.state.view(role)) == sheet
    assert [a["item_id"] for a in sheet["agreed"]] == ["pay", "stock"]
    assert sheet["agreed"][0]["option"] == {"id": "d45", "label": "45 days"}
    assert [o["item_id"] for o in sheet["open"]] == ["open"]
    # Buyer's own net 900.00, seller's -300.00: created 600.00, halves 300.00 each,
    # so the buyer pays the seller 600.00.
    (line,) = sheet["split"]["lines"]
    assert (line["net"], line["fair"], line["transfer"]) == (
        60000,
        {"buyer": 30000, "seller": 30000},
        {"buyer": -60000, "seller": 60000},
    )
    assert sheet["settlement"] == {"payer": "buyer", "payee": "seller", "amount": 60000}
    assert sheet["commitments"][0]["what"] == "Deliver stock"
    assert deal_hash(room.state.public) == digest(sheet)
    assert len(deal_hash(room.state.public)) == 64
    # No private figure is on the sheet: only revealed ones, as created value and halves.
    text = canonical(sheet)
    assert "100000" not in text
    assert "Consignment stock" in text


def test_the_deal_frame_carries_the_hash_the_core_checks_signatures_against() -> None:
    room = agreed_room()
    room.do(
        SELLER, "commitment.add", commitment_id="c1", who="seller", what='Lever \u00e9\u00e9n "x"\n'
    )
    sheet = deal_sheet(room.state.public)
    frame = msgpack.unpackb(frames.deal(sheet, None), raw=False)
    assert frame["hash"] == deal_hash(room.state.public)
    assert frame["sheet"] == sheet


def test_typing_in_an_open_items_description_needs_no_new_deal_sheet() -> None:
    """The live room rebuilds the sheet only when ``touches_deal`` says it may have changed."""
    room = Room(phase="exploring")
    room.add("a", title="A")
    before = deal_sheet(room.state.public)
    events = room.do(BUYER, "item.edit", item_id="a", description="draft scope")
    assert not touches_deal(room.state.public, events)
    assert deal_sheet(room.state.public) == before
    # A title is on the sheet (as an open item), and so is an agreed item's description.
    events = room.do(BUYER, "item.edit", item_id="a", title="A2")
    assert touches_deal(room.state.public, events)
    assert deal_sheet(room.state.public) != before
    room.do(BUYER, "item.agree", item_id="a", agreed=True)
    room.do(SELLER, "item.agree", item_id="a", agreed=True)
    agreed = deal_sheet(room.state.public)
    events = room.do(SELLER, "item.edit", item_id="a", description="final scope")
    assert touches_deal(room.state.public, events)
    assert deal_sheet(room.state.public) != agreed
    # A party's private figures never touch the sheet, which holds the public view only.
    events = room.do(BUYER, "figures.set", item_id="a", value="100.00", cost="0.00")
    assert events
    assert not touches_deal(room.state.public, events)


def test_the_hash_follows_the_content_and_nothing_else() -> None:
    room = agreed_room()
    before = deal_hash(room.state.public)
    room.do(NEUTRAL, "note.add", note_id="n1", text="A process note is not on the sheet")
    assert deal_hash(room.state.public) == before
    room.do(BUYER, "figures.set", item_id="pay", value="10", cost="0")
    assert deal_hash(room.state.public) == before  # private figures never move the hash
    room.do(BUYER, "commitment.add", commitment_id="c1", who="buyer", what="Pay on time")
    assert deal_hash(room.state.public) != before


# -- sign-off -------------------------------------------------------------------------------


def test_both_signatures_on_the_same_hash_close_the_room_with_the_sheet_as_signed() -> None:
    room = agreed_room()
    room.to_phase("agreeing")
    digest_now = deal_hash(room.state.public)
    sheet_now = deal_sheet(room.state.public)
    assert names(room.do(BUYER, "deal.sign", hash=digest_now)) == ["deal.signed"]
    assert refused(room, BUYER, "deal.sign", hash=digest_now).reason == "deal.already_signed"
    events = room.do(SELLER, "deal.sign", hash=digest_now)
    assert names(events) == ["deal.signed", "deal.agreed", "phase.changed"]
    assert room.state.phase == "closed"
    agreement = room.state.public.agreement
    assert agreement is not None
    assert agreement["hash"] == digest_now
    assert agreement["sheet"] == sheet_now
    assert room.state.public.signatures["buyer"]["name"] == "Bea"
    # Read-only: every changing command is refused, except a commitment's status and the witness.
    still_open = {
        (name, role)
        for name in COMMANDS
        for role in ("buyer", "seller", "neutral")
        if may(name, role, "closed")
    }
    assert still_open == {
        ("commitment.set", "buyer"),
        ("commitment.set", "seller"),
        ("commitment.set", "neutral"),
        ("deal.witness", "neutral"),
    }
    error = refused(room, BUYER, "item.edit", item_id="pay", title="Payment terms 90 days")
    assert isinstance(error, NotPermitted)
    assert error.reason == "phase.closed"
    room.do(NEUTRAL, "deal.witness", hash=digest_now)
    assert room.state.public.signatures["neutral"]["hash"] == digest_now


def test_signing_binds_to_the_exact_content_a_change_voids_the_signatures() -> None:
    room = agreed_room()
    room.to_phase("agreeing")
    first = deal_hash(room.state.public)
    room.do(BUYER, "deal.sign", hash=first)
    room.do(NEUTRAL, "deal.witness", hash=first)
    events = room.do(SELLER, "commitment.add", commitment_id="c1", who="buyer", what="Pay")
    assert names(events) == ["commitment.added", "deal.unsigned"]
    assert events[1].data == {"by": "seller", "hash": first}
    assert room.state.public.signatures == {}
    # The seller signing what the buyer once signed is signing a sheet that no longer exists.
    error = refused(room, SELLER, "deal.sign", hash=first)
    assert isinstance(error, InvalidCommand)
    assert error.reason == "deal.stale_hash"
    assert error.params["current"] == deal_hash(room.state.public)
    second = deal_hash(room.state.public)
    room.do(SELLER, "deal.sign", hash=second)
    # Taking an agreement back changes the sheet too.
    assert names(room.do(BUYER, "item.agree", item_id="pay", agreed=False)) == [
        "item.agreed",
        "deal.unsigned",
    ]
    assert room.state.phase == "agreeing"


def test_signing_is_refused_to_the_neutral_for_nothing_and_on_a_stale_hash() -> None:
    room = agreed_room()
    room.to_phase("agreeing")
    current = deal_hash(room.state.public)
    error = refused(room, NEUTRAL, "deal.sign", hash=current)
    assert isinstance(error, NotPermitted)
    assert error.reason == "permission.role"
    assert refused(room, BUYER, "deal.sign", hash="0" * 64).reason == "deal.stale_hash"
    empty = Room(phase="agreeing")
    nothing = deal_hash(empty.state.public)
    assert refused(empty, BUYER, "deal.sign", hash=nothing).reason == "deal.empty"
    assert refused(room, NEUTRAL, "deal.witness", hash="f" * 64).reason == "deal.stale_hash"


def test_a_room_without_a_neutral_closes_on_the_two_signatures_alone() -> None:
    room = agreed_room(neutral=False)
    room.to_phase("agreeing")
    current = deal_hash(room.state.public)
    room.do(SELLER, "deal.sign", hash=current)
    room.do(BUYER, "deal.sign", hash=current)
    assert room.state.phase == "closed"


# -- commitments -----------------------------------------------------------------------------


def test_commitments_are_recorded_on_live_items_and_kept_after_the_agreement() -> None:
    room = agreed_room()
    room.add("gone", title="Temporary")
    room.do(BUYER, "item.delete", item_id="gone")
    error = refused(room, BUYER, "commitment.add", commitment_id="c1", who="seller",
                    what="Deliver", item_id="gone")  # fmt: skip
    assert isinstance(error, ItemNotFound)
    assert error.reason == "item.not_found"
    error = refused(room, BUYER, "commitment.add", commitment_id="c1", who="seller",
                    what="Deliver", due="2027-02-30")  # fmt: skip
    assert error.reason == "date.invalid"
    room.do(NEUTRAL, "commitment.add", commitment_id="c1", who="seller", what="Deliver",
            due="2027-02-28", item_id="pay")  # fmt: skip
    error = refused(room, BUYER, "commitment.add", commitment_id="c1", who="buyer", what="Pay")
    assert error.reason == "commitment.exists"
    error = refused(room, BUYER, "commitment.set", commitment_id="c9", status="kept")
    assert error.reason == "commitment.not_found"
    room.to_phase("agreeing")
    current = deal_hash(room.state.public)
    room.do(BUYER, "deal.sign", hash=current)
    room.do(SELLER, "deal.sign", hash=current)
    assert room.state.phase == "closed"
    events = room.do(SELLER, "commitment.set", commitment_id="c1", status="kept", comment="On time")
    assert names(events) == ["commitment.updated"]  # no unsigning after the agreement
    commitment = room.state.public.commitments["c1"]
    assert (commitment.status, commitment.comment, commitment.by) == ("kept", "On time", "Nora")
    error = refused(room, BUYER, "commitment.add", commitment_id="c2", who="buyer", what="Pay")
    assert error.reason == "phase.closed"
    # The signed sheet keeps the commitment as it was when signed.
    agreement = room.state.public.agreement
    assert agreement is not None
    assert agreement["sheet"]["commitments"][0]["status"] == "open"


# -- exports ------------------------------------------------------------------------------------


def test_an_export_holds_the_roles_own_figures_and_never_the_other_sides() -> None:
    room = agreed_room()
    room.add("x", title="Sealed")
    room.do(BUYER, "figures.set", item_id="x", value="777.77", cost="11.11", note="buyer secret")
    room.do(SELLER, "figures.set", item_id="x", value="333.33", cost="22.22", note="seller secret")
    room.to_phase("exploring")
    room.do(SELLER, "seal.share", item_id="x", party="seller")
    buyer = export_content(room.state, "buyer")
    seller = export_content(room.state, "seller")
    neutral = export_content(room.state, "neutral")
    assert buyer["own_figures"] == [
        {"item_id": "x", "title": "Sealed", "value": 77777, "cost": 1111, "note": "buyer secret"}
    ]
    assert "33333" not in canonical(buyer)
    assert "seller secret" not in canonical(buyer)
    assert "77777" not in canonical(seller)
    assert "buyer secret" not in canonical(seller)
    assert "own_figures" not in neutral
    assert [(s["party"], s["value"]) for s in neutral["sealed_figures"]] == [("seller", 33333)]
    assert "77777" not in canonical(neutral)
    assert "buyer secret" not in canonical(neutral)
    for content in (buyer, seller, neutral):
        assert content["deal_sheet"] == deal_sheet(room.state.public)


# -- the next round ---------------------------------------------------------------------------------


def test_the_next_round_carries_the_agreed_items_and_only_the_carriers_own_figures() -> None:
    room = agreed_room()
    room.add("rel", title="How we work together", kind="relationship")
    room.add("open", title="Not agreed")
    room.do(BUYER, "figures.set", item_id="pay", value="500", cost="20", note="buyer note")
    room.do(SELLER, "figures.set", item_id="pay", value="300", cost="10", note="seller note")
    for actor in (BUYER, SELLER):
        room.do(actor, "item.agree", item_id="rel", agreed=True, option="performance")
    with pytest.raises(InvalidCommand) as refused_early:
        next_round(room.state, "buyer")
    assert refused_early.value.reason == "round.not_agreed"
    room.to_phase("agreeing")
    current = deal_hash(room.state.public)
    room.do(BUYER, "deal.sign", hash=current)
    room.do(SELLER, "deal.sign", hash=current)

    drafts = next_round(room.state, "buyer")
    added = [d for d in drafts if d.name == "item.added"]
    assert [(d.data["item_id"], d.data["kind"]) for d in added] == [
        ("pay", "term"),
        ("rel", "relationship"),
    ]
    assert added[0].data["options"] == OPTIONS
    assert [d.data["position"] for d in added] == sorted(d.data["position"] for d in added)
    (carried,) = [d for d in drafts if d.name == "figures.registered"]
    assert carried.data == {
        "item_id": "pay", "party": "buyer", "value": 50000, "cost": 2000, "note": "buyer note"
    }  # fmt: skip
    assert carried.vis == 1  # the buyer's team only
    assert all("seller note" not in repr(d.data) for d in drafts)
    # Nobody carries figures unless asked; the neutral has none to carry.
    for carrier in (None, "neutral"):
        assert all(d.name == "item.added" for d in next_round(room.state, carrier))
    # The seeded room folds like any other: the agenda is there, nothing agreed yet.
    fresh = Room(neutral=True)
    for draft in drafts:
        fresh.system(BUYER, draft)
    assert fresh.order() == ["pay", "rel"]
    assert fresh.state.public.items["pay"].agreed == {"buyer": False, "seller": False}
    assert fresh.state.view("buyer").private["pay"].value == 50000
    assert "pay" not in fresh.state.view("seller").private
