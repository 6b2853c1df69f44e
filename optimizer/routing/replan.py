"""Re-planning after disruptions: only the affected shipments move, from where they are now.

Disruptions: a cancelled departure, a delayed departure, a customs hold, a lost
parcel. Re-routed parcels book neither cancelled nor delayed departures. Every
other itinerary is returned unchanged (the same object) and keeps
its capacity; affected shipments release the legs they have not started and get
a new route from their current node and time, in order of late penalty, through
departures that still have room. A delayed parcel keeps its onward legs when it
still makes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from optimizer.errors import InputError, Problem
from optimizer.routing.capacity import CapacityLedger
from optimizer.routing.itinerary import Itinerary, Leg, Reason
from optimizer.routing.schedule import Horizon
from optimizer.routing.shipments import Shipment
from optimizer.routing.timetable import Timetable
from optimizer.routing.tracking import replan_from


@dataclass(frozen=True)
class DepartureCancelled:
    """A departure will not run: parcels booked on it need another way."""

    lane: str
    departure: int


@dataclass(frozen=True)
class DepartureDelayed:
    """A departure runs `minutes` late: its parcels arrive that much later."""

    lane: str
    departure: int
    minutes: int

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise ValueError("a delay must be positive")


@dataclass(frozen=True)
class CustomsHold:
    """Customs hold a shipment at `node` until `until` (then it is ready to move on)."""

    shipment: str
    node: str
    until: int


@dataclass(frozen=True)
class ParcelLost:
    """A parcel is lost; a replacement leaves its origin, ready at `at`."""

    shipment: str
    at: int


Disruption = DepartureCancelled | DepartureDelayed | CustomsHold | ParcelLost


@dataclass(frozen=True)
class ReplanResult:
    """All itineraries (unaffected ones are the very same objects) and what changed.

    `starts[shipment]` = (node, ready time, first new leg) tells the checker where
    each re-planned itinerary resumes; earlier legs are history.
    """

    itineraries: tuple[Itinerary, ...]
    changed: tuple[str, ...]
    starts: Mapping[str, tuple[str, int, int]] = field(default_factory=dict)


def timetable_without(timetable: Timetable, disruptions: Iterable[Disruption]) -> Timetable:
    """A copy of the timetable without the cancelled departures, nor the delayed ones.

    A delayed departure takes no new bookings: the timetable knows only its scheduled
    times, and a parcel routed onto it would get milestones it cannot keep. Parcels
    already on it keep it, with the delayed arrival.
    """
    cancelled: dict[str, set[int]] = {}
    for disruption in disruptions:
        if isinstance(disruption, DepartureCancelled | DepartureDelayed):
            cancelled.setdefault(disruption.lane, set()).add(disruption.departure)
    if not cancelled:
        return timetable
    network = timetable.network
    return Timetable(
        network,
        Horizon(timetable.horizon.start, timetable.horizon.end),
        lane_risk={
            lane.id: int(r) for lane, r in zip(timetable.lanes, timetable.lane_risk, strict=True)
        },
        excluded_lanes={
            lane.id for lane, x in zip(timetable.lanes, timetable.lane_excluded, strict=True) if x
        },
        cancelled=cancelled,
    )


def _validate(timetable: Timetable, shipments: Mapping[str, Shipment], disruptions) -> None:
    problems = []
    for index, disruption in enumerate(disruptions):
        path = f"disruptions[{index}]"
        if isinstance(disruption, DepartureCancelled | DepartureDelayed):
            if disruption.lane not in timetable.lane_index:
                problems.append((f"{path}.lane", f"unknown lane {disruption.lane!r}"))
        elif isinstance(disruption, CustomsHold | ParcelLost):
            if disruption.shipment not in shipments:
                problems.append((f"{path}.shipment", f"unknown shipment {disruption.shipment!r}"))
            if isinstance(disruption, CustomsHold) and disruption.node not in timetable.node_index:
                problems.append((f"{path}.node", f"unknown node {disruption.node!r}"))
        else:
            problems.append((path, f"unknown disruption {type(disruption).__name__}"))
    if problems:
        raise InputError([Problem(field, message) for field, message in problems])


def replan(
    timetable: Timetable,
    shipments: Sequence[Shipment],
    itineraries: Sequence[Itinerary],
    disruptions: Sequence[Disruption],
    now: int,
) -> ReplanResult:
    """New itineraries for the shipments the disruptions touch; the rest stay as they are."""
    by_id = {shipment.id: shipment for shipment in shipments}
    _validate(timetable, by_id, disruptions)
    timetable = timetable_without(timetable, disruptions)
    original = {itinerary.shipment: itinerary for itinerary in itineraries}
    plan = dict(original)
    # shipment -> (node, ready, legs kept); the first new leg is len(kept)
    restart: dict[str, tuple[str, int, tuple[Leg, ...]]] = {}
    starts: dict[str, tuple[str, int, int]] = {}
    lost: set[str] = set()
    for disruption in disruptions:
        if isinstance(disruption, DepartureCancelled | DepartureDelayed):
            for ship_id, itinerary in plan.items():
                index = next(
                    (
                        i
                        for i, leg in enumerate(itinerary.legs)
                        if leg.lane == disruption.lane and leg.departure == disruption.departure
                    ),
                    None,
                )
                if index is None:
                    continue
                leg = itinerary.legs[index]
                if isinstance(disruption, DepartureCancelled):
                    before = (
                        itinerary.legs[index - 1].ready_at if index else by_id[ship_id].ready_at
                    )
                    restart[ship_id] = (leg.origin, max(before, now), itinerary.legs[:index])
                    continue
                lane = timetable.lane_index[leg.lane]
                arrival = leg.arrival + disruption.minutes
                ready = timetable.ready_time(
                    int(timetable.lane_destination[lane]),
                    arrival + int(timetable.lane_clearance[lane]),
                )
                kept = (*itinerary.legs[:index], replace(leg, arrival=arrival, ready_at=ready))
                onward = itinerary.legs[index + 1 :]
                if onward:
                    cutoff = timetable.lanes[timetable.lane_index[onward[0].lane]].cutoff_minutes
                    if ready <= onward[0].departure - cutoff:
                        plan[ship_id] = replace(itinerary, legs=(*kept, *onward))
                        starts[ship_id] = (leg.destination, ready, index + 1)
                        continue
                restart[ship_id] = (leg.destination, ready, kept)
        elif isinstance(disruption, CustomsHold):
            itinerary = plan[disruption.shipment]
            shipment = by_id[disruption.shipment]
            index = next(
                (i for i, leg in enumerate(itinerary.legs) if leg.destination == disruption.node),
                None,
            )
            if index is None and disruption.node != shipment.origin:
                raise InputError(
                    f"shipment {shipment.id} does not pass {disruption.node}", field="node"
                )
            kept = itinerary.legs[: index + 1] if index is not None else ()
            # Released no earlier than the parcel is (as planned) cleared there.
            there = kept[-1].ready_at if kept else shipment.ready_at
            restart[shipment.id] = (disruption.node, max(disruption.until, now, there), kept)
        elif isinstance(disruption, ParcelLost):
            shipment = by_id[disruption.shipment]
            restart[shipment.id] = (shipment.origin, max(disruption.at, now), ())
            lost.add(shipment.id)
    ledger = CapacityLedger(timetable)
    for ship_id, itinerary in plan.items():
        keep = len(restart[ship_id][2]) if ship_id in restart else len(itinerary.legs)
        ledger.book_legs(itinerary.legs[:keep], by_id[ship_id].weight_g)
    levels = timetable.network.service_levels
    order = sorted(
        restart,
        key=lambda s: (-levels[by_id[s].service].late_penalty_per_day, by_id[s].deliver_by, s),
    )
    for ship_id in order:
        node, ready, kept = restart[ship_id]
        shipment = by_id[ship_id]
        new = replan_from(timetable, shipment, kept, node, ready, ledger)
        if not new.legs and ship_id in lost:
            new = replace(new, reason=Reason.LOST, detail="lost; no route for a replacement")
        ledger.book_legs(new.legs[len(kept) :], shipment.weight_g)
        plan[ship_id] = new
        starts[ship_id] = (node, ready, len(kept))
    changed = tuple(s.id for s in shipments if plan[s.id] is not original.get(s.id))
    return ReplanResult(
        itineraries=tuple(plan[s.id] for s in shipments),
        changed=changed,
        starts=starts,
    )
