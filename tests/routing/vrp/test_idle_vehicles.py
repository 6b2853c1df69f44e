"""Vehicles left idle, and depots nobody uses, never distort the plan, its costs or its checks.

An idle vehicle drives nothing: it must not be held to its depots' hours, its
duration limit or the trip between two different depots, and a vehicle that
cannot work at all (its shift misses its depot's hours) must not stop an
engine from solving for the others.
"""

from __future__ import annotations

import pytest

from optimizer.routing.vrp import (
    Depot,
    RoutingProblem,
    SolveOptions,
    TimeWindow,
    Vehicle,
    solve,
)
from optimizer.routing.vrp.check import check_result
from optimizer.routing.vrp.scaling import choose_scaling, to_integers
from tests.routing.vrp.builders import line_problem

ENGINES = ["ortools", "pyvrp"]


def with_fleet(problem: RoutingProblem, depots, vehicles) -> RoutingProblem:
    return RoutingProblem(
        depots=tuple(depots),
        vehicles=tuple(vehicles),
        stops=problem.stops,
        travel=problem.travel,
        coordinates=problem.coordinates,
    )


def base() -> RoutingProblem:
    """Stops at 1, 2 and 3 on a line, depot D0 at 0 and D1 at 100: the optimum is 6 with v1."""
    return line_problem([1, 2, 3], extra_depots=[100])


def assert_engine_solves_optimally(problem: RoutingProblem, engine: str) -> None:
    result = solve(problem, 2.0, options=SolveOptions(engine=engine, workers=1, max_iterations=50))
    report = check_result(problem, result)
    assert report.feasible, report.violations
    assert result.engine == engine, result.notes  # the engine's own plan, not a fallback
    assert not [n for n in result.notes if "failed" in n], result.notes
    assert result.objective == pytest.approx(6.0)
    assert [r.vehicle_id for r in result.routes] == ["v1"]


@pytest.mark.parametrize("engine", ENGINES)
def test_unused_depot_is_never_visited(engine):
    """A depot no vehicle starts or ends at is not a stop: the plan visits each stop once."""
    assert_engine_solves_optimally(base(), engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_vehicle_that_cannot_work_does_not_stop_the_engine(engine):
    """A second vehicle whose shift ends before its depot opens is left idle, and v1 is used."""
    problem = base()
    depots = (problem.depots[0], Depot("D1", 1, TimeWindow(500, 1000)))
    vehicles = (problem.vehicles[0], Vehicle("v2", "D1", shift=TimeWindow(0, 100)))
    assert_engine_solves_optimally(with_fleet(problem, depots, vehicles), engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_idle_vehicle_between_two_depots_ignores_the_trip_between_them(engine):
    """An idle vehicle from D1 to D0 (100 apart) with a 50-minute limit and a short shift.

    Its empty route never drives the 100, so it neither breaks its limits nor costs anything.
    """
    problem = base()
    idle = Vehicle("v2", "D1", "D0", shift=TimeWindow(0, 60), max_duration=50, duration_cost=1.0)
    assert_engine_solves_optimally(
        with_fleet(problem, problem.depots, (problem.vehicles[0], idle)), engine
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_idle_vehicle_whose_end_depot_closes_before_its_start_depot(engine):
    """Start depot open until 1000, end depot only until 50: the vehicle may still leave by 50."""
    problem = base()
    depots = (problem.depots[0], Depot("D1", 1), Depot("D2", 0, TimeWindow(0, 50)))
    vehicles = (
        problem.vehicles[0],
        Vehicle("v2", "D1", "D2", shift=TimeWindow(0, 1000)),
    )
    assert_engine_solves_optimally(with_fleet(problem, depots, vehicles), engine)


def test_integer_data_marks_vehicles_that_cannot_work():
    """The solver data says which vehicles can work, and no departure is later than the return."""
    problem = base()
    depots = (
        problem.depots[0],
        Depot("D1", 1, TimeWindow(500, 1000)),
        Depot("D2", 0, TimeWindow(0, 50)),
    )
    vehicles = (
        problem.vehicles[0],
        Vehicle("v2", "D1", shift=TimeWindow(0, 100)),
        Vehicle("v3", "D0", "D2"),
    )
    problem = with_fleet(problem, depots, vehicles)
    data = to_integers(problem, choose_scaling(problem))
    assert data.usable.tolist() == [True, False, True]
    assert (data.latest_departure <= data.shift[:, 1]).all()
