"""Tracking: a shipment's itinerary with milestones; carriers post events on their own legs.

Unknown shipment: 404. A carrier key sees and reports only on legs of its carriers
(`carrier:ID` scopes): a shipment with none of them, or a leg of another carrier,
is 403. An event id sent twice, or an event the leg's state contradicts, is 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from api.deps import CurrentKey, ServicesDep, SessionDep, WriterDep, require
from api.errors import BODY_ERRORS, NotFound, error_responses
from api.routing.events import post_event, tracked_shipment
from api.routing.present import itinerary_out
from api.routing.tracked import versions
from api.routing.views import tracking_view
from api.schemas.params import ShipmentIdPath
from api.schemas.planning import ItineraryOut
from api.schemas.tracking import TrackingEventIn, TrackingEventOut, TrackingOut, VersionDetailOut
from api.security.principal import Role

router = APIRouter(prefix="/tracking", tags=["tracking"], responses=error_responses(401, 403, 422))
TRACKING_READERS = Depends(require(Role.PLANNER, Role.CARRIER))
CARRIERS = Depends(require(Role.CARRIER))


@router.get(
    "/{shipment_id}",
    response_model=TrackingOut,
    responses=error_responses(404),
    dependencies=[TRACKING_READERS],
    summary="A tracked shipment: legs, planned and actual milestones, ETA, events",
)
def get_tracking(
    shipment_id: ShipmentIdPath, principal: CurrentKey, session: SessionDep
) -> TrackingOut:
    return tracking_view(session, tracked_shipment(session, shipment_id), principal)


@router.post(
    "/{shipment_id}/events",
    response_model=TrackingEventOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(404, 409, *BODY_ERRORS),
    dependencies=[CARRIERS],
    summary="Report an event on one of your legs; the ETA is recomputed, exceptions re-plan",
)
def post_tracking_event(
    shipment_id: ShipmentIdPath,
    body: TrackingEventIn,
    principal: CurrentKey,
    session: WriterDep,
    services: ServicesDep,
) -> TrackingEventOut:
    posted = post_event(session, services.routing, principal, shipment_id, body)
    session.commit()
    services.metrics.count_tracking_event(posted.type, posted.replanned)
    view = tracking_view(session, tracked_shipment(session, shipment_id), principal, reading=False)
    return TrackingEventOut(
        event_id=posted.event_id,
        shipment_id=shipment_id,
        type=posted.type,
        eta_before=posted.eta_before,
        eta_after=posted.eta_after,
        replanned=posted.replanned,
        version=posted.version,
        new_version=posted.new_version,
        tracking=view,
    )


@router.get(
    "/{shipment_id}/versions/{version}",
    response_model=VersionDetailOut,
    responses=error_responses(404),
    dependencies=[Depends(require(Role.PLANNER))],
    summary="An itinerary version of a tracked shipment (earlier ones are kept)",
)
def get_tracking_version(
    shipment_id: ShipmentIdPath,
    version: Annotated[int, Path(ge=1, le=10**9)],
    session: SessionDep,
) -> VersionDetailOut:
    tracked = tracked_shipment(session, shipment_id)
    found = next((v for v in versions(session, shipment_id) if v.version == version), None)
    if found is None:
        raise NotFound("itinerary version", f"{shipment_id} v{version}", field="version")
    return VersionDetailOut(
        version=found.version,
        cause=found.cause,
        created_at=found.created_at,
        eta=found.itinerary.get("delivered_at"),
        itinerary=ItineraryOut.model_validate(itinerary_out(found.itinerary, tracked.currency)),
    )
