"""The split chart: per item and in total, both own nets, the created value and the transfer."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.conftest import JoinRoom
from e2e.room import RoomPage, create_room, move_to_phase

pytestmark = pytest.mark.browser

CHART = """() => {
  const chart = Chart.getChart(document.querySelector('[data-testid="split-chart"]'));
  if (!chart) return null;
  return {
    type: chart.config.type,
    axis: chart.options.indexAxis,
    labels: chart.data.labels,
    series: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })),
    drawn: chart.getDatasetMeta(2).data.map((bar) => [bar.base, bar.x]),
  };
}"""


def chart(person: RoomPage) -> dict[str, Any]:
    found: dict[str, Any] | None = person.page.evaluate(CHART)
    assert found is not None
    return found


def test_chart_shows_own_nets_created_value_and_transfer_and_handles_losses(
    server: str, join: JoinRoom
) -> None:
    room = create_room(server, title="Weekend deliveries")
    buyer = join(room["links"]["buyer"], "Anna", locale="nl-NL")
    seller = join(room["links"]["seller"], "Sem")
    weekend = buyer.add_item("Weekendleveringen", kind="measure")
    seller.expect_agenda([weekend])
    move_to_phase("dividing", buyer, seller)
    expect(buyer.page.get_by_test_id("split-chart")).to_be_hidden()
    buyer.register_figures(weekend, "1000", "0")
    seller.register_figures(weekend, "0", "3000")
    for person in (buyer, seller):
        person.item(weekend).get_by_test_id("consent").check()
    expect(seller.page.get_by_test_id("split-total-net")).to_have_text("-€2,000.00")
    expect(buyer.page.get_by_test_id("split-chart")).to_be_visible()

    drawn = chart(seller)
    assert drawn["type"] == "bar"
    assert drawn["axis"] == "y"
    assert drawn["labels"] == ["Weekendleveringen", "Total"]
    assert drawn["series"] == [
        {"label": "Buyer's own net", "data": [100_000, 100_000]},
        {"label": "Seller's own net", "data": [-300_000, -300_000]},
        {"label": "Created value", "data": [-200_000, -200_000]},
        {"label": "Transfer to the seller (negative: to the buyer)", "data": [200_000, 200_000]},
    ]
    # A loss is drawn as a bar left of zero, not as an empty ring.
    for base, end in drawn["drawn"]:
        assert end < base - 5

    # Dutch page, Dutch series names; the accessible name states the totals.
    dutch = chart(buyer)
    assert [s["label"] for s in dutch["series"]] == [
        "Eigen saldo inkoper",
        "Eigen saldo leverancier",
        "Gecreëerde waarde",
        "Verrekening naar de leverancier (negatief: naar de inkoper)",
    ]
    assert dutch["labels"][-1] == "Totaal"
    label = (buyer.page.get_by_test_id("split-chart").get_attribute("aria-label") or "").replace(
        "\xa0", " "
    )
    assert "gecreëerde waarde € -2.000,00" in label
    assert "Inkoper betaalt leverancier € 2.000,00" in label
