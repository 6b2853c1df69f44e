"""Re-planning after disruptions: affected parcels move from where they are, the rest stay."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.routing.batch import plan_batch
from optimizer.routing.check import check_plan
from optimizer.routing.context import build_timetable
from optimizer.routing.itinerary import ItineraryStatus, Reason
from optimizer.routing.replan import (
    CustomsHold,
    DepartureCancelled,
    DepartureDelayed,
    ParcelLost,
    replan,
)
from optimizer.routing.search import find_itinerary
from optimizer.timeutil import format_instant
from tests.routing.conftest import assert_feasible, at, parcel, tiny_network, weekly

MONDAY_FLIGHT = at("2025-03-24T17:00Z")


@pytest.fixture
def planned():
    """A (standard, due 31st) goes by road; B and C (express, due Wed 26) take Monday's flight."""
    network = tiny_network()
    shipments = [
        parcel("A", due="2025-03-31T00:00Z"),
        parcel("B", due="2025-03-26T00:00Z", service="express"),
        parcel("C", due="2025-03-26T00:00Z", service="express"),
    ]
    plan = plan_batch(network, shipments, time_limit=5)
    timetable = build_timetable(network, shipments)
    by_id = {it.shipment: it for it in plan.itineraries}
    assert [leg.lane for leg in by_id["A"].legs] == ["L1", "SLOW", "LM"]
    assert by_id["B"].legs[1].departure == MONDAY_FLIGHT
    return network, shipments, plan.itineraries, timetable


def test_cancelled_flight_moves_only_its_parcels(planned):
    """Monday's flight is cancelled at 12:30Z: B and C leave the hub on Tuesday's flight
    (delivered Wed 17:00Z, 17 h late); A's itinerary is the very same object as before."""
    network, shipments, itineraries, timetable = planned
    result = replan(
        timetable, shipments, itineraries, [DepartureCancelled("FAST", MONDAY_FLIGHT)],
        now=at("2025-03-24T12:30Z"),
    )  # fmt: skip
    before = {it.shipment: it for it in itineraries}
    after = {it.shipment: it for it in result.itineraries}
    assert set(result.changed) == {"B", "C"}
    assert after["A"] is before["A"]
    for ship_id in ("B", "C"):
        new = after[ship_id]
        assert new.legs[0] == before[ship_id].legs[0]  # the feeder leg already ran
        assert format_instant(new.legs[1].departure) == "2025-03-25T17:00Z"
        assert format_instant(new.delivered_at) == "2025-03-26T17:00Z"
        assert new.status == ItineraryStatus.LATE
        assert result.starts[ship_id] == ("HUB", at("2025-03-24T12:30Z"), 1)
    assert_feasible(
        network, shipments, result.itineraries, starts=result.starts,
        cancelled={("FAST", MONDAY_FLIGHT)},
    )  # fmt: skip


def test_short_delay_keeps_the_onward_legs(planned):
    """A 1 h delay: ready at the gateway 00:00Z Tue, still before Tuesday's 09:00Z last mile:
    same onward legs, same delivery time; only the flight's arrival moves."""
    network, shipments, itineraries, timetable = planned
    result = replan(
        timetable, shipments, itineraries, [DepartureDelayed("FAST", MONDAY_FLIGHT, 60)],
        now=at("2025-03-24T18:00Z"),
    )  # fmt: skip
    after = {it.shipment: it for it in result.itineraries}
    before = {it.shipment: it for it in itineraries}
    assert format_instant(after["B"].legs[1].arrival) == "2025-03-24T20:00Z"
    assert after["B"].legs[2] == before["B"].legs[2]
    assert after["B"].delivered_at == before["B"].delivered_at
    assert after["A"] is before["A"]
    assert_feasible(network, shipments, result.itineraries, starts=result.starts)


