"""Validate-only: every stop or pair that no vehicle can serve, and why, without solving.

Each check looks at the best case, a vehicle driving out to the stop and back
(assuming travel times obey the triangle inequality, as road and straight-line
times do), so anything reported here is infeasible in every plan.

Codes, per stop: `over_capacity` (weight or volume above every capacity),
`no_shift` (the vehicle's shift misses its depot's hours), `service_too_long`
(longer than the whole working time), `window_before_depot_opens`,
`window_unreachable` (closes before any vehicle can arrive), `service_too_late`
(cannot be back at the depot in time), `route_too_long` (even the best trip
breaks the duration limit), `no_vehicle` (different reasons per vehicle class,
each given); per pair: `pair`; for the fleet: `fleet_capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from optimizer.errors import Problem
from optimizer.routing.vrp.model import Load, RoutingProblem, Stop, Vehicle
from optimizer.routing.vrp.schedule import time_route

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ValidationReport:
    """`problems` make the input infeasible; `unreachable` optional stops will just be skipped."""

    problems: tuple[Problem, ...] = ()
    unreachable: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Reason:
    code: str
    message: str


def validate(problem: RoutingProblem) -> ValidationReport:
    """Every reason the problem cannot be solved, all at once."""
    classes = _vehicle_classes(problem)
    problems: list[Problem] = []
    unreachable: dict[str, str] = {}
    servable: set[str] = set()
    for index, stop in enumerate(problem.stops):
        reasons = [_single_stop_reason(problem, vehicle, stop) for vehicle in classes.values()]
        if any(reason is None for reason in reasons):
            servable.add(stop.id)
            continue
        failed = [r for r in reasons if r is not None]
        code, message = _summarise(problem, stop, list(classes), failed)
        if stop.required:
            problems.append(Problem(f"stops[{index}] ({stop.id})", message, code))
        else:
            unreachable[stop.id] = message
    for index, pair in enumerate(problem.pairs):
        if pair.pickup not in servable or pair.delivery not in servable:
            continue
        pair_message = _pair_reason(problem, classes, pair.pickup, pair.delivery)
        if pair_message is None:
            continue
        if problem.stop(pair.pickup).required:
            problems.append(
                Problem(f"pairs[{index}] ({pair.pickup}->{pair.delivery})", pair_message, "pair")
            )
        else:
            unreachable[pair.pickup] = unreachable[pair.delivery] = pair_message
    fleet = _fleet_problem(problem, servable)
    if fleet is not None:
        problems.append(fleet)
    return ValidationReport(tuple(problems), unreachable)


def _vehicle_classes(problem: RoutingProblem) -> dict[str, int]:
    """One representative vehicle index per distinct (depots, capacity, shift, limit), by label."""
    classes: dict[tuple, int] = {}
    labels: dict[tuple, list[str]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        key = (
            vehicle.start_depot,
            vehicle.end_depot,
            vehicle.capacity,
            vehicle.shift,
            vehicle.max_duration,
        )
        classes.setdefault(key, v)
        labels.setdefault(key, []).append(vehicle.id)
    out: dict[str, int] = {}
    for key, v in classes.items():
        ids = labels[key]
        label = ids[0] if len(ids) == 1 else f"{ids[0]} and {len(ids) - 1} alike"
        out[label] = v
    return out


def _over(load: Load, capacity: Load) -> str:
    if load.weight > capacity.weight + _TOLERANCE:
        return f"weight {load.weight:g} is above capacity {capacity.weight:g}"
    if load.volume > capacity.volume + _TOLERANCE:
        return f"volume {load.volume:g} is above capacity {capacity.volume:g}"
    return ""


def _single_stop_reason(problem: RoutingProblem, v: int, stop: Stop) -> _Reason | None:
    """Why vehicle `v` cannot serve `stop` even on a trip of its own, or None if it can."""
    vehicle = problem.vehicles[v]
    start, end = problem.depot(vehicle.start_depot), problem.depot(vehicle.end_depot)
    over = _over(_carried(problem, stop), vehicle.capacity)
    if over:
        return _Reason("over_capacity", f"demand {over}")
    duration = problem.travel.duration
    leave = max(vehicle.shift.open, start.hours.open)
    latest_leave = min(vehicle.shift.close, start.hours.close)
    if leave > latest_leave:
        return _Reason("no_shift", "the vehicle's shift does not overlap its depot's hours")
    limit = min(vehicle.shift.close, end.hours.close)
    if stop.service_time > limit - leave + _TOLERANCE:
        return _Reason(
            "service_too_long",
            f"its service takes {stop.service_time:g} min, longer than the whole working "
            f"time from {leave:g} to {limit:g}",
        )
    if stop.latest < leave - _TOLERANCE:
        opener = (
            f"depot {start.id!r} opens"
            if start.hours.open >= vehicle.shift.open
            else "the vehicle's shift starts"
        )
        return _Reason(
            "window_before_depot_opens",
            f"window closes at {stop.latest:g}, before {opener} at {leave:g}",
        )
    reach = leave + duration[start.location, stop.location]
    if reach > stop.latest + _TOLERANCE:
        return _Reason(
            "window_unreachable",
            f"window closes at {stop.latest:g}, before the earliest possible arrival "
            f"{reach:.2f} from depot {start.id!r}",
        )
    begin = next((max(reach, w.open) for w in stop.windows if reach <= w.close + _TOLERANCE), reach)
    done = begin + stop.service_time
    back = done + duration[stop.location, end.location]
    if back > limit + _TOLERANCE:
        return _Reason(
            "service_too_late",
            f"service cannot end before {done:.2f}, too late to be back at depot {end.id!r} "
            f"by {limit:g}",
        )
    shortest = _shortest_trip(problem, v, stop, leave, latest_leave, limit)
    if shortest > vehicle.max_duration + _TOLERANCE:
        driving = duration[start.location, stop.location] + duration[stop.location, end.location]
        waiting = shortest - driving - stop.service_time
        detail = f", {waiting:.2f} of it waiting for the window" if waiting > _TOLERANCE else ""
        return _Reason(
            "route_too_long",
            f"a trip to it takes at least {shortest:.2f} min{detail}, over the "
            f"{vehicle.max_duration:g} min route limit",
        )
    return None


def _shortest_trip(
    problem: RoutingProblem, v: int, stop: Stop, leave: float, latest_leave: float, limit: float
) -> float:
    """Least duration of a trip to `stop` alone and back, over every allowed departure.

    The best departure arrives as a window opens, or leaves as early or as late as
    allowed; anything in between only adds waiting or ends later.
    """
    vehicle = problem.vehicles[v]
    start, end = problem.depot(vehicle.start_depot), problem.depot(vehicle.end_depot)
    there = problem.travel.duration[start.location, stop.location]
    back = problem.travel.duration[stop.location, end.location]
    candidates = {leave}
    if math.isfinite(latest_leave):
        candidates.add(latest_leave)
    for window in stop.windows:
        if leave <= window.open - there <= latest_leave:
            candidates.add(window.open - there)
    best = math.inf
    for departure in candidates:
        arrival = departure + there
        begin = next(
            (max(arrival, w.open) for w in stop.windows if arrival <= w.close + _TOLERANCE),
            arrival if not stop.windows or stop.soft else None,
        )
        if begin is None:
            continue
        finish = begin + stop.service_time + back
        if finish <= limit + _TOLERANCE:
            best = min(best, finish - departure)
    return best


def _summarise(
    problem: RoutingProblem, stop: Stop, labels: list[str], reasons: list[_Reason]
) -> tuple[str, str]:
    codes = {r.code for r in reasons}
    if codes == {"over_capacity"}:
        return "over_capacity", _capacity_message(problem, stop)
    if len(codes) == 1:
        messages = list(dict.fromkeys(r.message for r in reasons))
        shown = "; ".join(messages[:3]) + ("; ..." if len(messages) > 3 else "")
        return reasons[0].code, shown
    details = "; ".join(f"{label}: {r.message}" for label, r in zip(labels, reasons, strict=True))
    return "no_vehicle", f"no vehicle can serve it ({details})"


def _capacity_message(problem: RoutingProblem, stop: Stop) -> str:
    load = _carried(problem, stop)
    for dimension in ("weight", "volume"):
        largest = max(getattr(v.capacity, dimension) for v in problem.vehicles)
        if getattr(load, dimension) > largest + _TOLERANCE:
            return (
                f"demand {dimension} {getattr(load, dimension):g} is above every vehicle's "
                f"capacity (largest {largest:g})"
            )
    return "demand does not fit any vehicle in weight and volume together"


def _carried(problem: RoutingProblem, stop: Stop) -> Load:
    """What serving the stop puts on board: its own demand, or its pair's for a delivery end."""
    if stop.id in problem.partner and stop.demand == Load():
        return problem.stop(problem.partner[stop.id]).demand
    return stop.demand


