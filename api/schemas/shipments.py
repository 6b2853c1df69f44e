"""Shipment records (the shipments.jsonl format) and shipment-set uploads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from api.schemas.common import Strict
from api.schemas.networks import Category, Ref

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_WINDOW_DAYS = 366  # ready -> deliver_by; keeps every timetable horizon bounded

ShipmentId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$"),
    Field(examples=["S000001"], description="1-128 letters, digits, '.', '_', ':', '~', '-'"),
]


def _in_range(moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise PydanticCustomError("instant_range", "must be between 2000 and 2100")
    return moment


Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
Positive = Annotated[Decimal, Field(gt=0, le=10**5, max_digits=14, decimal_places=6)]


class ShipmentIn(Strict):
    """One shipment, as a line of shipments.jsonl."""

    id: ShipmentId
    origin: Ref
    destination: Ref
    ready_at: Instant = Field(description="ISO 8601 with an offset")
    deliver_by: Instant
    deliver_from: Instant | None = Field(None, description="earlier arrivals are held until then")
    service: Ref = Field(examples=["standard"])
    category: Category = "general"
    weight_kg: Positive
    dims_cm: Annotated[list[Positive], Field(min_length=3, max_length=3)] | None = Field(
        None, description="[L, W, H]"
    )

    @model_validator(mode="after")
    def _window_is_bounded(self) -> ShipmentIn:
        if self.deliver_by - self.ready_at > timedelta(days=MAX_WINDOW_DAYS):
            raise PydanticCustomError(
                "window_too_long",
                "deliver_by is more than {days} days after ready_at",
                {"days": MAX_WINDOW_DAYS},
            )
        return self

    def record(self) -> dict[str, Any]:
        """The plain record the core reads."""
        return self.model_dump(mode="json", exclude_none=True)


class ShipmentSetSummary(BaseModel):
    shipments: int
    origins: list[str]
    destinations: int
    services: dict[str, int]
    categories: dict[str, int]
    first_ready_at: datetime | None
    last_deliver_by: datetime | None
    total_weight_kg: float


class ShipmentSetVersionOut(BaseModel):
    shipment_set_id: str
    version: int | None = Field(description="None when only validated")
    stored: bool
    created_at: datetime | None
    network_checked: str | None = Field(
        default=None, description="the network (id@version) the shipments were checked against"
    )
    summary: ShipmentSetSummary


class ShipmentSetList(BaseModel):
    items: list[ShipmentSetVersionOut]
    limit: int
    offset: int


class ShipmentPage(BaseModel):
    shipment_set_id: str
    version: int
    total: int
    items: list[dict[str, Any]] = Field(description="shipments.jsonl records")
    limit: int
    offset: int
