"""Tracking: a shipment's itinerary with milestones, and the events carriers post on legs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.limits import MaxItems
from api.schemas.common import Strict
from api.schemas.networks import LaneId
from api.schemas.planning import DocRefOut, ItineraryOut, MilestoneOut
from api.schemas.shipments import Instant, ShipmentId

EventType = Literal[
    "departed", "arrived", "delivered", "delayed", "lost", "damaged", "customs_hold"
]


class TrackingEventIn(Strict):
    """What a carrier reports about one leg (named by its lane) of a shipment."""

    event_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$")] = (
        Field(description="the carrier's id for the event: sending it twice is a 409")
    )
    type: EventType
    at: Instant = Field(description="when it happened (ISO 8601 with an offset)")
    lane: LaneId = Field(description="the leg's lane; the leg must be this carrier's")
    delay_minutes: int | None = Field(
        None, ge=1, le=60 * 24 * 120, description="delayed: how late the leg will be"
    )
    until: Instant | None = Field(None, description="customs_hold: expected release")
    note: str = Field("", max_length=500)


class TrackedLegOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    leg: int
    lane: str
    carrier: str
    mode: str
    from_: str = Field(alias="from")
    to: str
    departure: datetime
    arrival: datetime
    ready_at: datetime
    state: str = Field(description="planned, departed, arrived or delivered")
    committed_arrival: datetime | None = Field(
        None, description="the arrival the carrier was held to (before its first event)"
    )
    departed_at: datetime | None = None
    arrived_at: datetime | None = None
    outcome: str | None = Field(None, description="on_time, late, lost or damaged")


class EventOut(BaseModel):
    event_id: str | None
    type: str
    at: datetime
    lane: str | None
    carrier: str | None
    recorded_at: datetime
    delay_minutes: int | None = None
    until: datetime | None = None
    note: str = ""
    effect: dict[str, Any] = Field(default_factory=dict)


class VersionOut(BaseModel):
    version: int
    cause: dict[str, Any]
    created_at: datetime
    eta: datetime | None


class VersionDetailOut(VersionOut):
    itinerary: ItineraryOut


class TrackingOut(BaseModel):
    """Where a shipment stands. A carrier sees only its own legs, events and no costs."""

    shipment_id: str
    plan_id: str | None
    network: DocRefOut
    state: str = Field(description="planned, in_transit, held, delivered or unrouted")
    version: int
    deliver_by: datetime
    eta: datetime | None
    status: str = Field(description="on_time, late, unserved or unroutable (as planned now)")
    late_minutes: int
    reason: str | None
    currency: str
    total_cost: str | None = None
    legs: list[TrackedLegOut]
    hidden_legs: int = Field(0, description="legs of other carriers, not shown to a carrier")
    milestones: list[MilestoneOut]
    events: list[EventOut]
    versions: list[VersionOut]


class TrackingEventOut(BaseModel):
    event_id: str
    shipment_id: str
    type: str
    eta_before: datetime | None
    eta_after: datetime | None
    replanned: bool = Field(description="an exception made the core re-plan what remains")
    version: int = Field(description="the itinerary version now current")
    new_version: bool
    tracking: TrackingOut


class CarrierEventIn(TrackingEventIn):
    shipment_id: ShipmentId


class CarrierEventsIn(Strict):
    """A carrier's batch: applied in order, all or nothing."""

    events: Annotated[list[CarrierEventIn], MaxItems("tracking events", "max_tracking_events")]


class EventResultOut(BaseModel):
    event_id: str
    shipment_id: str
    type: str
    eta_before: datetime | None
    eta_after: datetime | None
    replanned: bool
    version: int
    new_version: bool


class CarrierEventsOut(BaseModel):
    carrier_id: str
    accepted: int
    results: list[EventResultOut]
