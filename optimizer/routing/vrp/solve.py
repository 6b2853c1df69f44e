"""The entry point: validate, scale, run the engines, keep the best plan, explain it.

Engine choice (`engine="auto"`): when PyVRP models the problem exactly (see
`pyvrp_engine.py`) and two cores are allowed, one process runs PyVRP for the
whole time while the other runs OR-Tools for a fifth of it (a safety net that
does not depend on PyVRP) and then PyVRP with another seed from OR-Tools' plan;
the cheapest plan that passes our floating-point checks wins. On one core PyVRP
runs alone for such problems. Everything else goes to OR-Tools, with a second
OR-Tools construction on the second core.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, field, replace

import numpy as np

from optimizer.errors import InfeasibleError, InputError
from optimizer.routing.vrp.assemble import build_result
from optimizer.routing.vrp.feasibility import check_route, plan_to_indices
from optimizer.routing.vrp.insertion import repair
from optimizer.routing.vrp.model import RoutingProblem
from optimizer.routing.vrp.ortools_engine import OrToolsParams
from optimizer.routing.vrp.plans import ScoredPlan, score_plan
from optimizer.routing.vrp.portfolio import EngineTask, run_portfolio
from optimizer.routing.vrp.pyvrp_engine import pyvrp_available, pyvrp_unsupported
from optimizer.routing.vrp.result import Plan, RoutingResult
from optimizer.routing.vrp.scaling import Scaling, choose_scaling, scaling_notes, to_integers
from optimizer.routing.vrp.validate import validate

log = logging.getLogger("optimizer.routing.vrp")

ENGINES = ("auto", "ortools", "pyvrp")
# PyVRP's random generator takes a 32-bit unsigned seed (OR-Tools routing takes none).
SEED_MAX = 2**32 - 1
# The second OR-Tools configuration when PyVRP cannot take the problem: a different
# construction gives the two processes different starting points (OR-Tools has no seed).
_SECOND_CONSTRUCTION = {
    "SAVINGS": "PARALLEL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION": "PATH_CHEAPEST_ARC",
}


@dataclass(frozen=True)
class SolveOptions:
    """How to solve. `max_iterations` bounds the work (PyVRP iterations, OR-Tools
    solutions) so that, with a time limit that is not reached, a run is reproducible."""

    engine: str = "auto"
    workers: int = 0  # processes to use; 0 = min(2, cores)
    scaling: Scaling | None = None  # None: chosen by choose_scaling (exact where it can be)
    ortools: OrToolsParams = field(default_factory=OrToolsParams)
    max_iterations: int | None = None
    start_method: str | None = None  # multiprocessing start method for the second engine

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise InputError(f"unknown engine {self.engine!r}; use one of {ENGINES}", "engine")
        if self.workers < 0:
            raise InputError("must be >= 0", field="workers")
        if self.max_iterations is not None and self.max_iterations < 1:
            raise InputError("must be >= 1", field="max_iterations")


def _tasks(
    problem: RoutingProblem, seed: int, options: SolveOptions
) -> tuple[list[EngineTask], str]:
    workers = options.workers or min(2, os.cpu_count() or 1)
    unsupported = pyvrp_unsupported(problem)
    if not pyvrp_available():
        unsupported = unsupported or "PyVRP is not installed"
    if options.engine == "pyvrp" and unsupported:
        raise InputError(f"PyVRP cannot model this problem: {unsupported}", field="engine")
    limit = options.max_iterations
    params = options.ortools
    if not params.first_solution:
        params = replace(params, first_solution=default_construction(problem))
    if options.engine == "pyvrp":
        seeds = [engine_seed(seed, k) for k in range(workers)]
        return [EngineTask("pyvrp", s, max_iterations=limit) for s in seeds], ""
    if options.engine == "ortools" or unsupported:
        note = f"OR-Tools only ({unsupported})" if unsupported and options.engine == "auto" else ""
        tasks = [EngineTask("ortools", seed, params, limit)]
        if workers >= 2:
            other = _SECOND_CONSTRUCTION.get(params.first_solution, "PATH_CHEAPEST_ARC")
            second = replace(params, first_solution=other)
            tasks.append(EngineTask("ortools", seed, second, limit))
        return tasks, note
    pyvrp = EngineTask("pyvrp", seed, max_iterations=limit)
    if workers < 2:
        return [pyvrp], ""
    return [pyvrp, EngineTask("ortools+pyvrp", engine_seed(seed, 1), params, limit)], ""


def engine_seed(seed: int, offset: int) -> int:
    """The seed of the `offset`-th engine process: distinct, and within PyVRP's range."""
    return (seed + offset) % (SEED_MAX + 1)


