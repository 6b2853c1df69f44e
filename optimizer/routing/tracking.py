"""Tracking against the plan: where a parcel is, and its ETA after a carrier event.

Functions the API calls when a carrier posts an event. `update_eta` keeps the
planned lanes and re-times them from the event (the next departures the parcel
can still make); when a planned lane has no departure left it falls back to a new
itinerary from where the parcel is (`replan_from`).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from enum import StrEnum

from optimizer.errors import InputError
from optimizer.routing.capacity import CapacityLedger
from optimizer.routing.itinerary import Itinerary, ItineraryStatus, Leg, Reason, late_detail
from optimizer.routing.search import find_itinerary
from optimizer.routing.shipments import Shipment
from optimizer.routing.timetable import Timetable


class EventKind(StrEnum):
    DEPARTED = "departed"  # left `node` on `lane` at `at`
    ARRIVED = "arrived"  # reached `node` at `at` (before clearance and handling)
    READY = "ready"  # cleared and handled at `node`, ready to move on at `at`
    DELIVERED = "delivered"


@dataclass(frozen=True)
class TrackingEvent:
    """A milestone a carrier reports for one shipment (instants in UTC minutes)."""

    shipment: str
    kind: EventKind
    at: int
    node: str | None = None
    lane: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))


@dataclass(frozen=True)
class Position:
    """Where a planned parcel is at an instant: at `node` from `ready`, or riding leg `leg`."""

    node: str
    ready: int
    next_leg: int  # index of the first leg not yet started
    in_transit: bool


def position_at(shipment: Shipment, itinerary: Itinerary, now: int) -> Position:
    """The planned position at `now` (the last node reached, or the leg being ridden)."""
    node, ready = shipment.origin, shipment.ready_at
    for index, leg in enumerate(itinerary.legs):
        if now < leg.departure:
            return Position(node, ready, index, False)
        if now < leg.ready_at:
            return Position(leg.destination, leg.ready_at, index + 1, True)
        node, ready = leg.destination, leg.ready_at
    return Position(node, ready, len(itinerary.legs), False)


def _finish(
    shipment: Shipment,
    timetable: Timetable,
    legs: tuple[Leg, ...],
    reason: Reason | None = None,
    detail: str = "",
) -> Itinerary:
    last = legs[-1].ready_at
    delivered = last if shipment.deliver_from is None else max(last, shipment.deliver_from)
    late = max(0, delivered - shipment.deliver_by)
    level = timetable.network.service_levels[shipment.service]
    return Itinerary(
        shipment=shipment.id,
        status=ItineraryStatus.LATE if late else ItineraryStatus.ON_TIME,
        legs=legs,
        delivered_at=delivered,
        late_minutes=late,
        late_penalty=level.penalty(late),
        reason=(reason or Reason.WINDOW_TOO_EARLY) if late else None,
        detail=(detail or late_detail(delivered, shipment.deliver_by)) if late else "",
    )


def retime(
    timetable: Timetable,
    shipment: Shipment,
    itinerary: Itinerary,
    from_leg: int,
    ready: int,
) -> Itinerary | None:
    """Same lanes from leg `from_leg` on, each at the first departure the parcel still makes.

    Legs before `from_leg` are kept as they are. None when a lane has no departure left.
    """
    legs = list(itinerary.legs[:from_leg])
    current = ready
    for leg in itinerary.legs[from_leg:]:
        lane = timetable.lane_index.get(leg.lane)
        if lane is None:
            return None
        latest = timetable.latest_ready[lane]
        index = bisect.bisect_left(latest, current)
        if index == len(latest):
            return None
        departure = timetable.departures[lane][index]
        arrival = departure + int(timetable.lane_transit[lane])
        current = timetable.ready_time(
            int(timetable.lane_destination[lane]), arrival + int(timetable.lane_clearance[lane])
        )
        legs.append(
            Leg(
                lane=leg.lane,
                carrier=leg.carrier,
                mode=leg.mode,
                origin=leg.origin,
                destination=leg.destination,
                departure=departure,
                arrival=arrival,
                ready_at=current,
                cost=leg.cost,
                risk_cost=leg.risk_cost,
            )
        )
    if not legs:
        return None
    return _finish(shipment, timetable, tuple(legs))


def replan_from(
    timetable: Timetable,
    shipment: Shipment,
    kept: tuple[Leg, ...],
    node: str,
    ready: int,
    ledger: CapacityLedger | None = None,
) -> Itinerary:
    """`kept` legs (already travelled), then the cheapest on-time route on from `node` at `ready`.

    Without an on-time route it is the least-late one; with a `ledger`, only departures
    with room are used.
    """
    if node == shipment.destination and kept:
        return _finish(shipment, timetable, kept)
    fresh = find_itinerary(timetable, shipment, start_node=node, start_time=ready, ledger=ledger)
    if not fresh.legs:
        return fresh
    return _finish(shipment, timetable, kept + fresh.legs, fresh.reason, fresh.detail)


def update_eta(
    timetable: Timetable, shipment: Shipment, itinerary: Itinerary, event: TrackingEvent
) -> Itinerary:
    """The itinerary with actual times from `event` and re-timed legs (hence a new ETA)."""
    if event.shipment != shipment.id:
        raise InputError(f"event is for {event.shipment}, not {shipment.id}", field="shipment")
    legs = itinerary.legs
    if event.kind == EventKind.DELIVERED:
        if not legs:
            raise InputError("shipment has no planned legs", field="shipment")
        last = legs[-1]
        final = replace(last, arrival=min(last.arrival, event.at), ready_at=event.at)
        return _finish(shipment, timetable, (*legs[:-1], final))
    if event.kind == EventKind.DEPARTED:
        index = next((i for i, leg in enumerate(legs) if leg.lane == event.lane), None)
        if index is None:
            raise InputError(f"lane {event.lane!r} is not in the itinerary", field="lane")
        leg = legs[index]
        lane = timetable.lane_index[leg.lane]
        arrival = event.at + int(timetable.lane_transit[lane])
        ready = timetable.ready_time(
            int(timetable.lane_destination[lane]), arrival + int(timetable.lane_clearance[lane])
        )
        actual = replace(leg, departure=event.at, arrival=arrival, ready_at=ready)
        updated = replace(itinerary, legs=(*legs[:index], actual, *legs[index + 1 :]))
        return _retime_or_replan(timetable, shipment, updated, index + 1, leg.destination, ready)
    # ARRIVED / READY at a node: find the leg that ends there.
    index = next((i for i, leg in enumerate(legs) if leg.destination == event.node), None)
    if index is None:
        raise InputError(f"node {event.node!r} is not on the itinerary", field="node")
    leg = legs[index]
    node = timetable.node_index[leg.destination]
    lane = timetable.lane_index[leg.lane]
    if event.kind == EventKind.ARRIVED:
        ready = timetable.ready_time(node, event.at + int(timetable.lane_clearance[lane]))
        actual = replace(leg, arrival=event.at, ready_at=ready)
    else:
        ready = event.at
        actual = replace(leg, ready_at=ready)
    updated = replace(itinerary, legs=(*legs[:index], actual, *legs[index + 1 :]))
    return _retime_or_replan(timetable, shipment, updated, index + 1, leg.destination, ready)


def _retime_or_replan(
    timetable: Timetable,
    shipment: Shipment,
    itinerary: Itinerary,
    next_leg: int,
    node: str,
    ready: int,
) -> Itinerary:
    if next_leg >= len(itinerary.legs):
        return _finish(shipment, timetable, itinerary.legs)
    retimed = retime(timetable, shipment, itinerary, next_leg, ready)
    if retimed is not None:
        return retimed
    return replan_from(timetable, shipment, itinerary.legs[:next_leg], node, ready)
