"""Batch planning under capacity: flows, candidates, a CP-SAT assignment, exact itineraries.

`plan_batch` is the entry point the CLI and the API's job runner call. It reports
progress through `progress(fraction, message)` and stops with `PlanningCancelled`
as soon as `should_stop()` returns true (checked between stages and every 0.1 s
inside the solver).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from optimizer.errors import InputError, OptimizerError
from optimizer.routing.assemble import (
    BatchPlan,
    distribute,
    finish_plan,
    improve,
    repair,
    rescue,
)
from optimizer.routing.assignment import AssignmentProblem, Cancelled, solve_assignment
from optimizer.routing.context import PlanningContext, Progress, prepare_planning
from optimizer.routing.network import Network
from optimizer.routing.policy import PlanningPolicy
from optimizer.routing.schedule import Horizon
from optimizer.routing.scores import LaneScore
from optimizer.routing.shipments import Shipment

log = logging.getLogger("optimizer.routing.batch")


class PlanningCancelled(OptimizerError):
    """The caller asked the planner to stop (`should_stop()` returned true)."""


def _check(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise PlanningCancelled("planning cancelled")


def assignment_problem(context: PlanningContext) -> AssignmentProblem:
    """The model arrays of a context (flows' mean weights, capacities less the margin)."""
    timetable = context.timetable
    candidates = context.candidates
    flows = context.flows
    sizes = flows.sizes
    unit_weight = flows.unit_weights(context.arrays.weight_g)
    per_departure_lane = np.repeat(
        np.arange(len(timetable.lanes)), np.diff(timetable.departure_offsets)
    )
    margin = 1.0 - context.policy.capacity_margin
    capacity_g = timetable.lane_capacity_g[per_departure_lane]
    limited = capacity_g < np.iinfo(np.int64).max // 8
    capacity_g = np.where(limited, np.floor(capacity_g * margin).astype(np.int64), capacity_g)
    return AssignmentProblem(
        sizes=sizes.astype(np.int64),
        unit_weight_g=unit_weight.astype(np.int64),
        candidate_flow=np.asarray(candidates.flow, dtype=np.int64),
        candidate_cost=candidates.unit_costs(),
        candidate_departures=[
            candidates.departure_ids(timetable, c) for c in range(len(candidates))
        ],
        capacity_g=capacity_g,
        capacity_parcels=timetable.lane_capacity_parcels[per_departure_lane],
        overflow_penalty=context.policy.overflow_penalty,
    )


def optimise(
    context: PlanningContext,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BatchPlan:
    """Solve the capacity model on a prepared context and build the plan."""
    started = time.perf_counter()
    _check(should_stop)
    if progress:
        progress(0.4, "building the capacity model")
    problem = assignment_problem(context)

    def solve_progress(fraction: float) -> None:
        if progress:
            progress(0.4 + 0.5 * fraction, "solving the capacity model")

    remaining = max(0.1, time_limit - (time.perf_counter() - started))
    try:
        result = solve_assignment(
            problem,
            time_limit=remaining,
            seed=seed,
            relative_gap=context.policy.relative_gap,
            should_stop=should_stop,
            progress=solve_progress,
        )
    except Cancelled:
        raise PlanningCancelled("planning cancelled") from None
    _check(should_stop)
    if progress:
        progress(0.92, "assigning shipments to itineraries")
    choice = distribute(
        context,
        result.counts,
        result.overflow,
        binding_g=result.binding_g,
        binding_parcels=result.binding_parcels,
    )
    choice, moved, ledger = repair(context, choice)
    if moved:
        log.info("capacity repair moved %d shipments", moved)
    improved = improve(context, choice, ledger)
    rescued = rescue(context, choice, ledger)
    plan = finish_plan(
        context,
        choice,
        status=result.status,
        method="mip",
        solve_seconds=context.prepare_seconds + time.perf_counter() - started,
        bound=result.bound,
        model_objective=float(result.objective),
        ledger=ledger,
        rescued=rescued,
        stats={
            "flows": len(context.flows),
            "candidates": len(context.candidates),
            "fixed_flows": result.fixed_flows,
            "components": result.components,
            "variables": result.variables,
            "constraints": result.constraints,
            "model_objective": result.objective,
            "repaired": moved,
            "improved": improved,
            "rescued": len(rescued),
            "prepare_seconds": round(context.prepare_seconds, 3),
            "model_seconds": round(result.solve_seconds, 3),
        },
    )
    if progress:
        progress(1.0, "done")
    return plan


def plan_batch(
    network: Network,
    shipments: Sequence[Shipment],
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    policy: PlanningPolicy | None = None,
    scores: Mapping[str, LaneScore] | None = None,
    horizon: Horizon | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BatchPlan:
    """Plan every shipment under departure capacities at least cost (see module doc).

    `time_limit` (seconds) bounds the model solve; preparation (timetable, flows,
    candidates) comes before it and scales with the number of flows.
    """
    if not time_limit > 0:
        raise InputError(f"must be positive, not {time_limit}", field="time_limit")
    _check(should_stop)
    context = prepare_planning(
        network, shipments, policy=policy, scores=scores, horizon=horizon, progress=progress
    )
    return optimise(
        context,
        time_limit=time_limit,
        seed=seed,
        progress=progress,
        should_stop=should_stop,
    )
