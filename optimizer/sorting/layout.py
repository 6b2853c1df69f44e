"""The sorter: a loop carrying parcels past chutes, fed at induction points."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from optimizer.errors import InputError, Problem
from optimizer.sorting.categories import Category


class ChuteType(StrEnum):
    DESTINATION = "destination"  # a destination's parcels, or a restricted category's
    REJECT = "reject"  # parcels the sorter cannot handle at all
    NO_READ = "no_read"  # label could not be read
    EXCEPTION = "exception"  # unknown destination, or no room after the allowed loops
    OVERSIZE = "oversize"  # too large or heavy for destination chutes


@dataclass(frozen=True, slots=True)
class Chute:
    """One chute and the container under it; the container is swapped when full or on schedule."""

    id: str
    position_m: float
    type: ChuteType = ChuteType.DESTINATION
    capacity_parcels: int = 100
    capacity_kg: float = 300.0
    max_length_mm: int = 800
    max_width_mm: int = 600
    max_height_mm: int = 600
    max_weight_g: int = 30_000
    categories: frozenset[Category] = frozenset({Category.GENERAL})

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if not isinstance(self.id, str) or not self.id:
            problems.append(Problem("id", "must be a non-empty string"))
        if not self.position_m >= 0:
            problems.append(Problem("position_m", "must be >= 0"))
        if not (isinstance(self.capacity_parcels, int) and self.capacity_parcels >= 1):
            problems.append(Problem("capacity_parcels", "must be an integer >= 1"))
        if not self.capacity_kg > 0:
            problems.append(Problem("capacity_kg", "must be > 0"))
        for name in ("max_length_mm", "max_width_mm", "max_height_mm", "max_weight_g"):
            if not getattr(self, name) > 0:
                problems.append(Problem(name, "must be > 0"))
        if not self.categories:
            problems.append(Problem("categories", "must name at least one category"))
        if problems:
            raise InputError(problems)

    def fits(self, length_mm: float, width_mm: float, height_mm: float, weight_g: float) -> bool:
        """Whether a parcel fits this chute in some orientation and is not too heavy."""
        if weight_g > self.max_weight_g:
            return False
        a, b, c = sorted((length_mm, width_mm, height_mm), reverse=True)
        x, y, z = sorted((self.max_length_mm, self.max_width_mm, self.max_height_mm), reverse=True)
        return a <= x and b <= y and c <= z


@dataclass(frozen=True, slots=True)
class InductionPoint:
    """Where parcels are put on the loop and scanned."""

    id: str
    position_m: float

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.id, str) or not self.id:
            problems.append(Problem("id", "must be a non-empty string"))
        if not self.position_m >= 0:
            problems.append(Problem("position_m", "must be >= 0"))
        if problems:
            raise InputError(problems)


@dataclass(frozen=True)
class SorterLayout:
    """A loop sorter and how it is operated (container swaps, allowed recirculations)."""

    sorter_id: str
    loop_length_m: float
    speed_m_s: float
    induction_points: tuple[InductionPoint, ...]
    chutes: tuple[Chute, ...]
    swap_interval_s: float = 1800.0
    swap_duration_s: float = 20.0
    full_response_s: float = 120.0
    max_recirculations: int = 3
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "induction_points", tuple(self.induction_points))
        object.__setattr__(self, "chutes", tuple(self.chutes))
        problems: list[Problem] = []
        if not isinstance(self.sorter_id, str) or not self.sorter_id:
            problems.append(Problem("sorter_id", "must be a non-empty string"))
        if not self.loop_length_m > 0:
            problems.append(Problem("loop_length_m", "must be > 0"))
        if not self.speed_m_s > 0:
            problems.append(Problem("speed_m_s", "must be > 0"))
        if not self.swap_interval_s > 0:
            problems.append(Problem("swap_interval_s", "must be > 0"))
        if not self.swap_duration_s >= 0:
            problems.append(Problem("swap_duration_s", "must be >= 0"))
        if not self.full_response_s >= 0:
            problems.append(Problem("full_response_s", "must be >= 0"))
        if not (isinstance(self.max_recirculations, int) and self.max_recirculations >= 0):
            problems.append(Problem("max_recirculations", "must be an integer >= 0"))
        if not self.induction_points:
            problems.append(Problem("induction_points", "must list at least one induction point"))
        if not self.chutes:
            problems.append(Problem("chutes", "must list at least one chute"))
        groups: tuple[tuple[str, tuple[InductionPoint | Chute, ...]], ...] = (
            ("induction_points", self.induction_points),
            ("chutes", self.chutes),
        )
        for name, items in groups:
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.id in seen:
                    problems.append(Problem(f"{name}[{i}].id", f"duplicate id {item.id!r}"))
                seen.add(item.id)
                if self.loop_length_m > 0 and item.position_m >= self.loop_length_m:
                    problems.append(
                        Problem(f"{name}[{i}].position_m", "must be less than loop_length_m")
                    )
        if problems:
            raise InputError(problems)
        object.__setattr__(self, "_index", {c.id: i for i, c in enumerate(self.chutes)})

    def chute_index(self, chute_id: str) -> int | None:
        """Position of a chute in `chutes`, or None when the layout has no such chute."""
        return self._index.get(chute_id)

    def chute(self, chute_id: str) -> Chute:
        index = self._index.get(chute_id)
        if index is None:
            raise InputError(f"no chute {chute_id!r} in layout {self.sorter_id}", field="chute_id")
        return self.chutes[index]

    def chutes_of_type(self, chute_type: ChuteType) -> tuple[Chute, ...]:
        return tuple(c for c in self.chutes if c.type == chute_type)

    @property
    def loop_time_s(self) -> float:
        """Time for one full turn of the loop: what a recirculation costs."""
        return self.loop_length_m / self.speed_m_s

    def travel_m(self, from_position_m: float, to_position_m: float) -> float:
        """Distance along the (one-way) loop from one position to another."""
        return (to_position_m - from_position_m) % self.loop_length_m

    @cached_property
    def mean_travel_m(self) -> tuple[float, ...]:
        """Per chute: mean loop distance from the induction points (parcels split evenly)."""
        n = len(self.induction_points)
        return tuple(
            sum(self.travel_m(p.position_m, c.position_m) for p in self.induction_points) / n
            for c in self.chutes
        )
