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

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from optimizer.routing.capacity import CapacityLedger
from optimizer.routing.context import PlanningContext
from optimizer.routing.itinerary import Itinerary, ItineraryStatus, Leg, Reason, late_detail
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


class _Units:
    """The model's units of one flow on its candidates through binding departures.

    A unit carries the kg the model reserved for it (the flow's mean weight); a
    heavier member also needs the excess free on every kg-binding departure of the
    candidate, out of `slack` (capacity the model left unreserved, shared by all).
    """

    def __init__(self, deal: _Dealer, options: list[int], held: list[int], unit_g: int):
        self.deal = deal
        self.options = options
        self.left = {i: int(deal.counts[options[i]]) for i in held}
        self.budget = {i: self.left[i] * unit_g for i in held}
        self.used = dict.fromkeys(held, 0)

    def _extra(self, i: int, weight: int) -> int:
        before = max(0, self.used[i] - self.budget[i])
        return max(0, self.used[i] + weight - self.budget[i]) - before

    def fits(self, i: int, weight: int) -> bool:
        if self.left[i] <= 0:
            return False
        extra = self._extra(i, weight)
        return not extra or bool((self.deal.slack_of(self.options[i]) >= extra).all())

    def take(self, i: int, weight: int) -> int:
        self.deal.consume(self.options[i], self._extra(i, weight))
        self.used[i] += weight
        self.left[i] -= 1
        return self.options[i]

    def roomiest(self) -> int | None:
        """The held candidate with units left and the most reserved kg left, if any."""
        open_units = [i for i in self.left if self.left[i] > 0]
        return max(open_units, key=lambda i: self.budget[i] - self.used[i], default=None)


class _Dealer:
    """Departure ids per candidate, which departures bind, and the kg slack left on them."""

    def __init__(self, context: PlanningContext, counts: np.ndarray, binding_g, binding_parcels):
        timetable = context.timetable
        self.candidates = context.candidates
        self.timetable = timetable
        self.counts = counts
        total = int(timetable.departure_offsets[-1])
        self.tight_g = np.zeros(total, dtype=bool)
        tight_p = np.zeros(total, dtype=bool)
        if binding_g is None or binding_parcels is None:
            self.tight_g[:] = tight_p[:] = True
        else:
            self.tight_g[list(binding_g)] = True
            tight_p[list(binding_parcels)] = True
        self.tight = self.tight_g | tight_p
        self._deps: dict[int, np.ndarray] = {}
        dep_lane = np.repeat(np.arange(len(timetable.lanes)), np.diff(timetable.departure_offsets))
        self.slack = timetable.lane_capacity_g[dep_lane].copy()
        unit_weight = context.flows.unit_weights(context.arrays.weight_g)
        for candidate in np.nonzero(counts)[0].tolist():
            flow = self.candidates.flow[candidate]
            self.slack[self.deps(candidate)] -= int(counts[candidate]) * int(unit_weight[flow])

    def deps(self, candidate: int) -> np.ndarray:
        found = self._deps.get(candidate)
        if found is None:
            ids = self.candidates.departure_ids(self.timetable, candidate)
            found = self._deps[candidate] = np.asarray(ids, dtype=np.int64)
        return found

    def is_free(self, candidate: int) -> bool:
        return not self.tight[self.deps(candidate)].any()

    def slack_of(self, candidate: int) -> np.ndarray:
        deps = self.deps(candidate)
        return self.slack[deps[self.tight_g[deps]]]

    def consume(self, candidate: int, grams: int) -> None:
        if grams:
            deps = self.deps(candidate)
            self.slack[deps[self.tight_g[deps]]] -= grams


