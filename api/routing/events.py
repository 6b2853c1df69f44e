"""Carrier events on tracked shipments, translated into the core's ETA update and re-planning.

Every event is about one leg, named by its lane, and only that leg's carrier may
post it. The ETA is recomputed with `update_eta`; exceptions re-plan what remains
with `replan_from` through departures that still have room (the capacity ledger
holds every other tracked shipment's legs):

- customs_hold: from the held node, once released (`until`);
- lost: a replacement from the origin, ready at the event's time;
- delayed (or a departure/arrival reported late) when it makes the shipment late,
  or later than it already was: from the end of that leg, which it still rides;
- any event whose re-timed onward legs no longer fit the departures' capacity
  (the core re-times to the first departure the parcel makes, which may be one
  the plan had left full): from the end of that leg, likewise.

Capacity is counted on each leg's booked departure (`booked_departure`, which stays
when the carrier reports the leg late), so a flight that runs late still holds its parcels.
Re-timing needs no carrier scores, so most events never compute them; a re-plan uses
the scores as stored before the event (with its risk costs and excluded lanes). When
the core's re-timing itself falls back to a new route (a planned lane has no departure
left), that route is found without scores or capacity: a rare edge, noted.

Each change of itinerary is a new version; earlier ones are kept. An arrival (or a
delivery) closes the leg with an outcome for the carrier's scorecard: on_time when
it arrives by the arrival it was held to, late otherwise; lost and damaged count too.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from api.db.models import EventRow, ItineraryVersionRow, ShipmentLegRow, TrackedShipmentRow
from api.db.types import utcnow
from api.errors import ApiError, Conflict, Forbidden, NotFound
from api.routing.cache import RoutingCache
from api.routing.documents import DocRef, load_network
from api.routing.outcomes import TRACKING, Scoring, record_outcome, scoring
from api.routing.present import itinerary_record
from api.routing.timetables import timetable_for
from api.routing.tracked import LegState, ShipmentState, current_legs, new_version
from api.schemas.tracking import TrackingEventIn
from api.security.principal import Principal
from api.store import append_event
from optimizer.routing import (
    CapacityLedger,
    EventKind,
    Itinerary,
    Leg,
    Reason,
    Shipment,
    Timetable,
    TrackingEvent,
    itinerary_from_dict,
    replan_from,
    shipments_from_records,
    update_eta,
)
from optimizer.timeutil import from_minutes, to_minutes

TRACKING_EVENT = "tracking"


class EventType(StrEnum):
    DEPARTED = "departed"
    ARRIVED = "arrived"
    DELIVERED = "delivered"
    DELAYED = "delayed"
    LOST = "lost"
    DAMAGED = "damaged"
    CUSTOMS_HOLD = "customs_hold"


@dataclass
class Change:
    """The itinerary after an event, and whether (and from where) it was re-planned."""

    itinerary: Itinerary
    carry: int  # legs whose reported state carries over to the new version
    replanned: bool = False
    resume: tuple[str, int, int] | None = None  # (node, ready, first new leg)


@dataclass(frozen=True)
class Posted:
    event_id: str
    shipment_id: str
    type: str
    eta_before: datetime | None
    eta_after: datetime | None
    replanned: bool
    version: int
    new_version: bool


def may_report(principal: Principal, carrier_id: str) -> bool:
    return principal.is_admin or principal.in_scope(f"carrier:{carrier_id}")


def tracked_shipment(session: Session, shipment_id: str, lock: bool = False) -> TrackedShipmentRow:
    query = select(TrackedShipmentRow).where(TrackedShipmentRow.shipment_id == shipment_id)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound("tracked shipment", shipment_id, field="shipment_id")
    return found


def _leg_of(
    session: Session,
    tracked: TrackedShipmentRow,
    legs: list[ShipmentLegRow],
    lane: str,
    principal: Principal,
) -> int:
    """The current leg on `lane`; a leg only earlier versions had is 409 for its carrier
    (403 for others), a lane never on the itinerary 422."""
    index = next((i for i, leg in enumerate(legs) if leg.lane == lane), None)
    if index is not None:
        return index
    for version in session.scalars(
        select(ItineraryVersionRow)
        .where(ItineraryVersionRow.shipment_id == tracked.shipment_id)
        .order_by(ItineraryVersionRow.version.desc())
    ):
        for leg in version.itinerary.get("legs") or []:
            if leg["lane"] == lane:
                if not may_report(principal, leg["carrier"]):
                    raise Forbidden(f"Lane {lane} is not carried by this key's carriers")
                raise Conflict(
                    f"Lane {lane} is no longer on shipment {tracked.shipment_id}'s itinerary "
                    f"(it was in version {version.version}; version {tracked.version} is current)",
                    field="lane",
                )
    raise ApiError(
        422, f"Lane {lane} is not on shipment {tracked.shipment_id}'s itinerary", field="lane"
    )


def _check_state(
    tracked: TrackedShipmentRow, legs: list[ShipmentLegRow], index: int, event: TrackingEventIn
) -> None:
    """409 for an event the shipment's or the leg's state contradicts."""
    kind = EventType(event.type)
    leg = legs[index]
    if tracked.state == ShipmentState.DELIVERED:
        raise Conflict(f"Shipment {tracked.shipment_id} was already delivered", field="type")
    if kind is EventType.DEPARTED and leg.state != LegState.PLANNED:
        raise Conflict(f"Leg {leg.lane} already {leg.state}", field="type")
    if kind is EventType.ARRIVED and leg.state not in (LegState.PLANNED, LegState.DEPARTED):
        raise Conflict(f"Leg {leg.lane} already {leg.state}", field="type")
    if kind is EventType.DELIVERED and index != len(legs) - 1:
        raise Conflict(
            f"A delivery is reported on the last leg ({legs[-1].lane}), not on {leg.lane}",
            field="lane",
        )
    if kind is EventType.DELAYED:
        if event.delay_minutes is None:
            raise ApiError(422, "a delayed event needs delay_minutes", field="delay_minutes")
        if leg.state not in (LegState.PLANNED, LegState.DEPARTED):
            raise Conflict(f"Leg {leg.lane} already {leg.state}; it cannot be delayed", "type")
    if kind is EventType.CUSTOMS_HOLD:
        if event.until is None:
            raise ApiError(422, "a customs_hold event needs until", field="until")
        if event.until < event.at:
            raise ApiError(422, "until must not be before at", field="until")
    if (
        leg.departed_at is not None
        and event.at < leg.departed_at
        and kind
        in (
            EventType.ARRIVED,
            EventType.DELIVERED,
        )
    ):
        raise Conflict(
            f"Leg {leg.lane} departed at {leg.departed_at.isoformat()}; it cannot arrive before",
            field="at",
        )
    if kind is EventType.DEPARTED and index > 0:
        before = legs[index - 1].arrived_at
        if before is not None and event.at < before:
            raise Conflict(
                f"The previous leg arrived at {before.isoformat()}; this one cannot depart before",
                field="at",
            )


def _loads(session: Session, shipment_id: str, *where: Any) -> Any:
    """(lane, booked departure, grams, parcels) every other tracked shipment holds."""
    return session.execute(
        select(
            ShipmentLegRow.lane,
            ShipmentLegRow.booked_departure,
            func.sum(ShipmentLegRow.weight_g),
            func.count(),
        )
        .where(ShipmentLegRow.shipment_id != shipment_id, *where)
        .group_by(ShipmentLegRow.lane, ShipmentLegRow.booked_departure)
    )


def _book(ledger: CapacityLedger, loads: Any) -> CapacityLedger:
    timetable = ledger.timetable
    for lane_id, departure, grams, parcels in loads:
        lane = timetable.lane_index.get(lane_id)
        if lane is None:
            continue
        times = timetable.departures[lane]
        minute = to_minutes(_utc(departure))
        index = bisect.bisect_left(times, minute)
        if index < len(times) and times[index] == minute:
            ledger.book(lane, index, int(grams), int(parcels))
    return ledger


def _ledger(session: Session, timetable: Timetable, shipment_id: str, since: int) -> CapacityLedger:
    """What every other tracked shipment holds on the departures a search from `since` can use."""
    start = from_minutes(max(since, timetable.horizon.start))
    end = from_minutes(timetable.horizon.end)
    booked = ShipmentLegRow.booked_departure
    return _book(
        CapacityLedger(timetable), _loads(session, shipment_id, booked >= start, booked < end)
    )


def _utc(moment: datetime | str) -> datetime:
    """An aggregate over a timestamp column comes back without the column's type on SQLite."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _fits(
    session: Session,
    timetable: Timetable,
    shipment_id: str,
    legs: tuple[Leg, ...],
    booked: tuple[Leg, ...],
    weight_g: int,
) -> bool:
    """Every leg's departure has room for the parcel (those it was booked on already do).

    Only the departures it moves to are counted, one indexed lookup each.
    """
    held = {(leg.lane, leg.departure) for leg in booked}
    moved = [leg for leg in legs if (leg.lane, leg.departure) not in held]
    if not moved:
        return True  # the common case: nothing moved
    pairs = [(leg.lane, from_minutes(leg.departure)) for leg in moved]
    where = or_(
        *(
            and_(ShipmentLegRow.lane == lane, ShipmentLegRow.booked_departure == departure)
            for lane, departure in pairs
        )
    )
    ledger = _book(CapacityLedger(timetable), _loads(session, shipment_id, where))
    for leg in moved:
        found = ledger.locate(leg)
        if found is not None and not ledger.fits(found[0], found[1], weight_g):
            return False
    return True


