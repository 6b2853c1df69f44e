"""Parcel scans from a request body, checked by hand: the assignment hot path builds no models.

A pydantic model per scan costs more than the decision itself, so the body is
decoded once and each scan is checked with a few type tests and comparisons
(bounds shared with `api.schemas.sorting.ScanIn`, which documents the body).
Only when a check fails is the scan looked at again, to name every problem.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from api.errors import ApiError, TooLarge
from api.json_input import decode_json
from api.schemas.sorting import (
    MAX_DIMENSION_MM,
    MAX_PARCEL_ID,
    MAX_SCAN,
    MAX_SORT_KEY,
    MAX_WEIGHT_G,
)
from optimizer.errors import InputError, Problem
from optimizer.sorting import Category

CATEGORIES = frozenset(c.value for c in Category)
CATEGORY_LIST = ", ".join(c.value for c in Category)
MEASURES = (
    ("weight_g", MAX_WEIGHT_G),
    *((k, MAX_DIMENSION_MM) for k in ("length_mm", "width_mm", "height_mm")),
)
MAX_PROBLEMS = 50
# (parcel_id, destination, weight_g, length_mm, width_mm, height_mm, category, scan)
ScanArgs = tuple[str, str | None, float, float, float, float, str, int | None]


async def json_body(request: Request) -> Any:
    """The decoded JSON body: 415 for another content type, 400 for bad JSON."""
    content_type = request.headers.get("content-type")
    if content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            message = "Send the body as JSON with 'Content-Type: application/json'"
            raise ApiError(415, message, field="body")
    return decode_json(await request.body())


def _number_ok(value: Any, maximum: float) -> bool:
    kind = type(value)
    return (kind is float or kind is int) and 0 <= value <= maximum  # NaN fails both tests


def scan_args(data: Any) -> ScanArgs:
    """The assigner's arguments for one scan; InputError (422) naming every bad field."""
    if type(data) is dict:
        pid = data.get("parcel_id")
        destination = data.get("destination", ...)
        weight = data.get("weight_g")
        length = data.get("length_mm")
        width = data.get("width_mm")
        height = data.get("height_mm")
        category = data.get("category", "general")
        scan = data.get("scan")
        if (
            type(pid) is str
            and 0 < len(pid) <= MAX_PARCEL_ID
            and (
                destination is None
                or (type(destination) is str and 0 < len(destination) <= MAX_SORT_KEY)
            )
            and _number_ok(weight, MAX_WEIGHT_G)
            and _number_ok(length, MAX_DIMENSION_MM)
            and _number_ok(width, MAX_DIMENSION_MM)
            and _number_ok(height, MAX_DIMENSION_MM)
            and type(category) is str
            and category in CATEGORIES
            and (scan is None or (type(scan) is int and 1 <= scan <= MAX_SCAN))
        ):
            return (pid, destination, weight, length, width, height, category, scan)
    raise InputError(scan_problems(data, "") or [Problem("body", "not a parcel scan")])


def scan_problems(data: Any, prefix: str) -> list[Problem]:
    """Every problem of one scan, with field paths under `prefix` (the slow path)."""

    def at(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    if not isinstance(data, dict):
        return [Problem(prefix or "body", "must be a JSON object")]
    problems: list[Problem] = []
    pid = data.get("parcel_id")
    if not (isinstance(pid, str) and 0 < len(pid) <= MAX_PARCEL_ID):
        problems.append(
            Problem(at("parcel_id"), f"must be a string of 1 to {MAX_PARCEL_ID} characters")
        )
    if "destination" not in data:
        problems.append(Problem(at("destination"), "is required (null for a no-read)", "missing"))
    else:
        destination = data["destination"]
        if destination is not None and not (
            isinstance(destination, str) and 0 < len(destination) <= MAX_SORT_KEY
        ):
            problems.append(
                Problem(
                    at("destination"),
                    f"must be a string of 1 to {MAX_SORT_KEY} characters, or null for a no-read",
                )
            )
    for name, maximum in MEASURES:
        if name not in data:
            problems.append(Problem(at(name), "is required", "missing"))
        elif not _number_ok(data[name], maximum):
            problems.append(Problem(at(name), f"must be a number between 0 and {maximum:g}"))
    category = data.get("category", "general")
    if not (isinstance(category, str) and category in CATEGORIES):
        problems.append(
            Problem(
                at("category"),
                f"unknown category {category!r} (expected one of {CATEGORY_LIST})",
                "unknown_category",
            )
        )
    scan = data.get("scan")
    if scan is not None and not (type(scan) is int and 1 <= scan <= MAX_SCAN):
        problems.append(Problem(at("scan"), f"must be an integer between 1 and {MAX_SCAN}"))
    return problems


def batch_args(data: Any, maximum: int) -> list[ScanArgs]:
    """A batch body `{"parcels": [...]}`: 413 with the count before any scan is read."""
    if not isinstance(data, dict) or not isinstance(data.get("parcels"), list):
        raise InputError('must be {"parcels": [scan, ...]}', field="parcels")
    parcels = data["parcels"]
    if len(parcels) > maximum:
        raise TooLarge(f"Too many parcels ({len(parcels)}), maximum is {maximum}", field="parcels")
    if not parcels:
        raise InputError("must list at least one parcel scan", field="parcels")
    out: list[ScanArgs] = []
    problems: list[Problem] = []
    for i, item in enumerate(parcels):
        try:
            out.append(scan_args(item))
        except InputError:
            problems += scan_problems(item, f"parcels.{i}")
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    return out
