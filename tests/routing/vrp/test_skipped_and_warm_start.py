"""Skipped optional stops come back with reasons; a warm start is never beaten by the result."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizer.routing.vrp import (
    Depot,
    Load,
    Plan,
    RoutingProblem,
    SkipReason,
    SolveOptions,
    Stop,
    TimeWindow,
    TravelMatrix,
    Vehicle,
    solve,
)
from optimizer.routing.vrp.check import check_plan, check_result
from tests.routing.vrp.builders import line_problem, load, window


def quick(engine: str = "ortools", iterations: int = 300) -> SolveOptions:
    return SolveOptions(engine=engine, max_iterations=iterations, workers=1)


def test_unreachable_optional_stop_is_skipped_as_unreachable():
    """An optional stop whose window closes before anyone can arrive is skipped, reason given."""
    problem = line_problem(
        [3, 10], stops=[{}, {"windows": window(0, 4), "required": False, "drop_penalty": 99}]
    )
    result = solve(problem, 2.0, options=quick())
    assert check_result(problem, result).feasible
    (skipped,) = result.skipped
    assert (skipped.stop_id, skipped.reason) == ("s2", SkipReason.UNREACHABLE)
    assert "closes at 4" in skipped.message


def test_expensive_optional_stop_is_skipped_as_not_worth_serving():
    """A detour of 20 for a drop penalty of 3 is declined, and the message gives both numbers."""
    problem = line_problem([1, 10], stops=[{}, {"required": False, "drop_penalty": 3}])
    result = solve(problem, 2.0, options=quick())
    (skipped,) = result.skipped
    assert skipped.reason == SkipReason.NOT_WORTH_SERVING
    assert "adds 18.00" in skipped.message and "penalty 3" in skipped.message


def test_optional_stop_without_room_is_skipped_as_no_room():
    """When required stops fill the only vehicle, an optional one has no room."""
    problem = line_problem(
        [1, 2, 3],
        stops=[
            {"demand": load(5)},
            {"demand": load(5)},
            {"demand": load(1), "required": False, "drop_penalty": 1000},
        ],
        vehicles=[{"capacity": Load(10, math.inf)}],
    )
    result = solve(problem, 2.0, options=quick())
    assert check_result(problem, result).feasible
    (skipped,) = result.skipped
    assert skipped.reason == SkipReason.NO_ROOM


def scattered_problem(n: int = 25, seed: int = 7) -> RoutingProblem:
    """Random customers with windows around one depot: enough for search to matter."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 100, size=(n + 1, 2))
    points[0] = (50, 50)
    travel = TravelMatrix.from_coordinates(points)
    stops = []
    for i in range(1, n + 1):
        reach = travel.duration[0, i]
        open_ = float(rng.uniform(0, 200))
        stops.append(
            Stop(
                id=str(i),
                location=i,
                demand=Load(float(rng.integers(1, 10))),
                service_time=5,
                windows=(TimeWindow(max(open_, 0), max(open_, reach) + 60),),
            )
        )
    vehicles = tuple(
        Vehicle(f"v{k}", "depot", capacity=Load(40, math.inf), shift=TimeWindow(0, 600))
        for k in range(8)
    )
    return RoutingProblem(
        depots=(Depot("depot", 0),),
        vehicles=vehicles,
        stops=tuple(stops),
        travel=travel,
        coordinates=points,
    )


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_warm_start_is_never_worse_than_the_previous_plan(engine):
    """Given a good plan and almost no search, each engine returns a plan at least as good."""
    problem = scattered_problem()
    good = solve(problem, 10.0, seed=0, options=quick("auto", 2000))
    assert check_result(problem, good).feasible
    again = solve(problem, 1.0, seed=5, warm_start=good, options=quick(engine, 1))
    assert check_result(problem, again).feasible
    assert again.objective <= good.objective + 1e-9


def test_warm_start_after_a_new_stop_inserts_it():
    """Yesterday's plan plus one new required stop: the stop is served and the old ones stay."""
    base = line_problem([2, 4], vehicles=[{}, {}])
    grown = line_problem([2, 4, 5], vehicles=[{}, {}])
    previous = solve(base, 1.0, options=quick())
    result = solve(grown, 1.0, warm_start=previous.plan(), options=quick("ortools", 1))
    assert check_result(grown, result).feasible
    assert sorted(s for r in result.routes for s in r.stop_ids) == ["s1", "s2", "s3"]


