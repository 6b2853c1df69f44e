"""The two outside references of the VRPTW benchmark, built independently of our engine.

- Plain OR-Tools defaults: the textbook VRPTW model (distance arc cost, a time
  dimension with waiting slack and windows, a capacity dimension), solved with
  PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH on the same integers as our engine,
  with a drop penalty on every customer: without one it finds no first
  solution on R101 in 10 s.
- PyVRP (pinned in pyproject.toml) on its own reading of the file (vrplib) with
  the DIMACS rounding PyVRP's own benchmarks use.

Both return routes as lists of customer positions (0 = first customer of the file).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.routing.vrp.scaling import IntegerData


@dataclass(frozen=True)
class ReferenceRun:
    routes: list[list[int]] | None  # customer positions per used vehicle; None: no plan
    dropped: int
    elapsed_s: float
    note: str = ""


def solve_ortools_defaults(data: IntegerData, time_limit: float) -> ReferenceRun:
    """PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH on the textbook model (one thread)."""
    started = time.perf_counter()
    n_vehicles = int(data.vehicle_start.shape[0])
    manager = pywrapcp.RoutingIndexManager(data.num_nodes, n_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    distance = routing.RegisterTransitMatrix(data.distance.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(distance)
    transit = (data.travel + data.service[:, None]).tolist()
    routing.AddDimension(
        routing.RegisterTransitMatrix(transit), data.horizon, data.horizon, False, "time"
    )
    time_dimension = routing.GetDimensionOrDie("time")
    for node in range(1, data.num_nodes):
        (open_, close), *_ = data.windows[node]
        time_dimension.CumulVar(manager.NodeToIndex(node)).SetRange(open_, close)
    for v in range(n_vehicles):
        time_dimension.CumulVar(routing.Start(v)).SetRange(
            int(data.shift[v, 0]), int(data.shift[v, 1])
        )
        time_dimension.CumulVar(routing.End(v)).SetRange(
            int(data.shift[v, 0]), int(data.shift[v, 1])
        )
    demand = routing.RegisterUnaryTransitVector(data.demand[:, 0].tolist())
    routing.AddDimensionWithVehicleCapacity(
        demand, 0, data.capacity[:, 0].tolist(), True, "capacity"
    )
    penalty = int(data.distance.max(axis=1).sum())  # more than any customer's insertion costs
    for node in range(1, data.num_nodes):
        routing.AddDisjunction([manager.NodeToIndex(node)], penalty)
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.05, time_limit - (time.perf_counter() - started))
    search.time_limit.FromMilliseconds(int(remaining * 1000))
    solution = routing.SolveWithParameters(search)
    elapsed = time.perf_counter() - started
    if solution is None:
        return ReferenceRun(None, data.num_nodes - 1, elapsed, "no solution")
    routes = []
    for v in range(n_vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index) - 1)
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    served = sum(len(r) for r in routes)
    return ReferenceRun(routes, data.num_nodes - 1 - served, elapsed)


def solve_pyvrp(path: Path, time_limit: float, seed: int = 0) -> ReferenceRun:
    """PyVRP's default solver on the file as vrplib reads it, DIMACS-rounded (one thread)."""
    import vrplib
    from pyvrp import Client, Depot, ProblemData, VehicleType, solve
    from pyvrp._pyvrp import Location
    from pyvrp.stop import MaxRuntime

    started = time.perf_counter()
    instance = vrplib.read_instance(str(path), instance_format="solomon")

    def dimacs(values) -> np.ndarray:
        return (10 * np.asarray(values)).astype(np.int64)

    edges = dimacs(instance["edge_weight"])
    windows = dimacs(instance["time_window"])
    service = dimacs(instance["service_time"])
    coords = instance["node_coord"]
    data = ProblemData(
        [Location(x=float(x), y=float(y)) for x, y in coords],
        [
            Client(
                location=i,
                delivery=[int(instance["demand"][i])],
                service_duration=int(service[i]),
                tw_early=int(windows[i, 0]),
                tw_late=int(windows[i, 1]),
            )
            for i in range(1, len(coords))
        ],
        [Depot(location=0, tw_early=int(windows[0, 0]), tw_late=int(windows[0, 1]))],
        [
            VehicleType(
                num_available=int(instance["vehicles"]),
                capacity=[int(instance["capacity"])],
                tw_early=int(windows[0, 0]),
                tw_late=int(windows[0, 1]),
            )
        ],
        [edges],
        [edges],
    )
    remaining = max(0.05, time_limit - (time.perf_counter() - started))
    result = solve(data, stop=MaxRuntime(remaining), seed=seed, display=False, collect_stats=False)
    elapsed = time.perf_counter() - started
    if not result.is_feasible():
        return ReferenceRun(None, len(coords) - 1, elapsed, "no feasible solution")
    routes = [[a.idx for a in route if a.is_client()] for route in result.best.routes()]
    return ReferenceRun(routes, 0, elapsed)
