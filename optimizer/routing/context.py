"""Everything the batch planners share for one input: timetable, flows and candidates.

Building it is the expensive, solver-independent part; the optimiser and the greedy
baseline can run on the same context so a comparison measures only the choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.errors import InputError
from optimizer.routing.candidates import Candidates, build_candidates
from optimizer.routing.flows import Flows, ShipmentArrays, build_flows
from optimizer.routing.network import Network
from optimizer.routing.policy import PlanningPolicy
from optimizer.routing.schedule import Horizon, horizon_for
from optimizer.routing.scores import LaneScore, risk_inputs
from optimizer.routing.shipments import Shipment, validate_shipments
from optimizer.routing.timetable import Timetable

Progress = Callable[[float, str], None]


@dataclass
class PlanningContext:
    network: Network
    shipments: Sequence[Shipment]
    policy: PlanningPolicy
    timetable: Timetable
    arrays: ShipmentArrays
    flows: Flows
    candidates: Candidates
    slot: np.ndarray  # each shipment's index inside its flow's member list
    flow_of: np.ndarray  # each shipment's flow
    prepare_seconds: float


def build_timetable(
    network: Network,
    shipments: Sequence[Shipment],
    scores: Mapping[str, LaneScore] | None = None,
    horizon: Horizon | None = None,
) -> Timetable:
    """The timetable over a horizon that fits the shipments, with carrier-score inputs."""
    if horizon is None:
        horizon = horizon_for((s.ready_at for s in shipments), (s.deliver_by for s in shipments))
    lane_risk, excluded = risk_inputs(scores) if scores else ({}, set())
    return Timetable(network, horizon, lane_risk=lane_risk, excluded_lanes=excluded)


def prepare_planning(
    network: Network,
    shipments: Sequence[Shipment],
    *,
    policy: PlanningPolicy | None = None,
    scores: Mapping[str, LaneScore] | None = None,
    horizon: Horizon | None = None,
    timetable: Timetable | None = None,
    progress: Progress | None = None,
) -> PlanningContext:
    """Validate the shipments against the network and build flows and candidates."""
    started = time.perf_counter()
    policy = policy or PlanningPolicy()
    shipments = list(shipments)
    validate_shipments(network, shipments)
    if not shipments:
        raise InputError("nothing to plan: no shipments", field="shipments")
    if progress:
        progress(0.0, "building timetable")
    timetable = timetable or build_timetable(network, shipments, scores, horizon)
    arrays = ShipmentArrays.build(shipments, timetable)
    flows = build_flows(arrays, timetable, policy.weight_classes_g)
    if progress:
        progress(0.05, f"{len(flows)} flows from {len(shipments)} shipments; finding candidates")

    def candidate_progress(fraction: float) -> None:
        if progress:
            progress(0.05 + 0.3 * fraction, "finding candidate itineraries")

    candidates = build_candidates(timetable, shipments, arrays, flows, policy, candidate_progress)
    slot = np.zeros(len(shipments), dtype=np.int64)
    flow_of = np.zeros(len(shipments), dtype=np.int64)
    sizes = flows.sizes
    flow_of[flows.members] = np.repeat(np.arange(len(flows)), sizes)
    slot[flows.members] = np.arange(len(flows.members)) - np.repeat(flows.starts[:-1], sizes)
    return PlanningContext(
        network=network,
        shipments=shipments,
        policy=policy,
        timetable=timetable,
        arrays=arrays,
        flows=flows,
        candidates=candidates,
        slot=slot,
        flow_of=flow_of,
        prepare_seconds=time.perf_counter() - started,
    )