def test_long_delay_replans_the_rest(planned):
    """A 12 h delay: cleared 11:00Z Tue, Tuesday's last mile (09:00Z) is gone: Wednesday's."""
    network, shipments, itineraries, timetable = planned
    result = replan(
        timetable, shipments, itineraries, [DepartureDelayed("FAST", MONDAY_FLIGHT, 12 * 60)],
        now=at("2025-03-24T18:00Z"),
    )  # fmt: skip
    after = {it.shipment: it for it in result.itineraries}
    assert format_instant(after["B"].legs[1].ready_at) == "2025-03-25T11:00Z"
    assert format_instant(after["B"].legs[2].departure) == "2025-03-26T09:00Z"
    assert format_instant(after["B"].delivered_at) == "2025-03-26T17:00Z"
    assert_feasible(network, shipments, result.itineraries, starts=result.starts)


def test_customs_hold_replans_from_the_gateway(planned):
    """C is held at the gateway until Wed 12:00Z: it leaves on Thursday's last mile."""
    network, shipments, itineraries, timetable = planned
    result = replan(
        timetable, shipments, itineraries, [CustomsHold("C", "GW", at("2025-03-26T12:00Z"))],
        now=at("2025-03-25T08:00Z"),
    )  # fmt: skip
    assert result.changed == ("C",)
    after = {it.shipment: it for it in result.itineraries}
    assert format_instant(after["C"].legs[-1].departure) == "2025-03-27T09:00Z"
    assert_feasible(network, shipments, result.itineraries, starts=result.starts)


def test_lost_parcel_is_reshipped_from_its_origin(planned):
    """B is lost on Tuesday: a replacement leaves the warehouse on Wednesday's feeder and its
    old bookings are released (it may take Wednesday's flight)."""
    network, shipments, itineraries, timetable = planned
    result = replan(
        timetable, shipments, itineraries, [ParcelLost("B", at("2025-03-25T10:00Z"))],
        now=at("2025-03-25T10:00Z"),
    )  # fmt: skip
    after = {it.shipment: it for it in result.itineraries}
    assert format_instant(after["B"].legs[0].departure) == "2025-03-26T09:00Z"
    assert result.starts["B"] == ("WH", at("2025-03-25T10:00Z"), 0)
    assert_feasible(network, shipments, result.itineraries, starts=result.starts)


def test_replanning_respects_capacity_left_by_the_others():
    """Three express parcels fill Monday's flight. A fourth parcel's Sunday flight is cancelled:
    Monday's would be on time but is full, so it takes Tuesday's and is late for capacity."""
    network = tiny_network(SLOW={"capacity_parcels": 0})
    shipments = [parcel(f"E{i}", due="2025-03-26T00:00Z", service="express") for i in range(3)]
    shipments.append(parcel("S", ready="2025-03-23T06:00Z", due="2025-03-26T00:00Z"))
    plan = plan_batch(network, shipments, time_limit=5)
    timetable = build_timetable(network, shipments)
    by_id = {it.shipment: it for it in plan.itineraries}
    sunday = by_id["S"].legs[1].departure
    assert format_instant(sunday) == "2025-03-23T17:00Z"
    result = replan(
        timetable, shipments, plan.itineraries, [DepartureCancelled("FAST", sunday)],
        now=at("2025-03-23T13:00Z"),
    )  # fmt: skip
    moved = {it.shipment: it for it in result.itineraries}["S"]
    assert format_instant(moved.legs[1].departure) == "2025-03-25T17:00Z"  # Monday's is full
    assert moved.reason == Reason.NO_CAPACITY
    assert_feasible(
        network, shipments, result.itineraries, starts=result.starts, cancelled={("FAST", sunday)}
    )


def test_unknown_references_in_disruptions_are_input_errors(planned):
    """A disruption naming an unknown lane or shipment is refused with its field path."""
    _, shipments, itineraries, timetable = planned
    with pytest.raises(InputError) as info:
        replan(
            timetable, shipments, itineraries,
            [DepartureCancelled("NOPE", MONDAY_FLIGHT), ParcelLost("ZZ", MONDAY_FLIGHT)], now=0,
        )  # fmt: skip
    assert {p.field for p in info.value.problems} == {
        "disruptions[0].lane",
        "disruptions[1].shipment",
    }


