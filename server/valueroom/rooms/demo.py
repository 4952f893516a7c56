"""A demo room, seeded from the brief's worked example, so a newcomer sees a full session at once.

:func:`seed_demo` creates a room with a neutral and plays a short session
through the same ``decide`` every command goes through, appending each
command's events in the store like a live room would: the opening's two core
questions answered and shared, the relationship model and an open question
on the agenda, the transparency plan, the worked example's figures
(consignment stock: buyer value 120,000 and cost 10,000, seller value 20,000
and cost 50,000, the seller's cost uncertain between 40,000 and 65,000),
both keys turned so the item is revealed (created value 80,000, between
65,000 and 90,000 by the seller's range; the buyer pays the seller 70,000),
a value destroyer, and a trust pulse. The room is then left in the dividing phase for the visitor to take
over with the invite links.
"""

from __future__ import annotations

from typing import Any, Final

from valueroom.clock import now_ms
from valueroom.domain.decide import decide
from valueroom.domain.events import Actor, Event
from valueroom.domain.state import RoomState
from valueroom.rooms.registry import CreatedRoom, Registry

__all__ = ["DEMO_TITLE", "SCRIPT", "seed_demo"]

DEMO_TITLE: Final = "Facility services 2026-2031 (demo)"

BUYER: Final = Actor("buyer", "Anna (purchasing)")
SELLER: Final = Actor("seller", "Sem (account manager)")
NEUTRAL: Final = Actor("neutral", "Nora (facilitator)")

Step = tuple[Actor, str, dict[str, Any]]

SCRIPT: Final[tuple[Step, ...]] = (
    (NEUTRAL, "phase.set", {"phase": "opening"}),
    (
        BUYER,
        "opening.answer",
        {
            "question": "valuable",
            "answer": "Yes: you keep our sites running, and we are a reference customer for you.",
        },
    ),
    (
        BUYER,
        "opening.answer",
        {
            "question": "cooperation",
            "answer": "Not yet: we buy transaction by transaction and lose value on stock and rush orders.",
        },
    ),
    (BUYER, "opening.share", {}),
    (
        SELLER,
        "opening.answer",
        {"question": "valuable", "answer": "Yes, and we would like to grow with you."},
    ),
    (
        SELLER,
        "opening.answer",
        {
            "question": "cooperation",
            "answer": "A multi-year framework would let us invest in stock close to you.",
        },
    ),
    (SELLER, "opening.share", {}),
    (NEUTRAL, "phase.set", {"phase": "exploring"}),
    (
        BUYER,
        "item.add",
        {
            "item_id": "model",
            "kind": "relationship",
            "title": "Relationship model",
            "position": "a0",
        },
    ),
    (
        BUYER,
        "item.add",
        {
            "item_id": "stock",
            "kind": "measure",
            "title": "Supplier keeps consignment stock at the buyer's site",
            "position": "a1",
        },
    ),
    (
        SELLER,
        "item.add",
        {
            "item_id": "rush",
            "kind": "measure",
            "title": "Rush orders within 24 hours",
            "position": "a2",
        },
    ),
    (
        SELLER,
        "item.add",
        {
            "item_id": "risk",
            "kind": "question",
            "title": "Who carries the risk of obsolete stock?",
            "position": "a3",
        },
    ),
    (BUYER, "plan.set", {"item_id": "stock", "open": True}),
    (SELLER, "plan.set", {"item_id": "stock", "open": True}),
    (BUYER, "plan.set", {"item_id": "rush", "open": True}),
    (SELLER, "plan.set", {"item_id": "rush", "open": True}),
    (
        BUYER,
        "figures.set",
        {
            "item_id": "stock",
            "value": "120000",
            "cost": "10000",
            "note": "Less working capital, fewer stock-outs",
        },
    ),
    (
        SELLER,
        "figures.set",
        {
            "item_id": "stock",
            "value": "20000",
            "cost": "50000",
            # Uncertain: handling may cost less or more than expected.
            "cost_low": "40000",
            "cost_high": "65000",
            "note": "Warehouse space and handling",
        },
    ),
    (BUYER, "figures.set", {"item_id": "rush", "value": "8000", "cost": "0"}),
    (SELLER, "figures.set", {"item_id": "rush", "value": "0", "cost": "12000"}),
    (NEUTRAL, "phase.set", {"phase": "dividing"}),
    (BUYER, "consent.set", {"item_id": "stock", "consent": True}),
    (SELLER, "consent.set", {"item_id": "stock", "consent": True}),
    (SELLER, "consent.set", {"item_id": "rush", "consent": True}),
    (BUYER, "consent.set", {"item_id": "rush", "consent": True}),
    (BUYER, "trust.pulse", {"behaviour": "transparency"}),
    (SELLER, "trust.pulse", {"behaviour": "listen_first"}),
)
"""The demo session: who does what, in order (every step goes through ``decide``)."""


async def seed_demo(registry: Registry) -> CreatedRoom:
    """Create the demo room in ``registry``'s store and play :data:`SCRIPT` into it.

    Raises whatever ``decide`` raises if a step is refused (the script is
    tested, so that would be a bug), leaving the room as far as it got.
    """
    created = await registry.create(
        title=DEMO_TITLE,
        buyer_org="Gemeente Utrecht",
        seller_org="Facilitair BV",
        currency="EUR",
        neutral=True,
    )
    store = registry.store
    state = RoomState.fold(await store.read(created.room_id), registry.rules)
    for n, (actor, name, args) in enumerate(SCRIPT):
        drafts = decide(state, actor, name, dict(args))
        now = now_ms()
        events = [
            Event(state.seq + i, now, actor, f"demo:{n}", d.vis, d.name, d.data)
            for i, d in enumerate(drafts, 1)
        ]
        if events:
            await store.append(created.room_id, state.seq, events)
            for event in events:
                state.apply(event)
    return created
