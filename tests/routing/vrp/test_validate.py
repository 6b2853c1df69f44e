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
    """A window over before the depot opens gets its own reason, with both times."""
    problem = line_problem([1], stops=[{"windows": window(0, 5)}])
    problem = problem.__class__(
        depots=(problem.depots[0].__class__("D0", 0, TimeWindow(8, 100)),),
        vehicles=problem.vehicles,
        stops=problem.stops,
        travel=problem.travel,
    )
    (found,) = validate(problem).problems
    assert found.code == "window_before_depot_opens"
    assert "closes at 5, before depot 'D0' opens at 8" in found.message


def test_window_before_the_shift_starts_is_named():
    """When the driver's shift, not the depot, starts too late, the message says so."""
    problem = line_problem(
        [1], stops=[{"windows": window(0, 5)}], vehicles=[{"shift": TimeWindow(6, 100)}]
    )
    (found,) = validate(problem).problems
    assert found.code == "window_before_depot_opens"
    assert "before the vehicle's shift starts at 6" in found.message


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
        [5], stops=[{"service_time": 15}], vehicles=[{"shift": TimeWindow(0, 20)}]
    )
    (found,) = validate(problem).problems
    assert found.code == "service_too_late"
    assert "cannot end before 20.00" in found.message


def test_service_longer_than_the_whole_shift_is_named():
    """A service longer than the working time itself is named as such, with the numbers."""
    problem = line_problem(
        [5], stops=[{"service_time": 30}], vehicles=[{"shift": TimeWindow(0, 20)}]
    )
    (found,) = validate(problem).problems
    assert found.code == "service_too_long"
    assert "takes 30 min, longer than the whole working time from 0 to 20" in found.message


def test_volume_above_every_capacity_is_named():
    """Volume is checked like weight, and the message names the dimension."""
    problem = line_problem(
        [3], stops=[{"demand": Load(1, 9)}], vehicles=[{"capacity": Load(100, 4)}]
    )
    (found,) = validate(problem).problems
    assert found.code == "over_capacity"
    assert "volume 9 is above every vehicle's capacity (largest 4)" in found.message


def test_route_limit_too_short_once_waiting_is_counted():
    """A short trip that must wait for a late window breaks a duration limit: named, with the wait.

    The vehicle must leave by 10 (its depot closes then) and the window opens at 100.
    """
    problem = line_problem([2], stops=[{"windows": window(100, 120)}])
    problem = problem.__class__(
        depots=(
            problem.depots[0].__class__("D0", 0, TimeWindow(0, 10)),
            problem.depots[0].__class__("D1", 0),
        ),
        vehicles=(problem.vehicles[0].__class__("v1", "D0", "D1", max_duration=50),),
        stops=problem.stops,
        travel=problem.travel,
    )
    (found,) = validate(problem).problems
    assert found.code == "route_too_long"
    assert "at least 92.00 min, 88.00 of it waiting" in found.message


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


def test_every_kind_of_reason_comes_back_in_one_report():
    """One problem with one stop per reason: validate names each stop with its own code."""
    from optimizer.routing.vrp import Depot, RoutingProblem, Stop, TravelMatrix, Vehicle

    xs = [30, 1, 1, 30, 1, 50, 80, 5, -5, 3]
    travel = TravelMatrix.from_coordinates([(0.0, 0.0)] + [(float(x), 0.0) for x in xs])
    specs = [
        ("heavy", {"demand": Load(30, 0)}),
        ("bulky", {"demand": Load(1, 9)}),
        ("early", {"windows": window(0, 5)}),
        ("far", {"windows": window(0, 35)}),
        ("long", {"service_time": 300}),
        ("late", {"service_time": 100}),
        ("distant", {}),
        ("pick", {"demand": Load(1, 0), "windows": window(0, 200)}),
        ("drop", {"windows": window(0, 16)}),
        ("fine", {}),
    ]
    problem = RoutingProblem(
        depots=(Depot("D0", 0),),
        vehicles=(
            Vehicle("v1", "D0", capacity=Load(20, 5), shift=TimeWindow(10, 200), max_duration=150),
        ),
        stops=tuple(Stop(name, k + 1, **spec) for k, (name, spec) in enumerate(specs)),
        travel=travel,
        pairs=(PickupDelivery("pick", "drop"),),
    )
    report = validate(problem)
    found = {p.field: p.code for p in report.problems}
    assert found == {
        "stops[0] (heavy)": "over_capacity",
        "stops[1] (bulky)": "over_capacity",
        "stops[2] (early)": "window_before_depot_opens",
        "stops[3] (far)": "window_unreachable",
        "stops[4] (long)": "service_too_long",
        "stops[5] (late)": "service_too_late",
        "stops[6] (distant)": "route_too_long",
        "pairs[0] (pick->drop)": "pair",
    }
    with pytest.raises(InfeasibleError) as raised:
        solve(problem, 1.0)
    assert len(raised.value.problems) == len(found)
