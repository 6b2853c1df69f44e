"""The problem in solver integers.

OR-Tools and PyVRP work on integers. Every rounding here leans towards the
safe side, so a plan that is feasible in integers is feasible in floating
point: driving and service times and demands are rounded up, window closes,
capacities, shift ends and duration limits are rounded down, window opens and
shift starts are rounded up. Costs (distance, fixed costs, penalties) are
rounded to nearest; they steer the search but never decide feasibility.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from optimizer.errors import InputError
from optimizer.routing.vrp.model import RoutingProblem

# Stand-in for "unlimited" capacity; far from int64 overflow even when summed over many stops.
UNLIMITED_INT = 10**12
_EXACT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Scaling:
    """Integer units per model unit: per distance unit, per minute, per load unit.

    Costs are counted in integer distance units, so `distance` also scales costs.
    """

    distance: int = 1000
    time: int = 1000
    load: int = 1000

    def __post_init__(self) -> None:
        for name in ("distance", "time", "load"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 10**6:
                raise InputError("must be an integer between 1 and 1000000", field=name)


def choose_scaling(problem: RoutingProblem, finest: int = 1000) -> Scaling:
    """The smallest power of ten (up to `finest`) that represents the data exactly.

    Exact data (integers, or DIMACS tenths) keeps small integers; anything else
    gets `finest`, where the conservative rounding costs at most 1/finest per leg.
    """
    travel = problem.travel
    distances = [travel.distance.ravel()]
    times = [travel.duration.ravel()]
    loads: list[np.ndarray] = []
    for stop in problem.stops:
        times.append(
            np.array([stop.service_time, *[t for w in stop.windows for t in (w.open, w.close)]])
        )
        loads.append(np.array([stop.demand.weight, stop.demand.volume]))
    for vehicle in problem.vehicles:
        times.append(np.array([vehicle.shift.open, vehicle.shift.close, vehicle.max_duration]))
        loads.append(np.array([vehicle.capacity.weight, vehicle.capacity.volume]))
        distances.append(np.array([vehicle.fixed_cost]))
    for depot in problem.depots:
        times.append(np.array([depot.hours.open, depot.hours.close]))
    return Scaling(
        distance=_smallest_exact_power(np.concatenate(distances), finest),
        time=_smallest_exact_power(np.concatenate(times), finest),
        load=_smallest_exact_power(np.concatenate(loads) if loads else np.zeros(1), finest),
    )


def _smallest_exact_power(values: np.ndarray, finest: int) -> int:
    values = values[np.isfinite(values)]
    scale = 1
    while scale < finest:
        scaled = values * scale
        if np.all(np.abs(scaled - np.round(scaled)) <= _EXACT_TOLERANCE):
            return scale
        scale *= 10
    return finest


def ceil_scaled(values: ArrayLike, scale: int) -> np.ndarray:
    """Round up, ignoring float noise below 1e-6 of a unit (so 0.3 * 10 stays 3)."""
    return np.ceil(np.round(np.asarray(values, dtype=np.float64) * scale, 6)).astype(np.int64)


def floor_scaled(values: ArrayLike, scale: int) -> np.ndarray:
    """Round down, ignoring float noise below 1e-6 of a unit."""
    return np.floor(np.round(np.asarray(values, dtype=np.float64) * scale, 6)).astype(np.int64)


def round_scaled(values: ArrayLike, scale: int) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float64) * scale).astype(np.int64)


@dataclass(frozen=True, eq=False)
class IntegerData:
    """Node-indexed integer arrays shared by both engines.

    Nodes are the depots (0..D-1) followed by the stops (D..D+S-1), in problem order.
    """

    scaling: Scaling
    num_depots: int
    distance: np.ndarray  # (N, N) cost of each arc
    travel: np.ndarray  # (N, N) driving time
    service: np.ndarray  # (N,)
    windows: tuple[tuple[tuple[int, int], ...], ...]  # per node; soft: last close is soft
    soft: np.ndarray  # (N,) bool
    lateness_cost: np.ndarray  # (N,) cost per time unit past the last close (soft only)
    demand: np.ndarray  # (N, 2) weight and volume; a pair's delivery end holds the amount too
    pairs: np.ndarray  # (P, 2) pickup node, delivery node
    required: np.ndarray  # (N,) bool; depots True
    drop_penalty: np.ndarray  # (N,)
    vehicle_start: np.ndarray  # (V,) node
    vehicle_end: np.ndarray  # (V,) node
    capacity: np.ndarray  # (V, 2)
    shift: np.ndarray  # (V, 2) earliest departure, latest return
    latest_departure: np.ndarray  # (V,) the shift and the start depot's hours both allow it
    max_duration: np.ndarray  # (V,)
    fixed_cost: np.ndarray  # (V,)
    duration_cost: np.ndarray  # (V,) cost per time unit of route duration (search guidance)
    horizon: int

    @property
    def num_nodes(self) -> int:
        return int(self.service.shape[0])

    @property
    def pair_sign(self) -> np.ndarray:
        """+1 at a pickup end, -1 at a delivery end, 0 for a standalone stop or a depot."""
        sign = np.zeros(self.num_nodes, dtype=np.int64)
        sign[self.pairs[:, 0]] = 1
        sign[self.pairs[:, 1]] = -1
        return sign


def to_integers(problem: RoutingProblem, scaling: Scaling) -> IntegerData:
    """Scale and round the problem for the solvers (see module docstring)."""
    ds, ts, ls = scaling.distance, scaling.time, scaling.load
    depots, stops, vehicles = problem.depots, problem.stops, problem.vehicles
    locations = np.array([d.location for d in depots] + [s.location for s in stops], dtype=np.int64)
    distance = round_scaled(problem.travel.distance[np.ix_(locations, locations)], ds)
    travel = ceil_scaled(problem.travel.duration[np.ix_(locations, locations)], ts)
    service = ceil_scaled(np.array([0.0] * len(depots) + [s.service_time for s in stops]), ts)

    finite_times = [0.0]
    for stop in stops:
        finite_times += [t for w in stop.windows for t in (w.open, w.close) if math.isfinite(t)]
    for vehicle in vehicles:
        finite_times += [t for t in (vehicle.shift.open, vehicle.shift.close) if math.isfinite(t)]
    for depot in depots:
        finite_times += [t for t in (depot.hours.open, depot.hours.close) if math.isfinite(t)]
    base = int(ceil_scaled(max(finite_times), ts))
    horizon = base + int(service.sum()) + int(travel.max(axis=1).sum()) + 1

    def clamp_close(value: float) -> int:
        return horizon if not math.isfinite(value) else min(int(floor_scaled(value, ts)), horizon)

    windows: list[tuple[tuple[int, int], ...]] = [((0, horizon),)] * len(depots)
    for stop in stops:
        if not stop.windows:
            windows.append(((0, horizon),))
            continue
        windows.append(
            tuple((int(ceil_scaled(w.open, ts)), clamp_close(w.close)) for w in stop.windows)
        )
    soft = np.array([False] * len(depots) + [s.soft for s in stops])
    lateness_cost = np.array(
        [0] * len(depots)
        + [max(1, round(s.lateness_penalty * ds / ts)) if s.soft else 0 for s in stops],
        dtype=np.int64,
    )

    demand = np.zeros((len(locations), 2), dtype=np.int64)
    for i, stop in enumerate(stops):
        demand[len(depots) + i] = ceil_scaled([stop.demand.weight, stop.demand.volume], ls)
    pairs = np.array(
        [
            (
                len(depots) + problem.stop_index[p.pickup],
                len(depots) + problem.stop_index[p.delivery],
            )
            for p in problem.pairs
        ],
        dtype=np.int64,
    ).reshape(-1, 2)
    demand[pairs[:, 1]] = demand[pairs[:, 0]]
    required = np.array([True] * len(depots) + [s.required for s in stops])
    drop_penalty = round_scaled(np.array([0.0] * len(depots) + [s.drop_penalty for s in stops]), ds)

    capacity = np.zeros((len(vehicles), 2), dtype=np.int64)
    shift = np.zeros((len(vehicles), 2), dtype=np.int64)
    latest_departure = np.zeros(len(vehicles), dtype=np.int64)
    max_duration = np.zeros(len(vehicles), dtype=np.int64)
    for v, vehicle in enumerate(vehicles):
        for k, value in enumerate((vehicle.capacity.weight, vehicle.capacity.volume)):
            capacity[v, k] = UNLIMITED_INT if not math.isfinite(value) else floor_scaled(value, ls)
        start, end = problem.depot(vehicle.start_depot), problem.depot(vehicle.end_depot)
        shift[v, 0] = ceil_scaled(max(vehicle.shift.open, start.hours.open), ts)
        shift[v, 1] = clamp_close(min(vehicle.shift.close, end.hours.close))
        latest_departure[v] = clamp_close(min(vehicle.shift.close, start.hours.close))
        max_duration[v] = clamp_close(vehicle.max_duration)
    vehicle_start = np.array([problem.depot_index[v.start_depot] for v in vehicles], dtype=np.int64)
    vehicle_end = np.array([problem.depot_index[v.end_depot] for v in vehicles], dtype=np.int64)
    fixed_cost = round_scaled(np.array([v.fixed_cost for v in vehicles]), ds)
    duration_cost = np.array(
        [max(1, round(v.duration_cost * ds / ts)) if v.duration_cost else 0 for v in vehicles],
        dtype=np.int64,
    )

    return IntegerData(
        scaling=scaling,
        num_depots=len(depots),
        distance=distance,
        travel=travel,
        service=service,
        windows=tuple(windows),
        soft=soft,
        lateness_cost=lateness_cost,
        demand=demand,
        pairs=pairs,
        required=required,
        drop_penalty=drop_penalty,
        vehicle_start=vehicle_start,
        vehicle_end=vehicle_end,
        capacity=capacity,
        shift=shift,
        latest_departure=latest_departure,
        max_duration=max_duration,
        fixed_cost=fixed_cost,
        duration_cost=duration_cost,
        horizon=horizon,
    )
