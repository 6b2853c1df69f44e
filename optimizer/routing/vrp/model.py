"""The vehicle-routing problem as plain, validated values.

Units: time in minutes, distance in the unit of the travel matrix (km for
haversine, the coordinate unit for Euclidean), load in any unit shared by
demands and capacities (kg and m3 by convention). Costs are in distance units:
one unit of distance costs 1, so fixed costs and penalties are "worth so much
distance". Every number is a float here; integer scaling for the solvers is
done explicitly in `scaling.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

import numpy as np

from optimizer.errors import InputError, Problem

INF = math.inf


def _finite_nonnegative(value: float) -> bool:
    return math.isfinite(value) and value >= 0


@dataclass(frozen=True)
class TimeWindow:
    """When service may start (minutes); a vehicle arriving earlier waits."""

    open: float = 0.0
    close: float = INF

    def __post_init__(self) -> None:
        if not _finite_nonnegative(self.open):
            raise InputError("must be a finite number >= 0", field="open")
        if math.isnan(self.close) or self.close < self.open:
            raise InputError(f"closes ({self.close}) before it opens ({self.open})", field="close")

    def contains(self, time: float) -> bool:
        return self.open <= time <= self.close


@dataclass(frozen=True)
class Load:
    """An amount in two dimensions; used for demands and for capacities (inf = unlimited)."""

    weight: float = 0.0
    volume: float = 0.0

    def __post_init__(self) -> None:
        for name in ("weight", "volume"):
            value = getattr(self, name)
            if math.isnan(value) or value < 0:
                raise InputError("must be a number >= 0", field=name)

    def fits_in(self, capacity: Load) -> bool:
        return self.weight <= capacity.weight and self.volume <= capacity.volume

    def __add__(self, other: Load) -> Load:
        return Load(self.weight + other.weight, self.volume + other.volume)


UNLIMITED = Load(INF, INF)


@dataclass(frozen=True)
class Depot:
    """Where vehicles start and end; `hours` are its opening hours."""

    id: str
    location: int
    hours: TimeWindow = TimeWindow()


@dataclass(frozen=True)
class Vehicle:
    """One vehicle and its driver's shift; it is used at most once."""

    id: str
    start_depot: str
    end_depot: str = ""  # empty: back to the start depot
    capacity: Load = UNLIMITED
    shift: TimeWindow = TimeWindow()  # leave the depot no earlier, be back no later
    fixed_cost: float = 0.0  # paid when the vehicle leaves the depot at all
    duration_cost: float = 0.0  # per minute from leaving the start depot to reaching the end
    max_duration: float = INF  # from leaving the start depot to reaching the end depot

    def __post_init__(self) -> None:
        if not self.end_depot:
            object.__setattr__(self, "end_depot", self.start_depot)
        if not _finite_nonnegative(self.fixed_cost):
            raise InputError("must be a finite number >= 0", field="fixed_cost")
        if not _finite_nonnegative(self.duration_cost):
            raise InputError("must be a finite number >= 0", field="duration_cost")
        if math.isnan(self.max_duration) or self.max_duration < 0:
            raise InputError("must be a number >= 0", field="max_duration")


@dataclass(frozen=True)
class Stop:
    """A visit: a delivery (its demand rides from the start depot) or one end of a pair.

    `windows` are when service may start; none means any time. A soft stop may
    start after its last window closes at `lateness_penalty` per minute late.
    An optional stop (`required=False`) may be skipped at `drop_penalty`.
    """

    id: str
    location: int
    demand: Load = Load()
    service_time: float = 0.0
    windows: tuple[TimeWindow, ...] = ()
    soft: bool = False
    lateness_penalty: float = 0.0
    required: bool = True
    drop_penalty: float = 0.0

    def __post_init__(self) -> None:
        if not _finite_nonnegative(self.service_time):
            raise InputError("must be a finite number >= 0", field="service_time")
        windows = tuple(sorted(self.windows, key=lambda w: (w.open, w.close)))
        for earlier, later in pairwise(windows):
            if later.open <= earlier.close:
                raise InputError(
                    f"windows overlap ({earlier.open}-{earlier.close} and "
                    f"{later.open}-{later.close}); merge them",
                    field="windows",
                )
        object.__setattr__(self, "windows", windows)
        if not _finite_nonnegative(self.lateness_penalty):
            raise InputError("must be a finite number >= 0", field="lateness_penalty")
        if self.soft and self.lateness_penalty <= 0:
            raise InputError("a soft stop needs a lateness_penalty > 0", field="lateness_penalty")
        if self.soft and not self.windows:
            raise InputError("a soft stop needs at least one window", field="windows")
        if not _finite_nonnegative(self.drop_penalty):
            raise InputError("must be a finite number >= 0", field="drop_penalty")
        if self.required and self.drop_penalty:
            raise InputError("only an optional stop has a drop_penalty", field="drop_penalty")

    @property
    def earliest(self) -> float:
        return self.windows[0].open if self.windows else 0.0

    @property
    def latest(self) -> float:
        """Latest hard start; a soft stop may start later, at a penalty."""
        if self.soft or not self.windows:
            return INF
        return self.windows[-1].close


