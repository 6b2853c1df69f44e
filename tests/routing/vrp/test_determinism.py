"""Same seed and same bounded work give the same plan; random cases stay feasible in floats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.routing.vrp import (
    Depot,
    Load,
    RoutingProblem,
    SolveOptions,
    Stop,
    TimeWindow,
    TravelMatrix,
    Vehicle,
    solve,
)
from optimizer.routing.vrp.check import check_result
from tests.routing.vrp.test_skipped_and_warm_start import scattered_problem


@pytest.mark.parametrize("engine", ["ortools", "pyvrp", "auto"])
def test_same_seed_and_iteration_limit_give_the_same_routes(engine):
    """Two runs with one seed and an iteration bound (not a time bound) agree exactly."""
    problem = scattered_problem(30, seed=3)
    options = SolveOptions(engine=engine, max_iterations=200)
    first = solve(problem, 30.0, seed=11, options=options)
    second = solve(problem, 30.0, seed=11, options=options)
    assert first.plan() == second.plan()
    assert first.objective == second.objective


def test_pyvrp_seed_changes_the_search():
    """Different seeds send PyVRP's randomised search down different paths."""
    problem = scattered_problem(30, seed=3)
    options = SolveOptions(engine="pyvrp", max_iterations=30, workers=1)
    plans = {solve(problem, 30.0, seed=s, options=options).plan() for s in range(4)}
    assert len(plans) > 1


@st.composite
def random_problems(draw) -> RoutingProblem:
    """Small problems with fractional coordinates, windows and services: rounding stress."""
    n = draw(st.integers(1, 7))
    coords = draw(
        st.lists(
            st.tuples(st.floats(0, 20, allow_nan=False), st.floats(0, 20, allow_nan=False)),
            min_size=n + 1,
            max_size=n + 1,
        )
    )
    travel = TravelMatrix.from_coordinates(np.array(coords), speed=draw(st.floats(0.3, 3)))
    stops = []
    for i in range(1, n + 1):
        open_ = draw(st.floats(0, 60))
        width = draw(st.floats(0.01, 40))
        stops.append(
            Stop(
                id=f"c{i}",
                location=i,
                demand=Load(draw(st.floats(0, 5))),
                service_time=draw(st.floats(0, 7)),
                windows=(TimeWindow(open_, open_ + width),),
                required=False,
                drop_penalty=1000.0,
            )
        )
    vehicles = tuple(
        Vehicle(
            f"v{k}",
            "d",
            capacity=Load(draw(st.floats(5, 15)), math.inf),
            shift=TimeWindow(0, 200),
            max_duration=draw(st.floats(30, 200)),
        )
        for k in range(2)
    )
    return RoutingProblem((Depot("d", 0),), vehicles, tuple(stops), travel)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems(), st.sampled_from(["ortools", "pyvrp"]))
def test_integer_plans_are_feasible_in_floating_point(problem, engine):
    """Whatever the fractions, a plan feasible for the integer solver passes the float checker."""
    options = SolveOptions(engine=engine, max_iterations=50, workers=1)
    result = solve(problem, 5.0, seed=0, options=options)
    report = check_result(problem, result)
    assert report.feasible, report.violations
