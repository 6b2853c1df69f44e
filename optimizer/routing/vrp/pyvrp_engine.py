"""PyVRP's iterated local search on the integer data, for the problems it models.

PyVRP (pinned in pyproject.toml) is the state of the art on plain VRPTW. It
gets a problem only when every constraint maps exactly onto its data model:
hard single time windows, capacities, shifts, route duration limits, fixed
costs, multiple depots and optional stops with prizes. Soft windows, several
windows per stop and pickup-delivery pairs stay with OR-Tools.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from optimizer.routing.vrp.engine_result import EngineOutcome
from optimizer.routing.vrp.model import RoutingProblem
from optimizer.routing.vrp.scaling import UNLIMITED_INT, IntegerData

log = logging.getLogger("optimizer.routing.vrp.pyvrp")


def pyvrp_available() -> bool:
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


def pyvrp_unsupported(problem: RoutingProblem) -> str:
    """Why PyVRP cannot take this problem exactly, or "" when it can."""
    if problem.pairs:
        return "pickup-and-delivery pairs"
    for stop in problem.stops:
        if stop.soft:
            return f"soft time window (stop {stop.id!r})"
        if len(stop.windows) > 1:
            return f"several time windows (stop {stop.id!r})"
    return ""


def _vehicle_types(data: IntegerData, dims: list[int]) -> tuple[list, list[list[int]]]:
    """PyVRP vehicle types (identical vehicles grouped) and the vehicles of each type.

    Vehicles that cannot work at all (`data.usable`) are left out: PyVRP refuses
    their empty shift, and they could serve nothing anyway.
    """
    from pyvrp import VehicleType

    groups: dict[tuple, list[int]] = {}
    for v in range(data.vehicle_start.shape[0]):
        if not data.usable[v]:
            continue
        key = (
            int(data.vehicle_start[v]),
            int(data.vehicle_end[v]),
            tuple(int(data.capacity[v, k]) for k in dims),
            int(data.shift[v, 0]),
            int(data.shift[v, 1]),
            int(data.latest_departure[v]),
            int(data.max_duration[v]),
            int(data.fixed_cost[v]),
            int(data.duration_cost[v]),
        )
        groups.setdefault(key, []).append(v)
    types = []
    for key, members in groups.items():
        start, end, capacity, early, late, start_late, max_duration, fixed, per_time = key
        extra: dict[str, Any] = {}
        if max_duration < data.horizon:
            extra["shift_duration"] = max_duration
        types.append(
            VehicleType(
                num_available=len(members),
                capacity=list(capacity),
                start_depot=start,
                end_depot=end,
                fixed_cost=fixed,
                unit_duration_cost=per_time,
                tw_early=early,
                tw_late=late,
                start_late=start_late,
                **extra,
            )
        )
    return types, list(groups.values())


def _load_dimensions(data: IntegerData) -> list[int]:
    return [
        k
        for k in range(2)
        if data.demand[:, k].any() and not np.all(data.capacity[:, k] >= UNLIMITED_INT)
    ]


def build_pyvrp_data(data: IntegerData, coordinates: np.ndarray | None = None):
    """The PyVRP ProblemData for the integer data, and the vehicles behind each vehicle type."""
    from pyvrp import Client, Depot, ProblemData
    from pyvrp._pyvrp import Location

    n_depots, n_nodes = data.num_depots, data.num_nodes
    dims = _load_dimensions(data)
    if coordinates is None:
        coordinates = np.zeros((n_nodes, 2))
    locations = [Location(x=float(x), y=float(y)) for x, y in coordinates]
    depots = [Depot(location=d) for d in range(n_depots)]
    clients = []
    for node in range(n_depots, n_nodes):
        (open_, close), *_ = data.windows[node]
        clients.append(
            Client(
                location=node,
                delivery=[int(data.demand[node, k]) for k in dims],
                service_duration=int(data.service[node]),
                tw_early=int(open_),
                tw_late=int(close),
                prize=int(data.drop_penalty[node]),
                required=bool(data.required[node]),
            )
        )
    types, members = _vehicle_types(data, dims)
    matrices: tuple[list[Any], list[Any]] = ([data.distance], [data.travel])
    pyvrp_data = ProblemData(locations, clients, depots, types, *matrices)
    return pyvrp_data, members


def solve_with_pyvrp(
    data: IntegerData,
    time_limit: float,
    seed: int = 0,
    *,
    max_iterations: int | None = None,
    initial_routes: Sequence[Sequence[int]] | None = None,
    coordinates: np.ndarray | None = None,
) -> EngineOutcome:
    """Best feasible routes PyVRP finds; routes are per vehicle (empty when unused)."""
    started = time.perf_counter()  # the import below is part of the budget (in a new process)
    from pyvrp import Route, Solution, solve
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    n_vehicles = int(data.vehicle_start.shape[0])
    if not data.usable.any():
        note = "no vehicle can work (every shift misses its depot's hours)"
        if data.required[data.num_depots :].any():
            return EngineOutcome("pyvrp", None, note=note)
        return EngineOutcome("pyvrp", tuple(() for _ in range(n_vehicles)), objective=0, note=note)
    pyvrp_data, members = build_pyvrp_data(data, coordinates)
    initial, note = None, ""
    if initial_routes is not None:
        initial = _initial_solution(pyvrp_data, members, initial_routes, Route, Solution)
        if initial is None:
            note = "initial routes not usable by PyVRP; solved from scratch"
    remaining = max(0.05, time_limit - (time.perf_counter() - started))
    criteria: list[Any] = [MaxRuntime(remaining)]
    if max_iterations is not None:
        criteria.append(MaxIterations(max_iterations))
    result = solve(
        pyvrp_data,
        stop=MultipleCriteria(criteria),
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=initial,
    )
    elapsed = time.perf_counter() - started
    if not result.is_feasible():
        log.info("PyVRP found no feasible solution in %.1fs", elapsed)
        return EngineOutcome(
            "pyvrp", None, iterations=result.num_iterations, elapsed_s=elapsed, note=note
        )
    routes: list[tuple[int, ...]] = [() for _ in range(n_vehicles)]
    used = [0] * len(members)
    for route in result.best.routes():
        vehicle_type = route.vehicle_type()
        vehicle = members[vehicle_type][used[vehicle_type]]
        used[vehicle_type] += 1
        routes[vehicle] = tuple(a.idx for a in route if a.is_client())
    return EngineOutcome(
        "pyvrp",
        tuple(routes),
        objective=int(result.cost()),
        iterations=result.num_iterations,
        elapsed_s=elapsed,
        note=note,
    )


def _initial_solution(pyvrp_data, members, initial_routes, Route, Solution):
    """PyVRP's form of the routes, or None when it cannot take them (e.g. an unusable vehicle)."""
    type_of = {v: t for t, vehicles in enumerate(members) for v in vehicles}
    if any(stops and v not in type_of for v, stops in enumerate(initial_routes)):
        return None
    try:
        routes = [
            Route(pyvrp_data, [int(s) for s in stops], type_of[v])
            for v, stops in enumerate(initial_routes)
            if stops
        ]
        return Solution(pyvrp_data, routes)
    except (RuntimeError, ValueError, IndexError) as exc:
        log.info("PyVRP refused the initial routes: %s", exc)
        return None
