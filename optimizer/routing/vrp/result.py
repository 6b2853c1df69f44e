"""What a solve returns: routes with times, skipped stops with reasons, and the figures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from optimizer.errors import InputError
from optimizer.routing.vrp.model import Load
from optimizer.routing.vrp.scaling import Scaling
from optimizer.status import SolveStatus


@dataclass(frozen=True)
class Visit:
    """One stop on a route: reached at `arrival`, served from `start` to `end` (minutes)."""

    stop_id: str
    arrival: float
    start: float
    end: float
    lateness: float = 0.0  # minutes past the last window's close (soft stops only)


@dataclass(frozen=True)
class Route:
    """One used vehicle: leaves its start depot at `departure`, is back at `arrival`."""

    vehicle_id: str
    start_depot: str
    end_depot: str
    departure: float
    arrival: float
    visits: tuple[Visit, ...]
    distance: float
    peak_load: Load

    @property
    def stop_ids(self) -> tuple[str, ...]:
        return tuple(v.stop_id for v in self.visits)

    @property
    def duration(self) -> float:
        return self.arrival - self.departure


class SkipReason(StrEnum):
    UNREACHABLE = "unreachable"  # no vehicle could serve it even alone (validation)
    NOT_WORTH_SERVING = "not_worth_serving"  # it fits, but costs more than its drop penalty
    NO_ROOM = "no_room"  # no route of this plan has room for it in time or load


@dataclass(frozen=True)
class Skipped:
    """An optional stop left out, and why."""

    stop_id: str
    reason: SkipReason
    message: str


@dataclass(frozen=True)
class Plan:
    """Which vehicle visits which stops in which order: what a warm start needs."""

    routes: tuple[tuple[str, tuple[str, ...]], ...]

    def __post_init__(self) -> None:
        routes = tuple((str(v), tuple(str(s) for s in stops)) for v, stops in self.routes)
        vehicles = [v for v, _ in routes]
        if len(set(vehicles)) != len(vehicles):
            raise InputError("a vehicle appears in two routes", field="routes")
        object.__setattr__(self, "routes", routes)

    @classmethod
    def from_mapping(cls, routes: Mapping[str, Iterable[str]]) -> Plan:
        return cls(tuple((v, tuple(stops)) for v, stops in routes.items()))

    def as_dict(self) -> dict[str, list[str]]:
        return {v: list(stops) for v, stops in self.routes}


@dataclass(frozen=True)
class RoutingResult:
    """The outcome of `solve`. `objective` = distance + fixed costs + lateness + drop penalties.

    Status: feasible when every required stop is served within every hard
    constraint; timeout when the time ran out first (`unserved` lists the
    required stops left out; the routes are still a valid partial plan).
    Heuristic engines prove no bound, so `bound` is None.
    """

    status: SolveStatus
    objective: float | None
    routes: tuple[Route, ...]
    skipped: tuple[Skipped, ...]
    unserved: tuple[str, ...]
    solve_time_s: float
    engine: str
    seed: int
    scaling: Scaling
    bound: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def distance(self) -> float:
        return sum(route.distance for route in self.routes)

    @property
    def vehicles(self) -> int:
        return len(self.routes)

    @property
    def lateness(self) -> float:
        """Total minutes late over all soft stops."""
        return sum(v.lateness for route in self.routes for v in route.visits)

    def plan(self) -> Plan:
        return Plan(tuple((route.vehicle_id, route.stop_ids) for route in self.routes))
