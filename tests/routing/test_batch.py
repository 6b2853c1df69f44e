"""Batch planning under departure capacity, against hand-computed optima and the greedy plan."""

from __future__ import annotations

import time

import pytest

from optimizer.routing.batch import PlanningCancelled, optimise, plan_batch
from optimizer.routing.context import prepare_planning
from optimizer.routing.generator import generate_network, generate_shipments
from optimizer.routing.greedy import greedy_from_context
from optimizer.routing.itinerary import ItineraryStatus, Reason
from optimizer.routing.search import find_itinerary
from optimizer.status import SolveStatus
from optimizer.timeutil import format_instant
from tests.routing.conftest import assert_feasible, parcel, tiny_network


def competing_shipments():
    """Three standard parcels ready first (due Thu 27: FAST Mon or Tue both on time) and three
    express parcels ready later (due Wed 26: only Monday's FAST). FAST takes 3 parcels."""
    standard = [
        parcel(f"S{i}", ready="2025-03-24T06:00Z", due="2025-03-27T00:00Z") for i in range(3)
    ]
    express = [
        parcel(f"E{i}", ready="2025-03-24T07:30Z", due="2025-03-26T00:00Z", service="express")
        for i in range(3)
    ]
    return standard + express


def test_optimiser_finds_the_hand_computed_optimum_and_greedy_does_not():
    """With the road lane closed (no parcel capacity) only FAST remains. Optimum: express on
    Monday's flight, standard on Tuesday's: 6 x 15.85 = 95.10, none late. Greedy first-come
    puts standard on Monday; express fly Tuesday, a day late: 95.10 + 3 x 10.00 = 125.10."""
    network = tiny_network(SLOW={"capacity_parcels": 0})
    shipments = competing_shipments()
    context = prepare_planning(network, shipments)
    plan = optimise(context, time_limit=5, seed=1)
    greedy = greedy_from_context(context)
    assert plan.status == SolveStatus.OPTIMAL
    assert plan.objective == 9510
    assert plan.kpis.on_time == 6
    assert greedy.objective == 12510
    assert greedy.kpis.late == 3
    express_departures = {
        format_instant(it.legs[1].departure) for it in plan.itineraries if it.shipment[0] == "E"
    }
    assert express_departures == {"2025-03-24T17:00Z"}
    for result in (plan, greedy):
        assert_feasible(network, shipments, result.itineraries)


def test_overflow_keeps_the_plan_feasible_and_names_the_unserved():
    """With no parcel capacity on either line-haul lane nobody can be served: every shipment
    is reported unserved for lack of capacity, and the plan is still a valid answer."""
    network = tiny_network(FAST={"capacity_parcels": 0}, SLOW={"capacity_parcels": 0})
    shipments = competing_shipments()
    plan = plan_batch(network, shipments, time_limit=5)
    assert plan.kpis.unserved == 6
    assert {it.reason for it in plan.itineraries} == {Reason.NO_CAPACITY}
    assert plan.objective == 6 * 100_000
    assert_feasible(network, shipments, plan.itineraries)


def test_unroutable_shipments_are_reported_in_a_batch():
    """Food and an unconnected zone come back unroutable with their reasons, others planned."""
    network = tiny_network()
    shipments = [parcel("OK"), parcel("FOOD", category="food"), parcel("FAR", destination="FAR")]
    plan = plan_batch(network, shipments, time_limit=5)
    by_id = {it.shipment: it for it in plan.itineraries}
    assert by_id["OK"].status == ItineraryStatus.ON_TIME
    assert by_id["FOOD"].reason == Reason.NO_LANE_FOR_CATEGORY
    assert by_id["FAR"].reason == Reason.UNREACHABLE
    assert plan.kpis.unroutable == 2
    assert_feasible(network, shipments, plan.itineraries)


