"""Independent feasibility checker for routing plans, in floating point.

Written separately from the solver side (it imports only the problem model
and the result's data types) so that tests and the API can trust it to catch
solver bugs: it re-derives every figure from the problem and verifies the
times a result reports instead of recomputing them the solver's way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from optimizer.routing.vrp.model import RoutingProblem
from optimizer.routing.vrp.result import RoutingResult

TOLERANCE = 1e-6


@dataclass(frozen=True)
class CheckReport:
    """Every violation found (empty = feasible) and the plan's figures as the checker sees them."""

    violations: tuple[str, ...]
    distance: float
    lateness: float  # minutes
    cost: float  # distance + fixed costs + lateness penalties + drop penalties
    vehicles: int

    @property
    def feasible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class _TimedStop:
    stop_id: str
    arrival: float
    start: float


def _window_verdict(stop, start: float) -> tuple[str, float]:
    """('', lateness) when service may start at `start`, else (violation, 0)."""
    if not stop.windows:
        return "", 0.0
    for window in stop.windows:
        if window.open - TOLERANCE <= start <= window.close + TOLERANCE:
            return "", 0.0
    last = stop.windows[-1]
    if start < stop.windows[0].open - TOLERANCE:
        return f"stop {stop.id}: starts at {start:.4f}, before its window opens", 0.0
    if start > last.close + TOLERANCE:
        if stop.soft:
            return "", start - last.close
        return (
            f"stop {stop.id}: starts at {start:.4f}, after its window closes at {last.close:g}",
            0.0,
        )
    return f"stop {stop.id}: starts at {start:.4f}, between two windows", 0.0


def _verify_route(
    problem: RoutingProblem,
    vehicle_id: str,
    departure: float,
    arrival_back: float,
    timed: Sequence[_TimedStop],
) -> tuple[list[str], float, float, float]:
    """Violations, distance, lateness minutes and lateness cost of one timed route."""
    violations: list[str] = []
    vehicle = problem.vehicles[problem.vehicle_index[vehicle_id]]
    depots = {d.id: d for d in problem.depots}
    stops = {s.id: s for s in problem.stops}
    first_depot, last_depot = depots[vehicle.start_depot], depots[vehicle.end_depot]
    where = f"vehicle {vehicle_id}"
    reported = [departure, arrival_back, *(t.arrival for t in timed), *(t.start for t in timed)]
    if not all(math.isfinite(t) for t in reported):
        violations.append(f"{where}: a reported time is not a finite number")
    if departure < vehicle.shift.open - TOLERANCE or departure > vehicle.shift.close + TOLERANCE:
        violations.append(f"{where}: departs at {departure:.4f}, outside its shift")
    if not (first_depot.hours.open - TOLERANCE <= departure <= first_depot.hours.close + TOLERANCE):
        violations.append(f"{where}: departs at {departure:.4f}, outside depot hours")
    distance_matrix, duration_matrix = problem.travel.distance, problem.travel.duration
    location = first_depot.location
    ready = departure  # when the vehicle may leave its current place
    distance = lateness = lateness_cost = 0.0
    weight_aboard = sum(
        stops[t.stop_id].demand.weight for t in timed if t.stop_id not in problem.partner
    )
    volume_aboard = sum(
        stops[t.stop_id].demand.volume for t in timed if t.stop_id not in problem.partner
    )
    loads = [(weight_aboard, volume_aboard)]
    picked: set[str] = set()
    delivered_pickup = {p.delivery: p.pickup for p in problem.pairs}
    for visit in timed:
        stop = stops[visit.stop_id]
        earliest_arrival = ready + duration_matrix[location, stop.location]
        if visit.arrival < earliest_arrival - TOLERANCE:
            violations.append(
                f"{where}: reaches {stop.id} at {visit.arrival:.4f}, but cannot before "
                f"{earliest_arrival:.4f}"
            )
        if visit.start < visit.arrival - TOLERANCE:
            violations.append(f"{where}: serves {stop.id} before arriving")
        verdict, late = _window_verdict(stop, visit.start)
        if verdict:
            violations.append(f"{where}: {verdict}")
        lateness += late
        lateness_cost += late * stop.lateness_penalty
        distance += distance_matrix[location, stop.location]
        location = stop.location
        ready = visit.start + stop.service_time
        if stop.id in delivered_pickup:
            pickup = stops[delivered_pickup[stop.id]]
            if pickup.id not in picked:
                violations.append(f"{where}: delivers {stop.id} before picking up {pickup.id}")
            weight_aboard -= pickup.demand.weight
            volume_aboard -= pickup.demand.volume
        elif stop.id in problem.partner:
            picked.add(stop.id)
            weight_aboard += stop.demand.weight
            volume_aboard += stop.demand.volume
        else:
            weight_aboard -= stop.demand.weight
            volume_aboard -= stop.demand.volume
        loads.append((weight_aboard, volume_aboard))
    distance += distance_matrix[location, last_depot.location]
    back = ready + duration_matrix[location, last_depot.location]
    if arrival_back < back - TOLERANCE:
        violations.append(f"{where}: back at {arrival_back:.4f}, but cannot before {back:.4f}")
    latest = min(vehicle.shift.close, last_depot.hours.close)
    if arrival_back > latest + TOLERANCE:
        violations.append(f"{where}: back at {arrival_back:.4f}, after {latest:g}")
    if arrival_back - departure > vehicle.max_duration + TOLERANCE:
        violations.append(
            f"{where}: route lasts {arrival_back - departure:.4f}, over {vehicle.max_duration:g}"
        )
    heaviest = max(w for w, _ in loads)
    bulkiest = max(v for _, v in loads)
    if heaviest > vehicle.capacity.weight + TOLERANCE:
        violations.append(f"{where}: carries weight {heaviest:g} > {vehicle.capacity.weight:g}")
    if bulkiest > vehicle.capacity.volume + TOLERANCE:
        violations.append(f"{where}: carries volume {bulkiest:g} > {vehicle.capacity.volume:g}")
    if min(min(w, v) for w, v in loads) < -TOLERANCE:
        violations.append(f"{where}: load goes negative")
    return violations, distance, lateness, lateness_cost