@dataclass(frozen=True)
class PickupDelivery:
    """A load picked up at one stop and dropped at another by the same vehicle, in that order.

    The amount is the pickup stop's demand; the delivery stop carries no demand of its own.
    """

    pickup: str
    delivery: str


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Distance and driving time (minutes) between every two locations."""

    distance: np.ndarray
    duration: np.ndarray

    def __post_init__(self) -> None:
        distance = np.array(self.distance, dtype=np.float64)
        duration = np.array(self.duration, dtype=np.float64)
        problems = []
        for name, matrix in (("distance", distance), ("duration", duration)):
            if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
                problems.append(Problem(name, f"must be a square matrix, not {matrix.shape}"))
            elif not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
                problems.append(Problem(name, "cannot have negative or non-finite entries"))
        if not problems and distance.shape != duration.shape:
            problems.append(
                Problem("duration", f"shape {duration.shape} differs from {distance.shape}")
            )
        if problems:
            raise InputError(problems)
        distance.setflags(write=False)
        duration.setflags(write=False)
        object.__setattr__(self, "distance", distance)
        object.__setattr__(self, "duration", duration)

    @property
    def size(self) -> int:
        return int(self.distance.shape[0])

    @classmethod
    def from_coordinates(
        cls,
        points: Iterable[tuple[float, float]] | np.ndarray,
        *,
        metric: str = "euclidean",
        speed: float = 1.0,
    ) -> TravelMatrix:
        """Straight-line matrices from (x, y) or, for haversine, (lat, lon) in degrees.

        `speed` is distance units per minute (haversine distances are km).
        """
        from optimizer.routing.vrp.matrices import euclidean, haversine

        if not (math.isfinite(speed) and speed > 0):
            raise InputError("must be a finite number > 0", field="speed")
        coords = np.asarray(points, dtype=np.float64)
        if metric == "euclidean":
            distance = euclidean(coords)
        elif metric == "haversine":
            distance = haversine(coords)
        else:
            raise InputError(f"unknown metric {metric!r}; use euclidean or haversine", "metric")
        return cls(distance=distance, duration=distance / speed)


@dataclass(frozen=True, eq=False)
class RoutingProblem:
    """Depots, a fleet, stops and the travel matrix between their locations."""

    depots: tuple[Depot, ...]
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    travel: TravelMatrix
    pairs: tuple[PickupDelivery, ...] = ()
    name: str = ""
    coordinates: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("depots", "vehicles", "stops", "pairs"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        problems = _structural_problems(self)
        if problems:
            raise InputError(problems)

    @cached_property
    def stop_index(self) -> dict[str, int]:
        return {stop.id: i for i, stop in enumerate(self.stops)}

    @cached_property
    def depot_index(self) -> dict[str, int]:
        return {depot.id: i for i, depot in enumerate(self.depots)}

    @cached_property
    def vehicle_index(self) -> dict[str, int]:
        return {vehicle.id: i for i, vehicle in enumerate(self.vehicles)}

    @cached_property
    def partner(self) -> dict[str, str]:
        """Each paired stop's other end."""
        out: dict[str, str] = {}
        for pair in self.pairs:
            out[pair.pickup] = pair.delivery
            out[pair.delivery] = pair.pickup
        return out

    def stop(self, stop_id: str) -> Stop:
        return self.stops[self.stop_index[stop_id]]

    def depot(self, depot_id: str) -> Depot:
        return self.depots[self.depot_index[depot_id]]


def _structural_problems(problem: RoutingProblem) -> list[Problem]:
    """Every reference or shape defect, so the caller can fix them all in one go."""
    problems: list[Problem] = []
    size = problem.travel.size
    if not problem.depots:
        problems.append(Problem("depots", "need at least one depot"))
    if not problem.vehicles:
        problems.append(Problem("vehicles", "need at least one vehicle"))
    identified: tuple[tuple[str, Sequence[Depot | Vehicle | Stop]], ...] = (
        ("depots", problem.depots),
        ("vehicles", problem.vehicles),
        ("stops", problem.stops),
    )
    for kind, items in identified:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if not item.id:
                problems.append(Problem(f"{kind}[{i}].id", "cannot be empty"))
            elif item.id in seen:
                problems.append(Problem(f"{kind}[{i}].id", f"duplicate id {item.id!r}"))
            seen.add(item.id)
    located: tuple[tuple[str, Sequence[Depot | Stop]], ...] = (
        ("depots", problem.depots),
        ("stops", problem.stops),
    )
    for kind, places in located:
        for i, place in enumerate(places):
            if not 0 <= place.location < size:
                problems.append(
                    Problem(
                        f"{kind}[{i}].location",
                        f"{place.location} is outside the travel matrix (0..{size - 1})",
                    )
                )
    depot_ids = {d.id for d in problem.depots}
    for i, vehicle in enumerate(problem.vehicles):
        for end in ("start_depot", "end_depot"):
            if getattr(vehicle, end) not in depot_ids:
                problems.append(
                    Problem(f"vehicles[{i}].{end}", f"unknown depot {getattr(vehicle, end)!r}")
                )
    stops = {s.id: s for s in problem.stops}
    in_pair: set[str] = set()
    for i, pair in enumerate(problem.pairs):
        where = f"pairs[{i}]"
        if pair.pickup == pair.delivery:
            problems.append(Problem(where, "pickup and delivery are the same stop"))
        for end in ("pickup", "delivery"):
            stop_id = getattr(pair, end)
            if stop_id not in stops:
                problems.append(Problem(f"{where}.{end}", f"unknown stop {stop_id!r}"))
            elif stop_id in in_pair:
                problems.append(Problem(f"{where}.{end}", f"stop {stop_id!r} is in two pairs"))
            in_pair.add(stop_id)
        pickup, delivery = stops.get(pair.pickup), stops.get(pair.delivery)
        if pickup and delivery:
            if delivery.demand != Load():
                problems.append(
                    Problem(
                        f"{where}.delivery",
                        "the delivery end carries no demand of its own (the pickup's is moved)",
                    )
                )
            if pickup.required != delivery.required:
                problems.append(Problem(where, "both ends must be required, or both optional"))
    if problem.coordinates is not None:
        coords = np.asarray(problem.coordinates)
        if coords.shape != (size, 2):
            problems.append(Problem("coordinates", f"must be {size} x 2, not {coords.shape}"))
    return problems