def test_progress_is_reported_and_cancel_stops_the_planner():
    """progress(fraction, message) rises to 1.0; should_stop() -> True raises PlanningCancelled."""
    network = tiny_network()
    seen: list[float] = []
    plan_batch(network, competing_shipments(), time_limit=5, progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 4
    with pytest.raises(PlanningCancelled):
        plan_batch(network, competing_shipments(), time_limit=5, should_stop=lambda: True)
    calls = []

    def stop_during_solve() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(PlanningCancelled):
        plan_batch(network, competing_shipments(), time_limit=5, should_stop=stop_during_solve)


@pytest.fixture(scope="module")
def generated():
    """A small generated network with tight line-haul capacity and 1500 shipments."""
    network = generate_network(6, seed=7, expected_shipments=1500, tightness=1.5)
    shipments = generate_shipments(network, 1500, seed=7)
    context = prepare_planning(network, shipments)
    return network, shipments, context


def test_optimised_plan_beats_greedy_on_a_generated_network(generated):
    """Same candidates, same input: the optimised objective is lower, and both plans pass the
    independent checker (connections, schedules, cut-offs, tariffs, capacities). Lateness
    is priced, not forbidden, so the optimum may leave a parcel or two more late than greedy
    where the penalty is below the freight saved; it may not give up service wholesale."""
    network, shipments, context = generated
    plan = optimise(context, time_limit=10, seed=3)
    greedy = greedy_from_context(context)
    assert plan.objective < greedy.objective
    assert plan.kpis.cost < greedy.kpis.cost
    assert plan.kpis.on_time_rate >= greedy.kpis.on_time_rate - 0.005
    assert plan.bound is not None and plan.bound <= plan.stats["model_objective"] + 1e-6
    assert 0 <= plan.gap < 0.05
    assert_feasible(network, shipments, plan.itineraries)
    assert_feasible(network, shipments, greedy.itineraries)


def test_candidates_contain_the_single_shipment_optimum(generated):
    """For every shipment the single-shipment search (cheapest on time, else least late)
    is never better than the best candidate of its flow, although flows share one timing
    (members of a flow make the same departures at their origin)."""
    _, shipments, context = generated
    candidates = context.candidates
    for index in range(len(shipments)):
        shipment = shipments[index]
        best = find_itinerary(context.timetable, shipment)
        flow = int(context.flow_of[index])
        slot = int(context.slot[index])
        options = candidates.flow_candidates[flow]
        if not best.legs:
            assert not options
            continue
        cheapest = min(
            int(candidates.member_cost[c][slot]) + int(candidates.member_penalty[c][slot])
            for c in options
        )
        assert cheapest <= best.total_cost


def test_a_cheap_late_route_can_beat_paying_for_air():
    """With the road open, standard parcels go by SLOW, 3 started days late (7.05 + 3 x 2.00 =
    13.05 < 15.85 by air), express take Monday's flight: 3 x 13.05 + 3 x 15.85 = 86.70; the
    late ones say an on-time option had room but cost more."""
    network = tiny_network()
    shipments = competing_shipments()
    plan = plan_batch(network, shipments, time_limit=5)
    assert plan.objective == 8670
    standard = [it for it in plan.itineraries if it.shipment[0] == "S"]
    assert {it.reason for it in standard} == {Reason.LATE_CHEAPER}
    assert {it.late_penalty for it in standard} == {600}
    # The detail names the window it misses and when the parcel arrives instead.
    assert {it.detail for it in standard} == {
        "delivered 2025-03-29T17:00Z, after deliver_by 2025-03-27T00:00Z"
    }
    assert_feasible(network, shipments, plan.itineraries)


def test_cancel_interrupts_a_long_solve(generated):
    """With a 60 s limit, a stop request 50 ms in ends planning with PlanningCancelled long
    before the limit (the solver is interrupted, not waited for)."""
    _, _, context = generated
    started = time.perf_counter()
    with pytest.raises(PlanningCancelled):
        optimise(
            context,
            time_limit=60,
            should_stop=lambda: time.perf_counter() - started > 0.05,
        )
    assert time.perf_counter() - started < 30
