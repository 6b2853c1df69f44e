"""What-if scenarios: validation that names the culprit, each change, and the comparison."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.routing.scenarios import apply_scenario, compare_scenario, scenario_from_dict
from tests.routing.conftest import assert_feasible, parcel, tiny_network


def scenario(*changes):
    return scenario_from_dict({"name": "test", "changes": list(changes)}, tiny_network())


def test_unknown_type_lane_and_field_are_named():
    """Each bad change is reported with its index and field."""
    with pytest.raises(InputError) as info:
        scenario(
            {"type": "teleport"},
            {"type": "close_lane", "lane": "NOPE"},
            {"type": "add_delay", "lane": "FAST"},
            {"type": "scale_volume", "factor": 1.2, "lane": "FAST"},
            {"type": "change_tariff", "lane": "FAST", "min_charge": "-3"},
        )
    messages = {p.field: p.message for p in info.value.problems}
    assert "teleport" in messages["changes[0].type"]
    assert "NOPE" in messages["changes[1].lane"]
    assert "changes[2].hours" in messages
    assert "changes[3].lane" in messages
    assert "changes[4].min_charge" in messages


def test_each_change_type_applies():
    """close_lane removes the lane; scale_capacity halves capacities (all lanes without a lane
    field); add_delay adds hours to transit; scale_volume repeats shipments; change_tariff
    gives only that lane a new tariff."""
    network = tiny_network()
    shipments = [parcel(f"P{i}") for i in range(10)]
    changed, more = apply_scenario(
        network,
        shipments,
        scenario(
            {"type": "close_lane", "lane": "SLOW"},
            {"type": "scale_capacity", "factor": 0.5},
            {"type": "add_delay", "lane": "LM", "hours": 24},
            {"type": "scale_volume", "factor": 2},
            {"type": "change_tariff", "lane": "FAST", "price_factor": 1.5, "min_charge": "12.00"},
        ),
    )
    lanes = changed.lane_by_id
    assert "SLOW" not in lanes
    assert (lanes["FAST"].capacity_g, lanes["FAST"].capacity_parcels) == (5000, 2)  # 1.5 -> 2
    assert lanes["LM"].transit_minutes == 8 * 60 + 24 * 60
    assert len(more) == 20 and more[1].id == "P0~2"
    fast = changed.tariffs[lanes["FAST"].tariff]
    assert fast.zones["*"].first_price == 1200 and fast.min_charge == 1800
    assert changed.tariffs["T_AIR"] == network.tariffs["T_AIR"]


def test_volume_below_one_keeps_a_seeded_sample():
    """factor 0.5 keeps about half, the same half for the same seed."""
    shipments = [parcel(f"P{i}") for i in range(200)]
    plan = scenario({"type": "scale_volume", "factor": 0.5})
    first = apply_scenario(tiny_network(), shipments, plan, seed=4)[1]
    again = apply_scenario(tiny_network(), shipments, plan, seed=4)[1]
    assert first == again and 70 < len(first) < 130


def test_closing_the_road_shows_up_in_the_comparison():
    """Closing SLOW sends the loose-window parcels by air: cost rises by (15.85 - 7.05) each,
    utilisation moves from SLOW to FAST, and both plans pass the checker."""
    network = tiny_network()
    shipments = [parcel("A", due="2025-03-31T00:00Z"), parcel("B", due="2025-03-31T00:00Z")]
    closed = scenario({"type": "close_lane", "lane": "SLOW"})
    comparison = compare_scenario(network, shipments, closed, time_limit=5)
    rows = {row.name: row for row in comparison.rows}
    assert rows["freight cost"].delta == pytest.approx(2 * (15.85 - 7.05))
    assert rows["on-time rate"].baseline == rows["on-time rate"].scenario == 1.0
    assert rows["mean transit days"].delta < 0
    utilisation = {lane: (a, b) for lane, a, b in comparison.lane_utilisation}
    assert utilisation["SLOW"][1] is None and utilisation["FAST"][0] is None
    assert_feasible(network, shipments, comparison.baseline.itineraries)
    changed, _ = apply_scenario(network, shipments, closed)
    assert_feasible(changed, shipments, comparison.scenario.itineraries)
