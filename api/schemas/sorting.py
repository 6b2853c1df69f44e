"""Sorting requests and responses: layouts, forecasts, plan versions, assignments, chutes.

The layout and forecast bodies are the JSON files the CLI reads (`optimizer generate
sorter` writes them), with a limit on every value; the core then checks their meaning.
The assignment hot path does not build these models per request (see
`api.sorting.scans`): `ScanIn` and `AssignmentBatchIn` document its body and bounds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.limits import CappedTimeLimit, MaxItems
from api.schemas.common import Identifier
from api.schemas.params import ISO_INSTANT

ChuteId = Identifier
SortKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]
CategoryName = Literal["general", "battery", "liquid", "cosmetics", "food"]
ChuteTypeName = Literal["destination", "reject", "no_read", "exception", "oversize"]
SizeClass = Literal["small", "medium", "large", "oversize"]
ReasonName = Literal[
    "planned",
    "alternate",
    "recirculate",
    "no_read",
    "unknown_destination",
    "oversize",
    "restricted",
    "chute_full",
]
ChuteEventName = Literal[
    "full", "swap_started", "container_closed", "emptied", "disabled", "enabled"
]
Metres = Annotated[float, Field(ge=0, le=100_000)]
Share = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(ge=0, le=7 * 24 * 3600)]
Millimetres = Annotated[float, Field(ge=1, le=100_000)]

# Bounds of one parcel scan, shared with the hand-written validator of the hot path.
MAX_PARCEL_ID = 128
MAX_SORT_KEY = 128
MAX_WEIGHT_G = 10_000_000.0
MAX_DIMENSION_MM = 100_000.0
MAX_SCAN = 1000


class Strict(BaseModel):
    """Unknown fields are refused (a typo is reported) and no type is coerced: `true` is
    not a position, `"5"` not a capacity."""

    model_config = ConfigDict(extra="forbid", strict=True)


# ---------------------------------------------------------------- layout


class InductionPointIn(Strict):
    id: Name
    position_m: Metres


class ChuteIn(Strict):
    id: ChuteId
    position_m: Metres
    type: ChuteTypeName = "destination"
    capacity_parcels: int | None = Field(None, ge=1, le=1_000_000)
    capacity_kg: float | None = Field(None, ge=0.001, le=1_000_000)
    max_length_mm: Millimetres | None = None
    max_width_mm: Millimetres | None = None
    max_height_mm: Millimetres | None = None
    max_weight_g: float | None = Field(None, ge=1, le=MAX_WEIGHT_G)
    categories: list[CategoryName] | None = Field(None, min_length=1, max_length=5)


class LayoutIn(Strict):
    """A sorter layout, as `layout.json` (`optimizer generate sorter`)."""

    sorter_id: Identifier
    loop_length_m: float = Field(ge=1, le=100_000)
    speed_m_s: float = Field(ge=0.01, le=100)
    swap_interval_s: float | None = Field(None, ge=1, le=7 * 24 * 3600)
    swap_duration_s: Seconds | None = None
    full_response_s: Seconds | None = None
    max_recirculations: int | None = Field(None, ge=0, le=100)
    induction_points: list[InductionPointIn] = Field(min_length=1, max_length=100)
    chutes: Annotated[list[ChuteIn], MaxItems("chutes", "max_chutes")] = Field(min_length=1)

    def document(self) -> dict[str, Any]:
        """The layout as the core reads it: fields left out are absent, not null."""
        return self.model_dump(mode="json", exclude_none=True)


class LayoutSummary(BaseModel):
    chutes: int
    chute_types: dict[str, int]
    induction_points: int
    loop_time_s: float


class LayoutOut(BaseModel):
    sorter_id: str
    version: int
    created_at: datetime
    summary: LayoutSummary
    layout: dict[str, Any] = Field(description="the stored layout.json")


# ---------------------------------------------------------------- forecast and optimization


class DestinationForecastIn(Strict):
    destination: SortKey
    parcels_per_hour: float = Field(ge=0, le=10_000_000)
    carrier: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    country: str | None = Field(None, max_length=64)
    service: str | None = Field(None, max_length=64)
    handover: str | None = Field(None, max_length=128)
    mean_weight_g: float | None = Field(None, ge=0.001, le=MAX_WEIGHT_G)
    category_mix: dict[CategoryName, Share] | None = Field(None, min_length=1)
    size_mix: dict[SizeClass, Share] | None = Field(None, min_length=1)


class ForecastIn(Strict):
    """A volume forecast, as `forecast.json`."""

    wave: str | None = Field(None, max_length=200)
    no_read_share: float | None = Field(None, ge=0, lt=1)
    unknown_share: float | None = Field(None, ge=0, lt=1)
    destinations: Annotated[
        list[DestinationForecastIn], MaxItems("destinations", "max_forecast_destinations")
    ] = Field(min_length=1)

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class OptimizeIn(Strict):
    """Optimize a plan for this sorter's current layout; runs as a `sorting.optimize` job."""

    forecast: ForecastIn
    time_limit_s: CappedTimeLimit = Field(10.0, description="solver seconds (capped by the server)")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    stay_close: bool = Field(
        False,
        description="start from the active plan: each destination moved off its chutes costs "
        "`move_penalty`, so the new plan moves few (every move is floor work)",
    )
    move_penalty: float = Field(
        50.0, ge=0, le=1_000_000, description="cost of one moved destination, with stay_close"
    )


