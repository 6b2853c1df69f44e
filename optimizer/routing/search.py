"""Cheapest on-time itinerary for one shipment: label setting over time-ordered events.

A label is (ready time, cost) at a node. Labels are settled in time order, so a new
label at a node is useful only if it is cheaper than every label already settled
there (those are all earlier): the Pareto front per node stays tiny. Each lane is
taken at its first departure whose cut-off the parcel makes (waiting longer never
helps: lane prices do not depend on the departure). Lane prices are computed at
most once per query, only for lanes the search reaches.

Phase 1 keeps only labels that can still arrive by `deliver_by` (a static lower
bound on the remaining time prunes the rest) and returns the cheapest arrival.
When nothing is on time, phase 2 returns the earliest arrival (cheapest among
equally early ones) with its lateness; when nothing arrives at all, `diagnose`
names the reason.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable
from dataclasses import dataclass

from optimizer.routing.capacity import CapacityLedger
from optimizer.routing.itinerary import Itinerary, ItineraryStatus, Leg, Reason, late_detail
from optimizer.routing.pricing import leg_price
from optimizer.routing.shipments import Shipment
from optimizer.routing.timetable import Timetable

INFINITY = float("inf")


@dataclass(frozen=True)
class _Label:
    node: int
    ready: int
    cost: int
    lane: int  # -1 at the start
    departure: int
    arrival: int
    parent: _Label | None


class _Query:
    """Per-query state: which lanes the parcel may use and what each costs."""

    def __init__(self, timetable: Timetable, shipment: Shipment, ledger: CapacityLedger | None):
        self.timetable = timetable
        self.shipment = shipment
        self.ledger = ledger
        self.destination = timetable.network.node_by_id[shipment.destination]
        self.prices: dict[int, int] = {}

    def allowed(self, lane: int) -> bool:
        timetable = self.timetable
        return not timetable.lane_excluded[lane] and timetable.lanes[lane].accepts(
            self.shipment.category, self.shipment.weight_g
        )

    def price(self, lane: int) -> int:
        price = self.prices.get(lane)
        if price is None:
            shipment = self.shipment
            price = leg_price(
                self.timetable.network,
                self.timetable.lanes[lane],
                shipment.weight_g,
                shipment.dims_mm,
                self.destination,
            )
            price += int(self.timetable.lane_risk[lane])
            self.prices[lane] = price
        return price

    def first_departure(self, lane: int, ready: int) -> int:
        """Index of the first departure the parcel makes (with room, given a ledger), or -1."""
        latest = self.timetable.latest_ready[lane]
        index = bisect.bisect_left(latest, ready)
        if self.ledger is not None:
            while index < len(latest) and not self.ledger.fits(lane, index, self.shipment.weight_g):
                index += 1
        return index if index < len(latest) else -1


def _search(
    query: _Query, origin: int, start: int, target: int, deadline: float, first_arrival: bool
) -> list[_Label]:
    """Labels settled at `target`, in time order (each cheaper than the one before)."""
    timetable = query.timetable
    bounds = timetable.lower_bounds_to(target) if deadline < INFINITY else None
    best = [INFINITY] * len(timetable.node_ids)
    heap: list[tuple[int, int, int, _Label]] = []
    counter = 0
    heapq.heappush(heap, (start, 0, counter, _Label(origin, start, 0, -1, 0, start, None)))
    arrivals: list[_Label] = []
    out_lanes = timetable.out_lanes
    while heap:
        ready, cost, _, label = heapq.heappop(heap)
        node = label.node
        if cost >= best[node]:
            continue
        best[node] = cost
        if node == target:
            arrivals.append(label)
            if first_arrival:
                break
            continue
        for lane in out_lanes[node]:
            if not query.allowed(lane):
                continue
            nxt = int(timetable.lane_destination[lane])
            new_cost = cost + query.price(lane)
            if new_cost >= best[nxt]:
                continue
            index = query.first_departure(lane, ready)
            if index < 0:
                continue
            departure = timetable.departures[lane][index]
            arrival = departure + int(timetable.lane_transit[lane])
            new_ready = timetable.ready_time(nxt, arrival + int(timetable.lane_clearance[lane]))
            if bounds is not None and new_ready + bounds[nxt] > deadline:
                continue
            counter += 1
            child = _Label(nxt, new_ready, new_cost, lane, departure, arrival, label)
            heapq.heappush(heap, (new_ready, new_cost, counter, child))
    return arrivals


def _legs(query: _Query, label: _Label) -> tuple[Leg, ...]:
    timetable = query.timetable
    legs: list[Leg] = []
    while label.parent is not None:
        lane = timetable.lanes[label.lane]
        risk = int(timetable.lane_risk[label.lane])
        legs.append(
            Leg(
                lane=lane.id,
                carrier=lane.carrier,
                mode=str(lane.mode),
                origin=lane.origin,
                destination=lane.destination,
                departure=label.departure,
                arrival=label.arrival,
                ready_at=label.ready,
                cost=query.price(label.lane) - risk,
                risk_cost=risk,
            )
        )
        label = label.parent
    return tuple(reversed(legs))


def _reachable(
    timetable: Timetable, origin: int, target: int, allowed: Callable[[int], bool]
) -> bool:
    seen = {origin}
    stack = [origin]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        for lane in timetable.out_lanes[node]:
            nxt = int(timetable.lane_destination[lane])
            if nxt not in seen and allowed(lane):
                seen.add(nxt)
                stack.append(nxt)
    return False


def diagnose(
    timetable: Timetable, shipment: Shipment, origin: int, target: int
) -> tuple[Reason, str]:
    """Why no itinerary exists: the first static filter that disconnects origin and target."""
    lanes = timetable.lanes
    category, weight = shipment.category, shipment.weight_g
    kg = weight / 1000
    if not _reachable(timetable, origin, target, lambda lane: True):
        return Reason.UNREACHABLE, "no chain of lanes connects origin and destination"
    if not _reachable(timetable, origin, target, lambda lane: category in lanes[lane].categories):
        return Reason.NO_LANE_FOR_CATEGORY, f"no chain of lanes accepts {category}"
    limits = [lane.max_parcel_g for lane in lanes]
    if not _reachable(timetable, origin, target, lambda lane: (limits[lane] or weight) >= weight):
        return Reason.TOO_HEAVY, f"{kg:g} kg is over the weight limit of every route"
    if not _reachable(
        timetable, origin, target, lambda lane: lanes[lane].accepts(category, weight)
    ):
        return Reason.NO_LANE_FOR_CATEGORY, f"no route accepts {category} at {kg:g} kg"
    if not _reachable(
        timetable,
        origin,
        target,
        lambda lane: lanes[lane].accepts(category, weight) and not timetable.lane_excluded[lane],
    ):
        return Reason.LOW_CARRIER_SCORE, "every route uses a lane excluded for its carrier score"
    return Reason.NO_DEPARTURE_IN_HORIZON, "no departures connect in time within the horizon"


def find_itinerary(
    timetable: Timetable,
    shipment: Shipment,
    *,
    start_node: str | None = None,
    start_time: int | None = None,
    ledger: CapacityLedger | None = None,
) -> Itinerary:
    """The cheapest itinerary delivered by `deliver_by`, else the least-late one, else why not.

    `start_node`/`start_time` re-plan from where a parcel is now (it is ready there at
    `start_time`); with a `ledger`, departures without room for the parcel are skipped.
    """
    node_index = timetable.node_index
    origin = node_index[start_node or shipment.origin]
    start = shipment.ready_at if start_time is None else start_time
    target = node_index[shipment.destination]
    query = _Query(timetable, shipment, ledger)
    level = timetable.network.service_levels[shipment.service]
    floor = shipment.deliver_from
    arrivals = _search(query, origin, start, target, shipment.deliver_by, first_arrival=False)
    if not arrivals:
        arrivals = _search(query, origin, start, target, INFINITY, first_arrival=True)
    if not arrivals:
        reason, detail = diagnose(timetable, shipment, origin, target)
        if ledger is not None and reason == Reason.NO_DEPARTURE_IN_HORIZON:
            unconstrained = _search(
                _Query(timetable, shipment, None), origin, start, target, INFINITY, True
            )
            if unconstrained:
                reason, detail = Reason.NO_CAPACITY, "every connecting departure is full"
        status = (
            ItineraryStatus.UNSERVED if reason == Reason.NO_CAPACITY else ItineraryStatus.UNROUTABLE
        )
        return Itinerary(shipment.id, status, reason=reason, detail=detail)
    best = arrivals[-1]
    delivered = best.ready if floor is None else max(best.ready, floor)
    late = max(0, delivered - shipment.deliver_by)
    why: Reason | None = None
    detail = ""
    if late:
        why = Reason.WINDOW_TOO_EARLY
        detail = f"earliest {late_detail(delivered, shipment.deliver_by)}"
        if ledger is not None:
            free = _search(
                _Query(timetable, shipment, None),
                origin,
                start,
                target,
                shipment.deliver_by,
                first_arrival=True,
            )
            if free:
                why = Reason.NO_CAPACITY
                detail = (
                    f"on-time departures are full; {late_detail(delivered, shipment.deliver_by)}"
                )
    return Itinerary(
        shipment=shipment.id,
        status=ItineraryStatus.LATE if late else ItineraryStatus.ON_TIME,
        legs=_legs(query, best),
        delivered_at=delivered,
        late_minutes=late,
        late_penalty=level.penalty(late),
        reason=why,
        detail=detail,
    )
