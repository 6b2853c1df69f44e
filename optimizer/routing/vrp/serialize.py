"""JSON-ready dicts for problems, plans and results (the `optimizer vrp` file format).

Numbers that may be unlimited (a capacity, a window's close, a duration
limit) are written as null and read back as infinity. Reading collects every
defect with its path (`stops[3].windows[0]`), so a caller can fix a file in one
pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.routing.vrp.model import (
    INF,
    Depot,
    Load,
    PickupDelivery,
    RoutingProblem,
    Stop,
    TimeWindow,
    TravelMatrix,
    Vehicle,
)
from optimizer.routing.vrp.result import Plan, RoutingResult

T = TypeVar("T")


class _Reader:
    """Builds values while collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def build(self, path: str, factory: Callable[[Any], T], raw: Any) -> T:
        """`factory(raw)`, or None (typed as T: only used when no problem was found) on failure."""
        try:
            if not isinstance(raw, Mapping):
                raise ValueError(f"expected an object, got {raw!r}")
            return factory(raw)
        except InputError as exc:
            for problem in exc.problems:
                where = f"{path}.{problem.field}" if problem.field else path
                self.problems.append(Problem(where, problem.message, problem.code))
        except (TypeError, ValueError, KeyError) as exc:
            self.problems.append(Problem(path, _plain(exc)))
        return None  # type: ignore[return-value]


def _plain(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or exc.__class__.__name__


def _number(value: Any, *, unlimited: bool = False) -> float:
    if value is None and unlimited:
        return INF
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _window(value: Any) -> TimeWindow:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"a window is [open, close], got {value!r}")
    return TimeWindow(_number(value[0]), _number(value[1], unlimited=True))


def _load(value: Any, *, unlimited: bool) -> Load:
    if value is None:
        return Load(INF, INF) if unlimited else Load()
    if not isinstance(value, Mapping):
        raise ValueError(f"expected {{'weight': ..., 'volume': ...}}, got {value!r}")
    default = None if unlimited else 0
    return Load(
        _number(value.get("weight", default), unlimited=unlimited),
        _number(value.get("volume", default), unlimited=unlimited),
    )


def _list(data: Mapping, key: str, reader: _Reader) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        reader.problems.append(Problem(key, "must be a list"))
        return []
    return value


def _depot(d: Mapping[str, Any]) -> Depot:
    return Depot(
        id=str(d["id"]), location=int(d["location"]), hours=_window(d.get("hours", [0, None]))
    )


def _vehicle(v: Mapping[str, Any]) -> Vehicle:
    return Vehicle(
        id=str(v["id"]),
        start_depot=str(v["start_depot"]),
        end_depot=str(v.get("end_depot") or ""),
        capacity=_load(v.get("capacity"), unlimited=True),
        shift=_window(v.get("shift", [0, None])),
        fixed_cost=_number(v.get("fixed_cost", 0)),
        duration_cost=_number(v.get("duration_cost", 0)),
        max_duration=_number(v.get("max_duration"), unlimited=True),
    )


def _stop(s: Mapping[str, Any]) -> Stop:
    return Stop(
        id=str(s["id"]),
        location=int(s["location"]),
        demand=_load(s.get("demand"), unlimited=False),
        service_time=_number(s.get("service_time", 0)),
        windows=tuple(_window(w) for w in s.get("windows", [])),
        soft=bool(s.get("soft", False)),
        lateness_penalty=_number(s.get("lateness_penalty", 0)),
        required=bool(s.get("required", True)),
        drop_penalty=_number(s.get("drop_penalty", 0)),
    )


def _pair(p: Mapping[str, Any]) -> PickupDelivery:
    return PickupDelivery(str(p["pickup"]), str(p["delivery"]))


def problem_from_dict(data: Mapping[str, Any]) -> RoutingProblem:
    """Read a problem; raises InputError naming every defect."""
    if not isinstance(data, Mapping):
        raise InputError("the problem must be a JSON object", field="")
    reader = _Reader()
    travel = reader.build("travel", _travel, data)
    depots = [
        reader.build(f"depots[{i}]", _depot, d) for i, d in enumerate(_list(data, "depots", reader))
    ]
    vehicles = [
        reader.build(f"vehicles[{i}]", _vehicle, v)
        for i, v in enumerate(_list(data, "vehicles", reader))
    ]
    stops = [
        reader.build(f"stops[{i}]", _stop, s) for i, s in enumerate(_list(data, "stops", reader))
    ]
    pairs = [
        reader.build(f"pairs[{i}]", _pair, p) for i, p in enumerate(_list(data, "pairs", reader))
    ]
    if reader.problems:
        raise InputError(reader.problems)
    return RoutingProblem(
        depots=tuple(depots),
        vehicles=tuple(vehicles),
        stops=tuple(stops),
        travel=travel,
        pairs=tuple(pairs),
        name=str(data.get("name", "")),
        coordinates=_coordinates(data),
    )


