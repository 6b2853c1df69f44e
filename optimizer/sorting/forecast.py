"""What a wave or shift is expected to bring: parcels per hour per destination sort key."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer.errors import InputError, Problem
from optimizer.sorting.categories import RESTRICTED_CATEGORIES, Category

SIZE_CLASSES = ("small", "medium", "large", "oversize")
MIX_TOLERANCE = 0.01


def _mix_problems(name: str, mix: dict, allowed: tuple[str, ...]) -> list[Problem]:
    problems = []
    for key, share in mix.items():
        if key not in allowed:
            problems.append(
                Problem(f"{name}.{key}", f"unknown key (expected one of {', '.join(allowed)})")
            )
        if not (isinstance(share, int | float) and math.isfinite(share) and 0 <= share <= 1):
            problems.append(Problem(f"{name}.{key}", "must be a share between 0 and 1"))
    if not problems and mix and abs(sum(mix.values()) - 1) > MIX_TOLERANCE:
        problems.append(Problem(name, f"shares must sum to 1, not {sum(mix.values()):.3f}"))
    return problems


@dataclass(frozen=True)
class DestinationForecast:
    """Expected volume and mix of one destination sort key.

    `handover` names who takes the destination's containers (carrier and hand-over point);
    destinations with the same hand-over may share a chute. It defaults to the carrier.
    """

    destination: str
    parcels_per_hour: float
    carrier: str
    country: str = ""
    service: str = ""
    handover: str = ""
    mean_weight_g: float = 500.0
    category_mix: dict[Category, float] = field(default_factory=lambda: {Category.GENERAL: 1.0})
    size_mix: dict[str, float] = field(default_factory=lambda: {"small": 1.0})

    def __post_init__(self) -> None:
        if not self.handover:
            object.__setattr__(self, "handover", self.carrier)
        problems: list[Problem] = []
        if not isinstance(self.destination, str) or not self.destination:
            problems.append(Problem("destination", "must be a non-empty string"))
        if not (math.isfinite(self.parcels_per_hour) and self.parcels_per_hour >= 0):
            problems.append(Problem("parcels_per_hour", "must be a finite number >= 0"))
        if not isinstance(self.carrier, str) or not self.carrier:
            problems.append(Problem("carrier", "must be a non-empty string"))
        if not (math.isfinite(self.mean_weight_g) and self.mean_weight_g > 0):
            problems.append(Problem("mean_weight_g", "must be > 0"))
        problems += _mix_problems("category_mix", self.category_mix, tuple(Category))
        problems += _mix_problems("size_mix", self.size_mix, SIZE_CLASSES)
        if problems:
            raise InputError(problems)

    def category_share(self, category: Category) -> float:
        return float(self.category_mix.get(category, 0.0))

    @property
    def restricted_share(self) -> float:
        return sum(self.category_share(c) for c in RESTRICTED_CATEGORIES)

    @property
    def oversize_share(self) -> float:
        return float(self.size_mix.get("oversize", 0.0))


@dataclass(frozen=True)
class Forecast:
    """A volume forecast for one wave or shift.

    `no_read_share`: share of non-restricted parcels whose label cannot be read.
    `unknown_share`: parcels carrying a sort key the plan does not know, as a share of the
    forecast volume; they go to the exception chutes.
    """

    destinations: tuple[DestinationForecast, ...]
    no_read_share: float = 0.0
    unknown_share: float = 0.0
    wave: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "destinations", tuple(self.destinations))
        problems: list[Problem] = []
        if not self.destinations:
            problems.append(Problem("destinations", "must list at least one destination"))
        seen: set[str] = set()
        for i, d in enumerate(self.destinations):
            if d.destination in seen:
                problems.append(
                    Problem(f"destinations[{i}].destination", f"duplicate {d.destination!r}")
                )
            seen.add(d.destination)
        for name in ("no_read_share", "unknown_share"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value < 1):
                problems.append(Problem(name, "must be a share in [0, 1)"))
        if problems:
            raise InputError(problems)

    @property
    def total_parcels_per_hour(self) -> float:
        return sum(d.parcels_per_hour for d in self.destinations)

    def by_destination(self) -> dict[str, DestinationForecast]:
        return {d.destination: d for d in self.destinations}
