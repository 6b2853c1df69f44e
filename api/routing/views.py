"""What a caller sees of a tracked shipment: planners everything, a carrier its own legs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.db.models import ShipmentLegRow, TrackedShipmentRow
from api.errors import Forbidden
from api.routing.present import milestones
from api.routing.tracked import current_legs, versions
from api.schemas.planning import DocRefOut, MilestoneOut
from api.schemas.tracking import EventOut, TrackedLegOut, TrackingOut, VersionOut
from api.security.principal import Principal, Role
from api.store import list_events

TRACKING_EVENT = "tracking"
MAX_EVENTS = 500


def carrier_filter(principal: Principal) -> frozenset[str] | None:
    """The carriers whose legs the caller may see; None for all (planners, admins)."""
    if principal.is_admin or Role.PLANNER in principal.roles:
        return None
    return principal.scoped_ids("carrier")


def _leg_out(row: ShipmentLegRow) -> TrackedLegOut:
    return TrackedLegOut.model_validate(
        {
            "leg": row.leg,
            "lane": row.lane,
            "carrier": row.carrier_id,
            "mode": row.mode,
            "from": row.origin,
            "to": row.destination,
            "departure": row.departure,
            "arrival": row.arrival,
            "ready_at": row.ready_at,
            "state": row.state,
            "committed_arrival": row.committed_arrival,
            "departed_at": row.departed_at,
            "arrived_at": row.arrived_at,
            "outcome": row.outcome,
        }
    )


def _milestones(record: dict[str, Any], legs: list[ShipmentLegRow]) -> list[MilestoneOut]:
    actual: dict[tuple[str, str], Any] = {}
    for leg in legs:
        actual[("departed", leg.lane)] = leg.departed_at
        actual[("arrived", leg.lane)] = leg.arrived_at
        if leg.state == "delivered":
            actual[("delivered", leg.lane)] = leg.arrived_at
    return [
        MilestoneOut.model_validate({**m, "actual_at": actual.get((m["event"], m["lane"]))})
        for m in milestones(record)
    ]


def tracking_view(
    session: Session, tracked: TrackedShipmentRow, principal: Principal, reading: bool = True
) -> TrackingOut:
    """The shipment as the caller may see it; a carrier with no leg on it gets 403 when
    reading (answering its own event, it sees the shipment even if re-planned off its legs)."""
    carriers = carrier_filter(principal)
    legs = current_legs(session, tracked.shipment_id)
    shown = legs if carriers is None else [leg for leg in legs if leg.carrier_id in carriers]
    if reading and carriers is not None and not shown:
        raise Forbidden(f"Shipment {tracked.shipment_id} has no leg of this key's carriers")
    lanes = {leg.lane for leg in shown}
    record: dict[str, Any] = tracked.itinerary
    visible = {**record, "legs": [leg for leg in record.get("legs") or [] if leg["lane"] in lanes]}
    events = list_events(
        session,
        TRACKING_EVENT,
        subject=tracked.shipment_id,
        carrier_ids=carriers,
        limit=MAX_EVENTS,
    )
    return TrackingOut(
        shipment_id=tracked.shipment_id,
        plan_id=tracked.plan_id,
        network=DocRefOut(id=tracked.network_id, version=tracked.network_version),
        state=tracked.state,
        version=tracked.version,
        deliver_by=tracked.deliver_by,
        eta=tracked.eta,
        status=record["status"],
        late_minutes=int(record.get("late_minutes", 0)),
        reason=record.get("reason"),
        currency=tracked.currency,
        total_cost=record.get("total_cost") if carriers is None else None,
        legs=[_leg_out(leg) for leg in shown],
        hidden_legs=len(legs) - len(shown),
        milestones=_milestones(visible, shown),
        events=[
            EventOut(
                event_id=e.event_id,
                type=e.body["type"],
                at=e.occurred_at,
                lane=e.body.get("lane"),
                carrier=e.carrier_id,
                recorded_at=e.recorded_at,
                delay_minutes=e.body.get("delay_minutes"),
                until=e.body.get("until"),
                note=e.body.get("note", ""),
                effect=e.body.get("effect", {}),
            )
            for e in events
        ],
        versions=[]
        if carriers is not None
        else [
            VersionOut(
                version=v.version,
                cause=v.cause,
                created_at=v.created_at,
                eta=v.itinerary.get("delivered_at"),
            )
            for v in versions(session, tracked.shipment_id)
        ],
    )