def _coverage(
    problem: RoutingProblem, routes: Mapping[str, Sequence[str]]
) -> tuple[list[str], set[str]]:
    violations: list[str] = []
    visited: dict[str, str] = {}
    for vehicle_id, stop_ids in routes.items():
        if vehicle_id not in problem.vehicle_index:
            violations.append(f"unknown vehicle {vehicle_id}")
        for stop_id in stop_ids:
            if stop_id not in problem.stop_index:
                violations.append(f"unknown stop {stop_id}")
            elif stop_id in visited:
                violations.append(f"stop {stop_id} visited by {visited[stop_id]} and {vehicle_id}")
            visited.setdefault(stop_id, vehicle_id)
    for stop in problem.stops:
        if stop.required and stop.id not in visited:
            violations.append(f"required stop {stop.id} is not visited")
    for pair in problem.pairs:
        a, b = visited.get(pair.pickup), visited.get(pair.delivery)
        if a != b:
            violations.append(f"pair {pair.pickup}->{pair.delivery} on vehicles {a} and {b}")
    return violations, set(visited)


def _report(
    problem: RoutingProblem,
    routes: Mapping[str, Sequence[str]],
    timed_routes: Mapping[str, tuple[float, float, Sequence[_TimedStop]]],
    extra: list[str],
) -> CheckReport:
    violations, visited = _coverage(problem, routes)
    violations += extra
    distance = lateness = cost = 0.0
    used = 0
    for vehicle_id, (departure, back, timed) in timed_routes.items():
        if vehicle_id not in problem.vehicle_index or not timed:
            continue
        if any(t.stop_id not in problem.stop_index for t in timed):
            continue
        used += 1
        found, d, late, late_cost = _verify_route(problem, vehicle_id, departure, back, timed)
        violations += found
        distance += d
        lateness += late
        vehicle = problem.vehicles[problem.vehicle_index[vehicle_id]]
        cost += d + vehicle.fixed_cost + late_cost + vehicle.duration_cost * (back - departure)
    cost += sum(s.drop_penalty for s in problem.stops if s.id not in visited)
    return CheckReport(tuple(violations), distance, lateness, cost, used)


