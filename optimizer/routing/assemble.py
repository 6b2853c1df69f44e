"""From per-candidate unit counts to per-shipment itineraries that respect exact capacities.

The model counts units of a flow per candidate and loads departures with the
flow's mean weight. Members are dealt to candidates heaviest first, each to the
candidate furthest below its weight share, so every candidate's real load stays
close to the modelled one. A final pass books every parcel at its real weight; a
departure still over capacity sheds parcels (heaviest first) to another candidate
of their flow that has room, else to the unserved list. Unserved parcels are then
offered to the single-shipment search over every departure with room left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.routing.capacity import CapacityLedger
from optimizer.routing.context import PlanningContext
from optimizer.routing.itinerary import Itinerary, ItineraryStatus, Leg, Reason
from optimizer.routing.kpis import PlanKpis, compute_kpis
from optimizer.routing.search import find_itinerary
from optimizer.status import SolveStatus

UNSERVED = -1
UNROUTABLE = -2


@dataclass(frozen=True)
class BatchPlan:
    """A plan for every shipment, its KPIs and how it was found.

    `objective` is the plan's exact cost (freight + risk + late penalties + the
    overflow penalty per unserved shipment, plan-currency minor units). `bound` and
    `gap` are those of the aggregated model (flows at mean weight and mean cost),
    None for the greedy baseline.
    """

    itineraries: tuple[Itinerary, ...]
    kpis: PlanKpis
    status: SolveStatus
    objective: int
    bound: float | None
    gap: float | None
    solve_seconds: float
    method: str
    currency: str
    stats: dict[str, float] = field(default_factory=dict)


def distribute(context: PlanningContext, counts: np.ndarray, overflow: np.ndarray) -> np.ndarray:
    """Candidate per shipment (UNSERVED / UNROUTABLE codes) from unit counts per candidate."""
    candidates = context.candidates
    flows = context.flows
    weights = context.arrays.weight_g
    choice = np.full(len(context.shipments), UNROUTABLE, dtype=np.int64)
    for flow in range(len(flows)):
        members = flows.members_of(flow)
        options = candidates.flow_candidates[flow]
        if not options:
            continue
        slots = [(c, int(counts[c])) for c in options if counts[c] > 0]
        unserved = int(overflow[flow])
        if unserved:
            slots.append((UNSERVED, unserved))
        if len(slots) == 1:
            choice[members] = slots[0][0]
            continue
        mean = weights[members].mean()
        remaining = {target: count for target, count in slots}
        budget = {target: count * mean for target, count in slots}
        for member in members[np.argsort(-weights[members], kind="stable")].tolist():
            target = max((t for t in remaining if remaining[t] > 0), key=lambda t: budget[t])
            choice[member] = target
            remaining[target] -= 1
            budget[target] -= weights[member]
    return choice


def repair(context: PlanningContext, choice: np.ndarray) -> tuple[np.ndarray, int, CapacityLedger]:
    """Move parcels off over-full departures; returns the choice, how many moved, the loads."""
    timetable = context.timetable
    candidates = context.candidates
    weights = context.arrays.weight_g
    cap_g = timetable.lane_capacity_g
    cap_p = timetable.lane_capacity_parcels
    total = int(timetable.departure_offsets[-1])
    dep_lane = np.repeat(np.arange(len(timetable.lanes)), np.diff(timetable.departure_offsets))
    deps_of = {c: candidates.departure_ids(timetable, c) for c in set(choice.tolist()) if c >= 0}
    used_g = np.zeros(total, dtype=np.int64)
    used_p = np.zeros(total, dtype=np.int64)
    riders: dict[int, list[int]] = {}
    for member, candidate in enumerate(choice.tolist()):
        if candidate < 0:
            continue
        for dep in deps_of[candidate]:
            used_g[dep] += weights[member]
            used_p[dep] += 1
            riders.setdefault(dep, []).append(member)
    over = np.nonzero((used_g > cap_g[dep_lane]) | (used_p > cap_p[dep_lane]))[0]
    moved = 0

    def fits(candidate: int, weight: int) -> bool:
        deps = deps_of.setdefault(candidate, candidates.departure_ids(timetable, candidate))
        return all(
            used_g[d] + weight <= cap_g[dep_lane[d]] and used_p[d] + 1 <= cap_p[dep_lane[d]]
            for d in deps
        )

    for dep in over.tolist():
        lane = dep_lane[dep]
        queue = sorted(
            (m for m in riders.get(dep, []) if choice[m] >= 0),
            key=lambda m: -weights[m],
        )
        for member in queue:
            if used_g[dep] <= cap_g[lane] and used_p[dep] <= cap_p[lane]:
                break
            current = int(choice[member])
            if dep not in deps_of[current]:
                continue
            weight = int(weights[member])
            for d in deps_of[current]:
                used_g[d] -= weight
                used_p[d] -= 1
            flow = int(context.flow_of[member])
            slot = int(context.slot[member])
            alternatives = sorted(
                (c for c in candidates.flow_candidates[flow] if c != current),
                key=lambda c: candidates.member_cost[c][slot] + candidates.member_penalty[c][slot],
            )
            target = next((c for c in alternatives if fits(c, weight)), UNSERVED)
            choice[member] = target
            if target >= 0:
                for d in deps_of[target]:
                    used_g[d] += weight
                    used_p[d] += 1
                    riders.setdefault(d, []).append(member)
            moved += 1
    return choice, moved, CapacityLedger(timetable, used_g, used_p)


def rescue(
    context: PlanningContext, choice: np.ndarray, ledger: CapacityLedger
) -> dict[int, Itinerary]:
    """Route unserved shipments through any departures with room left, not just candidates.

    Highest late penalty first; each found itinerary is booked before the next search.
    """
    shipments = context.shipments
    levels = context.network.service_levels
    waiting = [m for m in np.nonzero(choice == UNSERVED)[0].tolist()]
    waiting.sort(
        key=lambda m: (-levels[shipments[m].service].late_penalty_per_day, shipments[m].ready_at)
    )
    rescued: dict[int, Itinerary] = {}
    for member in waiting:
        itinerary = find_itinerary(context.timetable, shipments[member], ledger=ledger)
        if itinerary.legs:
            ledger.book_legs(itinerary.legs, shipments[member].weight_g)
            rescued[member] = itinerary
    return rescued


def _late_reason(context: PlanningContext, member: int, ledger: CapacityLedger | None) -> Reason:
    """Late because nothing is on time, because on-time departures are full, or by choice."""
    candidates = context.candidates
    slot = int(context.slot[member])
    on_time = [
        c
        for c in candidates.flow_candidates[int(context.flow_of[member])]
        if candidates.member_late[c][slot] == 0
    ]
    if not on_time:
        return Reason.WINDOW_TOO_EARLY
    if ledger is None:
        return Reason.NO_CAPACITY
    weight = int(context.arrays.weight_g[member])
    for candidate in on_time:
        if all(
            ledger.fits(lane, index, weight)
            for lane, index in zip(
                candidates.lanes[candidate], candidates.dep_index[candidate], strict=True
            )
        ):
            return Reason.LATE_CHEAPER
    return Reason.NO_CAPACITY


def build_itineraries(
    context: PlanningContext,
    choice: np.ndarray,
    ledger: CapacityLedger | None = None,
    rescued: dict[int, Itinerary] | None = None,
) -> list[Itinerary]:
    """Itinerary per shipment; `ledger` (final loads) refines why late ones are late."""
    rescued = rescued or {}
    timetable = context.timetable
    candidates = context.candidates
    shipments = context.shipments
    levels = context.network.service_levels
    lane_info = [
        (lane.id, lane.carrier, str(lane.mode), lane.origin, lane.destination, int(risk))
        for lane, risk in zip(timetable.lanes, timetable.lane_risk, strict=True)
    ]
    groups = context.flows.group
    result: list[Itinerary] = []
    for member, candidate in enumerate(choice.tolist()):
        shipment = shipments[member]
        if member in rescued:
            result.append(rescued[member])
            continue
        if candidate == UNROUTABLE:
            reason, detail = candidates.unroutable.get(
                int(context.flow_of[member]), (Reason.UNREACHABLE, "no route")
            )
            result.append(
                Itinerary(shipment.id, ItineraryStatus.UNROUTABLE, reason=reason, detail=detail)
            )
            continue
        if candidate == UNSERVED:
            result.append(
                Itinerary(
                    shipment.id,
                    ItineraryStatus.UNSERVED,
                    reason=Reason.NO_CAPACITY,
                    detail="no candidate departure had room",
                )
            )
            continue
        slot = int(context.slot[member])
        group = int(groups[context.flow_of[member]])
        position = int(candidates.position[member])
        legs = []
        for lane, departure, arrival, ready in zip(
            candidates.lanes[candidate],
            candidates.departures[candidate],
            candidates.arrivals[candidate],
            candidates.readies[candidate],
            strict=True,
        ):
            lane_id, carrier, mode, origin, destination, risk = lane_info[lane]
            legs.append(
                Leg(
                    lane=lane_id,
                    carrier=carrier,
                    mode=mode,
                    origin=origin,
                    destination=destination,
                    departure=departure,
                    arrival=arrival,
                    ready_at=ready,
                    cost=int(candidates.prices[(group, lane)][position]),
                    risk_cost=risk,
                )
            )
        late = int(candidates.member_late[candidate][slot])
        result.append(
            Itinerary(
                shipment=shipment.id,
                status=ItineraryStatus.LATE if late else ItineraryStatus.ON_TIME,
                legs=tuple(legs),
                delivered_at=int(candidates.member_delivered[candidate][slot]),
                late_minutes=late,
                late_penalty=levels[shipment.service].penalty(late),
                reason=_late_reason(context, member, ledger) if late else None,
            )
        )
    return result


def finish_plan(
    context: PlanningContext,
    choice: np.ndarray,
    *,
    status: SolveStatus,
    method: str,
    solve_seconds: float,
    bound: float | None = None,
    model_objective: float | None = None,
    stats: dict[str, float] | None = None,
    ledger: CapacityLedger | None = None,
    rescued: dict[int, Itinerary] | None = None,
) -> BatchPlan:
    """Itineraries, KPIs and the exact objective of a choice per shipment."""
    itineraries = build_itineraries(context, choice, ledger, rescued)
    kpis = compute_kpis(context.network, context.shipments, itineraries)
    objective = kpis.cost + kpis.unserved * context.policy.overflow_penalty
    gap = None
    if bound is not None and model_objective is not None:
        gap = (model_objective - bound) / model_objective if model_objective > 0 else 0.0
    return BatchPlan(
        itineraries=tuple(itineraries),
        kpis=kpis,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        solve_seconds=solve_seconds,
        method=method,
        currency=context.network.currency,
        stats=dict(stats or {}),
    )
