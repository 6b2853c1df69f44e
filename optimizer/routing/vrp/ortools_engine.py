"""OR-Tools routing on the integer data: the engine for every constraint we model.

The model is built from matrices (`RegisterTransitMatrix`,
`RegisterUnaryTransitVector`), never from per-arc Python callbacks, which would
dominate run time. OR-Tools routing has no random seed, and its search is
deterministic: measured, even relabelling the stops leaves its trajectory
unchanged. Diversity in the portfolio therefore comes from different
first-solution strategies, not from seeds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.errors import InputError
from optimizer.routing.vrp.engine_result import EngineOutcome
from optimizer.routing.vrp.scaling import UNLIMITED_INT, IntegerData

log = logging.getLogger("optimizer.routing.vrp.ortools")

FIRST_SOLUTION_STRATEGIES = tuple(
    v.name
    for v in routing_enums_pb2.FirstSolutionStrategy.Value.DESCRIPTOR.values
    if v.name != "UNSET"
)
METAHEURISTICS = tuple(
    v.name
    for v in routing_enums_pb2.LocalSearchMetaheuristic.Value.DESCRIPTOR.values
    if v.name != "UNSET"
)


@dataclass(frozen=True)
class OrToolsParams:
    """How OR-Tools searches; `solution_limit` makes a run reproducible (see README)."""

    first_solution: str = ""  # "": chosen by problem shape in solve()
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1
    solution_limit: int | None = None
    # Let required stops stay out at a prohibitive penalty, so a plan always comes back.
    allow_unserved: bool = True
    log_search: bool = False

    def __post_init__(self) -> None:
        if self.first_solution and self.first_solution not in FIRST_SOLUTION_STRATEGIES:
            raise InputError(f"unknown strategy {self.first_solution!r}", field="first_solution")
        if self.metaheuristic not in METAHEURISTICS:
            raise InputError(f"unknown metaheuristic {self.metaheuristic!r}", field="metaheuristic")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise InputError("must be >= 1", field="solution_limit")


class _Model:
    """One OR-Tools routing model over the integer data (model nodes = data nodes)."""

    def __init__(self, data: IntegerData, allow_unserved: bool):
        self.data = data
        self.manager = pywrapcp.RoutingIndexManager(
            data.num_nodes,
            int(data.vehicle_start.shape[0]),
            data.vehicle_start.tolist(),
            data.vehicle_end.tolist(),
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._build(allow_unserved)

    def _build(self, allow_unserved: bool) -> None:
        data, routing, manager = self.data, self.routing, self.manager
        solver = routing.solver()
        n_vehicles = manager.GetNumberOfVehicles()
        n_depots = data.num_depots

        # A depot-to-depot arc is only ever the start-to-end arc of an idle vehicle: it costs
        # nothing and takes no time, so an idle vehicle is never held to its depots' hours,
        # its duration limit or a trip between two depots it will not drive.
        distance = data.distance.copy()
        distance[:n_depots, :n_depots] = 0
        arc_cost = routing.RegisterTransitMatrix(distance.tolist())
        routing.SetArcCostEvaluatorOfAllVehicles(arc_cost)
        for v in range(n_vehicles):
            if data.fixed_cost[v]:
                routing.SetFixedCostOfVehicle(int(data.fixed_cost[v]), v)

        transit = data.travel + data.service[:, None]
        transit[:n_depots, :n_depots] = 0
        time_cb = routing.RegisterTransitMatrix(transit.tolist())
        routing.AddDimension(time_cb, data.horizon, data.horizon, False, "time")
        self.time = time = routing.GetDimensionOrDie("time")
        unusable = [v for v in range(n_vehicles) if not data.usable[v]]
        for node in range(n_depots, data.num_nodes):
            index = manager.NodeToIndex(node)
            windows = data.windows[node]
            cumul = time.CumulVar(index)
            last_close = windows[-1][1] if not data.soft[node] else data.horizon
            cumul.SetRange(windows[0][0], last_close)
            for (_, close), (next_open, _) in pairwise(windows):
                if next_open > close + 1:
                    cumul.RemoveInterval(close + 1, next_open - 1)
            if data.soft[node]:
                time.SetCumulVarSoftUpperBound(index, windows[-1][1], int(data.lateness_cost[node]))
            for v in unusable:
                routing.VehicleVar(index).RemoveValue(v)
        for v in range(n_vehicles):
            if not data.usable[v]:
                continue  # no stop may use it (above); its idle route needs no bounds
            earliest, latest = int(data.shift[v, 0]), int(data.shift[v, 1])
            time.CumulVar(routing.Start(v)).SetRange(earliest, int(data.latest_departure[v]))
            time.CumulVar(routing.End(v)).SetRange(earliest, latest)
            if data.max_duration[v] < data.horizon:
                time.SetSpanUpperBoundForVehicle(int(data.max_duration[v]), v)
            if data.duration_cost[v]:
                time.SetSpanCostCoefficientForVehicle(int(data.duration_cost[v]), v)
            routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))
            routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(v)))
        self._exclude_unused_depots()

        self._add_loads()

        for pickup_node, delivery_node in data.pairs.tolist():
            pickup = manager.NodeToIndex(pickup_node)
            delivery = manager.NodeToIndex(delivery_node)
            routing.AddPickupAndDelivery(pickup, delivery)
            solver.Add(routing.VehicleVar(pickup) == routing.VehicleVar(delivery))
            solver.Add(routing.ActiveVar(pickup) == routing.ActiveVar(delivery))
            solver.Add(time.CumulVar(pickup) <= time.CumulVar(delivery))

        # Above any plan's whole objective: leaving a required stop out never pays.
        prohibitive = int(data.worst_cost) + 1
        for node in range(n_depots, data.num_nodes):
            index = manager.NodeToIndex(node)
            if not data.required[node]:
                routing.AddDisjunction([index], int(data.drop_penalty[node]))
            elif allow_unserved:
                routing.AddDisjunction([index], prohibitive)

    def _exclude_unused_depots(self) -> None:
        """A depot no vehicle starts or ends at would be an ordinary node: keep it unvisited."""
        data, routing, manager = self.data, self.routing, self.manager
        used = set(data.vehicle_start.tolist()) | set(data.vehicle_end.tolist())
        for node in range(data.num_depots):
            if node not in used:
                index = manager.NodeToIndex(node)
                routing.AddDisjunction([index], 0)
                routing.ActiveVar(index).SetValue(0)

    def _add_loads(self) -> None:
        data, routing = self.data, self.routing
        sign = data.pair_sign
        has_pairs = bool(data.pairs.size)
        for k, name in enumerate(("weight", "volume")):
            amounts = data.demand[:, k]
            capacities = data.capacity[:, k]
            if not amounts.any() or np.all(capacities >= UNLIMITED_INT):
                continue
            if has_pairs:
                # Deliveries ride from the depot: the load starts at their total and must end at 0.
                signed = np.where(sign == 0, -amounts, amounts * sign)
                callback = routing.RegisterUnaryTransitVector(signed.tolist())
                routing.AddDimensionWithVehicleCapacity(
                    callback, 0, [int(c) for c in capacities], False, name
                )
                dimension = routing.GetDimensionOrDie(name)
                for v in range(self.manager.GetNumberOfVehicles()):
                    dimension.CumulVar(routing.End(v)).SetValue(0)
            else:
                callback = routing.RegisterUnaryTransitVector(amounts.tolist())
                routing.AddDimensionWithVehicleCapacity(
                    callback, 0, [int(c) for c in capacities], True, name
                )

    def routes_to_assignment(self, routes: Sequence[Sequence[int]], search):
        """An assignment from stop-index routes, or None when OR-Tools finds it infeasible."""
        n_depots = self.data.num_depots
        n_vehicles = self.manager.GetNumberOfVehicles()
        if len(routes) != n_vehicles:
            return None
        indices = [[self.manager.NodeToIndex(n_depots + s) for s in route] for route in routes]
        self.routing.CloseModelWithParameters(search)
        return self.routing.ReadAssignmentFromRoutes(indices, True)

    def routes_from(self, assignment) -> tuple[tuple[int, ...], ...]:
        routing, manager, n_depots = self.routing, self.manager, self.data.num_depots
        routes = []
        for v in range(manager.GetNumberOfVehicles()):
            index = assignment.Value(routing.NextVar(routing.Start(v)))
            stops = []
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                if node < n_depots:  # cannot happen (unused depots are inactive); never a stop
                    raise RuntimeError(f"OR-Tools routed vehicle {v} through depot node {node}")
                stops.append(node - n_depots)
                index = assignment.Value(routing.NextVar(index))
            routes.append(tuple(stops))
        return tuple(routes)


def solve_with_ortools(
    data: IntegerData,
    time_limit: float,
    params: OrToolsParams | None = None,
    initial_routes: Sequence[Sequence[int]] | None = None,
) -> EngineOutcome:
    """Best routes OR-Tools finds within `time_limit` seconds (None routes if none found)."""
    params = params or OrToolsParams()
    started = time.perf_counter()
    model = _Model(data, params.allow_unserved)
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy,
        params.first_solution or "PARALLEL_CHEAPEST_INSERTION",
    )
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic
    )
    search.guided_local_search_lambda_coefficient = params.gls_lambda
    search.log_search = params.log_search
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    remaining = max(0.05, time_limit - (time.perf_counter() - started))
    search.time_limit.FromMilliseconds(int(remaining * 1000))

    solution = None
    note = ""
    if initial_routes is not None:
        start = model.routes_to_assignment(initial_routes, search)
        if start is not None:
            solution = model.routing.SolveFromAssignmentWithParameters(start, search)
        else:
            note = "initial routes rejected by OR-Tools; solved from scratch"
    if solution is None:
        solution = model.routing.SolveWithParameters(search)
    elapsed = time.perf_counter() - started
    if solution is None:
        log.info("OR-Tools found no solution in %.1fs", elapsed)
        return EngineOutcome("ortools", None, elapsed_s=elapsed, note=note)
    return EngineOutcome(
        "ortools",
        model.routes_from(solution),
        objective=int(solution.ObjectiveValue()),
        elapsed_s=elapsed,
        note=note,
    )
