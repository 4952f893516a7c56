"""Private figures, two-key transparency and the split, decided in the pure core."""

from __future__ import annotations

import pytest

from tests.domainkit import BUYER, NEUTRAL, SELLER, Room
from valueroom.domain.errors import InvalidFigure, ItemNotFound, NotPermitted, TransparencyError
from valueroom.domain.views import preview_split, shared_split
from valueroom.domain.visibility import BUYER as BUYER_BIT
from valueroom.domain.visibility import PUBLIC, visible


def consignment() -> Room:
    """The brief's worked example, registered but not yet revealed, in the dividing phase."""
    room = Room(phase="dividing")
    room.add("stock", "Consignment stock at the buyer's site")
    room.do(
        BUYER,
        "figures.set",
        item_id="stock",
        value="120000",
        cost="10000",
        note="saves a warehouse",
    )
    room.do(SELLER, "figures.set", item_id="stock", value="20000", cost="50000")
    return room


def test_registration_is_visible_to_the_registering_party_only() -> None:
    room = Room()
    room.add("stock")
    (event,) = room.do(BUYER, "figures.set", item_id="stock", value="120000", cost="10000")
    assert event.vis == BUYER_BIT
    assert not visible(event.vis, "seller")
    assert not visible(event.vis, "neutral")
    assert room.state.view("buyer").private["stock"].value == 12_000_000
    assert "stock" not in room.state.view("seller").private
    assert "stock" not in room.state.view("neutral").private


def test_figures_are_exact_minor_units() -> None:
    room = Room()
    room.add("x")
    room.do(SELLER, "figures.set", item_id="x", value="-1234.56", cost="0.01")
    record = room.state.view("seller").private["x"]
    assert (record.value, record.cost) == (-123456, 1)


