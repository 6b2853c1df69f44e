"""From engine routes to a result: vet, score, repair, time, and explain what is left out."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from optimizer.routing.vrp.feasibility import RouteCheck, check_route
from optimizer.routing.vrp.model import RoutingProblem, Vehicle
from optimizer.routing.vrp.result import Route, RoutingResult, Skipped, SkipReason, Visit
from optimizer.routing.vrp.scaling import Scaling
from optimizer.routing.vrp.schedule import time_route
from optimizer.status import SolveStatus

log = logging.getLogger("optimizer.routing.vrp")


@dataclass(frozen=True)
class ScoredPlan:
    """A plan that passed the solver-side checks, with what it costs."""

    routes: tuple[tuple[int, ...], ...]  # per vehicle
    checks: tuple[RouteCheck | None, ...]  # per vehicle, None when unused
    unserved_required: int
    cost: float
    source: str

    @property
    def key(self) -> tuple[int, float]:
        return (self.unserved_required, self.cost)


def route_cost(
    problem: RoutingProblem, vehicle: int, stops: Sequence[int], check: RouteCheck
) -> float:
    if not stops:
        return 0.0
    distance = problem.travel.distance
    spec = problem.vehicles[vehicle]
    locations = [problem.depot(spec.start_depot).location]
    locations += [problem.stops[s].location for s in stops]
    locations.append(problem.depot(spec.end_depot).location)
    travelled = float(sum(distance[a, b] for a, b in pairwise(locations)))
    timing = check.timing
    return travelled + spec.fixed_cost + timing.lateness_cost + spec.duration_cost * timing.duration


def score_plan(
    problem: RoutingProblem, routes: Sequence[Sequence[int]], source: str
) -> ScoredPlan | None:
    """The plan's cost, or None when any route breaks a hard constraint or a stop repeats."""
    served: set[int] = set()
    checks: list[RouteCheck | None] = []
    cost = 0.0
    for vehicle, stops in enumerate(routes):
        if served.intersection(stops) or len(set(stops)) != len(stops):
            log.warning("%s plan visits a stop twice; discarded", source)
            return None
        served.update(stops)
        if not stops:
            checks.append(None)
            continue
        check = check_route(problem, vehicle, stops)
        if check.issue:
            log.warning("%s plan infeasible in floating point (%s); discarded", source, check.issue)
            return None
        checks.append(check)
        cost += route_cost(problem, vehicle, stops, check)
    unserved = 0
    for index, stop in enumerate(problem.stops):
        if index not in served:
            if stop.required:
                unserved += 1
            else:
                cost += stop.drop_penalty
    return ScoredPlan(tuple(tuple(r) for r in routes), tuple(checks), unserved, cost, source)


class _OutOfTime(Exception):
    pass


def _cheapest_insertion(
    problem: RoutingProblem, plan: ScoredPlan, stops: Sequence[int], deadline: float
) -> tuple[float, int, list[int]] | None:
    """Cheapest feasible way to add `stops` (one stop, or a pickup then its delivery).

    Returns (added cost, vehicle, new route) or None; raises _OutOfTime past `deadline`.
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
            raise _OutOfTime
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


def _units(problem: RoutingProblem, missing: Sequence[int]) -> list[list[int]]:
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
    order = sorted(_units(problem, missing), key=lambda u: not problem.stops[u[0]].required)
    for unit in order:
        try:
            found = _cheapest_insertion(problem, current, unit, deadline)
        except _OutOfTime:
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


def explain_skipped(
    problem: RoutingProblem, plan: ScoredPlan, unreachable: Mapping[str, str], deadline: float
) -> tuple[Skipped, ...]:
    """Why each optional stop is out. Past `deadline` the rest get a reason without analysis."""
    served = {s for r in plan.routes for s in r}
    skipped: list[Skipped] = []
    missing = [i for i, s in enumerate(problem.stops) if i not in served and not s.required]
    for unit in _units(problem, missing):
        ids = [problem.stops[i].id for i in unit]
        if ids[0] in unreachable:
            reason, message = SkipReason.UNREACHABLE, unreachable[ids[0]]
        else:
            reason, message = _why_left_out(problem, plan, unit, deadline)
        skipped.extend(Skipped(stop_id, reason, message) for stop_id in ids)
    return tuple(skipped)


def _why_left_out(
    problem: RoutingProblem, plan: ScoredPlan, unit: list[int], deadline: float
) -> tuple[SkipReason, str]:
    penalty = sum(problem.stops[i].drop_penalty for i in unit)
    try:
        found = _cheapest_insertion(problem, plan, unit, deadline)
    except _OutOfTime:
        return (
            SkipReason.NOT_WORTH_SERVING,
            f"left out by the search at drop penalty {penalty:g} (not analysed: time limit)",
        )
    if found is None:
        return (
            SkipReason.NO_ROOM,
            "no vehicle of this plan can fit it in time, load or shift",
        )
    return (
        SkipReason.NOT_WORTH_SERVING,
        f"the cheapest place for it adds {found[0]:.2f}, more than its drop penalty {penalty:g}",
    )


def build_result(
    problem: RoutingProblem,
    plan: ScoredPlan,
    *,
    unreachable: Mapping[str, str],
    solve_time_s: float,
    seed: int,
    scaling: Scaling,
    deadline: float,
    notes: Sequence[str] = (),
) -> RoutingResult:
    distance = problem.travel.distance
    routes: list[Route] = []
    for vehicle, stops in enumerate(plan.routes):
        check = plan.checks[vehicle]
        if not stops or check is None:
            continue
        spec = problem.vehicles[vehicle]
        locations = [problem.depot(spec.start_depot).location]
        locations += [problem.stops[s].location for s in stops]
        locations.append(problem.depot(spec.end_depot).location)
        travelled = math.fsum(distance[a, b] for a, b in pairwise(locations))
        timing = time_route(problem, vehicle, stops, shortest=True)
        routes.append(
            Route(
                vehicle_id=spec.id,
                start_depot=spec.start_depot,
                end_depot=spec.end_depot,
                departure=timing.departure,
                arrival=timing.arrival,
                visits=tuple(
                    Visit(problem.stops[v.stop].id, v.arrival, v.start, v.end, v.lateness)
                    for v in timing.visits
                ),
                distance=travelled,
                peak_load=check.peak,
            )
        )
    served = {s for r in plan.routes for s in r}
    unserved = tuple(s.id for i, s in enumerate(problem.stops) if s.required and i not in served)
    return RoutingResult(
        status=SolveStatus.TIMEOUT if unserved else SolveStatus.FEASIBLE,
        objective=plan.cost,
        routes=tuple(routes),
        skipped=explain_skipped(problem, plan, unreachable, deadline),
        unserved=unserved,
        solve_time_s=solve_time_s,
        engine=plan.source,
        seed=seed,
        scaling=scaling,
        notes=tuple(notes),
    )
