"""Planning requests and results: one itinerary, batch plans and what-if scenarios."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.limits import CappedTimeLimit, MaxItems
from api.schemas.common import Identifier, Strict
from api.schemas.jobs import JobError
from api.schemas.networks import Currency, LaneId, Money, PositiveHours, Ref, ZoneRateIn
from api.schemas.shipments import ShipmentIn

Version = Annotated[int, Field(ge=1, le=10**9, description="a stored version; omitted: the latest")]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1)]
Score = Annotated[float, Field(ge=0, le=1)]
Factor = Annotated[Decimal, Field(ge=0, le=1000, max_digits=12, decimal_places=6)]
ItineraryStatusName = Literal["on_time", "late", "unserved", "unroutable"]


class CarrierScoring(Strict):
    """How carrier scores from stored outcomes enter the planning."""

    carrier_scores: bool = Field(
        True,
        description="add each lane's risk cost and exclude low scorers, from stored outcomes "
        "(tracking and uploaded history); ignored while no outcome is stored",
    )
    min_score: Score = Field(0.75, description="lanes scoring below are excluded")


class PlanInputs(CarrierScoring):
    network_id: Identifier
    network_version: Version | None = None
    shipment_set_id: Identifier
    shipment_set_version: Version | None = None
    time_limit_s: CappedTimeLimit = Field(10.0, description="solver seconds (capped by the server)")
    seed: Seed = 0


class PlanParams(PlanInputs):
    """Parameters of a `routing.plan` job (also accepted by POST /v1/jobs)."""


class ChangeIn(Strict):
    """One scenario change; which fields a type needs is checked against the network."""

    type: str = Field(
        max_length=32,
        description="close_lane, scale_capacity, scale_volume, change_tariff or add_delay",
        examples=["close_lane"],
    )
    lane: LaneId | None = None
    factor: Factor | None = Field(None, description="scale_capacity, scale_volume")
    hours: PositiveHours | None = Field(None, description="add_delay")
    price_factor: Factor | None = Field(None, description="change_tariff: scales every price")
    currency: Currency | None = None
    volumetric_divisor: int | None = Field(None, ge=1, le=10**6)
    min_charge: Money | None = None
    zones: Annotated[dict[Ref, ZoneRateIn], Field(max_length=1000)] | None = None


class ScenarioIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    changes: Annotated[list[ChangeIn], MaxItems("scenario changes", "max_scenario_changes")]

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "changes": [c.model_dump(mode="json", exclude_none=True) for c in self.changes],
        }


class ScenarioParams(PlanInputs):
    """Parameters of a `routing.whatif` job (also accepted by POST /v1/jobs)."""

    scenario: ScenarioIn


class ItineraryRequest(CarrierScoring):
    network_id: Identifier
    network_version: Version | None = None
    shipment: ShipmentIn


class LegOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    lane: str
    carrier: str
    mode: str
    from_: str = Field(alias="from")
    to: str
    departure: datetime
    arrival: datetime
    ready_at: datetime = Field(description="cleared and handled at `to`, ready to move on")
    cost: str
    risk_cost: str


class MilestoneOut(BaseModel):
    event: Literal["departed", "arrived", "delivered"]
    lane: str
    node: str
    planned_at: datetime
    actual_at: datetime | None = None


class ItineraryOut(BaseModel):
    """A shipment's itinerary; money is a decimal string in `currency`."""

    shipment: str
    status: ItineraryStatusName
    reason: str | None = Field(None, description="why it is late, unserved or unroutable")
    detail: str | None = None
    currency: str
    delivered_at: datetime | None = None
    late_minutes: int = 0
    freight_cost: str | None = None
    risk_cost: str | None = None
    late_penalty: str | None = None
    total_cost: str | None = None
    legs: list[LegOut]
    milestones: list[MilestoneOut]


class PlannedItineraryOut(ItineraryOut):
    network_id: str
    network_version: int


class ValidationReport(BaseModel):
    """validate_only: everything was checked and nothing was stored or started."""

    valid: Literal[True] = True
    summary: dict[str, Any]


class DocRefOut(BaseModel):
    id: str
    version: int | None


class LaneUseOut(BaseModel):
    lane: str
    departures: int
    kg: float
    parcels: int
    utilisation: float | None
    peak: float | None


class KpisOut(BaseModel):
    shipments: int
    on_time: int
    late: int
    unserved: int
    unroutable: int
    on_time_rate: float
    cost: str
    freight_cost: str
    risk_cost: str
    late_penalty: str
    mean_transit_days: float
    lateness: dict[str, int]
    lanes: list[LaneUseOut]


class PlanResultOut(BaseModel):
    solver_status: str = Field(description="optimal, feasible, infeasible or timeout")
    currency: str
    objective: str
    model_bound: float | None
    model_gap: float | None
    solve_seconds: float
    itineraries: int
    carrier_scores: dict[str, Any]
    kpis: KpisOut


class PlanOut(BaseModel):
    """A batch plan: its job's state and, once done, its KPIs (itineraries are paged apart)."""

    plan_id: str
    status: str = Field(description="the job's: queued, running, succeeded, failed, cancelled")
    progress: float
    progress_message: str
    network: DocRefOut
    shipment_set: DocRefOut
    time_limit_s: float
    seed: int
    created_at: datetime
    finished_at: datetime | None
    result: PlanResultOut | None
    error: JobError | None
    activated_at: datetime | None = Field(None, description="handed to tracking at")


class PlanList(BaseModel):
    items: list[PlanOut]
    limit: int
    offset: int


class ItineraryPage(BaseModel):
    plan_id: str
    total: int
    items: list[ItineraryOut]
    limit: int
    offset: int


class ActivationOut(BaseModel):
    plan_id: str
    activated_at: datetime
    tracked: int = Field(description="shipments now tracked on this plan's itineraries")
    kept: int = Field(description="shipments already moving on another itinerary, left as they are")
    kept_shipments: list[str] = Field(description="up to 100 of them")


class KpiDeltaOut(BaseModel):
    name: str
    unit: str
    baseline: float
    scenario: float
    delta: float


class LaneDeltaOut(BaseModel):
    lane: str
    baseline: float | None
    scenario: float | None


class ComparisonOut(BaseModel):
    scenario: str
    currency: str
    kpis: list[KpiDeltaOut]
    baseline: dict[str, Any] = Field(description="solver status and KPIs of the baseline plan")
    changed: dict[str, Any] = Field(description="solver status and KPIs of the scenario plan")
    lane_utilisation: list[LaneDeltaOut] = Field(description="largest changes first")


class ScenarioOut(BaseModel):
    scenario_id: str
    name: str
    status: str
    progress: float
    progress_message: str
    network: DocRefOut
    shipment_set: DocRefOut
    created_at: datetime
    finished_at: datetime | None
    result: ComparisonOut | None
    error: JobError | None


class ScenarioList(BaseModel):
    items: list[ScenarioOut]
    limit: int
    offset: int
