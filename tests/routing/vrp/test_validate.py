"""Validate-only mode and infeasible input: every problem, named, at once."""

from __future__ import annotations

import math

import pytest

from optimizer.errors import InfeasibleError
from optimizer.routing.vrp import Load, PickupDelivery, TimeWindow, solve, validate
from tests.routing.vrp.builders import line_problem, load, window


def test_valid_problem_has_no_problems():
    """A servable instance validates clean."""
    assert validate(line_problem([3, 5])).ok


def test_window_closing_before_earliest_arrival_is_named():
    """A window that closes before any vehicle can get there names the stop and both times."""
    problem = line_problem([10], stops=[{"windows": window(0, 4)}])
    (found,) = validate(problem).problems
    assert found.code == "window_unreachable"
    assert "(s1)" in found.field
    assert "closes at 4" in found.message and "10.00" in found.message


def test_window_before_depot_opens_is_named():
    """A window over before the depot opens is unreachable from that depot."""
    problem = line_problem([1], stops=[{"windows": window(0, 5)}])
    problem = problem.__class__(
        depots=(problem.depots[0].__class__("D0", 0, TimeWindow(8, 100)),),
        vehicles=problem.vehicles,
        stops=problem.stops,
        travel=problem.travel,
    )
    (found,) = validate(problem).problems
    assert found.code == "window_unreachable"
    assert "from depot 'D0'" in found.message


def test_demand_above_every_capacity_is_named():
    """A stop heavier than every vehicle says so, with the numbers."""
    problem = line_problem(
        [3], stops=[{"demand": load(30)}], vehicles=[{"capacity": Load(20, math.inf)}] * 2
    )
    (found,) = validate(problem).problems
    assert found.code == "over_capacity"
    assert "weight 30 is above every vehicle's capacity (largest 20)" in found.message


def test_service_that_cannot_end_in_time_is_named():
    """A service ending too late to get back before the depot closes is reported."""
    problem = line_problem(
        [5], stops=[{"service_time": 30}], vehicles=[{"shift": TimeWindow(0, 20)}]
    )
    (found,) = validate(problem).problems
    assert found.code == "service_too_late"


def test_route_duration_limit_too_short_for_a_round_trip():
    """A stop farther than half the route limit cannot be served by that vehicle."""
    problem = line_problem([8], vehicles=[{"max_duration": 10}])
    (found,) = validate(problem).problems
    assert found.code == "route_too_long"


def test_pair_no_vehicle_can_carry_in_time():
    """A pair whose delivery window closes before the pickup can be reached is reported."""
    problem = line_problem(
        [8, 2],
        stops=[{"demand": load(1), "windows": window(0, 20)}, {"windows": window(0, 9)}],
        pairs=[PickupDelivery("s1", "s2")],
    )
    (found,) = validate(problem).problems
    assert found.code == "pair"
    assert "'s1'" in found.message and "'s2'" in found.message


def test_fleet_too_small_in_total():
    """Total demand above the whole fleet's capacity is reported on the fleet."""
    problem = line_problem(
        [1, 2, 3],
        stops=[{"demand": load(8)}] * 3,
        vehicles=[{"capacity": Load(10, math.inf)}] * 2,
    )
    (found,) = validate(problem).problems
    assert found.field == "vehicles" and found.code == "fleet_capacity"


def test_every_problem_is_reported_at_once():
    """Three broken stops give three problems in one report, and solve raises all of them."""
    problem = line_problem(
        [10, 3, 4, 20],
        stops=[
            {"windows": window(0, 4)},
            {"demand": load(50)},
            {},
            {"service_time": 100},
        ],
        vehicles=[{"capacity": Load(20, math.inf), "shift": TimeWindow(0, 100)}],
    )
    report = validate(problem)
    assert [p.code for p in report.problems] == [
        "window_unreachable",
        "over_capacity",
        "service_too_late",
    ]
    with pytest.raises(InfeasibleError) as raised:
        solve(problem, 1.0)
    assert len(raised.value.problems) == 3


def test_optional_unreachable_stop_is_not_an_error():
    """An optional stop no vehicle can reach is skipped with a reason, not refused."""
    problem = line_problem(
        [3, 10], stops=[{}, {"windows": window(0, 4), "required": False, "drop_penalty": 9}]
    )
    report = validate(problem)
    assert report.ok
    assert "closes at 4" in report.unreachable["s2"]


def test_mixed_fleet_reasons_are_listed_per_vehicle_class():
    """When vehicles fail for different reasons, each class's reason is given."""
    problem = line_problem(
        [10],
        stops=[{"demand": load(15), "windows": window(0, 30)}],
        vehicles=[
            {"capacity": Load(10, math.inf)},
            {"capacity": Load(20, math.inf), "shift": TimeWindow(25, 100)},
        ],
    )
    (found,) = validate(problem).problems
    assert found.code == "no_vehicle"
    assert "v1:" in found.message and "v2:" in found.message


def test_forcing_pyvrp_on_a_shape_it_cannot_model_is_refused():
    """PyVRP has no soft windows: asking for it names the engine option and the reason."""
    from optimizer.errors import InputError
    from optimizer.routing.vrp import SolveOptions

    problem = line_problem(
        [3], stops=[{"windows": window(0, 5), "soft": True, "lateness_penalty": 1}]
    )
    with pytest.raises(InputError) as raised:
        solve(problem, 1.0, options=SolveOptions(engine="pyvrp"))
    assert raised.value.field == "engine"
    assert "soft time window" in str(raised.value)