def check_result(problem: RoutingProblem, result: RoutingResult) -> CheckReport:
    """Verify a solver result: its plan, the times it reports and the figures it claims."""
    routes = {r.vehicle_id: [v.stop_id for v in r.visits] for r in result.routes}
    extra: list[str] = []
    if len(routes) != len(result.routes):
        extra.append("a vehicle has two routes")
    timed = {
        r.vehicle_id: (
            r.departure,
            r.arrival,
            [_TimedStop(v.stop_id, v.arrival, v.start) for v in r.visits],
        )
        for r in result.routes
    }
    for route in result.routes:
        for visit in route.visits:
            stop = (
                problem.stops[problem.stop_index[visit.stop_id]]
                if visit.stop_id in problem.stop_index
                else None
            )
            if stop and abs(visit.end - visit.start - stop.service_time) > TOLERANCE:
                extra.append(f"stop {stop.id}: reported service end is not start + service time")
    report = _report(problem, routes, timed, extra)
    claims = []
    if not math.isclose(result.distance, report.distance, rel_tol=1e-9, abs_tol=1e-6):
        claims.append(f"reported distance {result.distance} but routes measure {report.distance}")
    if not math.isclose(result.lateness, report.lateness, rel_tol=1e-9, abs_tol=1e-6):
        claims.append(f"reported lateness {result.lateness} but times give {report.lateness}")
    visited = {s for stops in routes.values() for s in stops}
    left_out = {s.id for s in problem.stops if s.id not in visited}
    listed = {s.stop_id for s in result.skipped} | set(result.unserved)
    if left_out != listed:
        claims.append(f"left-out stops {sorted(left_out)} but listed {sorted(listed)}")
    if any(
        problem.stops[problem.stop_index[s]].required
        for s in (x.stop_id for x in result.skipped)
        if s in problem.stop_index
    ):
        claims.append("a required stop is listed as skipped")
    if result.objective is not None and not math.isclose(
        result.objective, report.cost, rel_tol=1e-9, abs_tol=1e-6
    ):
        claims.append(f"reported objective {result.objective} but plan costs {report.cost}")
    if claims:
        report = CheckReport(report.violations + tuple(claims), report.distance, report.lateness,
                             report.cost, report.vehicles)  # fmt: skip
    return report


def check_plan(problem: RoutingProblem, routes: Mapping[str, Sequence[str]]) -> CheckReport:
    """Verify a plan given as visit orders only: times are derived here, then verified.

    Each vehicle leaves as early as it may; then the departure is pushed later
    while that only removes waiting (never past a window's close), which gives
    the shortest route duration for single windows.
    """
    timed = {}
    for vehicle_id, stop_ids in routes.items():
        if vehicle_id in problem.vehicle_index and all(s in problem.stop_index for s in stop_ids):
            timed[vehicle_id] = _derive_times(problem, vehicle_id, list(stop_ids))
    return _report(problem, routes, timed, [])


def _forward(problem: RoutingProblem, vehicle_id: str, stop_ids: list[str], departure: float):
    vehicle = problem.vehicles[problem.vehicle_index[vehicle_id]]
    depots = {d.id: d for d in problem.depots}
    duration = problem.travel.duration
    here, ready = depots[vehicle.start_depot].location, departure
    timed = []
    for stop_id in stop_ids:
        stop = problem.stops[problem.stop_index[stop_id]]
        arrival = ready + duration[here, stop.location]
        start = arrival
        for window in stop.windows:
            if arrival <= window.close:
                start = max(arrival, window.open)
                break
        timed.append(_TimedStop(stop_id, arrival, start))
        here, ready = stop.location, start + stop.service_time
    back = ready + duration[here, depots[vehicle.end_depot].location]
    return timed, back


def _derive_times(problem: RoutingProblem, vehicle_id: str, stop_ids: list[str]):
    vehicle = problem.vehicles[problem.vehicle_index[vehicle_id]]
    depot = next(d for d in problem.depots if d.id == vehicle.start_depot)
    departure = max(vehicle.shift.open, depot.hours.open)
    latest_departure = min(vehicle.shift.close, depot.hours.close)
    for _ in range(len(stop_ids) + 1):
        timed, back = _forward(problem, vehicle_id, stop_ids, departure)
        push = latest_departure - departure
        for t in timed:
            stop = problem.stops[problem.stop_index[t.stop_id]]
            wait = t.start - t.arrival
            if wait > TOLERANCE:
                push = min(push, wait)
                break
            if not stop.windows:
                continue
            close = next(
                (
                    w.close
                    for w in stop.windows
                    if w.open - TOLERANCE <= t.start <= w.close + TOLERANCE
                ),
                None,
            )
            if close is None:  # late (soft) or infeasible already: pushing cannot help
                push = 0.0
                break
            push = min(push, max(0.0, close - t.start))
        else:
            push = 0.0  # no waiting anywhere: a later departure only delays the return
        if push <= TOLERANCE or not math.isfinite(push):
            break
        departure += push
    timed, back = _forward(problem, vehicle_id, stop_ids, departure)
    return departure, back, timed
