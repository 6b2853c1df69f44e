"""JSON formats of layouts, forecasts and plans, and the JSON-lines parcel scan stream.

Loading validates everything and reports every problem with its field path
(`layout.chutes[3].capacity_parcels: must be an integer >= 1`), never a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from optimizer.errors import InputError, Problem, capped
from optimizer.sorting.categories import (
    CATEGORY_NAMES,
    CATEGORY_VALUES,
    Category,
    parse_category,
    parse_restricted_category,
)
from optimizer.sorting.forecast import DestinationForecast, Forecast
from optimizer.sorting.layout import Chute, ChuteType, InductionPoint, SorterLayout
from optimizer.sorting.plan import ChuteShare, DestinationAssignment, SortPlan
from optimizer.sorting.scan import ParcelScan

T = TypeVar("T")
_REQUIRED: Any = object()
MAX_REPORTED_PROBLEMS = 50
SHARE_SUM_TOLERANCE = 1e-4


class _Reader:
    """Collects problems while reading untrusted JSON, so one pass reports all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str, code: str = "invalid") -> None:
        self.problems.append(Problem(path, message, code))

    def get(
        self, obj: dict, key: str, path: str, check: Callable[[Any], str | None], default=_REQUIRED
    ):
        if key not in obj or (obj[key] is None and default is not _REQUIRED):
            if default is _REQUIRED:
                self.fail(f"{path}.{key}", "is required", "missing")
                return None
            return default
        message = check(obj[key])
        if message:
            self.fail(f"{path}.{key}", message)
            return None
        return obj[key]

    def build(self, path: str, factory: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Construct a domain object, re-homing its own validation problems under `path`."""
        try:
            return factory(*args, **kwargs)
        except InputError as exc:
            for p in exc.problems:
                self.fail(f"{path}.{p.field}" if p.field else path, p.message, p.code)
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(capped(self.problems, MAX_REPORTED_PROBLEMS))


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) and v else "must be a non-empty string"


def _is_number(v: Any) -> str | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    return None if ok else "must be a number"


def _is_int(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) else "must be an integer"


def _is_list(v: Any) -> str | None:
    return None if isinstance(v, list) else "must be a list"


def _is_object(v: Any) -> str | None:
    return None if isinstance(v, dict) else "must be an object"


def _is_str_list(v: Any) -> str | None:
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        return "must be a list of non-empty strings"
    return None


def _is_chute_type(v: Any) -> str | None:
    allowed = [t.value for t in ChuteType]
    return (
        None if v in allowed else f"unknown chute type {v!r} (expected one of {', '.join(allowed)})"
    )


def _is_non_empty_list(v: Any) -> str | None:
    return None if isinstance(v, list) and v else "must be a non-empty list"


def _at_least(low: float, strict: bool, integer: bool = False) -> Callable[[Any], str | None]:
    """A check for a number (an integer if asked) above `low`, with the domain's own wording."""
    if strict:
        wording = f"must be > {low:g}"
    else:
        wording = f"must be {'an integer' if integer else 'a number'} >= {low:g}"

    def check(v: Any) -> str | None:
        problem = _is_int(v) if integer else _is_number(v)
        if problem:
            return problem
        return None if (v > low if strict else v >= low) else wording

    return check


def _is_share(v: Any) -> str | None:
    problem = _is_number(v)
    return problem or (None if 0 <= v < 1 else "must be a share in [0, 1)")


def _categories(r: _Reader, item: dict, path: str) -> list[Category] | None:
    """A chute's categories, each bad one reported with its own index."""
    raw = r.get(item, "categories", path, _is_non_empty_list, ["general"])
    if raw is None:
        return None
    before = len(r.problems)
    found = []
    for k, value in enumerate(raw):
        try:
            found.append(parse_category(value, f"{path}.categories[{k}]"))
        except InputError as exc:
            r.problems += exc.problems
    return found if len(r.problems) == before else None


def _root(data: Any, root: str) -> tuple[_Reader, dict]:
    reader = _Reader()
    if not isinstance(data, dict):
        raise InputError("must be a JSON object", field=root)
    return reader, data


def read_json(path: str | Path, what: str) -> Any:
    """Parse a JSON file; a syntax error or non-UTF-8 text names the file and the position."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{Path(path).name} is not UTF-8 text (byte {exc.start}: {exc.reason})", field=what
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", field=what
        ) from None


def write_json(data: Any, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- layout

_CHUTE_NUMBERS = {
    "capacity_parcels": _is_int,
    "capacity_kg": _is_number,
    "max_length_mm": _is_number,
    "max_width_mm": _is_number,
    "max_height_mm": _is_number,
    "max_weight_g": _is_number,
}


def layout_from_dict(data: Any, root: str = "layout") -> SorterLayout:
    r, data = _root(data, root)
    sorter_id = r.get(data, "sorter_id", root, _is_str)
    loop = r.get(data, "loop_length_m", root, _at_least(0, strict=True))
    speed = r.get(data, "speed_m_s", root, _at_least(0, strict=True))
    ops = {
        key: r.get(data, key, root, check, default)
        for key, check, default in (
            ("swap_interval_s", _at_least(0, strict=True), 1800.0),
            ("swap_duration_s", _at_least(0, strict=False), 20.0),
            ("full_response_s", _at_least(0, strict=False), 120.0),
            ("max_recirculations", _at_least(0, strict=False, integer=True), 3),
        )
    }
    inductions = []
    for i, item in enumerate(r.get(data, "induction_points", root, _is_list) or []):
        path = f"{root}.induction_points[{i}]"
        if _is_object(item):
            r.fail(path, "must be an object")
            continue
        pid, pos = r.get(item, "id", path, _is_str), r.get(item, "position_m", path, _is_number)
        if pid is not None and pos is not None:
            point = r.build(path, InductionPoint, pid, float(pos))
            if point:
                inductions.append(point)
    chutes = []
    for i, item in enumerate(r.get(data, "chutes", root, _is_list) or []):
        path = f"{root}.chutes[{i}]"
        if _is_object(item):
            r.fail(path, "must be an object")
            continue
        cid, pos = r.get(item, "id", path, _is_str), r.get(item, "position_m", path, _is_number)
        kind = r.get(item, "type", path, _is_chute_type, "destination")
        cats = _categories(r, item, path)
        numbers = {k: r.get(item, k, path, check, None) for k, check in _CHUTE_NUMBERS.items()}
        if cid is None or pos is None or kind is None or cats is None:
            continue
        kwargs = {k: v for k, v in numbers.items() if v is not None}
        chute = r.build(
            path,
            Chute,
            id=cid,
            position_m=float(pos),
            type=ChuteType(kind),
            categories=frozenset(cats),
            **kwargs,
        )
        if chute:
            chutes.append(chute)
    _check_ids_and_positions(r, data, root, loop)
    r.raise_if_any()
    layout = r.build(
        root,
        SorterLayout,
        sorter_id=sorter_id,
        loop_length_m=float(loop),
        speed_m_s=float(speed),
        induction_points=tuple(inductions),
        chutes=tuple(chutes),
        **ops,
    )
    r.raise_if_any()
    assert layout is not None
    return layout


def _check_ids_and_positions(r: _Reader, data: dict, root: str, loop: Any) -> None:
    """Duplicate ids and positions off the loop, reported with the items' own indices."""
    for name in ("induction_points", "chutes"):
        items = data.get(name)
        if not isinstance(items, list):
            continue
        seen: set[str] = set()
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            item_id, pos = item.get("id"), item.get("position_m")
            if isinstance(item_id, str) and item_id:
                if item_id in seen:
                    r.fail(f"{root}.{name}[{i}].id", f"duplicate id {item_id!r}")
                seen.add(item_id)
            if (
                isinstance(loop, int | float)
                and loop > 0
                and isinstance(pos, int | float)
                and pos >= loop
            ):
                r.fail(f"{root}.{name}[{i}].position_m", "must be less than loop_length_m")


def _check_unique(r: _Reader, items: Any, key: str, path: str) -> None:
    """Duplicate keys in a list of objects, reported with the later item's index."""
    if not isinstance(items, list):
        return
    seen: set[str] = set()
    for i, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else None
        if isinstance(value, str) and value:
            if value in seen:
                r.fail(f"{path}[{i}].{key}", f"duplicate {value!r}")
            seen.add(value)


def layout_to_dict(layout: SorterLayout) -> dict[str, Any]:
    return {
        "sorter_id": layout.sorter_id,
        "loop_length_m": layout.loop_length_m,
        "speed_m_s": layout.speed_m_s,
        "swap_interval_s": layout.swap_interval_s,
        "swap_duration_s": layout.swap_duration_s,
        "full_response_s": layout.full_response_s,
        "max_recirculations": layout.max_recirculations,
        "induction_points": [
            {"id": p.id, "position_m": p.position_m} for p in layout.induction_points
        ],
        "chutes": [
            {
                "id": c.id,
                "position_m": c.position_m,
                "type": c.type.value,
                "capacity_parcels": c.capacity_parcels,
                "capacity_kg": c.capacity_kg,
                "max_length_mm": c.max_length_mm,
                "max_width_mm": c.max_width_mm,
                "max_height_mm": c.max_height_mm,
                "max_weight_g": c.max_weight_g,
                "categories": sorted(x.value for x in c.categories),
            }
            for c in layout.chutes
        ],
    }


def load_layout(path: str | Path) -> SorterLayout:
    return layout_from_dict(read_json(path, "layout"))


def save_layout(layout: SorterLayout, path: str | Path) -> None:
    write_json(layout_to_dict(layout), path)


# ---------------------------------------------------------------- forecast


def _is_mix(v: Any) -> str | None:
    if not isinstance(v, dict) or not v:
        return "must be a non-empty object of shares"
    if not all(_is_number(x) is None for x in v.values()):
        return "shares must be numbers"
    return None


def forecast_from_dict(data: Any, root: str = "forecast") -> Forecast:
    r, data = _root(data, root)
    destinations = []
    for i, item in enumerate(r.get(data, "destinations", root, _is_list) or []):
        path = f"{root}.destinations[{i}]"
        if _is_object(item):
            r.fail(path, "must be an object")
            continue
        name = r.get(item, "destination", path, _is_str)
        rate = r.get(item, "parcels_per_hour", path, _is_number)
        carrier = r.get(item, "carrier", path, _is_str)
        extra = {
            "country": r.get(item, "country", path, _is_str, ""),
            "service": r.get(item, "service", path, _is_str, ""),
            "handover": r.get(item, "handover", path, _is_str, ""),
            "mean_weight_g": r.get(item, "mean_weight_g", path, _is_number, 500.0),
        }
        category_mix = r.get(item, "category_mix", path, _is_mix, {"general": 1.0})
        size_mix = r.get(item, "size_mix", path, _is_mix, {"small": 1.0})
        if None in (name, rate, carrier, category_mix, size_mix) or None in extra.values():
            continue
        unknown = [k for k in category_mix if k not in CATEGORY_NAMES]
        if unknown:
            for k in unknown:
                r.fail(f"{path}.category_mix.{k}", f"unknown category (expected {CATEGORY_VALUES})")
            continue
        d = r.build(
            path,
            DestinationForecast,
            destination=name,
            parcels_per_hour=float(rate),
            carrier=carrier,
            category_mix={Category(k): float(v) for k, v in category_mix.items()},
            size_mix={k: float(v) for k, v in size_mix.items()},
            **extra,
        )
        if d:
            destinations.append(d)
    no_read = r.get(data, "no_read_share", root, _is_share, 0.0)
    unknown_share = r.get(data, "unknown_share", root, _is_share, 0.0)
    _check_unique(r, data.get("destinations"), "destination", f"{root}.destinations")
    wave = r.get(
        data, "wave", root, lambda v: None if isinstance(v, str) else "must be a string", ""
    )
    r.raise_if_any()
    forecast = r.build(
        root,
        Forecast,
        destinations=tuple(destinations),
        no_read_share=float(no_read),
        unknown_share=float(unknown_share),
        wave=wave,
    )
    r.raise_if_any()
    assert forecast is not None
    return forecast


def forecast_to_dict(forecast: Forecast) -> dict[str, Any]:
    return {
        "wave": forecast.wave,
        "no_read_share": forecast.no_read_share,
        "unknown_share": forecast.unknown_share,
        "destinations": [
            {
                "destination": d.destination,
                "parcels_per_hour": round(d.parcels_per_hour, 3),
                "carrier": d.carrier,
                "country": d.country,
                "service": d.service,
                "handover": d.handover,
                "mean_weight_g": round(d.mean_weight_g, 1),
                "category_mix": {k.value: round(v, 4) for k, v in d.category_mix.items()},
                "size_mix": {k: round(v, 4) for k, v in d.size_mix.items()},
            }
            for d in forecast.destinations
        ],
    }


def load_forecast(path: str | Path) -> Forecast:
    return forecast_from_dict(read_json(path, "forecast"))


def save_forecast(forecast: Forecast, path: str | Path) -> None:
    write_json(forecast_to_dict(forecast), path)


# ---------------------------------------------------------------- plan

_SPECIAL_ROLES = ("no_read", "reject", "exception", "oversize")


def plan_from_dict(data: Any, root: str = "plan") -> SortPlan:
    r, data = _root(data, root)
    sorter_id = r.get(data, "sorter_id", root, _is_str)
    version = r.get(data, "version", root, _at_least(1, strict=False, integer=True))
    method = r.get(data, "method", root, _is_str, "imported")
    created_at = r.get(
        data, "created_at", root, lambda v: None if isinstance(v, str) else "must be a string", ""
    )
    solve = r.get(data, "solve", root, _is_object, None)
    assignments = []
    for i, item in enumerate(r.get(data, "assignments", root, _is_list) or []):
        path = f"{root}.assignments[{i}]"
        if _is_object(item):
            r.fail(path, "must be an object")
            continue
        name = r.get(item, "destination", path, _is_str)
        alternates = r.get(item, "alternates", path, _is_str_list, [])
        shares = []
        chutes = r.get(item, "chutes", path, _is_list) or []
        for k, share in enumerate(chutes):
            spath = f"{path}.chutes[{k}]"
            if _is_object(share):
                r.fail(spath, "must be an object")
                continue
            cid = r.get(share, "chute_id", spath, _is_str)
            value = r.get(share, "share", spath, _is_number, 1.0 / max(1, len(chutes)))
            if cid is not None and value is not None:
                shares.append(ChuteShare(cid, float(value)))
        if shares and abs(sum(s.share for s in shares) - 1) > SHARE_SUM_TOLERANCE:
            r.fail(
                f"{path}.chutes", f"shares must sum to 1, not {sum(s.share for s in shares):.4f}"
            )
        if name is None or alternates is None or len(shares) != len(chutes):
            continue
        a = r.build(path, DestinationAssignment, name, tuple(shares), tuple(alternates))
        if a:
            assignments.append(a)
    special = r.get(data, "special", root, _is_object, {})
    roles: dict[str, tuple[str, ...]] = {}
    for role in _SPECIAL_ROLES:
        ids = r.get(special or {}, role, f"{root}.special", _is_str_list, [])
        roles[role] = tuple(ids or ())
    restricted: dict[Category, tuple[str, ...]] = {}
    raw_restricted = r.get(data, "restricted", root, _is_object, {}) or {}
    for key, ids in raw_restricted.items():
        path = f"{root}.restricted.{key}"
        try:
            category = parse_restricted_category(key, path)
        except InputError as exc:
            r.problems += exc.problems
            continue
        if _is_str_list(ids):
            r.fail(path, "must be a list of chute ids")
        else:
            restricted[category] = tuple(ids)
    _check_unique(r, data.get("assignments"), "destination", f"{root}.assignments")
    r.raise_if_any()
    plan = r.build(
        root,
        SortPlan,
        sorter_id=sorter_id,
        version=version,
        assignments=tuple(assignments),
        restricted=restricted,
        method=method,
        created_at=created_at,
        solve=solve,
        **roles,
    )
    r.raise_if_any()
    assert plan is not None
    return plan


def plan_to_dict(plan: SortPlan, chute_loads: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "plan_id": plan.plan_id,
        "sorter_id": plan.sorter_id,
        "version": plan.version,
        "method": plan.method,
        "created_at": plan.created_at,
        "assignments": [
            {
                "destination": a.destination,
                "chutes": [{"chute_id": c.chute_id, "share": round(c.share, 6)} for c in a.chutes],
                "alternates": list(a.alternates),
            }
            for a in plan.assignments
        ],
        "special": {role: list(getattr(plan, role)) for role in _SPECIAL_ROLES},
        "restricted": {k.value: list(v) for k, v in plan.restricted.items()},
    }
    if plan.solve is not None:
        data["solve"] = plan.solve
    if chute_loads is not None:
        data["chute_loads"] = chute_loads
    return data


def load_plan(path: str | Path) -> SortPlan:
    return plan_from_dict(read_json(path, "plan"))


def save_plan(
    plan: SortPlan, path: str | Path, chute_loads: list[dict[str, Any]] | None = None
) -> None:
    write_json(plan_to_dict(plan, chute_loads), path)


# ---------------------------------------------------------------- parcel scans (JSON lines)


def scan_from_dict(data: Any, root: str = "scan") -> ParcelScan:
    """One scan as a warehouse control system sends it; unknown categories are refused."""
    r, data = _root(data, root)
    out: list[ParcelScan] = []
    _scan_into(r, data, root, out)
    r.raise_if_any()
    return out[0]


_NON_NEGATIVE = _at_least(0, strict=False)
_SCAN_NUMBER = _at_least(1, strict=False, integer=True)


def _scan_into(r: _Reader, data: dict, path: str, out: list[ParcelScan]) -> None:
    before = len(r.problems)
    parcel_id = r.get(data, "parcel_id", path, _is_str)
    if "destination" not in data:
        r.fail(f"{path}.destination", "is required (null for a no-read)", "missing")
    destination = data.get("destination")
    if destination is not None and _is_str(destination):
        r.fail(f"{path}.destination", "must be a non-empty string or null")
    numbers = {
        k: r.get(data, k, path, _NON_NEGATIVE)
        for k in ("weight_g", "length_mm", "width_mm", "height_mm")
    }
    category = Category.GENERAL
    try:
        category = parse_category(data.get("category", "general"), f"{path}.category")
    except InputError as exc:
        r.problems += exc.problems
    scan = r.get(data, "scan", path, _SCAN_NUMBER, None)
    induction = r.get(data, "induction", path, _is_str, None)
    arrival = r.get(data, "arrival_s", path, _NON_NEGATIVE, None)
    if len(r.problems) > before:
        return
    item = r.build(
        path,
        ParcelScan,
        parcel_id=parcel_id,
        destination=destination,
        category=category,
        scan=scan,
        induction=induction,
        arrival_s=None if arrival is None else float(arrival),
        **{k: float(v) for k, v in numbers.items()},
    )
    if item is not None:
        out.append(item)


def iter_json_lines(source: IO[bytes], name: str) -> Iterator[tuple[int, Any, Problem | None]]:
    """(line number, parsed value, problem) for each non-blank line of a binary stream.

    A line that is not UTF-8 or not JSON comes with its problem (and value None) and the
    stream goes on, so a reader can report every bad line, or answer the good ones.
    """
    for number, raw in enumerate(source, start=1):
        if not raw.strip():
            continue
        where = f"{name}:{number}"
        try:
            yield number, json.loads(raw.decode("utf-8")), None
        except UnicodeDecodeError as exc:
            yield number, None, Problem(where, f"not UTF-8 text (byte {exc.start}: {exc.reason})")
        except json.JSONDecodeError as exc:
            yield number, None, Problem(where, f"not valid JSON ({exc.msg})")


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object) for each non-blank line; the first bad line is an error."""
    with open(path, "rb") as handle:
        for number, data, problem in iter_json_lines(handle, Path(path).name):
            if problem is not None:
                raise InputError([problem])
            yield number, data


def scan_from_line(data: Any, where: str) -> ParcelScan:
    """One scan of a stream (`where` is `file:line`); every problem of the line at once."""
    if not isinstance(data, dict):
        raise InputError("must be a JSON object", field=where)
    return scan_from_dict(data, where)


def scans_from_lines(lines: Iterable[tuple[int, Any]], name: str) -> list[ParcelScan]:
    """Validate a whole stream first, so every bad line is reported together."""
    r = _Reader()
    scans: list[ParcelScan] = []
    for number, data in lines:
        path = f"{name}:{number}"
        if not isinstance(data, dict):
            r.fail(path, "must be a JSON object")
            continue
        _scan_into(r, data, path, scans)
    r.raise_if_any()
    return scans


def read_scans(path: str | Path) -> list[ParcelScan]:
    """Every scan of a JSON-lines file; all bad lines (JSON or fields) reported together."""
    name = Path(path).name
    r = _Reader()
    scans: list[ParcelScan] = []
    with open(path, "rb") as handle:
        for number, data, problem in iter_json_lines(handle, name):
            if problem is not None:
                r.problems.append(problem)
            elif not isinstance(data, dict):
                r.fail(f"{name}:{number}", "must be a JSON object")
            else:
                _scan_into(r, data, f"{name}:{number}", scans)
    r.raise_if_any()
    return scans


def scan_to_dict(scan: ParcelScan) -> dict[str, Any]:
    data: dict[str, Any] = {
        "parcel_id": scan.parcel_id,
        "destination": scan.destination,
        "weight_g": scan.weight_g,
        "length_mm": scan.length_mm,
        "width_mm": scan.width_mm,
        "height_mm": scan.height_mm,
        "category": scan.category.value,
    }
    for key in ("scan", "induction", "arrival_s"):
        if getattr(scan, key) is not None:
            data[key] = getattr(scan, key)
    return data


def write_scans(scans: Iterable[ParcelScan], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for scan in scans:
            handle.write(json.dumps(scan_to_dict(scan), separators=(",", ":")) + "\n")
