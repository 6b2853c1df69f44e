"""The problem in solver integers.

OR-Tools and PyVRP work on integers. Every rounding that decides feasibility
leans towards the safe side, so a plan that is feasible in integers is
feasible in floating point: driving and service times and demands are rounded
up, window closes, capacities, shift ends and duration limits are rounded
down, window opens and shift starts are rounded up.

Costs (distance, fixed costs, drop penalties, per-minute lateness and duration
costs) only steer the search, but a cost rounded the wrong way makes an
engine prefer the wrong plan. They share one scale (`Scaling.distance`: costs
are in distance units), chosen so that every cost is an exact integer where a
power of ten makes it one, and otherwise is off by at most half a unit in
`finest` (per arc, per stop, per minute late, per minute of route). The scale
is capped so that no plan's objective can overflow 64-bit integers; the few
costs still inexact then are listed by `scaling_notes`.
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
MAX_SCALE = 10**6
# The largest objective any plan may reach, times (stops + 2) for OR-Tools' penalties of
# required stops left out: below int64's 2**63 with room to spare.
OBJECTIVE_BUDGET = 2**62
# Times and loads are summed along routes: keep every such sum far below int64's limit.
MAGNITUDE_LIMIT = 2**60


@dataclass(frozen=True)
class Scaling:
    """Integer units per model unit: per distance (and cost) unit, per minute, per load unit.

    Costs are counted in distance units (see model.py), so `distance` scales
    every cost: arcs, fixed costs, drop penalties, and per-minute rates, which
    become `rate * distance / time` cost units per integer time unit.
    """

    distance: int = 1000
    time: int = 1000
    load: int = 1000

    def __post_init__(self) -> None:
        for name in ("distance", "time", "load"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"must be an integer between 1 and {MAX_SCALE}", field=name)
            if not 1 <= value <= MAX_SCALE:
                raise InputError(f"must be an integer between 1 and {MAX_SCALE}", field=name)


def choose_scaling(problem: RoutingProblem, finest: int = 1000) -> Scaling:
    """The smallest powers of ten that represent the data exactly, or to 1/`finest`.

    Exact data (integers, or DIMACS tenths) keeps small integers. Times and
    loads otherwise get `finest`, coarser only where that would overflow.
    Costs get the smallest power at which every amount is exact or resolved to
    1/`finest` and every per-minute rate is exact or resolved to 1/`finest` per
    minute; at most what keeps the objective within 64 bits (InputError when
    even 1 does not).
    """
    if not (isinstance(finest, int) and 1 <= finest <= 1000):
        raise InputError("must be an integer between 1 and 1000", field="finest")
    time = _within(
        _smallest_exact_power(_time_values(problem), finest), _horizon_minutes(problem), "time"
    )
    load = _within(
        _smallest_exact_power(_load_values(problem), finest), _load_total(problem), "load"
    )
    return Scaling(distance=_cost_scale(problem, time, finest), time=time, load=load)


def _within(scale: int, largest: float, field: str) -> int:
    """`scale`, coarsened until `largest` (a bound on any sum the solver forms) fits in 64 bits."""
    while scale > 1 and largest * scale >= MAGNITUDE_LIMIT:
        scale //= 10
    if largest * scale >= MAGNITUDE_LIMIT:
        raise InputError(
            f"values are too large to optimise in 64-bit integers (about {largest:.3g}); "
            "use larger units",
            field=field,
        )
    return scale


def _load_total(problem: RoutingProblem) -> float:
    """Every finite demand and capacity added up: above any load a solver tracks."""
    values = _load_values(problem)
    return float(values[np.isfinite(values)].sum()) + 1.0


def _time_values(problem: RoutingProblem) -> np.ndarray:
    travel = problem.travel
    times = [travel.duration.ravel()]
    for stop in problem.stops:
        times.append(
            np.array([stop.service_time, *[t for w in stop.windows for t in (w.open, w.close)]])
        )
    for vehicle in problem.vehicles:
        times.append(np.array([vehicle.shift.open, vehicle.shift.close, vehicle.max_duration]))
    for depot in problem.depots:
        times.append(np.array([depot.hours.open, depot.hours.close]))
    return np.concatenate(times)


def _load_values(problem: RoutingProblem) -> np.ndarray:
    loads = [np.zeros(1)]
    for stop in problem.stops:
        loads.append(np.array([stop.demand.weight, stop.demand.volume]))
    for vehicle in problem.vehicles:
        loads.append(np.array([vehicle.capacity.weight, vehicle.capacity.volume]))
    return np.concatenate(loads)


def _amounts(problem: RoutingProblem) -> np.ndarray:
    """Costs counted once per arc, vehicle or stop (in distance units)."""
    return np.concatenate(
        [
            problem.travel.distance.ravel(),
            np.array([v.fixed_cost for v in problem.vehicles], dtype=np.float64),
            np.array([s.drop_penalty for s in problem.stops], dtype=np.float64),
        ]
    )


def _rates(problem: RoutingProblem) -> np.ndarray:
    """Costs per minute: lateness of soft stops, route duration of vehicles."""
    values = [s.lateness_penalty for s in problem.stops if s.soft]
    values += [v.duration_cost for v in problem.vehicles if v.duration_cost]
    return np.array(values, dtype=np.float64)


def worst_objective(problem: RoutingProblem, scaling: Scaling) -> float:
    """An upper bound on any plan's objective in integer cost units (what must not overflow)."""
    amounts, rates = _amounts(problem), _rates(problem)
    arcs = len(problem.stops) + len(problem.vehicles)
    distance = problem.travel.distance
    longest = float(distance.max()) if distance.size else 0.0
    horizon_minutes = _horizon_minutes(problem)
    fixed_and_drops = float(amounts[distance.size :].sum())
    per_minute = float(rates.sum()) * horizon_minutes
    return scaling.distance * (longest * arcs + fixed_and_drops + per_minute) + 1.0


