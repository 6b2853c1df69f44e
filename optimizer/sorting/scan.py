"""A parcel as the warehouse control system reports it when it passes the scanner."""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer.errors import InputError, Problem
from optimizer.sorting.categories import Category, parse_category


def _non_negative(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


@dataclass(frozen=True, slots=True)
class ParcelScan:
    """One scan. `destination` is the sort key read from the label, None for a no-read.

    `scan` counts the passes of this parcel under the scanner (1 the first time, 2 after one
    recirculation, ...); controllers that re-send a request unanswered send the same number.
    `induction` and `arrival_s` are optional: they let the simulator replay a recorded stream.
    """

    parcel_id: str
    destination: str | None
    weight_g: float
    length_mm: float
    width_mm: float
    height_mm: float
    category: Category = Category.GENERAL
    scan: int | None = None
    induction: str | None = None
    arrival_s: float | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if not isinstance(self.parcel_id, str) or not self.parcel_id:
            problems.append(Problem("parcel_id", "must be a non-empty string"))
        if self.destination is not None and (
            not isinstance(self.destination, str) or not self.destination
        ):
            problems.append(Problem("destination", "must be a non-empty string or null"))
        for name in ("weight_g", "length_mm", "width_mm", "height_mm"):
            if not _non_negative(getattr(self, name)):
                problems.append(Problem(name, "must be a number >= 0"))
        if not isinstance(self.category, Category):  # a category name is taken as well
            try:
                object.__setattr__(self, "category", parse_category(self.category))
            except InputError as exc:
                problems += exc.problems
        if self.scan is not None and not (
            isinstance(self.scan, int) and not isinstance(self.scan, bool) and self.scan >= 1
        ):
            problems.append(Problem("scan", "must be an integer >= 1"))
        if self.arrival_s is not None and not _non_negative(self.arrival_s):
            problems.append(Problem("arrival_s", "must be a number >= 0"))
        if problems:
            raise InputError(problems)
