"""The result users get: the winning plan with times, distances and skip reasons."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import pairwise

from optimizer.routing.vrp.explain import explain_skipped
from optimizer.routing.vrp.model import RoutingProblem
from optimizer.routing.vrp.plans import ScoredPlan
from optimizer.routing.vrp.result import Route, RoutingResult, Visit
from optimizer.routing.vrp.scaling import Scaling
from optimizer.routing.vrp.schedule import time_route
from optimizer.status import SolveStatus


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