@pytest.mark.parametrize(
    ("value", "cost"),
    [
        ("abc", "1"),
        ("NaN", "1"),
        ("Infinity", "1"),
        ("1", "-5"),
        ("1.234", "0"),
        ("1", "1e3"),
        ("10000000000", "0"),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(value: str, cost: str) -> None:
    room = Room()
    room.add("x")
    before = len(room.log)
    with pytest.raises(InvalidFigure):
        room.do(BUYER, "figures.set", item_id="x", value=value, cost=cost)
    assert len(room.log) == before
    assert room.state.view("buyer").private == {}


def test_japanese_yen_has_no_decimals() -> None:
    room = Room(currency="JPY")
    room.add("x")
    with pytest.raises(InvalidFigure):
        room.do(BUYER, "figures.set", item_id="x", value="12.5", cost="0")
    room.do(BUYER, "figures.set", item_id="x", value="125", cost="0")
    assert room.state.view("buyer").private["x"].value == 125


def test_neutral_may_neither_register_nor_consent() -> None:
    room = consignment()
    with pytest.raises(NotPermitted):
        room.do(NEUTRAL, "figures.set", item_id="stock", value="1", cost="0")
    with pytest.raises(NotPermitted):
        room.do(NEUTRAL, "consent.set", item_id="stock", consent=True)


def test_figures_for_a_missing_or_deleted_item_are_refused() -> None:
    room = consignment()
    with pytest.raises(ItemNotFound):
        room.do(BUYER, "figures.set", item_id="nope", value="1", cost="0")
    room.do(SELLER, "item.delete", item_id="stock")
    with pytest.raises(ItemNotFound):
        room.do(BUYER, "figures.set", item_id="stock", value="1", cost="0")


def test_consent_needs_own_figures_first() -> None:
    room = Room(phase="exploring")
    room.add("x")
    with pytest.raises(TransparencyError):
        room.do(BUYER, "consent.set", item_id="x", consent=True)


def test_one_key_reveals_nothing_and_can_be_withdrawn() -> None:
    room = consignment()
    (event,) = room.do(BUYER, "consent.set", item_id="stock", consent=True)
    assert event.name == "consent.changed"
    assert event.vis == PUBLIC
    assert set(event.data) == {"item_id", "party", "consent"}
    assert room.state.view("seller").items["stock"].consent == {"buyer": True, "seller": False}
    room.do(BUYER, "consent.set", item_id="stock", consent=False)
    assert not room.state.view("seller").items["stock"].revealed
    assert room.state.view("seller").items["stock"].figures == {}


def test_second_key_reveals_both_sides_in_one_public_event() -> None:
    room = consignment()
    room.do(SELLER, "consent.set", item_id="stock", consent=True)
    events = room.do(BUYER, "consent.set", item_id="stock", consent=True)
    assert [e.name for e in events] == ["consent.changed", "item.revealed"]
    reveal = events[-1]
    assert reveal.vis == PUBLIC
    assert reveal.data["buyer"] == {"value": 12_000_000, "cost": 1_000_000}
    assert reveal.data["seller"] == {"value": 2_000_000, "cost": 5_000_000}
    assert "note" not in str(reveal.data)
    for role in ("buyer", "seller", "neutral"):
        assert room.state.view(role).items["stock"].revealed


def test_consent_cannot_be_withdrawn_after_the_reveal() -> None:
    room = consignment()
    room.do(SELLER, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "consent.set", item_id="stock", consent=True)
    with pytest.raises(TransparencyError):
        room.do(SELLER, "consent.set", item_id="stock", consent=False)


def test_change_after_reveal_is_public_with_old_and_new_figures() -> None:
    room = consignment()
    room.do(SELLER, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "consent.set", item_id="stock", consent=True)
    events = room.do(SELLER, "figures.set", item_id="stock", value="25000", cost="50000")
    revised = [e for e in events if e.name == "figures.revised"]
    assert len(revised) == 1
    assert revised[0].vis == PUBLIC
    assert revised[0].data["before"] == {"value": 2_000_000, "cost": 5_000_000}
    assert revised[0].data["after"] == {"value": 2_500_000, "cost": 5_000_000}
    item = room.state.view("buyer").items["stock"]
    assert item.figures["seller"] == {"value": 2_500_000, "cost": 5_000_000}
    assert item.revisions[0]["party"] == "seller"


def test_split_of_the_worked_example() -> None:
    room = consignment()
    assert shared_split(room.state).lines == ()
    assert shared_split(room.state).excluded == ("stock",)
    room.do(SELLER, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "consent.set", item_id="stock", consent=True)
    split = shared_split(room.state)
    (line,) = split.lines
    assert line.net == 8_000_000
    assert (line.fair["buyer"], line.fair["seller"]) == (4_000_000, 4_000_000)
    assert line.transfer["buyer"] == -7_000_000
    assert line.transfer["seller"] == 7_000_000


def test_preview_uses_own_figures_and_never_the_other_sides_unrevealed_ones() -> None:
    room = consignment()
    buyer_preview = preview_split(room.state, "buyer")
    # Nothing is made up for the side the buyer cannot see: no line, no total.
    assert buyer_preview.lines == ()
    assert buyer_preview.total is None
    (pending,) = buyer_preview.pending
    assert (pending.item_id, pending.party, pending.own) == ("stock", "buyer", 11_000_000)
    seller_preview = preview_split(room.state, "seller")
    assert [(p.party, p.own) for p in seller_preview.pending] == [("seller", -3_000_000)]


def test_a_parked_item_leaves_every_split() -> None:
    room = consignment()
    room.do(SELLER, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "consent.set", item_id="stock", consent=True)
    assert [line.item_id for line in shared_split(room.state).lines] == ["stock"]
    room.do(BUYER, "item.park", item_id="stock", parked=True)
    for split in (shared_split(room.state), preview_split(room.state, "buyer")):
        assert split.lines == ()
        assert split.total is None
        assert split.excluded == ("stock",)
    room.do(SELLER, "item.park", item_id="stock", parked=False)
    assert shared_split(room.state).total is not None


def test_each_role_knows_exactly_what_the_events_it_may_see_told_it() -> None:
    room = consignment()
    room.add("other")
    room.do(BUYER, "figures.set", item_id="other", value="5", cost="1")
    room.do(SELLER, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "consent.set", item_id="stock", consent=True)
    room.do(BUYER, "figures.set", item_id="stock", value="130000", cost="10000", note="revised")
    views = {role: room.state.view(role) for role in ("buyer", "seller", "neutral")}
    # Counted by hand: the buyer saw its 3 registrations besides the 8 public
    # events (the room's creation, its move to the dividing phase, two items,
    # two consents, the reveal, the revision), the seller its 1, the neutral none.
    assert {role: view.seq for role, view in views.items()} == {
        "buyer": 11,
        "seller": 9,
        "neutral": 8,
    }
    assert room.state.public.seq == 8
    assert {item: (r.value, r.cost, r.note) for item, r in views["buyer"].private.items()} == {
        "stock": (13_000_000, 1_000_000, "revised"),
        "other": (500, 100, ""),
    }
    assert {item: (r.value, r.cost, r.note) for item, r in views["seller"].private.items()} == {
        "stock": (2_000_000, 5_000_000, ""),
    }
    assert views["neutral"].private == {}
    for role, view in views.items():
        stock = view.items["stock"]
        assert stock.figures == {
            "buyer": {"value": 13_000_000, "cost": 1_000_000},
            "seller": {"value": 2_000_000, "cost": 5_000_000},
        }, role
        # A revision carries the role's own number for it, never the log's.
        assert [r["seq"] for r in stock.revisions] == [view.seq], role