def test_infeasible_warm_start_route_is_dropped_with_a_note():
    """A previous route that breaks today's capacity is dropped (noted) and re-planned."""
    problem = line_problem(
        [2, 4],
        stops=[{"demand": load(6)}, {"demand": load(6)}],
        vehicles=[{"capacity": Load(10, math.inf)}] * 2,
    )
    stale = Plan.from_mapping({"v1": ["s1", "s2"], "ghost": ["s9"]})
    result = solve(problem, 1.0, warm_start=stale, options=quick())
    assert check_result(problem, result).feasible
    assert any("unknown vehicle 'ghost'" in n for n in result.notes)
    assert any("dropped" in n for n in result.notes)


def test_warm_start_equal_cost_keeps_the_previous_plan():
    """When nothing better exists, the previous (optimal) plan comes back unchanged."""
    problem = line_problem([2, 4, 6])
    optimal = Plan.from_mapping({"v1": ["s1", "s2", "s3"]})
    assert check_plan(problem, optimal.as_dict()).cost == pytest.approx(12)
    result = solve(problem, 1.0, warm_start=optimal, options=quick())
    assert result.plan() == optimal


def test_a_failing_engine_leaves_the_other_plans(monkeypatch):
    """If PyVRP crashes (in this process and in the child), OR-Tools' plan is still returned."""
    from optimizer.routing.vrp import portfolio

    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(portfolio, "solve_with_pyvrp", broken)
    problem = scattered_problem(12)
    result = solve(problem, 2.0, options=SolveOptions(max_iterations=100, workers=2))
    assert check_result(problem, result).feasible
    assert result.engine == "ortools"
    assert any("engine exploded" in note for note in result.notes)


def test_portfolio_works_with_spawned_processes():
    """Where fork is unsafe (threaded servers), the second engine can run in a spawned process."""
    problem = scattered_problem(12)
    options = SolveOptions(max_iterations=100, workers=2, start_method="spawn")
    result = solve(problem, 10.0, options=options)
    assert check_result(problem, result).feasible
    assert not [note for note in result.notes if "failed" in note or "no answer" in note]


def changed(problem: RoutingProblem, change: str) -> RoutingProblem:
    """Today's problem: yesterday's with stops gone, a vehicle gone, or tighter limits."""
    from dataclasses import replace

    stops, vehicles = problem.stops, problem.vehicles
    if change == "stops_removed":
        stops = stops[::2]
    elif change == "vehicle_removed":
        vehicles = vehicles[1:]
    elif change == "capacity_cut":
        vehicles = tuple(replace(v, capacity=Load(25, math.inf)) for v in vehicles)
    elif change == "duration_limit":
        vehicles = tuple(replace(v, max_duration=200.0) for v in vehicles)
    elif change == "all_optional":
        stops = tuple(replace(s, required=False, drop_penalty=40.5) for s in stops)
    return RoutingProblem(
        problem.depots, vehicles, stops, problem.travel, coordinates=problem.coordinates
    )


CHANGES = ["stops_removed", "vehicle_removed", "capacity_cut", "duration_limit", "all_optional"]


@pytest.mark.parametrize("engine", ["ortools", "pyvrp", "auto"])
@pytest.mark.parametrize("change", CHANGES)
def test_warm_start_from_yesterdays_plan_after_a_change(change, engine):
    """Yesterday's result as warm start after a change: no crash, checked, no worse than it.

    "No worse" is measured on the part of yesterday's plan still valid today, by the checker.
    """
    yesterday = scattered_problem(14)
    previous = solve(yesterday, 2.0, options=quick("auto", 200))
    today = changed(yesterday, change)
    still_valid = {
        route.vehicle_id: [s for s in route.stop_ids if s in today.stop_index]
        for route in previous.routes
        if route.vehicle_id in today.vehicle_index
    }
    baseline = check_plan(today, still_valid)
    result = solve(today, 2.0, seed=3, warm_start=previous, options=quick(engine, 20))
    report = check_result(today, result)
    assert report.feasible, report.violations
    if baseline.feasible:
        assert result.objective <= baseline.cost + 1e-9


def test_warm_start_of_the_wrong_type_is_an_input_error():
    """A dict where a Plan belongs is refused with the field named, not a crash deep inside."""
    from optimizer.errors import InputError

    with pytest.raises(InputError) as raised:
        solve(line_problem([2]), 1.0, warm_start={"v1": ["s1"]})  # type: ignore[arg-type]
    assert raised.value.field == "warm_start"