def decide(
    kind: EventType,
    event: TrackingEventIn,
    index: int,
    leg_state: str,
    timetable: Timetable,
    shipment: Shipment,
    itinerary: Itinerary,
    replan: Callable[[tuple[Leg, ...], str, int], Itinerary],
    fits: Callable[[tuple[Leg, ...]], bool],
) -> Change:
    """The core's answer to the event (see the module doc for which call when).

    `timetable` re-times (no carrier scores needed); `replan(kept, node, ready)` is the
    core's `replan_from` with scores and capacity; `fits(legs)` checks legs that moved.
    """
    at = to_minutes(event.at)
    planned = itinerary.legs[index]
    every = len(itinerary.legs)

    def eta(kind: EventKind, minute: int, **where: str) -> Itinerary:
        return update_eta(
            timetable, shipment, itinerary, TrackingEvent(shipment.id, kind, minute, **where)
        )

    if kind is EventType.DEPARTED:
        change = Change(eta(EventKind.DEPARTED, at, lane=planned.lane), every)
    elif kind is EventType.ARRIVED:
        change = Change(eta(EventKind.ARRIVED, at, node=planned.destination), every)
    elif kind is EventType.DELIVERED:
        return Change(eta(EventKind.DELIVERED, at), every)
    elif kind is EventType.DELAYED:
        delay = event.delay_minutes or 0
        if leg_state == LegState.PLANNED:
            expected = eta(EventKind.DEPARTED, planned.departure + delay, lane=planned.lane)
        else:
            expected = eta(EventKind.ARRIVED, planned.arrival + delay, node=planned.destination)
        change = Change(expected, every)
    elif kind is EventType.DAMAGED:
        return Change(itinerary, every)
    elif kind is EventType.CUSTOMS_HOLD:
        assert event.until is not None
        ready = max(to_minutes(event.until), at)
        kept = itinerary.legs[: index + 1]
        fresh = replan(kept, planned.destination, ready)
        return Change(fresh, index + 1, True, (planned.destination, ready, index + 1))
    else:  # lost: a replacement leaves the origin
        fresh = replan((), shipment.origin, at)
        if not fresh.legs:
            fresh = replace(fresh, reason=Reason.LOST, detail="lost; no route for a replacement")
        return Change(fresh, 0, True, (shipment.origin, at, 0))
    new = change.itinerary
    later = new.late_minutes > 0 and new.late_minutes > itinerary.late_minutes
    crowded = not fits(new.legs[index + 1 :])
    if (later or crowded) and index + 1 < len(new.legs):
        node, ready = new.legs[index].destination, new.legs[index].ready_at
        fresh = replan(new.legs[: index + 1], node, ready)
        if fresh.legs:
            return Change(fresh, index + 1, True, (node, ready, index + 1))
    return change


