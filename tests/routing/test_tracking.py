"""Tracking: planned positions and ETAs recomputed from carrier events."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.routing.context import build_timetable
from optimizer.routing.search import find_itinerary
from optimizer.routing.tracking import EventKind, TrackingEvent, position_at, update_eta
from optimizer.timeutil import format_instant
from tests.routing.conftest import at, parcel, tiny_network


@pytest.fixture
def flown():
    """The parcel of the hand-computed air itinerary (FAST Mon, delivered Tue 17:00Z)."""
    network = tiny_network()
    shipment = parcel(due="2025-03-26T00:00Z")
    timetable = build_timetable(network, [shipment])
    return timetable, shipment, find_itinerary(timetable, shipment)


def test_position_along_the_plan(flown):
    """Before departure it is at the warehouse; mid-flight it is riding leg 1 to GW."""
    _, shipment, itinerary = flown
    assert position_at(shipment, itinerary, at("2025-03-24T08:00Z")).node == "WH"
    in_air = position_at(shipment, itinerary, at("2025-03-24T18:00Z"))
    assert (in_air.node, in_air.next_leg, in_air.in_transit) == ("GW", 2, True)


def test_small_departure_delay_keeps_the_eta(flown):
    """The flight leaves 2 h late: ready at GW 01:00Z Tue, Tuesday's last mile still made."""
    timetable, shipment, itinerary = flown
    event = TrackingEvent(shipment.id, EventKind.DEPARTED, at("2025-03-24T19:00Z"), lane="FAST")
    updated = update_eta(timetable, shipment, itinerary, event)
    assert format_instant(updated.legs[1].ready_at) == "2025-03-25T01:00Z"
    assert updated.delivered_at == itinerary.delivered_at


def test_late_arrival_pushes_the_eta_a_day(flown):
    """Arrival at GW reported Tue 10:00Z: cleared 14:00Z, misses 09:00Z: ETA Wed 17:00Z, late."""
    timetable, shipment, itinerary = flown
    event = TrackingEvent(shipment.id, EventKind.ARRIVED, at("2025-03-25T10:00Z"), node="GW")
    updated = update_eta(timetable, shipment, itinerary, event)
    assert format_instant(updated.delivered_at) == "2025-03-26T17:00Z"
    assert updated.late_minutes == 17 * 60


def test_events_that_do_not_fit_the_itinerary_are_input_errors(flown):
    """A lane or node that is not on the itinerary is named in the error."""
    timetable, shipment, itinerary = flown
    with pytest.raises(InputError) as info:
        update_eta(timetable, shipment, itinerary,
                   TrackingEvent(shipment.id, EventKind.DEPARTED, 0, lane="SLOW"))  # fmt: skip
    assert info.value.field == "lane"
