"""The demo room: the brief's worked example played through the core, ready for a visitor."""

from __future__ import annotations

from pathlib import Path

import pytest

from valueroom.cli import main
from valueroom.domain.state import RoomState
from valueroom.domain.views import shared_split
from valueroom.protocol.schema import rules
from valueroom.rooms.demo import DEMO_TITLE, seed_demo
from valueroom.rooms.registry import Registry
from valueroom.store import open_store


async def test_demo_room_holds_the_worked_example_revealed_and_split() -> None:
    store = open_store("memory://demo-test")
    await store.open()
    try:
        created = await seed_demo(Registry(store, rules=rules()))
        state = RoomState.fold(await store.read(created.room_id))
    finally:
        await store.close()
    assert set(created.tokens) == {"buyer", "seller", "neutral"}
    assert state.phase == "dividing"
    assert state.public.room is not None
    assert state.public.room.title == DEMO_TITLE
    split = shared_split(state)
    stock = next(line for line in split.lines if line.item_id == "stock")
    # The brief: created value 80,000; each ends with 40,000; the buyer pays the seller 70,000.
    assert stock.net == 80_000_00
    assert (stock.fair.buyer, stock.fair.seller) == (40_000_00, 40_000_00)
    assert stock.transfer.buyer == -70_000_00
    # The seller's cost is uncertain (40,000 to 65,000): the split shows its sensitivity.
    assert stock.low is not None
    assert stock.high is not None
    assert (stock.low.net, stock.high.net) == (65_000_00, 90_000_00)
    rush = next(line for line in split.lines if line.item_id == "rush")
    assert rush.destroys_value
    assert split.without_destroyers is not None
    assert split.without_destroyers.net == 80_000_00
    assert state.public.shared_answers is not None
    assert state.public.plan["stock"] == {"buyer": True, "seller": True}
    assert [p["behaviour"] for p in state.public.pulses] == ["transparency", "listen_first"]
    # The open question and the relationship model are on the agenda, not in the split.
    assert {"model", "risk"} <= set(split.excluded)


def test_demo_command_prints_the_three_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["demo", "--store", store, "--public-url", "http://example.test"]) == 0
    out = capsys.readouterr().out
    for role in ("buyer", "seller", "neutral"):
        assert f"  {role:<8} http://example.test/join#" in out
