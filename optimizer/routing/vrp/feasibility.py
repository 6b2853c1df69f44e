"""Solver-side feasibility of visit orders: loads, pairs, times, and a whole plan.

Used to vet warm starts and engine outputs and to explain skipped stops. Tests
do not trust this module: they use `check.py`, which is written independently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optimizer.routing.vrp.model import Load, RoutingProblem
from optimizer.routing.vrp.result import Plan
from optimizer.routing.vrp.schedule import RouteTiming, time_route

_TOLERANCE = 1e-9


def peak_load(problem: RoutingProblem, stops: Sequence[int]) -> Load:
    """Largest load on board: deliveries ride from the depot, pair loads between their ends."""
    pickup_of = {p.delivery: p.pickup for p in problem.pairs}
    pickups = {p.pickup for p in problem.pairs}
    on_board = [0.0, 0.0]
    for index in stops:
        stop = problem.stops[index]
        if stop.id not in problem.partner:
            on_board[0] += stop.demand.weight
            on_board[1] += stop.demand.volume
    peak = list(on_board)
    for index in stops:
        stop = problem.stops[index]
        if stop.id in pickups:
            change = (stop.demand.weight, stop.demand.volume)
        elif stop.id in pickup_of:
            moved = problem.stop(pickup_of[stop.id]).demand
            change = (-moved.weight, -moved.volume)
        else:
            change = (-stop.demand.weight, -stop.demand.volume)
        on_board = [on_board[0] + change[0], on_board[1] + change[1]]
        peak = [max(peak[0], on_board[0]), max(peak[1], on_board[1])]
    return Load(max(0.0, peak[0]), max(0.0, peak[1]))


def pair_issue(problem: RoutingProblem, stops: Sequence[int]) -> str:
    """Why the pairs on this route are broken, or ""."""
    position = {problem.stops[i].id: k for k, i in enumerate(stops)}
    for pair in problem.pairs:
        on_pickup, on_delivery = pair.pickup in position, pair.delivery in position
        if on_pickup != on_delivery:
            return f"pair {pair.pickup!r}->{pair.delivery!r} split across routes"
        if on_pickup and position[pair.pickup] > position[pair.delivery]:
            return f"pair {pair.pickup!r}->{pair.delivery!r} delivered before pickup"
    return ""


@dataclass(frozen=True)
class RouteCheck:
    issue: str  # "" when feasible
    timing: RouteTiming
    peak: Load


def check_route(
    problem: RoutingProblem, vehicle: int, stops: Sequence[int], *, best_departure: bool = True
) -> RouteCheck:
    """Capacity, pairs and times of one vehicle's order."""
    peak = peak_load(problem, stops)
    capacity = problem.vehicles[vehicle].capacity
    issue = ""
    if peak.weight > capacity.weight + _TOLERANCE or peak.volume > capacity.volume + _TOLERANCE:
        issue = f"load {peak.weight:g}/{peak.volume:g} over capacity"
    issue = issue or pair_issue(problem, stops)
    timing = time_route(problem, vehicle, stops, best_departure=best_departure)
    issue = issue or timing.reason
    return RouteCheck(issue, timing, peak)


def plan_to_indices(problem: RoutingProblem, plan: Plan) -> tuple[list[list[int]], list[str]]:
    """Per-vehicle stop indices for a plan, and what is wrong with its ids or repeats."""
    routes: list[list[int]] = [[] for _ in problem.vehicles]
    issues: list[str] = []
    seen: set[str] = set()
    for vehicle_id, stop_ids in plan.routes:
        vehicle = problem.vehicle_index.get(vehicle_id)
        if vehicle is None:
            issues.append(f"unknown vehicle {vehicle_id!r}")
            continue
        for stop_id in stop_ids:
            if stop_id not in problem.stop_index:
                issues.append(f"unknown stop {stop_id!r}")
            elif stop_id in seen:
                issues.append(f"stop {stop_id!r} visited twice")
            else:
                seen.add(stop_id)
                routes[vehicle].append(problem.stop_index[stop_id])
    return routes, issues
