"""Single-shipment itineraries on the hand-made network (see conftest for the arithmetic)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from optimizer.routing.context import build_timetable
from optimizer.routing.itinerary import ItineraryStatus, Reason
from optimizer.routing.network import WeeklyDeparture
from optimizer.routing.schedule import Horizon
from optimizer.routing.scores import LaneScore
from optimizer.routing.search import find_itinerary
from optimizer.routing.timetable import Timetable
from optimizer.timeutil import format_instant
from tests.routing.conftest import assert_feasible, at, parcel, tiny_network


def plan_one(network, shipment, scores=None):
    itinerary = find_itinerary(build_timetable(network, [shipment], scores), shipment)
    return itinerary


def no_record(lane: str, risk: int = 0, excluded: bool = False) -> LaneScore:
    """A score stub with a chosen risk cost and exclusion."""
    zero = Fraction(0)
    return LaneScore(lane, "c", 0, zero, zero, zero, Fraction(1), risk, excluded)


def lanes_of(itinerary):
    return [leg.lane for leg in itinerary.legs]


def test_loose_window_takes_the_cheap_slow_lane(network):
    """Due Mon 31 March: SLOW (Thu departure) is on time and costs 705 against 1585."""
    shipment = parcel(due="2025-03-31T00:00Z")
    itinerary = plan_one(network, shipment)
    assert lanes_of(itinerary) == ["L1", "SLOW", "LM"]
    assert [leg.cost for leg in itinerary.legs] == [110, 220, 375]
    assert itinerary.freight_cost == 705
    assert format_instant(itinerary.legs[1].departure) == "2025-03-27T07:00Z"
    assert format_instant(itinerary.delivered_at) == "2025-03-29T17:00Z"
    assert itinerary.status == ItineraryStatus.ON_TIME
    assert_feasible(network, [shipment], [itinerary])


def test_tight_window_pays_for_air(network):
    """Due Wed 26 March 00:00Z: only FAST arrives in time; milestones as computed by hand."""
    shipment = parcel(due="2025-03-26T00:00Z")
    itinerary = plan_one(network, shipment)
    assert lanes_of(itinerary) == ["L1", "FAST", "LM"]
    assert itinerary.freight_cost == 1585
    milestones = [
        (format_instant(leg.departure), format_instant(leg.arrival), format_instant(leg.ready_at))
        for leg in itinerary.legs
    ]
    assert milestones == [
        ("2025-03-24T09:00Z", "2025-03-24T11:00Z", "2025-03-24T12:00Z"),  # + 1 h handling
        ("2025-03-24T17:00Z", "2025-03-24T19:00Z", "2025-03-24T23:00Z"),  # + 4 h customs
        ("2025-03-25T09:00Z", "2025-03-25T17:00Z", "2025-03-25T17:00Z"),
    ]
    assert_feasible(network, [shipment], [itinerary])


def test_impossible_window_gives_the_least_late_itinerary(network):
    """Due Tue 25 12:00Z: nothing is on time; FAST arrives 5 h late (one started day: 2.00)."""
    shipment = parcel(due="2025-03-25T12:00Z")
    itinerary = plan_one(network, shipment)
    assert lanes_of(itinerary) == ["L1", "FAST", "LM"]
    assert itinerary.status == ItineraryStatus.LATE
    assert itinerary.late_minutes == 5 * 60
    assert itinerary.late_penalty == 200
    assert itinerary.reason == Reason.WINDOW_TOO_EARLY
    assert "2025-03-25T17:00Z" in itinerary.detail  # the earliest delivery
    assert "2025-03-25T12:00Z" in itinerary.detail  # the window's end
    assert_feasible(network, [shipment], [itinerary])


def test_missing_the_feeder_cutoff_costs_a_day(network):
    """Ready 08:01Z misses L1's 09:00Z departure (1 h cut-off): it leaves Tue 09:00Z."""
    shipment = parcel(ready="2025-03-24T08:01Z", due="2025-04-10T00:00Z")
    itinerary = plan_one(network, shipment)
    assert format_instant(itinerary.legs[0].departure) == "2025-03-25T09:00Z"
    assert_feasible(network, [shipment], [itinerary])