def test_lost_parcel_without_any_route_left_says_lost(planned):
    """Lost after the last departure of the horizon: no replacement route, reason `lost`."""
    network, shipments, itineraries, timetable = planned
    too_late = timetable.horizon.end + 60
    result = replan(timetable, shipments, itineraries, [ParcelLost("A", too_late)], now=too_late)
    lost = {it.shipment: it for it in result.itineraries}["A"]
    assert lost.status == ItineraryStatus.UNROUTABLE
    assert lost.reason == Reason.LOST
    assert_feasible(network, shipments, result.itineraries, starts=result.starts)


def test_customs_hold_cannot_release_a_parcel_before_it_arrives():
    """A hold at GW announced early, lifted at 20:00Z Mon, before B's flight has even cleared
    there (23:00Z): B cannot take Monday's 21:00Z last mile; it leaves on Tuesday's, and
    the checker, told where B resumes, finds nothing wrong."""
    network = tiny_network(LM={"departures": weekly(range(7), 21 * 60)})
    shipments = [parcel("B", due="2025-03-28T00:00Z", service="express")]
    timetable = build_timetable(network, shipments)
    planned = find_itinerary(timetable, shipments[0])
    assert [leg.lane for leg in planned.legs] == ["L1", "FAST", "LM"]
    assert format_instant(planned.legs[1].ready_at) == "2025-03-24T23:00Z"
    result = replan(
        timetable, shipments, [planned], [CustomsHold("B", "GW", at("2025-03-24T20:00Z"))],
        now=at("2025-03-24T12:00Z"),
    )  # fmt: skip
    held = result.itineraries[0]
    assert format_instant(held.legs[-1].departure) == "2025-03-25T21:00Z"
    assert result.starts["B"] == ("GW", at("2025-03-24T23:00Z"), 2)
    assert_feasible(network, shipments, result.itineraries, starts=result.starts)


def test_checker_refuses_a_resume_point_before_the_parcel_gets_there(planned):
    """A re-planned itinerary that claims the parcel is ready at GW before its flight has
    cleared there is flagged, even when the legs after it are consistent with that claim."""
    network, shipments, itineraries, _ = planned
    b = next(it for it in itineraries if it.shipment == "B")
    early = b.legs[1].ready_at - 60
    violations = check_plan(network, shipments, itineraries, starts={"B": ("GW", early, 2)})
    assert [v.code for v in violations] == ["resume"]
    wrong_node = check_plan(
        network, shipments, itineraries, starts={"B": ("HUB", b.legs[1].ready_at, 2)}
    )
    assert "resume" in [v.code for v in wrong_node]


def test_rerouted_parcels_do_not_board_a_delayed_departure_at_its_old_times():
    """Sunday's flight is cancelled and Monday's is 12 h late. S, moved off Sunday's, must not
    be booked on Monday's flight with its scheduled arrival (it lands 12 h later): it takes
    Tuesday's. E, already on Monday's flight, keeps it with the delayed arrival."""
    network = tiny_network(SLOW={"capacity_parcels": 0})
    shipments = [
        parcel("E", due="2025-03-26T00:00Z", service="express"),
        parcel("S", ready="2025-03-23T06:00Z", due="2025-03-27T00:00Z", service="express"),
    ]
    plan = plan_batch(network, shipments, time_limit=5)
    timetable = build_timetable(network, shipments)
    by_id = {it.shipment: it for it in plan.itineraries}
    sunday = by_id["S"].legs[1].departure
    assert by_id["E"].legs[1].departure == MONDAY_FLIGHT
    disruptions = [
        DepartureCancelled("FAST", sunday),
        DepartureDelayed("FAST", MONDAY_FLIGHT, 12 * 60),
    ]
    result = replan(
        timetable, shipments, plan.itineraries, disruptions, now=at("2025-03-23T13:00Z")
    )
    after = {it.shipment: it for it in result.itineraries}
    assert format_instant(after["S"].legs[1].departure) == "2025-03-25T17:00Z"
    assert format_instant(after["E"].legs[1].arrival) == "2025-03-25T07:00Z"
    assert_feasible(
        network, shipments, result.itineraries, starts=result.starts,
        cancelled={("FAST", sunday), ("FAST", MONDAY_FLIGHT)},
    )  # fmt: skip
