"""JSON-ready dicts for problems, plans and results (the `optimizer vrp` file format).

Numbers that may be unlimited (a capacity, a window's close, a duration
limit) are written as null and read back as infinity. Reading is strict: an
unknown or missing field, a wrong type, a negative amount, NaN or an infinity
is an error naming its path (`stops[3].windows[0][1]`), and every defect is
collected first, so a caller can fix a file in one pass.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

import numpy as np

from optimizer.errors import InputError, Problem, capped
from optimizer.routing.vrp.model import (
    INF,
    UNLIMITED,
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
_MISSING: Any = object()
MAX_REPORTED_PROBLEMS = 50

_TOP_FIELDS = {"name", "locations", "metric", "speed", "matrix", "depots", "vehicles", "stops",
               "pairs"}  # fmt: skip
_DEPOT_FIELDS = {"id", "location", "hours"}
_VEHICLE_FIELDS = {"id", "start_depot", "end_depot", "capacity", "shift", "fixed_cost",
                   "duration_cost", "max_duration"}  # fmt: skip
_STOP_FIELDS = {"id", "location", "demand", "service_time", "windows", "soft", "lateness_penalty",
                "required", "drop_penalty"}  # fmt: skip
_PAIR_FIELDS = {"pickup", "delivery"}
_LOAD_FIELDS = {"weight", "volume"}
_MATRIX_FIELDS = {"distance", "duration"}


class _Bad(Exception):
    """A field's value is wrong; already recorded, so the caller just skips the object."""


class _Reader:
    """Reads untrusted JSON strictly, collecting every problem with its path before failing.

    Every field is checked for its type and range: unknown fields, missing required
    ones, negative amounts, NaN and infinities are all errors naming the field.
    (Unlimited values are written as null, never as a huge number or Infinity.)
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str, code: str = "invalid") -> None:
        self.problems.append(Problem(path, message, code))

    def obj(self, path: str, raw: Any, allowed: set[str]) -> Mapping[str, Any]:
        """`raw` as an object with only known fields (unknown ones are reported)."""
        if not isinstance(raw, Mapping):
            self.fail(path, f"must be an object, not {_kind(raw)}")
            raise _Bad
        for key in raw:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.fail(where, f"unknown field (known: {', '.join(sorted(allowed))})", "unknown")
        return raw

    def field(self, data: Mapping[str, Any], path: str, key: str, default: Any = _MISSING) -> Any:
        if key not in data:
            if default is _MISSING:
                self.fail(_join(path, key), "is required", "missing")
                raise _Bad
            return default
        return data[key]

    def number(
        self, data: Mapping, path: str, key: str, default: Any = _MISSING, *, unlimited=False
    ) -> float:
        """A finite number >= 0; null means unlimited (infinity) where `unlimited`."""
        value = self.field(data, path, key, default)
        if value is None and unlimited:
            return INF
        return self.check_number(value, _join(path, key), unlimited=unlimited)

    def check_number(self, value: Any, where: str, *, unlimited: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, f"must be a number, not {_kind(value)}")
            raise _Bad
        if not math.isfinite(value):
            hint = " (write null for unlimited)" if unlimited else ""
            self.fail(where, f"must be a finite number, not {value}{hint}")
            raise _Bad
        if value < 0:
            self.fail(where, f"must be >= 0, not {value:g}")
            raise _Bad
        return float(value)

    def index(self, data: Mapping, path: str, key: str) -> int:
        value = self.field(data, path, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(_join(path, key), f"must be an integer >= 0, not {value!r}")
            raise _Bad
        return value

    def flag(self, data: Mapping, path: str, key: str, default: bool) -> bool:
        value = self.field(data, path, key, default)
        if not isinstance(value, bool):
            self.fail(_join(path, key), f"must be true or false, not {value!r}")
            raise _Bad
        return value

    def ident(self, data: Mapping, path: str, key: str, default: Any = _MISSING) -> str:
        """An id: a non-empty string (an integer is taken as its decimal string)."""
        value = self.field(data, path, key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value:
            self.fail(_join(path, key), f"must be a non-empty string, not {value!r}")
            raise _Bad
        return value

    def items(self, data: Mapping, path: str, key: str, *, required: bool = False) -> list:
        value = self.field(data, path, key, _MISSING if required else [])
        if not isinstance(value, list):
            self.fail(_join(path, key), f"must be a list, not {_kind(value)}")
            raise _Bad
        return value

    def window(self, raw: Any, where: str) -> TimeWindow:
        if not isinstance(raw, list) or len(raw) != 2:
            self.fail(where, f"a window is [open, close] (close null for none), not {raw!r}")
            raise _Bad
        ends = _fields(
            open=lambda: self.check_number(raw[0], f"{where}[0]"),
            close=lambda: (
                INF if raw[1] is None else self.check_number(raw[1], f"{where}[1]", unlimited=True)
            ),
        )
        return self.build(where, TimeWindow, **ends)

    def load(self, data: Mapping, path: str, key: str, *, unlimited: bool) -> Load:
        raw = self.field(data, path, key, None)
        if raw is None:
            return UNLIMITED if unlimited else Load()
        where = _join(path, key)
        raw = self.obj(where, raw, _LOAD_FIELDS)
        default = None if unlimited else 0
        amounts = _fields(
            weight=lambda: self.number(raw, where, "weight", default, unlimited=unlimited),
            volume=lambda: self.number(raw, where, "volume", default, unlimited=unlimited),
        )
        return self.build(where, Load, **amounts)

    def build(self, path: str, factory: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Construct a model object, re-homing its own validation problems under `path`."""
        try:
            return factory(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                self.fail(_join(path, problem.field), problem.message, problem.code)
            raise _Bad from None

    def each(self, path: str, values: list, read: Callable[[str, Any], T]) -> list[T]:
        """Read every element, keeping going past bad ones so all problems are found."""
        out = []
        for i, raw in enumerate(values):
            try:
                out.append(read(f"{path}[{i}]", raw))
            except _Bad:
                continue
        return out

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(capped(self.problems, MAX_REPORTED_PROBLEMS))


def _join(path: str, key: str) -> str:
    if not key:
        return path
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", str: "a string", list: "a list", dict: "an object"}.get(
        type(value), repr(value)
    )


