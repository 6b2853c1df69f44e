"""Shipments to route, and their JSON Lines format (one object per line).

    {"id": "S1", "origin": "CN-WH1", "destination": "DE-Z1",
     "ready_at": "2025-03-24T09:30+08:00", "deliver_by": "2025-04-07T23:59+02:00",
     "service": "standard", "category": "general", "weight_kg": 0.85, "dims_cm": [30, 20, 8]}

`deliver_from` (optional) opens the window: an earlier arrival is held and
delivered then. Weights become grams and dimensions millimetres, rounded half up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.routing.network import CATEGORIES, GENERAL, Network
from optimizer.routing.parsing import Problems, capped, scaled_int
from optimizer.timeutil import format_instant, parse_instant


@dataclass(frozen=True)
class Shipment:
    """One parcel with its route ends, readiness, delivery window and physical data."""

    id: str
    origin: str
    destination: str
    ready_at: int
    deliver_by: int
    service: str
    weight_g: int
    category: str = GENERAL
    dims_mm: tuple[int, int, int] | None = None
    deliver_from: int | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("shipment id cannot be empty")
        if self.origin == self.destination:
            raise ValueError("origin and destination must differ")
        if self.weight_g <= 0:
            raise ValueError("weight must be positive")
        if self.dims_mm is not None:
            object.__setattr__(self, "dims_mm", tuple(self.dims_mm))
            if len(self.dims_mm) != 3 or min(self.dims_mm) <= 0:
                raise ValueError("dimensions must be three positive lengths")
        if self.category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}")
        if self.deliver_by <= self.ready_at:
            raise ValueError("deliver_by must be after ready_at")
        if self.deliver_from is not None and self.deliver_from > self.deliver_by:
            raise ValueError("deliver_from must not be after deliver_by")


def shipment_from_dict(record: Any, path: str, problems: Problems) -> Shipment | None:
    """Parse one record, adding every defect to `problems` (None when any was found)."""
    if not isinstance(record, Mapping):
        problems.add(path, "must be a JSON object")
        return None
    before = len(problems.items)
    ship_id = problems.text(record, "id", path)
    origin = problems.text(record, "origin", path)
    destination = problems.text(record, "destination", path)
    service = problems.text(record, "service", path)
    category = problems.text(record, "category", path, required=False) or GENERAL
    if category not in CATEGORIES:
        problems.add(f"{path}.category", f"unknown category {category!r}")
    times: dict[str, int | None] = {}
    for key in ("ready_at", "deliver_by", "deliver_from"):
        value = record.get(key)
        if value is None:
            if key != "deliver_from":
                problems.add(f"{path}.{key}", "is required", "missing")
            times[key] = None
            continue
        try:
            times[key] = parse_instant(value, f"{path}.{key}")
        except InputError as exc:
            problems.extend(exc.problems)
            times[key] = None
    weight = problems.number(record, "weight_kg", path, minimum=0, exclusive_minimum=True)
    dims = record.get("dims_cm")
    dims_mm: tuple[int, int, int] | None = None
    if dims is not None:
        if not isinstance(dims, list) or len(dims) != 3:
            problems.add(f"{path}.dims_cm", "must be a list of three lengths [L, W, H] in cm")
        else:
            parsed = [
                problems.number(
                    {"v": v}, "v", f"{path}.dims_cm[{i}]", minimum=0, exclusive_minimum=True
                )
                for i, v in enumerate(dims)
            ]
            if all(p is not None for p in parsed):
                dims_mm = tuple(max(1, scaled_int(p, 10)) for p in parsed)  # type: ignore[arg-type,assignment]
    ready, deliver_by = times["ready_at"], times["deliver_by"]
    if ready is not None and deliver_by is not None and deliver_by <= ready:
        problems.add(f"{path}.deliver_by", "must be after ready_at")
    opens = times["deliver_from"]
    if opens is not None and deliver_by is not None and opens > deliver_by:
        problems.add(
            f"{path}.deliver_from",
            f"shipment {ship_id}: the window opens at {format_instant(opens)}, "
            f"after it closes (deliver_by {format_instant(deliver_by)})",
        )
    if origin is not None and origin == destination:
        problems.add(
            f"{path}.destination", f"shipment {ship_id}: destination is its origin {origin!r}"
        )
    if len(problems.items) > before:
        return None
    assert weight is not None and ready is not None and deliver_by is not None
    return problems.guard(
        path,
        lambda: Shipment(
            id=ship_id,
            origin=origin,
            destination=destination,
            ready_at=ready,
            deliver_by=deliver_by,
            service=service,
            weight_g=max(1, scaled_int(weight, 1000)),
            category=category,
            dims_mm=dims_mm,
            deliver_from=times["deliver_from"],
        ),
    )


def shipment_to_dict(shipment: Shipment) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": shipment.id,
        "origin": shipment.origin,
        "destination": shipment.destination,
        "ready_at": format_instant(shipment.ready_at),
        "deliver_by": format_instant(shipment.deliver_by),
        "service": shipment.service,
        "category": shipment.category,
        "weight_kg": float(Decimal(shipment.weight_g) / 1000),
    }
    if shipment.dims_mm is not None:
        record["dims_cm"] = [float(Decimal(v) / 10) for v in shipment.dims_mm]
    if shipment.deliver_from is not None:
        record["deliver_from"] = format_instant(shipment.deliver_from)
    return record


def shipments_from_records(records: Iterable[Any], source: str = "shipments") -> list[Shipment]:
    """Shipments from already-decoded JSON objects (e.g. an API body); defects name
    `source[i].field`, every one of them at once."""
    problems = Problems()
    shipments: list[Shipment] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        path = f"{source}[{index}]"
        shipment = shipment_from_dict(record, path, problems)
        if shipment is None:
            continue
        if shipment.id in seen:
            problems.add(f"{path}.id", f"duplicate shipment id {shipment.id!r}")
            continue
        seen.add(shipment.id)
        shipments.append(shipment)
    problems.raise_if_any()
    return shipments


def parse_shipments(lines: Iterable[str], source: str = "shipments") -> list[Shipment]:
    """Parse JSON Lines; every bad line and field is reported at once (`source:LINE.field`)."""
    problems = Problems()
    shipments: list[Shipment] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        path = f"{source}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.add(path, f"not valid JSON ({exc.msg})")
            continue
        shipment = shipment_from_dict(record, path, problems)
        if shipment is None:
            continue
        if shipment.id in seen:
            problems.add(f"{path}.id", f"duplicate shipment id {shipment.id!r}")
            continue
        seen.add(shipment.id)
        shipments.append(shipment)
    problems.raise_if_any()
    return shipments


def load_shipments(path: str | Path) -> list[Shipment]:
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        return parse_shipments(handle, source=path.name)


def save_shipments(shipments: Iterable[Shipment], path: str | Path) -> None:
    with Path(path).open("w", encoding="utf-8") as handle:
        for shipment in shipments:
            handle.write(json.dumps(shipment_to_dict(shipment), separators=(",", ":")) + "\n")


def validate_shipments(network: Network, shipments: Iterable[Shipment]) -> None:
    """Every shipment refers to known nodes and service levels, else an InputError listing all."""
    problems = Problems()
    nodes = network.node_by_id
    for shipment in shipments:
        path = f"shipments[{shipment.id}]"
        for key in ("origin", "destination"):
            node_id = getattr(shipment, key)
            if node_id not in nodes:
                problems.add(f"{path}.{key}", f"unknown node {node_id!r}", "unknown_reference")
        if shipment.service not in network.service_levels:
            known = ", ".join(sorted(network.service_levels))
            problems.add(
                f"{path}.service",
                f"unknown service level {shipment.service!r} (known: {known})",
                "unknown_reference",
            )
    if problems:
        raise InputError(capped(problems.items))