def _close_leg(
    session: Session, leg: ShipmentLegRow, kind: EventType, at: datetime, shipment_id: str
) -> None:
    """Record what the event says about the leg, and its outcome once it has one."""
    if leg.committed_arrival is None and kind in (
        EventType.DEPARTED,
        EventType.ARRIVED,
        EventType.DELIVERED,
        EventType.DELAYED,
    ):
        leg.committed_arrival = leg.arrival
    outcome = None
    if kind is EventType.DEPARTED:
        leg.state, leg.departed_at = LegState.DEPARTED.value, at
    elif kind in (EventType.ARRIVED, EventType.DELIVERED):
        leg.state = (LegState.ARRIVED if kind is EventType.ARRIVED else LegState.DELIVERED).value
        leg.arrived_at = leg.arrived_at or at
        committed = leg.committed_arrival
        outcome = "late" if committed is not None and leg.arrived_at > committed else "on_time"
    elif kind is EventType.LOST:
        outcome = "lost"
    elif kind is EventType.DAMAGED:
        outcome = "damaged"
    if outcome is not None and leg.outcome is None:
        leg.outcome = outcome
        record_outcome(session, leg.carrier_id, leg.lane, outcome, shipment_id, TRACKING)


def _plan_of(record: dict[str, Any]) -> tuple[Any, ...]:
    """What makes a new version: other legs or times, not a re-worded reason."""
    return record.get("status"), record.get("delivered_at"), record.get("legs")


def _next_state(current: str, kind: EventType, itinerary: Itinerary) -> ShipmentState:
    if kind is EventType.DELIVERED:
        return ShipmentState.DELIVERED
    if not itinerary.legs:
        return ShipmentState.UNROUTED
    if kind is EventType.CUSTOMS_HOLD:
        return ShipmentState.HELD
    if kind is EventType.LOST:
        return ShipmentState.PLANNED  # a replacement, not moving yet
    if kind in (EventType.DEPARTED, EventType.ARRIVED):
        return ShipmentState.IN_TRANSIT
    return ShipmentState(current)


