"""Sort plans: which chutes serve which destination during a wave, versioned."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.sorting.categories import Category


@dataclass(frozen=True, slots=True)
class ChuteShare:
    """A chute serving a destination, and the share of its volume the plan expects there."""

    chute_id: str
    share: float


@dataclass(frozen=True)
class DestinationAssignment:
    """A destination's chutes; `alternates` take its parcels only when all of those are closed.

    A chute listed for several destinations is a mixed chute, re-sorted downstream.
    """

    destination: str
    chutes: tuple[ChuteShare, ...]
    alternates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "chutes", tuple(self.chutes))
        object.__setattr__(self, "alternates", tuple(self.alternates))
        problems: list[Problem] = []
        if not isinstance(self.destination, str) or not self.destination:
            problems.append(Problem("destination", "must be a non-empty string"))
        if not self.chutes:
            problems.append(Problem("chutes", "must list at least one chute"))
        ids = [c.chute_id for c in self.chutes]
        if len(set(ids)) != len(ids):
            problems.append(Problem("chutes", "lists a chute more than once"))
        for i, c in enumerate(self.chutes):
            if not (isinstance(c.share, int | float) and math.isfinite(c.share) and c.share > 0):
                problems.append(Problem(f"chutes[{i}].share", "must be > 0"))
        if set(self.alternates) & set(ids):
            problems.append(Problem("alternates", "must not repeat the destination's own chutes"))
        if problems:
            raise InputError(problems)

    @property
    def chute_ids(self) -> tuple[str, ...]:
        return tuple(c.chute_id for c in self.chutes)


@dataclass(frozen=True)
class SortPlan:
    """A versioned plan for one sorter. Special chutes are listed by role.

    `restricted` maps each restricted category to the chutes dedicated to it. `solve` carries
    the optimizer's report (status, objective, bound, gap, ...) when the plan came from it.
    """

    sorter_id: str
    version: int
    assignments: tuple[DestinationAssignment, ...]
    no_read: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    exception: tuple[str, ...] = ()
    oversize: tuple[str, ...] = ()
    restricted: dict[Category, tuple[str, ...]] = field(default_factory=dict)
    method: str = "optimizer"
    created_at: str = ""
    solve: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "assignments", tuple(self.assignments))
        for name in ("no_read", "reject", "exception", "oversize"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(
            self, "restricted", {Category(k): tuple(v) for k, v in self.restricted.items()}
        )
        problems: list[Problem] = []
        if not isinstance(self.sorter_id, str) or not self.sorter_id:
            problems.append(Problem("sorter_id", "must be a non-empty string"))
        if not (isinstance(self.version, int) and self.version >= 1):
            problems.append(Problem("version", "must be an integer >= 1"))
        seen: set[str] = set()
        for i, a in enumerate(self.assignments):
            if a.destination in seen:
                problems.append(
                    Problem(f"assignments[{i}].destination", f"duplicate {a.destination!r}")
                )
            seen.add(a.destination)
        if Category.GENERAL in self.restricted:
            problems.append(Problem("restricted.general", "general goods are not restricted"))
        if problems:
            raise InputError(problems)

    @property
    def plan_id(self) -> str:
        return f"{self.sorter_id}-v{self.version}"

    def assignment_map(self) -> dict[str, DestinationAssignment]:
        return {a.destination: a for a in self.assignments}

    def mixed_destinations(self) -> frozenset[str]:
        """Destinations sharing at least one of their chutes with another destination."""
        users: dict[str, int] = {}
        for a in self.assignments:
            for c in a.chute_ids:
                users[c] = users.get(c, 0) + 1
        return frozenset(
            a.destination for a in self.assignments if any(users[c] > 1 for c in a.chute_ids)
        )

    def with_version(self, version: int) -> SortPlan:
        return dataclasses.replace(self, version=version)