def _travel(data: Mapping[str, Any]) -> TravelMatrix:
    if "matrix" in data:
        matrix = data["matrix"]
        return TravelMatrix(distance=matrix["distance"], duration=matrix["duration"])
    if "locations" not in data:
        raise ValueError("give either 'locations' (coordinates) or 'matrix'")
    return TravelMatrix.from_coordinates(
        data["locations"],
        metric=str(data.get("metric", "euclidean")),
        speed=_number(data.get("speed", 1.0)),
    )


def _coordinates(data: Mapping[str, Any]) -> np.ndarray | None:
    if "locations" in data and data.get("metric", "euclidean") == "euclidean":
        return np.asarray(data["locations"], dtype=np.float64)
    return None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    """A plan from `{"routes": [{"vehicle_id": ..., "stops": [...]}, ...]}` or a result dict."""
    try:
        routes = data["routes"]
        return Plan(
            tuple(
                (str(r["vehicle_id"]), tuple(str(s) for s in r.get("stops", r.get("stop_ids"))))
                for r in routes
            )
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"not a plan: {_plain(exc)}", field="routes") from None


def result_to_dict(result: RoutingResult) -> dict[str, Any]:
    return {
        "status": str(result.status),
        "objective": result.objective,
        "bound": result.bound,
        "distance": result.distance,
        "vehicles": result.vehicles,
        "lateness": result.lateness,
        "solve_time_s": result.solve_time_s,
        "engine": result.engine,
        "seed": result.seed,
        "scaling": {
            "distance": result.scaling.distance,
            "time": result.scaling.time,
            "load": result.scaling.load,
        },
        "routes": [
            {
                "vehicle_id": route.vehicle_id,
                "start_depot": route.start_depot,
                "end_depot": route.end_depot,
                "departure": route.departure,
                "arrival": route.arrival,
                "distance": route.distance,
                "peak_load": {"weight": route.peak_load.weight, "volume": route.peak_load.volume},
                "stop_ids": list(route.stop_ids),
                "visits": [
                    {
                        "stop_id": v.stop_id,
                        "arrival": v.arrival,
                        "start": v.start,
                        "end": v.end,
                        "lateness": v.lateness,
                    }
                    for v in route.visits
                ],
            }
            for route in result.routes
        ],
        "skipped": [
            {"stop_id": s.stop_id, "reason": str(s.reason), "message": s.message}
            for s in result.skipped
        ],
        "unserved": list(result.unserved),
        "notes": list(result.notes),
    }


def problem_to_dict(problem: RoutingProblem) -> dict[str, Any]:
    """The inverse of `problem_from_dict` (matrix form, so any problem round-trips)."""
    return {
        "name": problem.name,
        "matrix": {
            "distance": problem.travel.distance.tolist(),
            "duration": problem.travel.duration.tolist(),
        },
        "depots": [
            {"id": d.id, "location": d.location, "hours": [d.hours.open, _finite(d.hours.close)]}
            for d in problem.depots
        ],
        "vehicles": [
            {
                "id": v.id,
                "start_depot": v.start_depot,
                "end_depot": v.end_depot,
                "capacity": {
                    "weight": _finite(v.capacity.weight),
                    "volume": _finite(v.capacity.volume),
                },
                "shift": [v.shift.open, _finite(v.shift.close)],
                "fixed_cost": v.fixed_cost,
                "duration_cost": v.duration_cost,
                "max_duration": _finite(v.max_duration),
            }
            for v in problem.vehicles
        ],
        "stops": [
            {
                "id": s.id,
                "location": s.location,
                "demand": {"weight": s.demand.weight, "volume": s.demand.volume},
                "service_time": s.service_time,
                "windows": [[w.open, _finite(w.close)] for w in s.windows],
                "soft": s.soft,
                "lateness_penalty": s.lateness_penalty,
                "required": s.required,
                "drop_penalty": s.drop_penalty,
            }
            for s in problem.stops
        ],
        "pairs": [{"pickup": p.pickup, "delivery": p.delivery} for p in problem.pairs],
    }