def _largest_cost_source(problem: RoutingProblem) -> str:
    """The field whose costs weigh most in `worst_objective`, to name it in an error."""
    distance = problem.travel.distance
    horizon = _horizon_minutes(problem)
    totals = {
        "travel.distance": float(distance.max()) * (len(problem.stops) + len(problem.vehicles)),
        "vehicles.fixed_cost": sum(v.fixed_cost for v in problem.vehicles),
        "stops.drop_penalty": sum(s.drop_penalty for s in problem.stops),
        "stops.lateness_penalty": horizon * sum(s.lateness_penalty for s in problem.stops),
        "vehicles.duration_cost": horizon * sum(v.duration_cost for v in problem.vehicles),
    }
    return max(totals, key=lambda name: totals[name])


def _horizon_minutes(problem: RoutingProblem) -> float:
    """A bound on any time a plan reaches: the latest finite time plus every service and leg."""
    finite = [t for t in _time_values(problem) if math.isfinite(t)]
    duration = problem.travel.duration
    legs = float(duration.max(axis=1).sum()) if duration.size else 0.0
    return max(finite, default=0.0) + sum(s.service_time for s in problem.stops) + legs + 1.0


def _fits(problem: RoutingProblem, scaling: Scaling) -> bool:
    return worst_objective(problem, scaling) * (len(problem.stops) + 2) < OBJECTIVE_BUDGET


def _cost_scale(problem: RoutingProblem, time: int, finest: int) -> int:
    amounts = _finite_positive(_amounts(problem))
    rates = _finite_positive(_rates(problem))
    if not _fits(problem, Scaling(1, time, 1)):
        raise InputError(
            "costs are too large to optimise in 64-bit integers; use larger units "
            "(e.g. km instead of m)",
            field=_largest_cost_source(problem),
        )
    scale = 1
    while True:
        amounts_ok = scale >= finest or _exact(amounts * scale)
        rates_ok = scale >= finest * time or _exact(rates * scale / time)
        if amounts_ok and rates_ok:
            return scale
        finer = scale * 10
        if finer > MAX_SCALE or not _fits(problem, Scaling(finer, time, 1)):
            return scale
        scale = finer


def _finite_positive(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values) & (values > 0)]


def _exact(scaled: np.ndarray) -> bool:
    return bool(np.all(np.abs(scaled - np.round(scaled)) <= _EXACT_TOLERANCE))


