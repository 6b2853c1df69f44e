"""The independent checker catches every kind of violation (it is the referee of all tests)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.routing.vrp import (
    Load,
    PickupDelivery,
    Route,
    RoutingResult,
    Scaling,
    TimeWindow,
    Visit,
)
from optimizer.routing.vrp.check import check_plan, check_result
from optimizer.status import SolveStatus
from tests.routing.vrp.builders import line_problem, load, window


def one_route_result(problem, visits, departure=0.0, arrival=None, distance=None):
    last = visits[-1] if visits else None
    back = arrival if arrival is not None else (last.end + 10 if last else departure)
    route = Route("v1", "D0", "D0", departure, back, tuple(visits), distance or 0.0, Load())
    return RoutingResult(
        status=SolveStatus.FEASIBLE,
        objective=None,
        routes=(route,),
        skipped=(),
        unserved=(),
        solve_time_s=0.0,
        engine="hand",
        seed=0,
        scaling=Scaling(),
    )


def test_feasible_plan_passes_with_its_cost():
    """A valid out-and-back plan passes and costs its distance."""
    problem = line_problem([3, 5])
    report = check_plan(problem, {"v1": ["s1", "s2"]})
    assert report.feasible, report.violations
    assert report.distance == pytest.approx(10.0)
    assert report.cost == pytest.approx(10.0)


def test_missing_required_stop_is_reported():
    """A plan that forgets a required stop is infeasible."""
    problem = line_problem([3, 5])
    report = check_plan(problem, {"v1": ["s1"]})
    assert any("s2 is not visited" in v for v in report.violations)


def test_stop_visited_twice_is_reported():
    """The same stop on two vehicles is caught."""
    problem = line_problem([3], vehicles=[{}, {}])
    report = check_plan(problem, {"v1": ["s1"], "v2": ["s1"]})
    assert any("visited by" in v for v in report.violations)


def test_over_capacity_is_reported():
    """Load above the vehicle's weight capacity is caught."""
    problem = line_problem(
        [3, 5],
        stops=[{"demand": load(6)}, {"demand": load(6)}],
        vehicles=[{"capacity": Load(10, 1)}],
    )
    report = check_plan(problem, {"v1": ["s1", "s2"]})
    assert any("weight 12" in v for v in report.violations)


def test_missed_window_is_reported():
    """Arriving after a hard window closes is caught."""
    problem = line_problem([5], stops=[{"windows": window(0, 4)}])
    report = check_plan(problem, {"v1": ["s1"]})
    assert any("after its window closes" in v for v in report.violations)


def test_soft_window_lateness_is_costed_not_forbidden():
    """Late at a soft stop is allowed and costs penalty x minutes."""
    problem = line_problem(
        [5], stops=[{"windows": window(0, 4), "soft": True, "lateness_penalty": 3}]
    )
    report = check_plan(problem, {"v1": ["s1"]})
    assert report.feasible
    assert report.lateness == pytest.approx(1.0)
    assert report.cost == pytest.approx(10 + 3)


def test_route_duration_limit_is_reported():
    """A route longer than the vehicle's limit is caught."""
    problem = line_problem([5], vehicles=[{"max_duration": 9}])
    report = check_plan(problem, {"v1": ["s1"]})
    assert any("over 9" in v for v in report.violations)


def test_waiting_is_not_counted_in_duration_when_departure_can_be_later():
    """The checker leaves as late as useful: a stop opening at 50 does not make the route long."""
    problem = line_problem(
        [5], stops=[{"windows": window(50, 60)}], vehicles=[{"max_duration": 10}]
    )
    assert check_plan(problem, {"v1": ["s1"]}).feasible


def test_shift_end_is_reported():
    """Returning after the shift ends is caught."""
    problem = line_problem([5], vehicles=[{"shift": TimeWindow(0, 9)}])
    report = check_plan(problem, {"v1": ["s1"]})
    assert any("after 9" in v for v in report.violations)


def test_pair_delivered_first_or_split_is_reported():
    """Delivery before pickup, and the two ends on different vehicles, are both caught."""
    problem = line_problem(
        [3, 5],
        stops=[{"demand": load(1)}, {}],
        vehicles=[{}, {}],
        pairs=[PickupDelivery("s1", "s2")],
    )
    reversed_report = check_plan(problem, {"v1": ["s2", "s1"]})
    assert any("before picking up" in v for v in reversed_report.violations)
    split_report = check_plan(problem, {"v1": ["s1"], "v2": ["s2"]})
    assert any("on vehicles" in v for v in split_report.violations)


def test_reported_times_are_verified():
    """A result claiming an arrival faster than driving allows is caught."""
    problem = line_problem([5])
    too_fast = one_route_result(problem, [Visit("s1", 4.0, 4.0, 4.0)], arrival=10, distance=10)
    report = check_result(problem, too_fast)
    assert any("cannot before" in v for v in report.violations)
    honest = one_route_result(problem, [Visit("s1", 5.0, 5.0, 5.0)], arrival=10, distance=10)
    honest = replace(honest, objective=10.0)
    assert check_result(problem, honest).feasible


def test_reported_figures_are_verified():
    """A result whose distance or objective does not match its routes is caught."""
    problem = line_problem([5])
    result = one_route_result(problem, [Visit("s1", 5.0, 5.0, 5.0)], arrival=10, distance=7)
    result = replace(result, objective=math.pi)
    violations = check_result(problem, result).violations
    assert any("reported distance" in v for v in violations)
    assert any("reported objective" in v for v in violations)


def test_left_out_stops_must_be_listed():
    """A result that silently drops a stop (not in skipped or unserved) is caught."""
    problem = line_problem([5, 6], stops=[{}, {"required": False, "drop_penalty": 1}])
    result = one_route_result(problem, [Visit("s1", 5.0, 5.0, 5.0)], arrival=10, distance=10)
    violations = check_result(problem, result).violations
    assert any("left-out stops" in v for v in violations)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 50, allow_nan=False),
            st.floats(0, 80, allow_nan=False),
            st.floats(0, 15, allow_nan=False),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_checker_never_rejects_a_route_feasible_at_the_earliest_departure(spec):
    """Shifting the departure to cut waiting never breaks a window the earliest schedule meets."""
    positions = [x for x, _, _ in spec]
    stops = [{"windows": window(open_, open_ + width)} for _, open_, width in spec]
    problem = line_problem(positions, stops=stops)
    clock, here, feasible = 0.0, 0.0, True
    for x, (open_, close) in zip(positions, [(o, o + w) for _, o, w in spec], strict=True):
        clock = max(clock + abs(x - here), open_)
        feasible &= clock <= close + 1e-6  # the checker's tolerance
        here = x
    report = check_plan(problem, {"v1": [f"s{i + 1}" for i in range(len(spec))]})
    assert report.feasible == feasible, report.violations


def test_departure_shift_stops_exactly_at_a_window_close():
    """Regression: float noise at a window's close must not let the departure slide past it."""
    problem = line_problem(
        [3.8, 6.6], stops=[{"windows": window(6.3, 12.9)}, {"windows": window(39.4, 47.9)}]
    )
    report = check_plan(problem, {"v1": ["s1", "s2"]})
    assert report.feasible, report.violations
