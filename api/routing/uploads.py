"""Shipment lists from a request body: a JSON array or JSON Lines, counted before any model.

A shipments.jsonl file can be posted as it is (`Content-Type: application/x-ndjson`);
a JSON array (or `{"shipments": [...]}`) works too. The count is checked against
the limit first, then the records are validated (every problem at once), then the
core parses them and checks duplicates and windows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from api.errors import ApiError, TooLarge, validation_error
from api.json_input import decode_json, json_problem
from api.routing.problems import with_paths
from api.schemas.shipments import ShipmentIn
from optimizer.errors import InputError, Problem
from optimizer.routing import Shipment, shipments_from_records
from optimizer.timeutil import MINUTES_PER_DAY

JSON_LINES = frozenset(
    {
        "application/x-ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)
MAX_SPAN_DAYS = 400  # first ready_at to last deliver_by within one set: bounds the timetable
_RECORDS = TypeAdapter(list[ShipmentIn])
_RECORD = TypeAdapter(ShipmentIn)


def content_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def decode_records(body: bytes, media_type: str, maximum: int) -> list[Any]:
    """Decoded JSON records; 413 with the count when over `maximum` (before decoding lines)."""
    if media_type in JSON_LINES:
        return _json_lines(body, maximum)
    if media_type == "application/json" or media_type.endswith("+json"):
        return _json_array(body, maximum)
    raise ApiError(
        415,
        "Send shipments as a JSON array (application/json) or one object per line "
        "(application/x-ndjson)",
        field="body",
    )


def _too_many(count: int, maximum: int) -> TooLarge:
    return TooLarge(f"Too many shipments ({count}), maximum is {maximum}", field="shipments")


def _json_array(body: bytes, maximum: int) -> list[Any]:
    data = decode_json(body)
    if isinstance(data, dict) and set(data) == {"shipments"}:
        data = data["shipments"]
    if not isinstance(data, list):
        raise ApiError(422, 'must be a JSON array of shipments (or {"shipments": [...]})', "body")
    if len(data) > maximum:
        raise _too_many(len(data), maximum)
    return data


def _json_lines(body: bytes, maximum: int) -> list[Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "Body is not UTF-8 text", field="body") from None
    # JSON Lines end at "\n" only: str.splitlines would also split at U+2028 or U+0085,
    # which JSON strings may hold as they are
    lines = [
        (number, line.removesuffix("\r"))
        for number, line in enumerate(text.split("\n"), 1)
        if line.strip()
    ]
    if len(lines) > maximum:
        raise _too_many(len(lines), maximum)
    records: list[Any] = []
    problems: list[Problem] = []
    for index, (number, line) in enumerate(lines):
        record, problem = json_problem(line)
        records.append(record)
        if problem is not None:
            problems.append(
                Problem(f"shipments.{index}", f"line {number}: not valid JSON ({problem})", "json")
            )
    if problems:  # name every bad line in one answer, not the unparsable ones first
        unparsable = {p.field for p in problems}
        for index, (number, _) in enumerate(lines):
            if f"shipments.{index}" not in unparsable:
                problems += _shape_problems(index, number, records[index])
        raise InputError(sorted(problems, key=lambda p: int(p.field.split(".")[1])))
    return records


def _shape_problems(index: int, number: int, record: Any) -> list[Problem]:
    """A parsed line's shape problems (when another line is not JSON)."""
    try:
        _RECORD.validate_python(record)
    except ValidationError as exc:
        found = validation_error(exc.errors(), prefix=("shipments", str(index)))
        return [
            Problem(p.field, f"line {number}: {p.message}", p.code)
            for p in getattr(found, "problems", [])
        ]
    return []


def parse_shipments(records: list[Any]) -> list[Shipment]:
    """Validated shipments: shapes and limits first, then the core (duplicates, windows)."""
    if not records:
        raise InputError("a shipment set needs at least one shipment", field="shipments")
    try:
        models = _RECORDS.validate_python(records)
    except ValidationError as exc:
        raise validation_error(exc.errors(), prefix=("shipments",)) from None
    try:
        shipments = shipments_from_records([m.record() for m in models], source="shipments")
    except InputError as exc:
        raise with_paths(exc) from None
    span = max(s.deliver_by for s in shipments) - min(s.ready_at for s in shipments)
    if span > MAX_SPAN_DAYS * MINUTES_PER_DAY:
        days = timedelta(minutes=span).days
        raise InputError(
            f"the shipments span {days} days from first ready_at to last deliver_by; "
            f"one set may span at most {MAX_SPAN_DAYS}",
            field="shipments",
        )
    return shipments