def post_event(
    session: Session,
    cache: RoutingCache,
    principal: Principal,
    shipment_id: str,
    event: TrackingEventIn,
    carrier_id: str | None = None,
) -> Posted:
    """Check, apply and record one carrier event (the caller commits).

    With `carrier_id` (a carrier's own batch) the leg must be that carrier's too.
    """
    tracked = tracked_shipment(session, shipment_id, lock=True)
    legs = current_legs(session, shipment_id)
    if not legs:
        raise Conflict(
            f"Shipment {shipment_id} has no planned legs "
            f"({tracked.itinerary.get('reason') or tracked.state})",
            field="shipment_id",
        )
    index = _leg_of(session, tracked, legs, event.lane, principal)
    leg = legs[index]
    if not may_report(principal, leg.carrier_id) or carrier_id not in (None, leg.carrier_id):
        raise Forbidden(
            f"Lane {leg.lane} is carried by {leg.carrier_id}; this key is not scoped to it"
        )
    duplicate = session.scalar(
        select(EventRow.id).where(
            EventRow.kind == TRACKING_EVENT, EventRow.event_id == event.event_id
        )
    )
    if duplicate is not None:
        raise Conflict(f"event {event.event_id!r} was already recorded", field="event_id")
    _check_state(tracked, legs, index, event)
    kind = EventType(event.type)

    ref = DocRef(tracked.network_id, tracked.network_version)
    _, network = load_network(session, cache, ref.id, ref.version)
    (shipment,) = shipments_from_records([tracked.shipment])
    itinerary = itinerary_from_dict(tracked.itinerary, tracked.currency)
    at = to_minutes(event.at)
    window = ([shipment.ready_at, at], [shipment.deliver_by])
    plain = timetable_for(cache, ref, network, Scoring(None, 0, 0.0), *window)

    @functools.cache
    def scored() -> tuple[Timetable, CapacityLedger]:
        """Carrier scores as stored before this event, and what other shipments hold."""
        planning = tracked.planning or {}
        scores = scoring(
            session,
            cache,
            ref,
            network,
            bool(planning.get("carrier_scores", True)),
            float(planning.get("min_score", 0.75)),
        )
        timetable = timetable_for(cache, ref, network, scores, *window)
        return timetable, _ledger(session, timetable, shipment_id, at)

    def replan(kept: tuple[Leg, ...], node: str, ready: int) -> Itinerary:
        timetable, ledger = scored()
        return replan_from(timetable, shipment, kept, node, ready, ledger)

    def fits(legs: tuple[Leg, ...]) -> bool:
        return _fits(session, plain, shipment_id, legs, itinerary.legs, shipment.weight_g)

    change = decide(kind, event, index, leg.state, plain, shipment, itinerary, replan, fits)
    _close_leg(session, leg, kind, event.at, shipment_id)  # counts from the next event on
    eta_before = tracked.eta
    record = itinerary_record(change.itinerary, tracked.currency)
    changed = _plan_of(record) != _plan_of(tracked.itinerary)
    if changed:
        cause: dict[str, Any] = {
            "type": "replan" if change.replanned else "eta",
            "event_id": event.event_id,
            "event": kind.value,
        }
        if change.resume is not None:
            node, ready, first = change.resume
            cause["resume"] = {
                "node": node,
                "ready_at": from_minutes(ready).isoformat(),
                "leg": first,
            }
        new_version(session, tracked, record, cause, shipment.weight_g, change.carry)
    tracked.state = _next_state(tracked.state, kind, change.itinerary).value
    tracked.events += 1
    tracked.updated_at = utcnow()
    replanned = change.replanned and changed
    effect = {
        "eta_before": eta_before.isoformat() if eta_before else None,
        "eta_after": tracked.eta.isoformat() if tracked.eta else None,
        "replanned": replanned,
        "version": tracked.version,
    }
    append_event(
        session,
        TRACKING_EVENT,
        shipment_id,
        {
            "type": kind.value,
            "lane": event.lane,
            "delay_minutes": event.delay_minutes,
            "until": event.until.isoformat() if event.until else None,
            "note": event.note,
            "effect": effect,
        },
        occurred_at=event.at,
        event_id=event.event_id,
        carrier_id=leg.carrier_id,
        owner_key_id=principal.key_id,
    )
    return Posted(
        event_id=event.event_id,
        shipment_id=shipment_id,
        type=kind.value,
        eta_before=eta_before,
        eta_after=tracked.eta,
        replanned=replanned,
        version=tracked.version,
        new_version=changed,
    )