def distribute(
    context: PlanningContext,
    counts: np.ndarray,
    overflow: np.ndarray,
    *,
    binding_g: Collection[int] | None = None,
    binding_parcels: Collection[int] | None = None,
) -> np.ndarray:
    """Candidate per shipment (UNSERVED / UNROUTABLE codes) from unit counts per candidate.

    A flow's members differ in weight and deadline, so each is dealt by its own exact
    costs, those with the most to lose (regret) first, to the cheapest of: a model unit
    on a candidate through binding departures (`counts`, see `_Units`), any candidate
    of its flow through no binding departure (those can never be overfilled, so they
    are open to every member), the flow's unserved units. `binding_*` are the
    departures that may bind, in kg and in parcels; None means all of them.
    """
    candidates = context.candidates
    flows = context.flows
    weights = context.arrays.weight_g
    unit_weight = flows.unit_weights(weights)
    dealer = _Dealer(context, counts, binding_g, binding_parcels)
    penalty = float(context.policy.overflow_penalty)
    choice = np.full(len(context.shipments), UNROUTABLE, dtype=np.int64)
    for flow in range(len(flows)):
        members = flows.members_of(flow)
        options = candidates.flow_candidates[flow]
        if not options:
            continue
        cost = np.array(
            [candidates.member_cost[c] + candidates.member_penalty[c] for c in options],
            dtype=np.float64,
        )
        free = [i for i, c in enumerate(options) if dealer.is_free(c)]
        held = [i for i, c in enumerate(options) if counts[c] > 0 and i not in free]
        unserved = int(overflow[flow])
        free_pick = None
        free_best = np.full(len(members), np.inf)
        if free:
            best = np.argmin(cost[free], axis=0)
            free_pick = np.asarray(options)[np.asarray(free)[best]]
            free_best = cost[free].min(axis=0)
        if not held and not unserved and free_pick is not None:
            choice[members] = free_pick
            continue
        no_overflow = np.full(len(members), penalty if unserved else np.inf)
        rows = np.vstack([cost[held], free_best, no_overflow])
        ranked = np.argsort(rows, axis=0, kind="stable")
        ordered = np.take_along_axis(rows, ranked, axis=0)
        regret = np.where(np.isfinite(ordered[1]), ordered[1] - ordered[0], np.inf)
        units = _Units(dealer, options, held, int(unit_weight[flow]))
        for pos in np.lexsort((-weights[members], -regret)).tolist():
            weight = int(weights[members[pos]])
            picked: int | None = None
            for row in ranked[:, pos].tolist():
                if not np.isfinite(rows[row, pos]):
                    break
                if row < len(held):
                    if units.fits(held[row], weight):
                        picked = units.take(held[row], weight)
                elif row == len(held):
                    picked = int(free_pick[pos])  # type: ignore[index]
                elif unserved > 0:
                    unserved -= 1
                    picked = UNSERVED
                if picked is not None:
                    break
            if picked is None:
                # Nothing fits its reservation: the unit with most kg left (repair sheds excess).
                roomiest = units.roomiest()
                if roomiest is not None:
                    picked = units.take(roomiest, weight)
                else:
                    picked = UNSERVED if free_pick is None else int(free_pick[pos])
            choice[members[pos]] = picked
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


def improve(
    context: PlanningContext, choice: np.ndarray, ledger: CapacityLedger, passes: int = 3
) -> int:
    """Move members to a cheaper candidate of their flow wherever the final loads leave room.

    The model priced a flow's units at their mean; at real weights some departures end
    with room to spare (lighter members, the capacity margin). Members with the most to
    gain go first; `choice` and `ledger` are updated in place. Returns how many moved.
    """
    timetable = context.timetable
    candidates = context.candidates
    flows = context.flows
    weights = context.arrays.weight_g
    dep_lane = np.repeat(np.arange(len(timetable.lanes)), np.diff(timetable.departure_offsets))
    cap_g = timetable.lane_capacity_g[dep_lane]
    cap_p = timetable.lane_capacity_parcels[dep_lane]
    used_g, used_p = ledger.used_g, ledger.used_parcels
    deps_cache: dict[int, np.ndarray] = {}

    def deps(candidate: int) -> np.ndarray:
        found = deps_cache.get(candidate)
        if found is None:
            ids = candidates.departure_ids(timetable, candidate)
            found = deps_cache[candidate] = np.asarray(ids, dtype=np.int64)
        return found

    moved = 0
    for _ in range(passes):
        wishes: list[tuple[int, int, list[int]]] = []  # (gain, member, cheaper options)
        for flow in range(len(flows)):
            options = candidates.flow_candidates[flow]
            if len(options) < 2:
                continue
            members = flows.members_of(flow)
            current = choice[members]
            routed = current >= 0
            if not routed.any():
                continue
            cost = np.array(
                [candidates.member_cost[c] + candidates.member_penalty[c] for c in options]
            )
            row = {c: i for i, c in enumerate(options)}
            at = np.array([row.get(int(c), 0) for c in current])
            now = cost[at, np.arange(len(members))]
            gain = now - cost.min(axis=0)
            for pos in np.nonzero(routed & (gain > 0))[0].tolist():
                cheaper = [
                    options[i]
                    for i in np.argsort(cost[:, pos], kind="stable").tolist()
                    if cost[i, pos] < now[pos]
                ]
                wishes.append((int(gain[pos]), int(members[pos]), cheaper))
        wishes.sort(key=lambda wish: -wish[0])
        moves = 0
        for _, member, cheaper in wishes:
            weight = int(weights[member])
            for target in cheaper:
                route = deps(target)
                stay = deps(int(choice[member]))
                shared = np.isin(route, stay)
                fresh = route[~shared]
                if (used_g[fresh] + weight <= cap_g[fresh]).all() and (
                    used_p[fresh] + 1 <= cap_p[fresh]
                ).all():
                    old = stay[~np.isin(stay, route)]
                    used_g[old] -= weight
                    used_p[old] -= 1
                    used_g[fresh] += weight
                    used_p[fresh] += 1
                    choice[member] = target
                    moves += 1
                    break
        moved += moves
        if not moves:
            break
    return moved


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
        delivered = int(candidates.member_delivered[candidate][slot])
        result.append(
            Itinerary(
                shipment=shipment.id,
                status=ItineraryStatus.LATE if late else ItineraryStatus.ON_TIME,
                legs=tuple(legs),
                delivered_at=delivered,
                late_minutes=late,
                late_penalty=levels[shipment.service].penalty(late),
                reason=_late_reason(context, member, ledger) if late else None,
                detail=late_detail(delivered, shipment.deliver_by) if late else "",
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
