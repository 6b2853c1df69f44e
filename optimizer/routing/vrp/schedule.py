"""Times along a route, in floating point: when each stop is reached and served.

Engines return visit orders; this module turns an order into times for the
result (and tells whether the order is feasible at all, for warm starts and
skip reasons). Service starts as early as the windows allow; the departure is
chosen to minimise lateness and duration costs, then route duration (less
waiting), then to leave early.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from optimizer.routing.vrp.model import RoutingProblem, Stop

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class TimedVisit:
    stop: int  # index into problem.stops
    arrival: float
    start: float
    end: float
    lateness: float


@dataclass(frozen=True)
class RouteTiming:
    """Times for one vehicle's visit order; `reason` says why it is infeasible when it is."""

    feasible: bool
    reason: str
    departure: float
    arrival: float
    visits: tuple[TimedVisit, ...]
    lateness_cost: float

    @property
    def duration(self) -> float:
        return self.arrival - self.departure


def _service_start(stop: Stop, arrival: float) -> tuple[float, float] | None:
    """(start, lateness) for the earliest allowed start at or after `arrival`; None if none."""
    if not stop.windows:
        return arrival, 0.0
    for window in stop.windows:
        if arrival <= window.close + _TOLERANCE:
            return max(arrival, window.open), 0.0
    if stop.soft:
        return arrival, arrival - stop.windows[-1].close
    return None


def time_route(
    problem: RoutingProblem,
    vehicle: int,
    stops: Sequence[int],
    *,
    best_departure: bool = True,
    shortest: bool = False,
) -> RouteTiming:
    """Schedule `stops` (indices) on `vehicle`; see the module docstring for the choices made.

    Later departures are tried only where they can matter for feasibility or
    cost (a duration limit or cost, soft windows), unless `shortest` asks for
    the least waiting anyway (for the times reported to users). With
    `best_departure=False` only the earliest departure is tried.
    """
    spec = problem.vehicles[vehicle]
    start_depot, end_depot = problem.depot(spec.start_depot), problem.depot(spec.end_depot)
    earliest = max(spec.shift.open, start_depot.hours.open)
    latest = min(spec.shift.close, start_depot.hours.close)
    if earliest > latest:
        return RouteTiming(
            False, "the shift and the depot hours do not overlap", earliest, earliest, (), 0.0
        )
    candidates = {earliest}
    limited = (
        math.isfinite(spec.max_duration)
        or spec.duration_cost > 0
        or any(problem.stops[s].soft for s in stops)
    )
    if best_departure and (limited or shortest) and stops:
        candidates |= _departure_candidates(problem, spec.start_depot, stops, earliest, latest)
    best: RouteTiming | None = None
    first_failure: RouteTiming | None = None
    for departure in sorted(candidates):
        timing = _simulate(problem, vehicle, stops, departure, end_depot.hours.close)
        if not timing.feasible:
            first_failure = first_failure or timing
            continue
        if best is None or _preference(timing, spec.duration_cost) < _preference(
            best, spec.duration_cost
        ):
            best = timing
    if best is not None:
        return best
    assert first_failure is not None
    return first_failure


def _preference(timing: RouteTiming, duration_cost: float) -> tuple[float, float, float]:
    """Cheapest time-related cost first, then the shortest route, then the earliest start."""
    cost = timing.lateness_cost + duration_cost * timing.duration
    return (cost, timing.duration, timing.departure)


def _departure_candidates(
    problem: RoutingProblem, depot_id: str, stops: Sequence[int], earliest: float, latest: float
) -> set[float]:
    """Departures where some window starts or stops binding: the only places the best one sits."""
    duration = problem.travel.duration
    here = problem.depot(depot_id).location
    offset = 0.0
    found: set[float] = set()
    for index in stops:
        stop = problem.stops[index]
        offset += float(duration[here, stop.location])
        for window in stop.windows:
            for time in (window.open - offset, window.close - offset):
                # An open-ended window (close = inf) binds nowhere; inf would be no departure.
                if math.isfinite(time) and earliest <= time <= latest:
                    found.add(time)
        offset += stop.service_time
        here = stop.location
    if math.isfinite(latest):
        found.add(latest)
    return found


def _simulate(
    problem: RoutingProblem,
    vehicle: int,
    stops: Sequence[int],
    departure: float,
    end_depot_close: float,
) -> RouteTiming:
    spec = problem.vehicles[vehicle]
    duration = problem.travel.duration
    here = problem.depot(spec.start_depot).location
    clock = departure
    visits: list[TimedVisit] = []
    lateness_cost = 0.0
    for index in stops:
        stop = problem.stops[index]
        arrival = clock + float(duration[here, stop.location])
        started = _service_start(stop, arrival)
        if started is None:
            reason = (
                f"stop {stop.id!r} reached at {arrival:.2f}, after its last window closes "
                f"at {stop.windows[-1].close:g}"
            )
            return RouteTiming(False, reason, departure, arrival, tuple(visits), lateness_cost)
        start, lateness = started
        lateness_cost += lateness * stop.lateness_penalty
        clock = start + stop.service_time
        visits.append(TimedVisit(index, arrival, start, clock, lateness))
        here = stop.location
    arrival = clock + float(duration[here, problem.depot(spec.end_depot).location])
    close = min(spec.shift.close, end_depot_close)
    reason = ""
    if arrival > close + _TOLERANCE:
        reason = f"back at the depot at {arrival:.2f}, after {close:g}"
    elif arrival - departure > spec.max_duration + _TOLERANCE:
        reason = f"route takes {arrival - departure:.2f} min, over the {spec.max_duration:g} limit"
    return RouteTiming(not reason, reason, departure, arrival, tuple(visits), lateness_cost)
