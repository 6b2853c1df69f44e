"""The plan optimizer's entry point: forecast in, versioned sort plan and solver report out."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from optimizer.errors import InfeasibleError, InputError
from optimizer.sorting.coarse_start import spread_over_bands
from optimizer.sorting.forecast import Forecast
from optimizer.sorting.layout import ChuteType, SorterLayout
from optimizer.sorting.objective import PlanWeights
from optimizer.sorting.placement import place
from optimizer.sorting.plan import SortPlan
from optimizer.sorting.problem import PlanningProblem, build_problem
from optimizer.sorting.warm_start import greedy_zone_solution
from optimizer.sorting.zone_model import (
    COST_SCALE,
    ModelOutcome,
    Options,
    ZoneSolution,
    build_options,
    evaluate,
    solve_zone_model,
)
from optimizer.sorting.zones import DEFAULT_BANDS
from optimizer.status import SolveStatus

log = logging.getLogger("optimizer.sorting.optimize")
# Warm start with several container sizes: (distance bands, share of the time limit at most)
COARSE_STEPS = ((1, 0.15), (2, 0.3))


@dataclass(frozen=True)
class PlanResult:
    """A plan and what the solver can say about it.

    `objective` and `bound` are in cost units per hour (see `PlanWeights`); `gap` is
    (objective - bound) / objective, 0 when proven optimal. `moves` counts destinations whose
    chutes differ from the current plan (None without one).
    """

    plan: SortPlan | None
    status: SolveStatus
    objective: float | None
    bound: float | None
    gap: float | None
    solve_time_s: float
    seed: int
    time_limit_s: float
    workers: int
    warm_start_objective: float | None = None
    moves: int | None = None
    stats: dict[str, float] = field(default_factory=dict)

    def report(self) -> dict[str, object]:
        """The `solve` block stored with the plan."""
        return {
            "status": self.status.value,
            "objective": None if self.objective is None else round(self.objective, 4),
            "bound": None if self.bound is None else round(self.bound, 4),
            "gap": None if self.gap is None else round(self.gap, 6),
            "solve_time_s": round(self.solve_time_s, 3),
            "time_limit_s": self.time_limit_s,
            "seed": self.seed,
            "workers": self.workers,
            "warm_start_objective": None
            if self.warm_start_objective is None
            else round(self.warm_start_objective, 4),
            "moves": self.moves,
            **{k: round(v, 4) for k, v in self.stats.items()},
        }


def _gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    if objective <= 1e-9:
        return 0.0
    return max(0.0, (objective - bound) / objective)


def moved_destinations(plan: SortPlan, current: SortPlan) -> list[str]:
    """Destinations present in both plans whose set of chutes changed."""
    before = {a.destination: set(a.chute_ids) for a in current.assignments}
    return [
        a.destination
        for a in plan.assignments
        if a.destination in before and set(a.chute_ids) != before[a.destination]
    ]


def count_moves(plan: SortPlan, current: SortPlan | None) -> int | None:
    """Destinations present in both plans whose set of chutes changed."""
    return None if current is None else len(moved_destinations(plan, current))


def _coarse_start(
    problem: PlanningProblem,
    options: Options,
    weights: PlanWeights | None,
    current: SortPlan | None,
    time_limit_s: float,
    seed: int,
    workers: int,
) -> tuple[ZoneSolution, int] | None:
    """With several container sizes: solve coarser zone models first (one distance band, then
    two), each started from the previous one spread over its bands; spread the last one."""
    bands = 1 + max(z.zone.band for z in problem.zones)
    previous: tuple[PlanningProblem, ZoneSolution] | None = None
    for coarse_bands, share in COARSE_STEPS:
        if coarse_bands >= bands or share * time_limit_s < 0.05:
            break
        coarse = build_problem(problem.layout, problem.forecast, weights, current, coarse_bands)
        coarse_options = build_options(coarse)
        if any(not o for o in coarse_options.dedicated.values()):
            break
        hint = greedy_zone_solution(coarse, coarse_options)
        if previous is not None:
            spread = spread_over_bands(coarse, coarse_options, *previous)
            if spread is not None and (
                hint is None or evaluate(coarse_options, spread) < evaluate(coarse_options, hint)
            ):
                hint = spread
        outcome = solve_zone_model(
            coarse, coarse_options, share * time_limit_s, seed, workers, hint
        )
        log.info(
            "coarse zone model, %d band(s): %s %s", coarse_bands, outcome.status, outcome.objective
        )
        found = outcome.solution
        if found is None or (
            hint is not None and evaluate(coarse_options, hint) < evaluate(coarse_options, found)
        ):
            found = hint
        if found is None:
            break
        previous = (coarse, found)
    if previous is None:
        return None
    spread = spread_over_bands(problem, options, *previous)
    return None if spread is None else (spread, evaluate(options, spread))


def optimize_plan(
    layout: SorterLayout,
    forecast: Forecast,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    current: SortPlan | None = None,
    weights: PlanWeights | None = None,
    bands: int = DEFAULT_BANDS,
    version: int | None = None,
) -> PlanResult:
    """A sort plan for `forecast` on `layout`, optimized with CP-SAT under a time limit.

    With `current`, each destination moved away from its chutes costs `weights.move`, and the
    new plan's version follows the current one. Raises InputError when no plan can exist.
    """
    if not time_limit_s > 0:
        raise InputError("must be > 0", field="time_limit_s")
    if not (isinstance(workers, int) and workers >= 1):
        raise InputError("must be an integer >= 1", field="workers")
    if current is not None and current.sorter_id != layout.sorter_id:
        raise InputError(
            f"current plan is for sorter {current.sorter_id}, not {layout.sorter_id}",
            field="current",
        )
    started = time.perf_counter()
    problem = build_problem(layout, forecast, weights, current, bands)
    options = build_options(problem)
    while any(not opts for opts in options.dedicated.values()) and bands > 1:
        # A destination needs more chutes than a zone has: use wider zones.
        bands -= 1
        problem = build_problem(layout, forecast, weights, current, bands)
        options = build_options(problem)
    hopeless = [problem.destinations[j].name for j, o in options.dedicated.items() if not o]
    if hopeless:
        raise InfeasibleError(
            f"destination {hopeless[0]} needs more chutes than the sorter has room for",
            field="forecast.destinations",
        )

    hint = greedy_zone_solution(problem, options)
    hint_objective = evaluate(options, hint) if hint is not None else None
    classes = {(z.zone.capacity_parcels, z.zone.capacity_kg) for z in problem.zones}
    if len(classes) > 1 and len(classes) < len(problem.zones):
        spent = time.perf_counter() - started
        coarse = _coarse_start(
            problem, options, weights, current, time_limit_s - spent, seed, workers
        )
        if coarse is not None and (hint_objective is None or coarse[1] < hint_objective):
            hint, hint_objective = coarse
    setup_s = time.perf_counter() - started
    outcome: ModelOutcome = solve_zone_model(
        problem, options, max(0.05, time_limit_s - setup_s), seed, workers, hint
    )
    log.info(
        "zone model: %s objective=%s bound=%s in %.2fs (%d variables)",
        outcome.status,
        outcome.objective,
        outcome.bound,
        outcome.wall_time_s,
        outcome.variables,
    )
    if outcome.status == "INFEASIBLE":
        raise InfeasibleError(
            "no plan keeps every container within capacity with these chutes and this forecast",
            field="forecast",
        )
    solution, objective = outcome.solution, outcome.objective
    if (
        hint is not None
        and hint_objective is not None
        and (objective is None or hint_objective < objective)
    ):
        solution, objective = hint, hint_objective  # the warm start was not improved on
    if outcome.status == "OPTIMAL":
        status = SolveStatus.OPTIMAL
    elif solution is not None:
        status = SolveStatus.FEASIBLE
    else:
        status = SolveStatus.TIMEOUT
    warm = None if hint_objective is None else hint_objective / COST_SCALE
    if solution is None or objective is None:
        elapsed = time.perf_counter() - started
        return PlanResult(
            None, status, None, None, None, elapsed, seed, time_limit_s, workers, warm
        )

    placement = place(problem, options, solution, current)
    plan = SortPlan(
        sorter_id=layout.sorter_id,
        version=version if version is not None else (current.version + 1 if current else 1),
        assignments=placement.assignments,
        no_read=tuple(c.id for c in layout.chutes_of_type(ChuteType.NO_READ)),
        reject=tuple(c.id for c in layout.chutes_of_type(ChuteType.REJECT)),
        exception=tuple(c.id for c in layout.chutes_of_type(ChuteType.EXCEPTION)),
        oversize=tuple(c.id for c in layout.chutes_of_type(ChuteType.OVERSIZE)),
        restricted=placement.restricted,
        method="optimizer",
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    bound = None if outcome.bound is None else min(outcome.bound, objective) / COST_SCALE
    objective_value = objective / COST_SCALE
    mixed = plan.mixed_destinations()
    stats = {
        "zones": float(len(problem.zones)),
        "model_variables": float(outcome.variables),
        "mixed_destinations": float(len(mixed)),
        "mixed_volume_per_hour": sum(d.volume for d in problem.destinations if d.name in mixed),
        "shared_chutes": float(sum(m for (m, _) in solution.pools.values())),
    }
    if current is not None:
        moved = moved_destinations(plan, current)
        stay_shared = current.mixed_destinations() & mixed
        stats["moves_among_shared_chutes"] = float(sum(1 for d in moved if d in stay_shared))
    for label, target in (("time_to_gap_2pct_s", 0.02), ("time_to_gap_0_1pct_s", 0.001)):
        reached = outcome.time_to_gap(target)
        if reached is not None:
            stats[label] = setup_s + reached  # from the call, not from the solver start
    result = PlanResult(
        plan=None,
        status=status,
        objective=objective_value,
        bound=bound,
        gap=_gap(objective_value, bound),
        solve_time_s=time.perf_counter() - started,
        seed=seed,
        time_limit_s=time_limit_s,
        workers=workers,
        warm_start_objective=warm,
        moves=count_moves(plan, current),
        stats=stats,
    )
    return dataclasses.replace(result, plan=dataclasses.replace(plan, solve=result.report()))
