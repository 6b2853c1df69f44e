"""The two outside references of the VRPTW benchmark, built independently of our engine.

- Plain OR-Tools defaults: the textbook VRPTW model (distance arc cost, a time
  dimension with waiting slack and windows, a capacity dimension), solved with
  PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH on the same integers as our engine,
  with a drop penalty on every customer: without one it finds no first
  solution on R101 in 10 s.
- PyVRP (pinned in pyproject.toml) on its own reading of the file (vrplib) with
  the DIMACS rounding PyVRP's own benchmarks use: on one core, and on two cores
  (two seeds side by side, the better plan kept: the same CPU as our portfolio,
  since PyVRP's search is single-threaded).

Both return routes as lists of customer positions (0 = first customer of the file).
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.routing.vrp.scaling import IntegerData


@dataclass(frozen=True)
class ReferenceRun:
    routes: list[list[int]] | None  # customer positions per used vehicle; None: no plan
    dropped: int
    elapsed_s: float
    note: str = ""
    cost: int | None = None  # the solver's own integer objective, where it reports one


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
    matrices: tuple[list[Any], list[Any]] = ([edges], [edges])  # distance, duration
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
        *matrices,
    )
    remaining = max(0.05, time_limit - (time.perf_counter() - started))
    result = solve(data, stop=MaxRuntime(remaining), seed=seed, display=False, collect_stats=False)
    elapsed = time.perf_counter() - started
    if not result.is_feasible():
        return ReferenceRun(None, len(coords) - 1, elapsed, "no feasible solution")
    routes = [[a.idx for a in route if a.is_client()] for route in result.best.routes()]
    return ReferenceRun(routes, 0, elapsed, cost=int(result.cost()))


_HANDBACK_S = 0.1  # kept back by each process to return its routes within the budget


def _pyvrp_until(path: Path, deadline_wall: float, seed: int) -> ReferenceRun:
    return solve_pyvrp(path, max(0.05, deadline_wall - time.time() - _HANDBACK_S), seed)


def solve_pyvrp_parallel(
    path: Path, time_limit: float, seed: int = 0, processes: int = 2
) -> ReferenceRun:
    """PyVRP on `processes` cores: that many seeds side by side, the cheapest plan kept.

    All processes share one wall-clock deadline, start-up included, so the row
    gets the same wall time and the same CPU as our two-process portfolio.
    """
    started = time.perf_counter()
    deadline_wall = time.time() + time_limit
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with mp.get_context(method).Pool(processes) as pool:
        pending = [
            pool.apply_async(_pyvrp_until, (path, deadline_wall, seed + k))
            for k in range(processes)
        ]
        runs = []
        for job in pending:
            try:
                runs.append(job.get(timeout=max(0.0, deadline_wall - time.time()) + 0.5))
            except mp.TimeoutError:
                continue
    elapsed = time.perf_counter() - started
    done = [run for run in runs if run.routes is not None and run.cost is not None]
    if not done:
        notes = "; ".join(run.note for run in runs if run.note) or "no answer in time"
        return ReferenceRun(None, 0, elapsed, notes)
    best = min(done, key=lambda run: run.cost or 0)
    note = f"best of {len(done)} seeds" if len(done) < processes else ""
    return ReferenceRun(best.routes, best.dropped, elapsed, note, best.cost)
