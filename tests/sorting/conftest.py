"""Fixtures for the sorting tests: hand-made tiny sorters and a small generated case."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from optimizer.sorting import (
    Category,
    Chute,
    ChuteShare,
    ChuteType,
    DestinationAssignment,
    DestinationForecast,
    Forecast,
    GeneratedCase,
    InductionPoint,
    PlanResult,
    SorterLayout,
    SortPlan,
    generate_case,
    optimize_plan,
)

BIG = {"max_length_mm": 2000, "max_width_mm": 1500, "max_height_mm": 1500, "max_weight_g": 80_000}


def tiny_layout(
    destination_chutes: int = 4,
    capacity: int = 100,
    swap_interval_s: float = 3600.0,
    categories: dict[int, set[Category]] | None = None,
    specials: bool = True,
    max_recirculations: int = 2,
) -> SorterLayout:
    """Destination chutes D0.. at 10 m, 11 m, ...; then no-read, exception, reject, oversize.

    With the default one-hour swap interval a chute takes `capacity` parcels per hour.
    """
    chutes = [
        Chute(
            f"D{i}",
            10.0 + i,
            capacity_parcels=capacity,
            capacity_kg=10_000.0,
            categories=frozenset((categories or {}).get(i, {Category.GENERAL})),
        )
        for i in range(destination_chutes)
    ]
    if specials:
        position = 10.0 + destination_chutes + 5
        for k, kind in enumerate(
            (ChuteType.NO_READ, ChuteType.EXCEPTION, ChuteType.REJECT, ChuteType.OVERSIZE)
        ):
            extra = BIG if kind != ChuteType.NO_READ else {}
            chutes.append(
                Chute(
                    kind.value.upper(),
                    position + k,
                    kind,
                    capacity_parcels=capacity,
                    capacity_kg=10_000.0,
                    **extra,
                )
            )
    length = 10.0 + len(chutes) + 20
    return SorterLayout(
        "T1",
        length,
        1.0,
        (InductionPoint("IN", 0.0),),
        tuple(chutes),
        swap_interval_s=swap_interval_s,
        swap_duration_s=10.0,
        full_response_s=30.0,
        max_recirculations=max_recirculations,
    )


def destination(
    name: str,
    volume: float,
    handover: str = "X",
    category_mix: dict[Category, float] | None = None,
    size_mix: dict[str, float] | None = None,
) -> DestinationForecast:
    return DestinationForecast(
        name,
        volume,
        carrier=handover,
        handover=handover,
        mean_weight_g=500.0,
        category_mix=category_mix or {Category.GENERAL: 1.0},
        size_mix=size_mix or {"small": 1.0},
    )


def simple_plan(
    layout: SorterLayout,
    mapping: dict[str, list[str]],
    alternates: dict[str, list[str]] | None = None,
    restricted: dict[Category, tuple[str, ...]] | None = None,
    version: int = 1,
    **special: tuple[str, ...],
) -> SortPlan:
    """A hand-written plan: destination -> chutes (equal shares), special chutes by type."""
    assignments = [
        DestinationAssignment(
            d,
            tuple(ChuteShare(c, 1.0 / len(ids)) for c in ids),
            tuple((alternates or {}).get(d, ())),
        )
        for d, ids in mapping.items()
    ]
    roles = {
        role: tuple(c.id for c in layout.chutes_of_type(ChuteType(role)))
        for role in ("no_read", "exception", "reject", "oversize")
    }
    roles.update(special)
    return SortPlan(
        layout.sorter_id,
        version,
        tuple(assignments),
        restricted=restricted or {},
        method="test",
        **roles,
    )


@dataclass(frozen=True)
class SmallCase:
    case: GeneratedCase
    result: PlanResult


@pytest.fixture(scope="session")
def small_case() -> SmallCase:
    """A generated 60-chute, 80-destination sorter at 3,000 parcels/h with its optimized plan."""
    case = generate_case(chutes=60, destinations=80, seed=3, rate=3000.0, hours=1.0)
    result = optimize_plan(case.layout, case.forecast, time_limit_s=5.0, seed=1)
    assert result.plan is not None
    return SmallCase(case, result)


@pytest.fixture
def tiny_forecast() -> Forecast:
    """Known optimum on tiny_layout(4): A on two chutes, B and C share one, D alone (cost 60)."""
    return Forecast(
        (
            destination("A", 150.0),
            destination("B", 20.0),
            destination("C", 10.0),
            destination("D", 10.0, handover="Y"),
        )
    )