def test_node_cutoff_defers_handling_to_the_next_local_day():
    """HUB with a 12:30 Berlin cut-off: L1 moved to 11:00 Berlin arrives 12:00Z = 13:00 Berlin,
    after the cut-off, so handling starts at local midnight (23:00Z) and ends 1 h later."""
    network = tiny_network(L1={"departures": (WeeklyDeparture(0, 660),)})
    nodes = tuple(replace(n, cutoff=12 * 60 + 30) if n.id == "HUB" else n for n in network.nodes)
    network = replace(network, nodes=nodes)
    shipment = parcel(due="2025-04-10T00:00Z")
    itinerary = plan_one(network, shipment)
    first = itinerary.legs[0]
    assert format_instant(first.arrival) == "2025-03-24T12:00Z"
    assert format_instant(first.ready_at) == "2025-03-25T00:00Z"
    assert_feasible(network, [shipment], [itinerary])


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"category": "food"}, Reason.NO_LANE_FOR_CATEGORY),
        ({"weight_g": 35_000}, Reason.TOO_HEAVY),
        ({"destination": "FAR"}, Reason.UNREACHABLE),
    ],
    ids=["category", "weight", "unreachable"],
)
def test_unroutable_shipments_say_why(network, changes, reason):
    """No chain of lanes takes food / 35 kg / the unconnected zone: the reason names it."""
    shipment = parcel(**changes)
    itinerary = plan_one(network, shipment)
    assert itinerary.status == ItineraryStatus.UNROUTABLE
    assert itinerary.reason == reason
    assert itinerary.legs == ()
    assert_feasible(network, [shipment], [itinerary])


def test_category_and_weight_limits_steer_the_route(network):
    """Batteries cannot fly (FAST takes general only) and 25 kg is over FAST's 20 kg limit:
    both go by SLOW even when that is late."""
    for shipment in (parcel("B", category="batteries", due="2025-03-26T00:00Z"),
                     parcel("H", weight_g=25_000, due="2025-03-26T00:00Z")):  # fmt: skip
        itinerary = plan_one(network, shipment)
        assert lanes_of(itinerary) == ["L1", "SLOW", "LM"]
        assert itinerary.status == ItineraryStatus.LATE
        assert_feasible(network, [shipment], [itinerary])


def test_excluded_lane_is_avoided_and_reported_when_it_is_the_only_way(network):
    """Excluding FAST (low score) forces SLOW; excluding LM leaves no route: low_carrier_score."""
    shipment = parcel(due="2025-03-26T00:00Z")
    scores = {lane.id: no_record(lane.id, excluded=lane.id == "FAST") for lane in network.lanes}
    assert lanes_of(plan_one(network, shipment, scores)) == ["L1", "SLOW", "LM"]
    scores = {lane.id: no_record(lane.id, excluded=lane.id == "LM") for lane in network.lanes}
    assert plan_one(network, shipment, scores).reason == Reason.LOW_CARRIER_SCORE


def test_no_departure_inside_the_horizon(network):
    """A lane that runs but never inside the horizon leaves no itinerary, with that reason."""
    shipment = parcel()
    timetable = Timetable(network, Horizon(at("2025-03-24T00:00Z"), at("2025-03-25T00:00Z")))
    itinerary = find_itinerary(timetable, shipment)
    assert itinerary.reason == Reason.NO_DEPARTURE_IN_HORIZON


def test_risk_cost_can_tip_the_choice(network):
    """With a 9.00 risk cost per parcel on SLOW, FAST (1585) beats SLOW (705 + 900)."""
    scores = {
        lane.id: no_record(lane.id, risk=900 if lane.id == "SLOW" else 0) for lane in network.lanes
    }
    shipment = parcel(due="2025-03-31T00:00Z")
    itinerary = plan_one(network, shipment, scores)
    assert lanes_of(itinerary) == ["L1", "FAST", "LM"]
    assert itinerary.risk_cost == 0
    assert_feasible(network, [shipment], [itinerary], lane_risk={"SLOW": 900})


def test_departure_times_follow_dst_inside_an_itinerary(network):
    """Ready Mon 31 March (summer time): L1 leaves 10:00 Berlin = 08:00Z, FAST 18:00 = 16:00Z."""
    shipment = parcel(ready="2025-03-31T06:00Z", due="2025-04-02T00:00Z")
    itinerary = plan_one(network, shipment)
    assert [format_instant(leg.departure) for leg in itinerary.legs[:2]] == [
        "2025-03-31T08:00Z",
        "2025-03-31T16:00Z",
    ]
    assert format_instant(itinerary.legs[2].departure) == "2025-04-01T08:00Z"  # 09:00 BST
    assert_feasible(network, [shipment], [itinerary])