def default_construction(problem: RoutingProblem) -> str:
    """The first-solution strategy that measured best before guided local search.

    Without pairs: SAVINGS (on seven hard Solomon instances at 10 s, mean gap 2.9 %
    against 3.4 % for parallel cheapest insertion and 3.9 % for path cheapest arc).
    With pairs SAVINGS is poor; local cheapest insertion was best on three random
    pickup-and-delivery instances with windows (50 pairs, 5 s).
    """
    return "LOCAL_CHEAPEST_INSERTION" if problem.pairs else "SAVINGS"


def _warm_plan(
    problem: RoutingProblem, warm_start: Plan | RoutingResult
) -> tuple[ScoredPlan | None, list[str]]:
    """The previous plan, rechecked against today's problem; infeasible routes are dropped."""
    plan = warm_start.plan() if isinstance(warm_start, RoutingResult) else warm_start
    routes, notes = plan_to_indices(problem, plan)
    for vehicle, stops in enumerate(routes):
        if stops:
            issue = check_route(problem, vehicle, stops).issue
            if issue:
                notes.append(
                    f"warm start route of {problem.vehicles[vehicle].id!r} dropped: {issue}"
                )
                routes[vehicle] = []
    return score_plan(problem, routes, "warm_start"), notes


def solve(
    problem: RoutingProblem,
    time_limit: float,
    seed: int = 0,
    *,
    warm_start: Plan | RoutingResult | None = None,
    options: SolveOptions | None = None,
) -> RoutingResult:
    """Route the fleet within `time_limit` seconds (wall clock).

    Raises InfeasibleError (listing every problem) when validation proves that
    some required stop or pair cannot be served. With a warm start the result
    is never worse than the previous plan, where that plan is still feasible.
    """
    started = time.perf_counter()
    if isinstance(time_limit, bool) or not (
        isinstance(time_limit, int | float) and math.isfinite(time_limit) and time_limit > 0
    ):
        raise InputError("must be a number of seconds > 0", field="time_limit")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise InputError(f"must be an integer from 0 to {SEED_MAX}", field="seed")
    if warm_start is not None and not isinstance(warm_start, Plan | RoutingResult):
        raise InputError("must be a Plan or a RoutingResult", field="warm_start")
    options = options or SolveOptions()
    report = validate(problem)
    if not report.ok:
        raise InfeasibleError(list(report.problems))
    scaling = options.scaling or choose_scaling(problem)
    data = to_integers(problem, scaling)
    tasks, note = _tasks(problem, seed, options)
    notes = ([note] if note else []) + scaling_notes(problem, scaling)

    candidates: list[ScoredPlan] = []
    initial_routes = None
    if warm_start is not None:
        warm, warm_notes = _warm_plan(problem, warm_start)
        notes += warm_notes
        if warm is not None:
            candidates.append(warm)
            initial_routes = [list(r) for r in warm.routes]

    # Kept back for scoring, repair, timing and explaining skipped stops.
    optional = sum(1 for stop in problem.stops if not stop.required)
    reserve = 0.03 + min(0.02 * time_limit, 0.2) + 0.0002 * len(problem.stops)
    reserve += min(0.1 * time_limit, 0.0005 * optional)
    engine_time = max(0.05, time_limit - (time.perf_counter() - started) - reserve)
    outcomes = run_portfolio(
        data,
        tasks,
        engine_time,
        initial_routes=initial_routes,
        coordinates=_node_coordinates(problem),
        start_method=options.start_method,
    )
    for outcome in outcomes:
        if outcome.note:
            notes.append(f"{outcome.engine}: {outcome.note}")
        if outcome.routes is not None:
            scored = score_plan(problem, outcome.routes, outcome.engine)
            if scored is None:
                notes.append(f"{outcome.engine}: plan failed the floating-point check")
            else:
                candidates.append(scored)
    if not candidates:
        empty = score_plan(problem, [[] for _ in problem.vehicles], "insertion")
        assert empty is not None
        candidates.append(empty)
    best = min(candidates, key=lambda plan: plan.key)  # first wins ties: the warm start
    deadline = started + time_limit - 0.02
    best = repair(problem, best, deadline)
    result = build_result(
        problem,
        best,
        unreachable=report.unreachable,
        solve_time_s=0.0,
        seed=seed,
        scaling=scaling,
        deadline=deadline,
        notes=notes,
    )
    return replace(result, solve_time_s=time.perf_counter() - started)


def _node_coordinates(problem: RoutingProblem) -> np.ndarray | None:
    if problem.coordinates is None:
        return None
    locations = [d.location for d in problem.depots] + [s.location for s in problem.stops]
    return problem.coordinates[locations]
