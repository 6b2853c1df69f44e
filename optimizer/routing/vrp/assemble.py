"""From engine routes to a result: vet, score, repair, time, and explain what is left out."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from optimizer.routing.vrp.feasibility import RouteCheck, check_route
from optimizer.routing.vrp.model import RoutingProblem
from optimizer.routing.vrp.result import Route, RoutingResult, Skipped, SkipReason, Visit
from optimizer.routing.vrp.scaling import Scaling
from optimizer.routing.vrp.schedule import time_route
from optimizer.status import SolveStatus

log = logging.getLogger("optimizer.routing.vrp")

# Route positions tried when explaining skipped stops or repairing a plan, summed over stops.
_INSERTION_BUDGET = 200_000


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


def _cheapest_insertion(
    problem: RoutingProblem, plan: ScoredPlan, stops: Sequence[int], budget: list[int]
) -> tuple[float, int, list[int]] | None:
    """Cheapest feasible way to add `stops` (one stop, or a pickup then its delivery).

    Returns (added cost, vehicle, new route) or None. `budget` is decremented per try.
    """
    best: tuple[float, int, list[int]] | None = None
    for vehicle, route in enumerate(plan.routes):
        if budget[0] <= 0:
            break
        check = plan.checks[vehicle]
        old = route_cost(problem, vehicle, route, check) if check else 0.0
        for candidate in _insertions(list(route), stops):
            budget[0] -= len(candidate)
            new_check = check_route(problem, vehicle, candidate)
            if new_check.issue:
                continue
            added = route_cost(problem, vehicle, candidate, new_check) - old
            if best is None or added < best[0] - 1e-9:
                best = (added, vehicle, candidate)
    return best


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


def repair(problem: RoutingProblem, plan: ScoredPlan) -> ScoredPlan:
    """Insert left-out stops where that pays: every required one, optional ones below their penalty.

    The result is never worse than `plan`; it fixes what a search stopped by its
    time limit (or a warm start after new stops arrived) left undone.
    """
    served = {s for r in plan.routes for s in r}
    missing = [i for i in range(len(problem.stops)) if i not in served]
    if not missing:
        return plan
    budget = [_INSERTION_BUDGET]
    routes = [list(r) for r in plan.routes]
    current = plan
    order = sorted(_units(problem, missing), key=lambda u: not problem.stops[u[0]].required)
    for unit in order:
        found = _cheapest_insertion(problem, current, unit, budget)
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
    problem: RoutingProblem, plan: ScoredPlan, unreachable: Mapping[str, str]
) -> tuple[Skipped, ...]:
    served = {s for r in plan.routes for s in r}
    skipped: list[Skipped] = []
    budget = [_INSERTION_BUDGET]
    missing = [i for i, s in enumerate(problem.stops) if i not in served and not s.required]
    for unit in _units(problem, missing):
        ids = [problem.stops[i].id for i in unit]
        if ids[0] in unreachable:
            reason, message = SkipReason.UNREACHABLE, unreachable[ids[0]]
        else:
            reason, message = _why_left_out(problem, plan, unit, budget)
        skipped.extend(Skipped(stop_id, reason, message) for stop_id in ids)
    return tuple(skipped)


def _why_left_out(
    problem: RoutingProblem, plan: ScoredPlan, unit: list[int], budget: list[int]
) -> tuple[SkipReason, str]:
    penalty = sum(problem.stops[i].drop_penalty for i in unit)
    if budget[0] <= 0:
        return (
            SkipReason.NOT_WORTH_SERVING,
            f"left out by the search at drop penalty {penalty:g} (plan too large to analyse)",
        )
    found = _cheapest_insertion(problem, plan, unit, budget)
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
        skipped=explain_skipped(problem, plan, unreachable),
        unserved=unserved,
        solve_time_s=solve_time_s,
        engine=plan.source,
        seed=seed,
        scaling=scaling,
        notes=tuple(notes),
    )
