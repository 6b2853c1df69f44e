"""Open-ended windows (a close of infinity, or no window) never turn into NaN or infinite times."""

from __future__ import annotations

import json
import math

import pytest

from optimizer.routing.vrp import Plan, SolveOptions, TimeWindow, Visit, solve
from optimizer.routing.vrp.check import check_result
from optimizer.routing.vrp.schedule import time_route
from optimizer.routing.vrp.serialize import problem_from_dict, result_to_dict
from tests.routing.vrp.builders import line_problem
from tests.routing.vrp.test_check import one_route_result

OPEN = (TimeWindow(0, math.inf),)


def two_open_stops():
    """Stops 4 east and 4 west, windows that never close, two vehicles limited to 10 min each."""
    return line_problem(
        [4, -4],
        stops=[{"windows": OPEN}, {"windows": OPEN}],
        vehicles=[{"max_duration": 10}, {"max_duration": 10}],
    )


def test_route_over_its_duration_limit_stays_infeasible_with_open_windows():
    """Both stops on one vehicle take 16 min: infeasible, whatever departure is tried."""
    timing = time_route(two_open_stops(), 0, [0, 1])
    assert not timing.feasible
    assert math.isfinite(timing.departure) and math.isfinite(timing.arrival)
    assert "over the 10 limit" in timing.reason


@pytest.mark.parametrize("vehicle", [{"max_duration": 100}, {"duration_cost": 1.0}, {}])
def test_times_are_finite_when_a_window_never_closes(vehicle):
    """With a window that opens at 5 and never closes, every reported time is a number."""
    problem = line_problem(
        [3, 6], stops=[{"windows": (TimeWindow(5, math.inf),)}, {}], vehicles=[vehicle]
    )
    result = solve(problem, 1.0, options=SolveOptions(engine="ortools", workers=1))
    assert check_result(problem, result).feasible
    json.dumps(result_to_dict(result), allow_nan=False)
    (route,) = result.routes
    assert route.visits[0].start == pytest.approx(5.0)


def test_warm_start_breaking_the_limit_is_dropped_not_costed_as_nan():
    """A previous plan with both stops on v1 (16 min > 10) is dropped; the result is a number."""
    problem = two_open_stops()
    warm = Plan.from_mapping({"v1": ["s1", "s2"]})
    options = SolveOptions(engine="ortools", workers=1, max_iterations=1)
    result = solve(problem, 1.0, warm_start=warm, options=options)
    assert check_result(problem, result).feasible
    assert result.objective == pytest.approx(16.0)
    assert any("dropped" in note for note in result.notes)
    json.dumps(result_to_dict(result), allow_nan=False)


def test_json_null_closes_and_missing_windows_solve_to_finite_times():
    """The JSON form of open windows (a null close, no windows at all) gives plain numbers."""
    problem = problem_from_dict(
        {
            "locations": [[0, 0], [3, 0], [6, 0]],
            "depots": [{"id": "d", "location": 0, "hours": [0, None]}],
            "vehicles": [{"id": "v", "start_depot": "d", "max_duration": 50}],
            "stops": [
                {"id": "a", "location": 1, "windows": [[2, None]]},
                {"id": "b", "location": 2},
            ],
        }
    )
    result = solve(problem, 1.0, options=SolveOptions(workers=1))
    assert check_result(problem, result).feasible
    text = json.dumps(result_to_dict(result), allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text


def test_checker_flags_times_that_are_not_numbers():
    """A reported departure of infinity is a violation, not a pass."""
    problem = line_problem([3], stops=[{"windows": OPEN}])
    visit = Visit("s1", math.inf, math.inf, math.inf)
    result = one_route_result(problem, [visit], departure=math.inf, arrival=math.inf, distance=6)
    assert any("not a finite number" in v for v in check_result(problem, result).violations)
