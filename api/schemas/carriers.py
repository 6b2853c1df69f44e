"""Carrier-facing legs, outcome history uploads and per-lane scorecards."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.limits import MaxItems
from api.schemas.common import Identifier, Strict
from api.schemas.networks import LaneId
from api.schemas.shipments import ShipmentId


class CarrierLegOut(BaseModel):
    """A leg handed to the carrier: which shipment, which departure, what weight."""

    model_config = ConfigDict(populate_by_name=True)

    shipment_id: str
    leg: int
    lane: str
    mode: str
    from_: str = Field(alias="from")
    to: str
    departure: datetime
    arrival: datetime
    weight_kg: float
    state: str
    departed_at: datetime | None
    arrived_at: datetime | None
    outcome: str | None


class CarrierLegList(BaseModel):
    carrier_id: str
    items: list[CarrierLegOut]
    limit: int
    offset: int


class OutcomeIn(Strict):
    """A past leg's outcome, as in events.jsonl."""

    carrier: Identifier
    lane: LaneId
    outcome: Literal["on_time", "late", "lost", "damaged"]
    shipment: ShipmentId | None = None


class OutcomesIn(Strict):
    outcomes: Annotated[list[OutcomeIn], MaxItems("outcomes", "max_carrier_outcomes")]


class OutcomesStored(BaseModel):
    stored: int
    total: int = Field(description="outcomes stored now, from tracking and history")


class LaneScoreOut(BaseModel):
    lane: str
    events: int
    late_rate: float
    lost_rate: float
    damaged_rate: float
    score: float = Field(description="smoothed on-time rate (1 - late - lost - damaged)")
    risk_cost: str = Field(description="added per parcel to this lane's cost when planning")
    excluded: bool = Field(description="below min_score: plans do not use the lane")


class CarrierScorecard(BaseModel):
    carrier: str
    outcomes: dict[str, int] = Field(description="raw counts: on_time, late, lost, damaged")
    lanes: list[LaneScoreOut]


class ScorecardList(BaseModel):
    network_id: str
    network_version: int
    currency: str
    min_score: float
    outcomes: int
    items: list[CarrierScorecard]
