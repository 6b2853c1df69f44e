"""The greedy first-come baseline: what a booking system without optimisation does.

Shipments are taken in order of readiness (then id); each books the cheapest of its
candidates (freight + risk + late penalty, at its real weight) whose departures all
still have room, or is left unserved. Same candidates as the optimiser, so a
comparison isolates the value of choosing jointly.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from optimizer.routing.assemble import UNROUTABLE, UNSERVED, BatchPlan, finish_plan
from optimizer.routing.capacity import CapacityLedger
from optimizer.routing.context import PlanningContext, prepare_planning
from optimizer.routing.network import Network
from optimizer.routing.policy import PlanningPolicy
from optimizer.routing.scores import LaneScore
from optimizer.routing.shipments import Shipment
from optimizer.status import SolveStatus


def greedy_choice(context: PlanningContext) -> np.ndarray:
    """Candidate per shipment chosen first-come (UNSERVED / UNROUTABLE codes)."""
    timetable = context.timetable
    candidates = context.candidates
    shipments = context.shipments
    weights = context.arrays.weight_g.tolist()
    dep_lane = np.repeat(np.arange(len(timetable.lanes)), np.diff(timetable.departure_offsets))
    free_g = timetable.lane_capacity_g[dep_lane].tolist()
    free_p = timetable.lane_capacity_parcels[dep_lane].tolist()
    deps = [candidates.departure_ids(timetable, c) for c in range(len(candidates))]
    choice = np.full(len(shipments), UNROUTABLE, dtype=np.int64)
    order = sorted(range(len(shipments)), key=lambda i: (shipments[i].ready_at, shipments[i].id))
    flow_of = context.flow_of.tolist()
    slot = context.slot.tolist()
    for member in order:
        options = candidates.flow_candidates[flow_of[member]]
        if not options:
            continue
        position = slot[member]
        ranked = sorted(
            options,
            key=lambda c: (
                int(candidates.member_cost[c][position])
                + int(candidates.member_penalty[c][position])
            ),
        )
        weight = weights[member]
        choice[member] = UNSERVED
        for candidate in ranked:
            route = deps[candidate]
            if all(free_g[d] >= weight and free_p[d] >= 1 for d in route):
                for d in route:
                    free_g[d] -= weight
                    free_p[d] -= 1
                choice[member] = candidate
                break
    return choice


def greedy_from_context(context: PlanningContext) -> BatchPlan:
    started = time.perf_counter()
    choice = greedy_choice(context)
    ledger = CapacityLedger(context.timetable)
    for member, candidate in enumerate(choice.tolist()):
        if candidate >= 0:
            for lane, index in zip(
                context.candidates.lanes[candidate],
                context.candidates.dep_index[candidate],
                strict=True,
            ):
                ledger.book(lane, index, int(context.arrays.weight_g[member]))
    return finish_plan(
        context,
        choice,
        ledger=ledger,
        status=SolveStatus.FEASIBLE,
        method="greedy",
        solve_seconds=context.prepare_seconds + time.perf_counter() - started,
        stats={"flows": len(context.flows), "candidates": len(context.candidates)},
    )


def greedy_plan(
    network: Network,
    shipments: Sequence[Shipment],
    *,
    policy: PlanningPolicy | None = None,
    scores: Mapping[str, LaneScore] | None = None,
) -> BatchPlan:
    """First-come plan on the same candidates the optimiser would use."""
    return greedy_from_context(prepare_planning(network, shipments, policy=policy, scores=scores))
