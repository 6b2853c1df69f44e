"""Network uploads: the `optimizer.network/1` document with a limit on every value.

The models check shape, sizes and ranges; the core's validator then checks
meaning (references, time zones, tariff arithmetic) and reports every problem.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.limits import MaxItems
from api.schemas.common import Identifier, Strict

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(examples=["USD"])]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=64)]
LaneId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Clock = Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$"), Field(examples=["18:00"])]
Money = Annotated[
    Decimal,
    Field(ge=0, le=10**9, max_digits=16, decimal_places=6, description="a decimal amount"),
]
Kg = Annotated[Decimal, Field(ge=0, le=10**9, max_digits=16, decimal_places=6)]
Hours = Annotated[Decimal, Field(ge=0, le=24 * 365, max_digits=12, decimal_places=4)]
Rate = Annotated[Decimal, Field(gt=0, le=10**6, max_digits=20, decimal_places=10)]
PositiveKg = Annotated[Decimal, Field(gt=0, le=10**6, max_digits=16, decimal_places=6)]
PositiveHours = Annotated[Decimal, Field(gt=0, le=24 * 365, max_digits=12, decimal_places=4)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Category = Literal["general", "batteries", "liquids", "cosmetics", "food"]
NodeKindName = Literal[
    "seller_warehouse",
    "origin_hub",
    "export_gateway",
    "import_gateway",
    "destination_hub",
    "delivery_zone",
]
ModeName = Literal["truck", "air", "sea", "rail", "last_mile"]


class ServiceLevelIn(Strict):
    promise_days: int = Field(ge=1, le=365)
    late_penalty_per_day: Money


class ZoneRateIn(Strict):
    first_kg: Kg
    first_price: Money
    step_kg: PositiveKg
    step_price: Money


class TariffIn(Strict):
    currency: Currency
    volumetric_divisor: int | None = Field(None, ge=1, le=10**6, description="cm3 per kg")
    min_charge: Money | None = None
    zones: Annotated[dict[Ref, ZoneRateIn], Field(min_length=1, max_length=1000)] = Field(
        description='zone -> rate; "*" is the default zone'
    )


class NodeIn(Strict):
    id: Ref
    kind: NodeKindName
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        examples=["Europe/Berlin"]
    )
    handling_hours: Hours | None = None
    cutoff: Clock | None = None
    zone: Ref | None = None
    name: str | None = Field(None, max_length=200)


class DepartureIn(Strict):
    days: Literal["daily"] | Annotated[list[Weekday], Field(min_length=1, max_length=7)]
    time: Clock


class CapacityIn(Strict):
    kg: Kg | None = None
    parcels: int | None = Field(None, ge=0, le=10**9)


Categories = Annotated[list[Category], Field(min_length=1, max_length=5)]


class LaneIn(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: LaneId
    from_: Ref = Field(alias="from")
    to: Ref
    mode: ModeName
    carrier: Identifier = Field(description="the carrier id keys are scoped to (carrier:ID)")
    departures: Annotated[list[DepartureIn], Field(min_length=1, max_length=50)]
    transit_hours: PositiveHours
    cutoff_hours: Hours | None = None
    clearance_hours: Hours | None = None
    capacity: CapacityIn | None = Field(None, description="per departure; omitted: unlimited")
    tariff: Ref
    categories: Categories | None = None
    max_parcel_kg: PositiveKg | None = None


ServiceLevels = Annotated[dict[Ref, ServiceLevelIn], Field(min_length=1, max_length=50)]


class NetworkIn(Strict):
    """A network document as `optimizer network` files have it (README, Formats)."""

    format: Literal["optimizer.network/1"] = "optimizer.network/1"
    currency: Currency
    rates: Annotated[dict[Currency, Rate], Field(max_length=200)] = Field(
        default_factory=dict, description="currency -> value of one unit in the plan currency"
    )
    service_levels: ServiceLevels | None = None
    tariffs: Annotated[dict[Ref, TariffIn], MaxItems("tariffs", "max_network_lanes")]
    nodes: Annotated[list[NodeIn], MaxItems("nodes", "max_network_nodes")]
    lanes: Annotated[list[LaneIn], MaxItems("lanes", "max_network_lanes")]

    def document(self) -> dict[str, Any]:
        """The plain JSON document the core reads (absent fields stay absent)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class NetworkSummary(BaseModel):
    currency: str
    nodes: int
    lanes: int
    tariffs: int
    carriers: list[str]
    countries: list[str]
    service_levels: list[str]


class NetworkVersionOut(BaseModel):
    """A stored version (or, with validate_only, what would be stored)."""

    network_id: str
    version: int | None = Field(description="None when only validated")
    stored: bool
    created_at: datetime | None
    summary: NetworkSummary


class NetworkOut(NetworkVersionOut):
    document: dict[str, Any] = Field(description="the network as stored (optimizer.network/1)")


class NetworkList(BaseModel):
    items: list[NetworkVersionOut]
    limit: int
    offset: int
