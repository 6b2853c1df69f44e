"""Scoring engine plans in floating point: the yardstick that picks the portfolio's winner."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from optimizer.routing.vrp.feasibility import RouteCheck, check_route
from optimizer.routing.vrp.model import RoutingProblem

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