def _fields(**readers: Callable[[], Any]) -> dict[str, Any]:
    """Read every field even after a bad one (each reports itself), then give up if any was bad."""
    values: dict[str, Any] = {}
    bad = False
    for name, read in readers.items():
        try:
            values[name] = read()
        except _Bad:
            bad = True
    if bad:
        raise _Bad
    return values


def _windows(r: _Reader, data: Mapping[str, Any], path: str) -> tuple[TimeWindow, ...]:
    raw = r.items(data, path, "windows")
    windows = r.each(f"{path}.windows", raw, lambda where, window: r.window(window, where))
    if len(windows) != len(raw):
        raise _Bad
    return tuple(windows)


def _depot(r: _Reader, path: str, raw: Any) -> Depot:
    d = r.obj(path, raw, _DEPOT_FIELDS)
    fields = _fields(
        id=lambda: r.ident(d, path, "id"),
        location=lambda: r.index(d, path, "location"),
        hours=lambda: r.window(d["hours"], f"{path}.hours") if "hours" in d else TimeWindow(),
    )
    return r.build(path, Depot, **fields)


def _vehicle(r: _Reader, path: str, raw: Any) -> Vehicle:
    v = r.obj(path, raw, _VEHICLE_FIELDS)
    same_end = v.get("end_depot") in (None, "")  # back to the start depot
    fields = _fields(
        id=lambda: r.ident(v, path, "id"),
        start_depot=lambda: r.ident(v, path, "start_depot"),
        end_depot=lambda: "" if same_end else r.ident(v, path, "end_depot"),
        capacity=lambda: r.load(v, path, "capacity", unlimited=True),
        shift=lambda: r.window(v["shift"], f"{path}.shift") if "shift" in v else TimeWindow(),
        fixed_cost=lambda: r.number(v, path, "fixed_cost", 0),
        duration_cost=lambda: r.number(v, path, "duration_cost", 0),
        max_duration=lambda: r.number(v, path, "max_duration", None, unlimited=True),
    )
    return r.build(path, Vehicle, **fields)


def _stop(r: _Reader, path: str, raw: Any) -> Stop:
    s = r.obj(path, raw, _STOP_FIELDS)
    fields = _fields(
        id=lambda: r.ident(s, path, "id"),
        location=lambda: r.index(s, path, "location"),
        demand=lambda: r.load(s, path, "demand", unlimited=False),
        service_time=lambda: r.number(s, path, "service_time", 0),
        windows=lambda: _windows(r, s, path),
        soft=lambda: r.flag(s, path, "soft", False),
        lateness_penalty=lambda: r.number(s, path, "lateness_penalty", 0),
        required=lambda: r.flag(s, path, "required", True),
        drop_penalty=lambda: r.number(s, path, "drop_penalty", 0),
    )
    return r.build(path, Stop, **fields)


def _pair(r: _Reader, path: str, raw: Any) -> PickupDelivery:
    p = r.obj(path, raw, _PAIR_FIELDS)
    fields = _fields(
        pickup=lambda: r.ident(p, path, "pickup"), delivery=lambda: r.ident(p, path, "delivery")
    )
    return PickupDelivery(**fields)