def scaling_notes(problem: RoutingProblem, scaling: Scaling) -> list[str]:
    """Costs the integers cannot resolve to 1/1000 at this scale (the search may tie them)."""
    notes = []
    ds, ts = scaling.distance, scaling.time
    coarse = [s.id for s in problem.stops if s.soft and not _resolved(s.lateness_penalty * ds / ts)]
    coarse += [
        v.id
        for v in problem.vehicles
        if v.duration_cost and not _resolved(v.duration_cost * ds / ts)
    ]
    if coarse:
        shown = ", ".join(coarse[:5]) + (", ..." if len(coarse) > 5 else "")
        notes.append(
            f"per-minute costs of {shown} are approximate in the solver's integers "
            f"(scale {ds} per cost unit, {ts} per minute); plans are still costed exactly"
        )
    return notes


def _resolved(value: float) -> bool:
    """Exact, or large enough that rounding changes it by at most 1/1000."""
    return abs(value - round(value)) <= _EXACT_TOLERANCE or value >= 500


def _smallest_exact_power(values: np.ndarray, finest: int) -> int:
    values = values[np.isfinite(values)]
    scale = 1
    while scale < finest:
        if _exact(values * scale):
            return scale
        scale *= 10
    return finest


def ceil_scaled(values: ArrayLike, scale: int) -> np.ndarray:
    """Round up, ignoring float noise below 1e-6 of a unit (so 0.3 * 10 stays 3)."""
    return np.ceil(np.round(np.asarray(values, dtype=np.float64) * scale, 6)).astype(np.int64)


def floor_scaled(values: ArrayLike, scale: int) -> np.ndarray:
    """Round down, ignoring float noise below 1e-6 of a unit."""
    return np.floor(np.round(np.asarray(values, dtype=np.float64) * scale, 6)).astype(np.int64)


def round_scaled(values: ArrayLike, scale: float) -> np.ndarray:
    """Round to nearest, halves up (costs are >= 0; numpy's halves-to-even would bias ties)."""
    return np.floor(np.asarray(values, dtype=np.float64) * scale + 0.5).astype(np.int64)


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
    usable: np.ndarray  # (V,) bool; False: shift and depot hours leave no time to work at all
    horizon: int
    worst_cost: int  # above any plan's objective: the penalty that keeps required stops in

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
    for field, largest, scale in (
        ("time", _horizon_minutes(problem), scaling.time),
        ("load", _load_total(problem), scaling.load),
    ):
        if largest * scale >= MAGNITUDE_LIMIT:
            raise InputError(
                f"scale {scale} per unit could overflow the solver's integers; "
                "choose a coarser one",
                field=field,
            )
    if not _fits(problem, scaling):
        raise InputError(
            f"scale {scaling.distance} per cost unit could overflow the solver's integers; "
            "choose a coarser one",
            field="scaling",
        )
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
        [0] * len(depots) + [_rate(s.lateness_penalty, ds, ts) if s.soft else 0 for s in stops],
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
    usable = np.ones(len(vehicles), dtype=bool)
    for v, vehicle in enumerate(vehicles):
        for k, value in enumerate((vehicle.capacity.weight, vehicle.capacity.volume)):
            capacity[v, k] = UNLIMITED_INT if not math.isfinite(value) else floor_scaled(value, ls)
        start, end = problem.depot(vehicle.start_depot), problem.depot(vehicle.end_depot)
        shift[v, 0] = ceil_scaled(max(vehicle.shift.open, start.hours.open), ts)
        shift[v, 1] = clamp_close(min(vehicle.shift.close, end.hours.close))
        # Leaving after the latest return is pointless; solvers require the order.
        latest_departure[v] = min(
            clamp_close(min(vehicle.shift.close, start.hours.close)), shift[v, 1]
        )
        max_duration[v] = clamp_close(vehicle.max_duration)
        usable[v] = shift[v, 0] <= latest_departure[v]
    vehicle_start = np.array([problem.depot_index[v.start_depot] for v in vehicles], dtype=np.int64)
    vehicle_end = np.array([problem.depot_index[v.end_depot] for v in vehicles], dtype=np.int64)
    fixed_cost = round_scaled(np.array([v.fixed_cost for v in vehicles]), ds)
    duration_cost = np.array([_rate(v.duration_cost, ds, ts) for v in vehicles], dtype=np.int64)
    worst_cost = math.ceil(worst_objective(problem, scaling))

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
        usable=usable,
        horizon=horizon,
        worst_cost=worst_cost,
    )


def _rate(per_minute: float, ds: int, ts: int) -> int:
    """Cost units per integer time unit; a positive rate never rounds to free."""
    if per_minute <= 0:
        return 0
    return max(1, int(round_scaled(per_minute * ds / ts, 1)))