def _pair_reason(
    problem: RoutingProblem, classes: Mapping[str, int], pickup: str, delivery: str
) -> str | None:
    route = [problem.stop_index[pickup], problem.stop_index[delivery]]
    amount = problem.stop(pickup).demand
    failures = []
    for label, v in classes.items():
        vehicle: Vehicle = problem.vehicles[v]
        over = _over(amount, vehicle.capacity)
        if over:
            failures.append(f"{label}: load {over}")
            continue
        timing = time_route(problem, v, route)
        if timing.feasible:
            return None
        failures.append(f"{label}: {timing.reason}")
    shown = "; ".join(failures[:3]) + ("; ..." if len(failures) > 3 else "")
    return f"no vehicle can pick up at {pickup!r} and then deliver at {delivery!r} ({shown})"


def _fleet_problem(problem: RoutingProblem, servable: set[str]) -> Problem | None:
    """Total required deliveries above the fleet's capacity (stops already reported aside).

    Only vehicles that can work at all count: one whose shift misses its depot's
    hours carries nothing.
    """
    paired = problem.partner
    counted = [s for s in problem.stops if s.required and s.id not in paired and s.id in servable]
    working = [v for v in problem.vehicles if _can_work(problem, v)]
    for dimension in ("weight", "volume"):
        demand = sum(getattr(s.demand, dimension) for s in counted)
        capacity = sum(getattr(v.capacity, dimension) for v in working)
        if math.isfinite(capacity) and demand > capacity + _TOLERANCE:
            return Problem(
                "vehicles",
                f"required deliveries total {dimension} {demand:g}, above the whole fleet's "
                f"capacity {capacity:g}",
                "fleet_capacity",
            )
    return None


def _can_work(problem: RoutingProblem, vehicle: Vehicle) -> bool:
    start = problem.depot(vehicle.start_depot)
    return max(vehicle.shift.open, start.hours.open) <= min(vehicle.shift.close, start.hours.close)
