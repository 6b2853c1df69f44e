"""Cheapest insertion of left-out stops: repairs plans and tells why a stop stays out.

Used after the engines: a search stopped by its time limit, or a warm start
after new orders arrived, may leave stops out that fit somewhere cheaply.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace

from optimizer.routing.vrp.feasibility import check_route
from optimizer.routing.vrp.model import RoutingProblem, Vehicle
from optimizer.routing.vrp.plans import ScoredPlan, route_cost, score_plan


class OutOfTime(Exception):
    """The deadline passed before the search for a place ended."""


def cheapest_insertion(
    problem: RoutingProblem, plan: ScoredPlan, stops: Sequence[int], deadline: float
) -> tuple[float, int, list[int]] | None:
    """Cheapest feasible way to add `stops` (one stop, or a pickup then its delivery).

    Returns (added cost, vehicle, new route) or None; raises OutOfTime past `deadline`.
    Only one unused vehicle of each kind is tried, and a route whose load leaves no
    room is skipped without trying its positions.
    """
    best: tuple[float, int, list[int]] | None = None
    tried_empty: set[Vehicle] = set()
    extra = problem.stops[stops[0]].demand
    for vehicle, route in enumerate(plan.routes):
        spec = problem.vehicles[vehicle]
        if not route:
            kind = replace(spec, id="")
            if kind in tried_empty:
                continue
            tried_empty.add(kind)
        check = plan.checks[vehicle]
        if (
            check is not None
            and not problem.pairs
            and not (check.peak + extra).fits_in(spec.capacity)
        ):
            continue
        if time.perf_counter() > deadline:
            raise OutOfTime
        old = route_cost(problem, vehicle, route, check) if check else 0.0
        quick = _quick_positions(problem, vehicle, list(route), stops)
        if quick is not None:
            # Windows-only case: exact O(1) checks per position, then one full check.
            for added_distance, candidate in quick:
                fixed = spec.fixed_cost if not route else 0.0
                if best is not None and added_distance + fixed >= best[0] - 1e-9:
                    break
                new_check = check_route(problem, vehicle, candidate)
                if not new_check.issue:
                    best = (
                        route_cost(problem, vehicle, candidate, new_check) - old,
                        vehicle,
                        candidate,
                    )
                    break
            continue
        for candidate in _insertions(list(route), stops):
            new_check = check_route(problem, vehicle, candidate)
            if new_check.issue:
                continue
            added = route_cost(problem, vehicle, candidate, new_check) - old
            if best is None or added < best[0] - 1e-9:
                best = (added, vehicle, candidate)
    return best


def _quick_positions(
    problem: RoutingProblem, vehicle: int, route: list[int], stops: Sequence[int]
) -> list[tuple[float, list[int]]] | None:
    """Feasible single-stop insertions by added distance, checked in O(1) each.

    Only for the common shape where time is the sole concern: hard windows (one
    each, or none), no duration limit or cost, no pairs. None otherwise.
    """
    spec = problem.vehicles[vehicle]
    if len(stops) != 1 or problem.pairs or spec.duration_cost or math.isfinite(spec.max_duration):
        return None
    visits = [problem.stops[i] for i in route]
    new = problem.stops[stops[0]]
    if any(s.soft or len(s.windows) > 1 for s in [*visits, new]):
        return None
    duration, distance = problem.travel.duration, problem.travel.distance
    start_depot, end_depot = problem.depot(spec.start_depot), problem.depot(spec.end_depot)
    places = [start_depot.location, *[s.location for s in visits], end_depot.location]
    opens = [0.0, *[s.earliest for s in visits], 0.0]
    closes = [math.inf, *[s.latest for s in visits], min(spec.shift.close, end_depot.hours.close)]
    services = [0.0, *[s.service_time for s in visits], 0.0]
    leave = [max(spec.shift.open, start_depot.hours.open)]  # earliest departure from each place
    for k in range(1, len(places) - 1):
        start = max(leave[-1] + duration[places[k - 1], places[k]], opens[k])
        leave.append(start + services[k])
    latest = [0.0] * len(places)  # latest start at each place keeping the rest feasible
    latest[-1] = closes[-1]
    for k in range(len(places) - 2, 0, -1):
        latest[k] = min(closes[k], latest[k + 1] - duration[places[k], places[k + 1]] - services[k])
    found = []
    for k in range(len(places) - 1):  # insert between place k and place k + 1
        start = max(leave[k] + duration[places[k], new.location], new.earliest)
        if start > new.latest + 1e-9:
            continue
        reach_next = start + new.service_time + duration[new.location, places[k + 1]]
        if max(reach_next, opens[k + 1]) > latest[k + 1] + 1e-9:
            continue
        added = (
            distance[places[k], new.location]
            + distance[new.location, places[k + 1]]
            - distance[places[k], places[k + 1]]
        )
        found.append((float(added), [*route[:k], stops[0], *route[k:]]))
    found.sort(key=lambda item: item[0])
    return found


def _insertions(route: list[int], stops: Sequence[int]):
    n = len(route)
    if len(stops) == 1:
        for i in range(n + 1):
            yield [*route[:i], stops[0], *route[i:]]
        return
    pickup, delivery = stops
    for i in range(n + 1):
        for j in range(i, n + 1):
            yield [*route[:i], pickup, *route[i:j], delivery, *route[j:]]


def insertion_units(problem: RoutingProblem, missing: Sequence[int]) -> list[list[int]]:
    """Missing stops grouped as they must be inserted: alone, or pickup with its delivery."""
    missing_set = set(missing)
    units: list[list[int]] = []
    for index in missing:
        stop = problem.stops[index]
        partner = problem.partner.get(stop.id)
        if partner is None:
            units.append([index])
            continue
        other = problem.stop_index[partner]
        is_pickup = any(p.pickup == stop.id for p in problem.pairs)
        if is_pickup and other in missing_set:
            units.append([index, other])
    return units


def repair(problem: RoutingProblem, plan: ScoredPlan, deadline: float) -> ScoredPlan:
    """Insert left-out stops where that pays: every required one, optional ones below their penalty.

    The result is never worse than `plan`; it fixes what a search stopped by its
    time limit (or a warm start after new stops arrived) left undone.
    """
    served = {s for r in plan.routes for s in r}
    missing = [i for i in range(len(problem.stops)) if i not in served]
    if not missing:
        return plan
    routes = [list(r) for r in plan.routes]
    current = plan
    order = sorted(
        insertion_units(problem, missing), key=lambda u: not problem.stops[u[0]].required
    )
    for unit in order:
        try:
            found = cheapest_insertion(problem, current, unit, deadline)
        except OutOfTime:
            break
        if found is None:
            continue
        added, vehicle, new_route = found
        penalty = sum(problem.stops[i].drop_penalty for i in unit)
        if problem.stops[unit[0]].required or added < penalty - 1e-9:
            routes[vehicle] = new_route
            rescored = score_plan(problem, routes, plan.source)
            if rescored is None or rescored.key >= current.key:
                routes[vehicle] = list(current.routes[vehicle])
                continue
            current = rescored
    return current