def problem_from_dict(data: Any) -> RoutingProblem:
    """Read a problem strictly; raises InputError naming every defect with its path."""
    reader = _Reader()
    if not isinstance(data, Mapping):
        raise InputError(f"the problem must be a JSON object, not {_kind(data)}", field="")
    top = reader.obj("", data, _TOP_FIELDS)
    parts: dict[str, list[Any]] = {}
    readers: dict[str, Callable[[_Reader, str, Any], Any]] = {
        "depots": _depot,
        "vehicles": _vehicle,
        "stops": _stop,
        "pairs": _pair,
    }
    for key, read in readers.items():
        try:
            values = reader.items(top, "", key, required=key != "pairs")
        except _Bad:
            continue
        parts[key] = reader.each(key, values, partial(read, reader))
    travel: TravelMatrix | None = None
    coordinates: np.ndarray | None = None
    with contextlib.suppress(_Bad):
        travel, coordinates = _travel(reader, top)
    name = top.get("name", "")
    if not isinstance(name, str):
        reader.fail("name", f"must be a string, not {_kind(name)}")
    reader.raise_if_any()
    return reader.build(
        "",
        RoutingProblem,
        depots=tuple(parts["depots"]),
        vehicles=tuple(parts["vehicles"]),
        stops=tuple(parts["stops"]),
        travel=travel,
        pairs=tuple(parts.get("pairs", ())),
        name=name,
        coordinates=coordinates,
    )


def _travel(r: _Reader, top: Mapping[str, Any]) -> tuple[TravelMatrix, np.ndarray | None]:
    if ("matrix" in top) == ("locations" in top):
        r.fail("locations", "give either 'locations' (coordinates) or 'matrix', not both or none")
        raise _Bad
    if "matrix" in top:
        for key in ("metric", "speed"):
            if key in top:
                r.fail(key, "only applies to 'locations', not to a 'matrix'")
        m = r.obj("matrix", top["matrix"], _MATRIX_FIELDS)
        grids = _fields(
            distance=lambda: _grid(r, "matrix.distance", r.field(m, "matrix", "distance")),
            duration=lambda: _grid(r, "matrix.duration", r.field(m, "matrix", "duration")),
        )
        return r.build("matrix", TravelMatrix, **grids), None
    metric = top.get("metric", "euclidean")
    if metric not in ("euclidean", "haversine"):
        r.fail("metric", f"must be 'euclidean' or 'haversine', not {metric!r}")
        raise _Bad
    speed = r.number(top, "", "speed", 1.0)
    points = r.items(top, "", "locations", required=True)
    coords = []
    bad = not points
    if not points:
        r.fail("locations", "must list at least one location")
    for i, point in enumerate(points):
        where = f"locations[{i}]"
        if not isinstance(point, list) or len(point) != 2:
            r.fail(where, f"a location is [x, y] (or [lat, lon]), not {point!r}")
            bad = True
            continue
        for k, value in enumerate(point):
            if isinstance(value, bool) or not isinstance(value, int | float):
                r.fail(f"{where}[{k}]", f"must be a number, not {_kind(value)}")
                bad = True
            elif not math.isfinite(value):
                r.fail(f"{where}[{k}]", f"must be a finite number, not {value}")
                bad = True
        coords.append(point)
    if bad:
        raise _Bad
    array = np.array(coords, dtype=np.float64)
    travel = r.build("", TravelMatrix.from_coordinates, array, metric=metric, speed=speed)
    return travel, array if metric == "euclidean" else None


def _grid(r: _Reader, where: str, raw: Any) -> np.ndarray:
    """A square matrix of finite numbers >= 0, each bad entry named."""
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        r.fail(where, "must be a list of rows (lists of numbers)")
        raise _Bad
    size = len(raw)
    bad = False
    for i, row in enumerate(raw):
        if len(row) != size:
            r.fail(f"{where}[{i}]", f"has {len(row)} entries; the matrix is {size} x {size}")
            bad = True
            continue
        for j, value in enumerate(row):
            try:
                r.check_number(value, f"{where}[{i}][{j}]")
            except _Bad:
                bad = True
    if bad:
        raise _Bad
    return np.array(raw, dtype=np.float64).reshape(size, size)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def plan_from_dict(data: Any) -> Plan:
    """A plan from `{"routes": [{"vehicle_id": ..., "stops": [...]}, ...]}` or a result dict.

    Other fields of a result (times, distances) are ignored; each route needs its
    vehicle and its stops (`stops`, or `stop_ids` as a result writes them).
    """
    reader = _Reader()
    routes: list[tuple[str, tuple[str, ...]]] = []
    try:
        if not isinstance(data, Mapping):
            reader.fail("", f"a plan must be an object, not {_kind(data)}")
            raise _Bad
        for i, route in enumerate(reader.items(data, "", "routes", required=True)):
            where = f"routes[{i}]"
            if not isinstance(route, Mapping):
                reader.fail(where, f"must be an object, not {_kind(route)}")
                continue
            try:
                vehicle = reader.ident(route, where, "vehicle_id")
                key = "stops" if "stops" in route else "stop_ids"
                stops = reader.items(route, where, key, required=True)
                ids = []
                for k, stop in enumerate(stops):
                    if isinstance(stop, int) and not isinstance(stop, bool):
                        stop = str(stop)
                    if not isinstance(stop, str) or not stop:
                        reader.fail(f"{where}.{key}[{k}]", f"must be a stop id, not {stop!r}")
                        continue
                    ids.append(stop)
                routes.append((vehicle, tuple(ids)))
            except _Bad:
                continue
    except _Bad:
        pass
    reader.raise_if_any()
    try:
        return Plan(tuple(routes))
    except InputError as exc:
        raise InputError(exc.problems[0].message, field="routes") from None


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
