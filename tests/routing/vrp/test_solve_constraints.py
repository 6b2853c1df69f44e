"""Each constraint type on a tiny instance whose optimum is known by brute force."""

from __future__ import annotations

import math

import pytest

from optimizer.routing.vrp import (
    Load,
    PickupDelivery,
    SolveOptions,
    TimeWindow,
    solve,
)
from optimizer.routing.vrp.check import check_result
from optimizer.status import SolveStatus
from tests.routing.vrp.builders import brute_force_optimum, line_problem, load, window

# Short, bounded runs: tiny instances converge long before these limits.
TIME_LIMIT = 3.0
ITERATIONS = 400


def solved(problem, engine: str):
    options = SolveOptions(engine=engine, max_iterations=ITERATIONS, workers=1)
    result = solve(problem, TIME_LIMIT, seed=1, options=options)
    report = check_result(problem, result)
    assert report.feasible, report.violations
    return result


def assert_optimal(problem, engines=("ortools", "pyvrp")):
    expected, plan = brute_force_optimum(problem)
    for engine in engines:
        result = solved(problem, engine)
        assert result.status == SolveStatus.FEASIBLE
        assert result.objective == pytest.approx(expected, abs=1e-6), (engine, plan)
    return expected


def test_capacity_forces_a_second_vehicle():
    """Two stops whose demands exceed one truck's capacity need two trucks: cost 2x(2+4)=12."""
    problem = line_problem(
        [2, 4],
        stops=[{"demand": load(6)}, {"demand": load(6)}],
        vehicles=[{"capacity": Load(10, math.inf)}] * 2,
    )
    assert assert_optimal(problem) == pytest.approx(12.0)


def test_volume_capacity_is_a_second_dimension():
    """Light but bulky parcels: volume, not weight, splits them over two vehicles."""
    problem = line_problem(
        [3, 5],
        stops=[{"demand": Load(1, 2.0)}, {"demand": Load(1, 2.0)}],
        vehicles=[{"capacity": Load(100, 3.0)}] * 2,
    )
    assert assert_optimal(problem) == pytest.approx(16.0)


def test_time_windows_reorder_the_route():
    """The far stop must be served first, so the route doubles back: 0->6->2->0 costs 12."""
    problem = line_problem(
        [2, 6],
        stops=[{"windows": window(10, 20)}, {"windows": window(0, 7)}],
    )
    result = solved(problem, "ortools")
    assert result.routes[0].stop_ids == ("s2", "s1")
    assert assert_optimal(problem) == pytest.approx(12.0)


def test_service_time_delays_the_next_stop():
    """A 10-minute service makes either order miss a window: two vehicles, cost 2 + 4."""
    problem = line_problem(
        [1, 2],
        stops=[
            {"service_time": 10, "windows": window(0, 1.5)},
            {"windows": window(0, 2.5)},
        ],
        vehicles=[{}, {}],
    )
    assert assert_optimal(problem) == pytest.approx(6.0)


def test_several_windows_per_stop():
    """A stop open 0-1 and 20-30 is served in its second window after a nearer stop."""
    problem = line_problem(
        [5, 4],
        stops=[
            {"windows": (TimeWindow(0, 1), TimeWindow(20, 30))},
            {"windows": window(0, 15)},
        ],
    )
    result = solved(problem, "ortools")
    assert result.routes[0].stop_ids == ("s2", "s1")
    assert result.routes[0].visits[1].start == pytest.approx(20.0)
    assert_optimal(problem, engines=("ortools",))


def test_soft_window_trades_lateness_against_distance():
    """Being 2 min late at penalty 1/min beats a second vehicle with fixed cost 10."""
    problem = line_problem(
        [4, 8],
        stops=[
            {"windows": window(0, 100)},
            {"windows": window(0, 6), "soft": True, "lateness_penalty": 1.0},
        ],
        vehicles=[{"fixed_cost": 10.0}, {"fixed_cost": 10.0}],
    )
    expected = assert_optimal(problem, engines=("ortools",))
    result = solved(problem, "ortools")
    assert result.vehicles == 1
    assert result.lateness == pytest.approx(2.0)
    assert expected == pytest.approx(16 + 10 + 2)


def test_max_route_duration_splits_routes():
    """A 12-minute limit forbids one 0->3->6->0 tour (12 + service 2): two short routes."""
    problem = line_problem(
        [3, 6],
        stops=[{"service_time": 1}, {"service_time": 1}],
        vehicles=[{"max_duration": 12.0}, {"max_duration": 13.0}],
    )
    assert assert_optimal(problem) == pytest.approx(18.0)


