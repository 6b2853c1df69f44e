"""Model validation at construction, and the conservative integer scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizer.errors import InputError
from optimizer.routing.vrp import (
    Depot,
    Load,
    PickupDelivery,
    RoutingProblem,
    Scaling,
    Stop,
    TimeWindow,
    TravelMatrix,
    Vehicle,
    choose_scaling,
    parse_solomon,
)
from optimizer.routing.vrp.scaling import to_integers
from tests.routing.vrp.builders import line_problem, load, window


def test_time_window_open_larger_than_close():
    """A window that closes before it opens is refused, naming the field."""
    with pytest.raises(InputError) as raised:
        TimeWindow(10, 5)
    assert raised.value.field == "close"


def test_overlapping_windows_are_refused_and_others_sorted():
    """Overlapping windows must be merged by the caller; disjoint ones are sorted."""
    with pytest.raises(InputError, match="overlap"):
        Stop("a", 1, windows=(TimeWindow(0, 10), TimeWindow(5, 20)))
    stop = Stop("a", 1, windows=(TimeWindow(30, 40), TimeWindow(0, 10)))
    assert [w.open for w in stop.windows] == [0, 30]


def test_soft_stop_without_penalty_is_refused():
    """A soft window needs a positive lateness penalty."""
    with pytest.raises(InputError, match="lateness_penalty"):
        Stop("a", 1, windows=window(0, 5), soft=True)


def test_required_stop_with_drop_penalty_is_refused():
    """Only optional stops carry a drop penalty."""
    with pytest.raises(InputError, match="optional"):
        Stop("a", 1, drop_penalty=5)


def test_negative_demand_is_refused():
    """Loads are never negative."""
    with pytest.raises(InputError):
        Load(-1)


def test_negative_matrix_entry_is_refused():
    """Travel matrices cannot hold negative distances."""
    with pytest.raises(InputError, match="negative"):
        TravelMatrix(distance=[[0, -1], [1, 0]], duration=[[0, 1], [1, 0]])


def test_every_reference_defect_is_reported_at_once():
    """Unknown depot, duplicate stop id, location outside the matrix and a bad pair: all four."""
    travel = TravelMatrix.from_coordinates([(0, 0), (1, 0)])
    with pytest.raises(InputError) as raised:
        RoutingProblem(
            depots=(Depot("d", 0),),
            vehicles=(Vehicle("v", "nowhere"),),
            stops=(Stop("a", 1), Stop("a", 5)),
            travel=travel,
            pairs=(PickupDelivery("a", "zzz"),),
        )
    fields = [p.field for p in raised.value.problems]
    assert "stops[1].id" in fields
    assert "stops[1].location" in fields
    assert "vehicles[0].start_depot" in fields
    assert "pairs[0].delivery" in fields


def test_delivery_end_of_a_pair_carries_no_demand_of_its_own():
    """The pair's load is the pickup's demand; a demand on the delivery end is refused."""
    with pytest.raises(InputError, match="no demand of its own"):
        line_problem(
            [1, 2],
            stops=[{"demand": load(1)}, {"demand": load(1)}],
            pairs=[PickupDelivery("s1", "s2")],
        )


def test_haversine_distance_between_two_cities():
    """Paris to London by great circle is about 344 km."""
    travel = TravelMatrix.from_coordinates(
        [(48.8566, 2.3522), (51.5074, -0.1278)], metric="haversine"
    )
    assert travel.distance[0, 1] == pytest.approx(343.5, abs=1.0)


def test_scaling_is_exact_for_integer_and_dimacs_data():
    """Integer data keeps scale 1, DIMACS tenths get 10, exact Euclidean gets the finest."""
    text = (
        "X\nVEHICLE\nNUMBER CAPACITY\n 2 10\nCUSTOMER\n"
        " 0 0 0 0 0 100 0\n 1 3 4 1 0 50 1\n 2 1 1 1 0 50 1\n"
    )
    assert choose_scaling(parse_solomon(text, convention="dimacs")).distance == 10
    assert choose_scaling(parse_solomon(text, convention="euclidean")).time == 1000
    integer = line_problem([3, 5])
    assert choose_scaling(integer) == Scaling(1, 1, 1)


def test_rounding_leans_to_the_safe_side():
    """Times and demands round up; window closes, capacities and limits round down."""
    problem = line_problem(
        [1.0001],
        stops=[{"windows": window(0.0004, 9.9996), "service_time": 0.0004, "demand": load(2.0004)}],
        vehicles=[
            {"capacity": Load(9.9996, math.inf), "max_duration": 19.9996, "shift": window(0, 50)[0]}
        ],
    )
    data = to_integers(problem, Scaling(distance=1000, time=1000, load=1000))
    assert data.travel[0, 1] == 1001 and data.service[1] == 1
    assert data.windows[1] == ((1, 9999),)
    assert data.demand[1, 0] == 2001 and data.capacity[0, 0] == 9999
    assert data.max_duration[0] == 19999


def test_solver_arrays_follow_depots_then_stops():
    """Node order is depots first, then stops, each in problem order."""
    problem = line_problem([4, 7], extra_depots=[10.0], vehicles=[{"start_depot": "D1"}])
    data = to_integers(problem, Scaling(1, 1, 1))
    assert data.num_depots == 2
    assert np.array_equal(data.distance[0], [0, 10, 4, 7])
    assert data.vehicle_start.tolist() == [1]


def test_fractional_costs_are_exact_in_solver_integers():
    """Fixed costs, drop penalties and per-minute rates that are not integers stay exact.

    With fractional times (0.001 min) a rate of 0.37 per minute needs 10**5 cost units per
    distance unit: 37 per thousandth of a minute. A drop penalty of 2.5 must not round to 2.
    """
    problem = line_problem(
        [1, 2.5],
        stops=[
            {"windows": window(0, 1.001), "soft": True, "lateness_penalty": 0.37},
            {"required": False, "drop_penalty": 2.5},
        ],
        vehicles=[{"fixed_cost": 7.25, "duration_cost": 0.125}],
    )
    scaling = choose_scaling(problem)
    assert scaling.time == 1000
    data = to_integers(problem, scaling)
    ds, ts = scaling.distance, scaling.time
    assert data.lateness_cost[1] * ts == pytest.approx(0.37 * ds, abs=1e-9)
    assert data.duration_cost[0] * ts == pytest.approx(0.125 * ds, abs=1e-9)
    assert data.drop_penalty[2] == pytest.approx(2.5 * ds, abs=1e-9)
    assert data.fixed_cost[0] == pytest.approx(7.25 * ds, abs=1e-9)
    assert data.distance[0, 2] == pytest.approx(2.5 * ds, abs=1e-9)


def test_integer_data_keeps_small_scales():
    """Integer costs and a rate of 0.5 per minute need only ten cost units per distance unit."""
    problem = line_problem(
        [3], stops=[{"windows": window(0, 2), "soft": True, "lateness_penalty": 0.5}]
    )
    assert choose_scaling(problem) == Scaling(10, 1, 1)


def test_fractional_lateness_rates_order_the_plan_correctly():
    """Rates 0.3 and 0.6 per minute used to round to the same integer and pick the wrong order.

    Serving s2 first makes s1 22 min late (0.3 x 22 = 6.6); s1 first makes s2 20 min late
    (0.6 x 20 = 12). Both orders drive 42, so the optimum is 48.6, with s2 first.
    """
    from optimizer.routing.vrp import SolveOptions, solve
    from optimizer.routing.vrp.check import check_result
    from tests.routing.vrp.builders import brute_force_optimum

    soft = {"soft": True, "service_time": 0.5}
    problem = line_problem(
        [10, -11],
        stops=[
            {"windows": window(0, 10.5), "lateness_penalty": 0.3, **soft},
            {"windows": window(0, 11.5), "lateness_penalty": 0.6, **soft},
        ],
    )
    optimum, plan = brute_force_optimum(problem)
    assert optimum == pytest.approx(48.6) and plan == {"v1": ["s2", "s1"]}
    options = SolveOptions(engine="ortools", workers=1, max_iterations=100)
    result = solve(problem, 2.0, options=options)
    assert check_result(problem, result).feasible
    assert result.objective == pytest.approx(optimum)


def test_costs_too_large_for_the_solvers_are_refused_with_the_field():
    """Costs so large that a plan's objective could overflow 64 bits name their biggest source."""
    problem = line_problem([3, 5], vehicles=[{"fixed_cost": 5e18}])
    with pytest.raises(InputError) as raised:
        choose_scaling(problem)
    assert raised.value.field == "vehicles.fixed_cost"


