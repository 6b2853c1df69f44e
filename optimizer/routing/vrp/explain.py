"""Why each optional stop was left out: unreachable, no room, or not worth its penalty."""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.routing.vrp.insertion import OutOfTime, cheapest_insertion, insertion_units
from optimizer.routing.vrp.model import RoutingProblem
from optimizer.routing.vrp.plans import ScoredPlan
from optimizer.routing.vrp.result import Skipped, SkipReason


def explain_skipped(
    problem: RoutingProblem, plan: ScoredPlan, unreachable: Mapping[str, str], deadline: float
) -> tuple[Skipped, ...]:
    """Why each optional stop is out. Past `deadline` the rest get a reason without analysis."""
    served = {s for r in plan.routes for s in r}
    skipped: list[Skipped] = []
    missing = [i for i, s in enumerate(problem.stops) if i not in served and not s.required]
    for unit in insertion_units(problem, missing):
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
        found = cheapest_insertion(problem, plan, unit, deadline)
    except OutOfTime:
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