class OptimizeParams(Strict):
    """Parameters of a `sorting.optimize` job: stored documents by version."""

    sorter_id: Identifier
    layout_version: int = Field(ge=1, le=10**9)
    forecast_version: int = Field(ge=1, le=10**9)
    current_version: int | None = Field(None, ge=1, le=10**9)
    time_limit_s: CappedTimeLimit = 10.0
    seed: int = Field(0, ge=0, le=2**31 - 1)
    move_penalty: float = Field(50.0, ge=0, le=1_000_000)


class ProblemOut(BaseModel):
    field: str | None
    message: str
    code: str


class CheckOut(BaseModel):
    """The independent checker's verdict on a plan (capacities, types, categories, mixing)."""

    ok: bool
    max_fill: float = Field(description="highest expected container fill between swaps")
    problems: list[ProblemOut]


class SolveOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    solve_time_s: float
    time_limit_s: float
    seed: int
    moves: int | None = None


class PlanVersionOut(BaseModel):
    sorter_id: str
    version: int
    plan_id: str
    status: Literal["stored", "active", "retired"]
    created_at: datetime
    activated_at: datetime | None
    job_id: str | None
    layout_version: int
    forecast_version: int
    destinations: int
    chutes_used: int
    mixed_destinations: int
    solve: SolveOut | None
    check: CheckOut
    plan: dict[str, Any] | None = Field(None, description="the plan.json (one version only)")


class PlanVersionList(BaseModel):
    sorter_id: str
    items: list[PlanVersionOut]
    limit: int
    offset: int


class ActivationOut(BaseModel):
    sorter_id: str
    version: int
    plan_id: str
    activated_at: datetime
    previous_version: int | None
    held_chutes: list[str] = Field(
        description="chutes whose role changed while their container held parcels: they take "
        "nothing more until that container is closed"
    )


class LiveCounters(BaseModel):
    parcels_seen: int
    decisions: int
    reasons: dict[str, int]


class SorterOut(BaseModel):
    sorter_id: str
    layout_version: int
    active_plan_version: int | None
    chutes: int
    live: LiveCounters | None = Field(description="since the plan's first activation")


class SorterList(BaseModel):
    items: list[SorterOut]
    limit: int
    offset: int


# ---------------------------------------------------------------- assignment (hot path)


class ScanIn(BaseModel):
    """One parcel scan as the WCS sends it; extra fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow", strict=True)

    parcel_id: str = Field(min_length=1, max_length=MAX_PARCEL_ID)
    destination: SortKey | None = Field(description="the label's sort key; null: a no-read")
    weight_g: float = Field(ge=0, le=MAX_WEIGHT_G)
    length_mm: float = Field(ge=0, le=MAX_DIMENSION_MM)
    width_mm: float = Field(ge=0, le=MAX_DIMENSION_MM)
    height_mm: float = Field(ge=0, le=MAX_DIMENSION_MM)
    category: CategoryName = "general"
    scan: int | None = Field(
        None,
        ge=1,
        le=MAX_SCAN,
        description="pass number under the scanner; a re-sent request repeats it",
    )


class AssignmentBatchIn(BaseModel):
    parcels: Annotated[list[ScanIn], MaxItems("parcels", "max_batch_assignments")] = Field(
        min_length=1
    )


class AssignmentOut(BaseModel):
    parcel_id: str
    chute_id: str | None = Field(description="null: recirculate (no chute can take it now)")
    reason: ReasonName
    plan_version: int
    container_full: bool = Field(
        description="this parcel filled its chute's container (by count or weight): the chute "
        "takes nothing more until the container is swapped (`swap_started`, then "
        "`container_closed`); false on a re-sent request's repeated answer"
    )


class AssignmentBatchOut(BaseModel):
    plan_version: int
    decisions: list[AssignmentOut]


# ---------------------------------------------------------------- chutes and manifests


class ChuteEventIn(Strict):
    event: ChuteEventName = Field(
        description="container_closed (= emptied) closes the container and returns its manifest"
    )
    at: str | None = Field(
        None,
        max_length=40,
        pattern=ISO_INSTANT,
        description="when it happened, ISO 8601 (UTC without an offset; default: now)",
    )
    container: int | None = Field(
        None,
        ge=1,
        le=10**9,
        description="the container meant (its number in the chute's state): a re-sent "
        "container_closed for one already closed answers its manifest and closes nothing; "
        "full or swap_started for it change nothing",
    )


class ChuteStateOut(BaseModel):
    chute_id: str
    type: ChuteTypeName
    state: Literal["open", "full", "swapping"]
    disabled: bool
    available: bool
    container: int = Field(description="sequence number of the container under the chute")
    count: int
    weight_g: float
    fill: float


class ChuteStateList(BaseModel):
    sorter_id: str
    plan_version: int
    items: list[ChuteStateOut]


class ManifestOut(BaseModel):
    manifest_id: str
    sorter_id: str
    chute_id: str
    container: int
    plan_id: str
    carrier_id: str | None = Field(
        description="the carrier it is handed to: set only for a destination chute's container "
        "whose every parcel was sorted there for a destination of that carrier (null: none, "
        "several, or any parcel without one; planners and admins see it)"
    )
    carriers: list[str] = Field(description="carriers of the parcels that have one")
    count: int
    weight_g: float
    destinations: dict[str, int]
    parcel_ids: list[str]
    closed_at: datetime


class ChuteEventOut(BaseModel):
    sorter_id: str
    chute: ChuteStateOut
    manifest: ManifestOut | None


class ManifestList(BaseModel):
    items: list[ManifestOut]
    limit: int
    offset: int
