"""The independent checker catches each kind of broken itinerary."""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimizer.routing.check import check_itinerary, check_plan, expected_leg_cost
from optimizer.routing.context import build_timetable
from optimizer.routing.itinerary import ItineraryStatus
from optimizer.routing.search import find_itinerary
from tests.routing.conftest import parcel, tiny_network


@pytest.fixture
def planned():
    network = tiny_network()
    shipment = parcel(due="2025-03-26T00:00Z")
    itinerary = find_itinerary(build_timetable(network, [shipment]), shipment)
    assert check_itinerary(network, shipment, itinerary) == []
    return network, shipment, itinerary


def codes(violations) -> set[str]:
    return {v.code for v in violations}


def broken_leg(itinerary, index, **changes):
    legs = list(itinerary.legs)
    legs[index] = replace(legs[index], **changes)
    return replace(itinerary, legs=tuple(legs))


def test_departure_not_in_the_schedule(planned):
    """Shifting the flight by an hour makes it an unscheduled departure."""
    network, shipment, itinerary = planned
    leg = itinerary.legs[1]
    bad = broken_leg(itinerary, 1, departure=leg.departure + 60, arrival=leg.arrival + 60)
    assert "schedule" in codes(check_itinerary(network, shipment, bad))


def test_missed_cutoff(planned):
    """A parcel ready after the feeder cut-off cannot be on that departure."""
    network, shipment, itinerary = planned
    late_ready = replace(shipment, ready_at=itinerary.legs[0].departure - 30)
    assert "cutoff" in codes(check_itinerary(network, late_ready, itinerary))


def test_wrong_handling_or_clearance_time(planned):
    """Claiming the parcel is ready at the gateway before customs clearance is flagged."""
    network, shipment, itinerary = planned
    bad = broken_leg(itinerary, 1, ready_at=itinerary.legs[1].arrival)
    assert "handling" in codes(check_itinerary(network, shipment, bad))


def test_disconnected_legs(planned):
    """Dropping the flight leaves a gap between the hub and the gateway."""
    network, shipment, itinerary = planned
    bad = replace(itinerary, legs=(itinerary.legs[0], itinerary.legs[2]))
    assert "connection" in codes(check_itinerary(network, shipment, bad))


def test_category_and_weight(planned):
    """Batteries on FAST and a 25 kg parcel on FAST are both caught."""
    network, shipment, itinerary = planned
    found = codes(check_itinerary(network, replace(shipment, category="batteries"), itinerary))
    assert "category" in found
    found = codes(check_itinerary(network, replace(shipment, weight_g=25_000), itinerary))
    assert "weight" in found


def test_tariff_arithmetic_is_recomputed(planned):
    """A leg cost one cent off is caught; the Decimal recomputation matches the hand value."""
    network, shipment, itinerary = planned
    assert expected_leg_cost(network, network.lane_by_id["FAST"], shipment) == 1100
    bad = broken_leg(itinerary, 1, cost=1101)
    assert "tariff" in codes(check_itinerary(network, shipment, bad))


def test_status_and_lateness_must_match_the_legs(planned):
    """Calling an itinerary late when it is on time is caught."""
    network, shipment, itinerary = planned
    bad = replace(itinerary, status=ItineraryStatus.LATE, late_minutes=60, late_penalty=200)
    assert {"lateness", "status", "penalty"} <= codes(check_itinerary(network, shipment, bad))


def test_capacity_over_the_whole_plan():
    """Four parcels on the three-parcel flight break its capacity, though each is fine alone."""
    network = tiny_network()
    shipments = [parcel(f"P{i}", due="2025-03-26T00:00Z") for i in range(4)]
    timetable = build_timetable(network, shipments)
    itineraries = [find_itinerary(timetable, s) for s in shipments]
    violations = check_plan(network, shipments, itineraries)
    assert codes(violations) == {"capacity_parcels"}
