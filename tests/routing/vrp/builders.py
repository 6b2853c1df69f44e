"""Tiny hand-made routing problems, and a brute-force optimum to compare solvers against."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from optimizer.routing.vrp import (
    Depot,
    Load,
    RoutingProblem,
    Stop,
    TimeWindow,
    TravelMatrix,
    Vehicle,
)
from optimizer.routing.vrp.check import check_plan


def line_problem(
    positions: Sequence[float],
    *,
    stops: Sequence[dict] | None = None,
    vehicles: Sequence[dict] | None = None,
    depot_at: float = 0.0,
    pairs: Sequence = (),
    extra_depots: Sequence[float] = (),
) -> RoutingProblem:
    """Stops on a straight road (x positions), depot(s) first; travel time = distance."""
    depot_positions = [depot_at, *extra_depots]
    points = [(x, 0.0) for x in depot_positions] + [(x, 0.0) for x in positions]
    travel = TravelMatrix.from_coordinates(points)
    depots = tuple(
        Depot(id=f"D{k}", location=k, hours=TimeWindow()) for k in range(len(depot_positions))
    )
    stop_args = list(stops) if stops is not None else [{} for _ in positions]
    built = tuple(
        Stop(id=f"s{i + 1}", location=len(depot_positions) + i, **args)
        for i, args in enumerate(stop_args)
    )
    vehicle_args = list(vehicles) if vehicles is not None else [{}]
    fleet = tuple(
        Vehicle(id=f"v{k + 1}", **{"start_depot": "D0", **args})
        for k, args in enumerate(vehicle_args)
    )
    return RoutingProblem(
        depots=depots,
        vehicles=fleet,
        stops=built,
        travel=travel,
        pairs=tuple(pairs),
        coordinates=np.array(points),
    )


def window(open_: float, close: float) -> tuple[TimeWindow, ...]:
    return (TimeWindow(open_, close),)


def load(weight: float, volume: float = 0.0) -> Load:
    return Load(weight, volume)


def brute_force_optimum(problem: RoutingProblem) -> tuple[float, dict[str, list[str]]]:
    """Cheapest feasible plan by trying every assignment and every visit order.

    Feasibility and cost come from the independent checker, so this shares no
    logic with the solver. Only for a handful of stops.
    """
    stop_ids = [s.id for s in problem.stops]
    vehicle_ids = [v.id for v in problem.vehicles]
    choices = [*range(len(vehicle_ids)), None]  # None: left out
    best: tuple[float, dict[str, list[str]]] | None = None
    for assignment in itertools.product(choices, repeat=len(stop_ids)):
        groups: dict[str, list[str]] = {v: [] for v in vehicle_ids}
        skip = False
        for stop_id, vehicle in zip(stop_ids, assignment, strict=True):
            if vehicle is None:
                if problem.stop(stop_id).required:
                    skip = True
                    break
                continue
            groups[vehicle_ids[vehicle]].append(stop_id)
        if skip:
            continue
        orders = [list(itertools.permutations(groups[v])) for v in vehicle_ids]
        for combination in itertools.product(*orders):
            plan = {
                v: list(order) for v, order in zip(vehicle_ids, combination, strict=True) if order
            }
            report = check_plan(problem, plan)
            if report.feasible and (best is None or report.cost < best[0] - 1e-9):
                best = (report.cost, plan)
    if best is None:
        raise AssertionError("brute force found no feasible plan")
    return best