def test_large_costs_get_a_coarser_scale_instead_of_overflowing():
    """Fractional distances of 10**15 still fit: the cost scale stops where 64 bits end."""
    problem = line_problem([1e15 + 0.25, 2e15 + 0.5])
    scaling = choose_scaling(problem)
    data = to_integers(problem, scaling)
    assert scaling.distance < 1000  # the finest scale would overflow
    assert data.worst_cost * (len(problem.stops) + 2) < 2**62
    with pytest.raises(InputError) as raised:
        to_integers(problem, Scaling(distance=10**6, time=1, load=1))
    assert raised.value.field == "scaling"


def test_times_and_loads_too_large_for_64_bits_are_refused_or_coarsened():
    """Huge fractional times get a coarser scale; impossibly huge ones are an input error."""
    coarse = line_problem([3], stops=[{"windows": window(0.125, 1e16)}])
    assert choose_scaling(coarse).time == 100  # 1000 would exact 0.125 but overflow
    with pytest.raises(InputError) as raised:
        choose_scaling(line_problem([3], stops=[{"windows": window(0, 1e19)}]))
    assert raised.value.field == "time"
    with pytest.raises(InputError) as raised:
        choose_scaling(line_problem([3], stops=[{"demand": load(1e19)}]))
    assert raised.value.field == "load"