def test_shift_window_limits_the_return():
    """A vehicle due back by 10 cannot reach a stop at distance 6; the later shift can."""
    problem = line_problem(
        [6],
        vehicles=[{"shift": TimeWindow(0, 10)}, {"shift": TimeWindow(0, 20), "fixed_cost": 5}],
    )
    result = solved(problem, "ortools")
    assert result.routes[0].vehicle_id == "v2"
    assert assert_optimal(problem) == pytest.approx(17.0)


def test_multiple_depots_each_vehicle_returns_home():
    """Two depots at both ends of the road: each stop is served from the nearer depot."""
    problem = line_problem(
        [1, 9],
        extra_depots=[10.0],
        vehicles=[{"start_depot": "D0"}, {"start_depot": "D1"}],
    )
    assert assert_optimal(problem) == pytest.approx(4.0)


def test_open_end_depot_differs_from_start():
    """A vehicle that starts at D0 and ends at D1 drives the road once: cost 10."""
    problem = line_problem(
        [3, 7],
        extra_depots=[10.0],
        vehicles=[{"start_depot": "D0", "end_depot": "D1"}],
    )
    assert assert_optimal(problem) == pytest.approx(10.0)


def test_pickup_before_delivery_on_one_vehicle():
    """A parcel picked up at 8 and delivered at 2 costs a full 0->8->2->0 tour of 16."""
    problem = line_problem(
        [8, 2],
        stops=[{"demand": load(5)}, {}],
        vehicles=[{"capacity": Load(5, math.inf)}, {"capacity": Load(5, math.inf)}],
        pairs=[PickupDelivery("s1", "s2")],
    )
    result = solved(problem, "ortools")
    assert result.routes[0].stop_ids == ("s1", "s2")
    assert assert_optimal(problem, engines=("ortools",)) == pytest.approx(16.0)


def test_pair_load_adds_to_deliveries_on_board():
    """Deliveries ride from the depot: a pickup fits only after enough has been delivered."""
    problem = line_problem(
        [2, 4, 6],
        stops=[{"demand": load(6)}, {"demand": load(6)}, {}],
        vehicles=[{"capacity": Load(10, math.inf)}, {"capacity": Load(10, math.inf)}],
        pairs=[PickupDelivery("s2", "s3")],
    )
    assert_optimal(problem, engines=("ortools",))


def test_optional_stop_dropped_when_penalty_is_cheaper():
    """A far optional stop (detour 20) with drop penalty 5 is left out; a near one is served."""
    problem = line_problem(
        [1, 10],
        stops=[
            {"required": False, "drop_penalty": 5.0},
            {"required": False, "drop_penalty": 5.0},
        ],
    )
    expected = assert_optimal(problem)
    assert expected == pytest.approx(2 + 5)
    result = solved(problem, "ortools")
    assert [s.stop_id for s in result.skipped] == ["s2"]


def test_fixed_cost_merges_routes():
    """With a fixed cost per vehicle one truck does both stops, though two would drive less."""
    problem = line_problem(
        [5, -5],
        vehicles=[{"fixed_cost": 50.0}, {"fixed_cost": 50.0}],
    )
    assert assert_optimal(problem) == pytest.approx(20 + 50)


def test_auto_portfolio_matches_the_optimum():
    """The default two-engine portfolio returns the brute-force optimum on a windowed instance."""
    problem = line_problem(
        [2, 4, 6, -3],
        stops=[
            {"windows": window(0, 30), "demand": load(3)},
            {"windows": window(10, 12), "demand": load(3)},
            {"windows": window(0, 8), "demand": load(3)},
            {"windows": window(0, 50), "demand": load(3)},
        ],
        vehicles=[{"capacity": Load(9, math.inf)}] * 2,
    )
    expected, _ = brute_force_optimum(problem)
    result = solve(problem, TIME_LIMIT, seed=0, options=SolveOptions(max_iterations=ITERATIONS))
    assert check_result(problem, result).feasible
    assert result.objective == pytest.approx(expected)


def test_duration_cost_avoids_long_waits():
    """Paid by the minute, two short out-and-back routes (18) beat one route that waits (35)."""
    problem = line_problem(
        [3, -3],
        stops=[{"windows": window(0, 10)}, {"windows": window(50, 60)}],
        vehicles=[{"duration_cost": 0.5}, {"duration_cost": 0.5}],
    )
    assert assert_optimal(problem) == pytest.approx(18.0)
    assert solved(problem, "ortools").vehicles == 2
