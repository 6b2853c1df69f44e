"""The network JSON format (`optimizer.network/1`): load, validate, save.

Loading validates the whole document and raises one InputError listing every
broken reference and impossible value with its field path (`lanes[3].tariff`).
Durations are hours (decimals allowed), weights kg, money decimal strings in
the tariff's currency; see README "Cross-border planning" for an example.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.money import RateTable, format_minor, is_currency_code
from optimizer.routing.network import (
    CATEGORIES,
    GENERAL,
    Lane,
    Mode,
    Network,
    Node,
    NodeKind,
    WeeklyDeparture,
    is_country_code,
)
from optimizer.routing.parsing import Problems, scaled_int
from optimizer.routing.service import DEFAULT_SERVICE_LEVELS, ServiceLevel
from optimizer.routing.tariffs import DEFAULT_ZONE, Tariff, ZoneRate
from optimizer.timeutil import WEEKDAYS, format_clock, get_zone, parse_clock

FORMAT = "optimizer.network/1"


def _minutes(problems: Problems, record: Mapping, key: str, path: str, **limits: Any) -> int | None:
    hours = problems.number(record, key, path, **limits)
    return None if hours is None else scaled_int(hours, 60)


def _grams(problems: Problems, record: Mapping, key: str, path: str, **limits: Any) -> int | None:
    kg = problems.number(record, key, path, **limits)
    return None if kg is None else scaled_int(kg, 1000)


def _parse_rates(data: Mapping, problems: Problems) -> RateTable | None:
    currency = data.get("currency")
    if not is_currency_code(currency):
        problems.add("currency", f"must be a 3-letter ISO 4217 code, not {currency!r}")
        return None
    raw = data.get("rates", {})
    if not isinstance(raw, Mapping):
        problems.add("rates", "must be an object of currency -> rate into the plan currency")
        return None
    rates: dict[str, Decimal] = {}
    for code, value in raw.items():
        path = f"rates.{code}"
        if not is_currency_code(code):
            problems.add(path, "currency must be a 3-letter ISO 4217 code")
            continue
        rate = problems.number({"r": value}, "r", path, minimum=0, exclusive_minimum=True)
        if rate is not None:
            rates[code] = rate
    if currency in rates and rates[currency] != 1:
        problems.add(f"rates.{currency}", "the plan currency's own rate must be 1")
        return None
    base = str(currency)
    return problems.guard("rates", lambda: RateTable(base, rates))


def _parse_service_levels(data: Mapping, currency: str, problems: Problems) -> dict | None:
    raw = data.get("service_levels")
    if raw is None:
        return dict(DEFAULT_SERVICE_LEVELS)
    if not isinstance(raw, Mapping) or not raw:
        problems.add("service_levels", "must be a non-empty object name -> level")
        return None
    levels = {}
    for name, record in raw.items():
        path = f"service_levels.{name}"
        if not isinstance(record, Mapping):
            problems.add(path, "must be an object")
            continue
        days = problems.number(record, "promise_days", path, minimum=1)
        penalty = problems.money(record, "late_penalty_per_day", path, currency)
        if days is not None and days != days.to_integral_value():
            problems.add(f"{path}.promise_days", "must be a whole number of days")
            continue
        if days is not None and penalty is not None:
            levels[name] = ServiceLevel(name, int(days), penalty)
    return levels


def parse_tariff(tariff_id: str, record: Any, known: set[str], problems: Problems):
    path = f"tariffs.{tariff_id}"
    if not isinstance(record, Mapping):
        problems.add(path, "must be an object")
        return None
    before = len(problems.items)
    currency = record.get("currency")
    if not is_currency_code(currency):
        problems.add(f"{path}.currency", f"must be a 3-letter ISO 4217 code, not {currency!r}")
        currency = None
    elif currency not in known:
        problems.add(
            f"{path}.currency", f"no exchange rate for {currency} in rates", "unknown_reference"
        )
    divisor = problems.number(
        record, "volumetric_divisor", path, required=False, minimum=0, exclusive_minimum=True
    )
    if divisor is not None and divisor != divisor.to_integral_value():
        problems.add(f"{path}.volumetric_divisor", "must be a whole number of cm3 per kg")
    min_charge = (
        problems.money(record, "min_charge", path, currency, required=False) if currency else None
    )
    zones_raw = record.get("zones")
    zones: dict[str, ZoneRate] = {}
    if not isinstance(zones_raw, Mapping) or not zones_raw:
        problems.add(f"{path}.zones", "must be a non-empty object zone -> rate", "missing")
    else:
        if DEFAULT_ZONE not in zones_raw:
            problems.add(f"{path}.zones", f'needs a default zone "{DEFAULT_ZONE}"', "missing")
        for zone, rate in zones_raw.items():
            zpath = f"{path}.zones.{zone}"
            if not isinstance(rate, Mapping):
                problems.add(zpath, "must be an object")
                continue
            first_g = _grams(problems, rate, "first_kg", zpath, minimum=0)
            step_g = _grams(problems, rate, "step_kg", zpath, minimum=0, exclusive_minimum=True)
            if step_g == 0:
                problems.add(f"{zpath}.step_kg", "rounds to zero grams")
            first_price = problems.money(rate, "first_price", zpath, currency) if currency else None
            step_price = problems.money(rate, "step_price", zpath, currency) if currency else None
            if None not in (first_g, step_g, first_price, step_price) and step_g:
                zones[zone] = ZoneRate(first_g, first_price, step_g, step_price)  # type: ignore[arg-type]
    if len(problems.items) > before or currency is None:
        return None
    code = str(currency)
    return problems.guard(
        path,
        lambda: Tariff(
            id=tariff_id,
            currency=code,
            zones=zones,
            volumetric_divisor=int(divisor) if divisor is not None else None,
            min_charge=min_charge or 0,
        ),
    )


def _parse_node(index: int, record: Any, problems: Problems) -> Node | None:
    path = f"nodes[{index}]"
    if not isinstance(record, Mapping):
        problems.add(path, "must be an object")
        return None
    before = len(problems.items)
    node_id = problems.text(record, "id", path)
    kind = problems.text(record, "kind", path)
    if kind is not None and kind not in NodeKind._value2member_map_:
        problems.add(f"{path}.kind", f"unknown kind {kind!r} (one of {', '.join(NodeKind)})")
    country = record.get("country")
    if not is_country_code(country):
        problems.add(f"{path}.country", f"must be an ISO 3166 alpha-2 code, not {country!r}")
    timezone = problems.text(record, "timezone", path)
    if timezone is not None:
        try:
            get_zone(timezone)
        except InputError:
            problems.add(f"{path}.timezone", f"unknown IANA time zone {timezone!r}")
    handling = _minutes(problems, record, "handling_hours", path, required=False, minimum=0)
    cutoff = None
    if record.get("cutoff") is not None:
        try:
            cutoff = parse_clock(record["cutoff"], f"{path}.cutoff")
        except InputError as exc:
            problems.extend(exc.problems)
    zone = problems.text(record, "zone", path, required=False)
    if len(problems.items) > before:
        return None
    country = str(country)
    return problems.guard(
        path,
        lambda: Node(
            id=node_id,
            kind=NodeKind(kind),
            country=country,
            timezone=timezone,
            handling_minutes=handling or 0,
            cutoff=cutoff,
            zone=zone,
            name=str(record.get("name", "")),
        ),
    )


def _parse_departures(raw: Any, path: str, problems: Problems) -> list[WeeklyDeparture]:
    if not isinstance(raw, list) or not raw:
        problems.add(path, "must be a non-empty list of {days, time}", "missing")
        return []
    departures: list[WeeklyDeparture] = []
    for index, entry in enumerate(raw):
        dpath = f"{path}[{index}]"
        if not isinstance(entry, Mapping):
            problems.add(dpath, "must be an object {days, time}")
            continue
        days = entry.get("days")
        if days == "daily" or days == ["daily"]:
            days = list(WEEKDAYS)
        if not isinstance(days, list) or not days:
            problems.add(f"{dpath}.days", 'must be a list of weekdays ("mon".."sun") or "daily"')
            continue
        try:
            minute = parse_clock(entry.get("time"), f"{dpath}.time")
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for day in days:
            if day not in WEEKDAYS:
                problems.add(f"{dpath}.days", f"unknown weekday {day!r} (use mon..sun)")
                continue
            departures.append(WeeklyDeparture(WEEKDAYS.index(day), minute))
    return departures


def _parse_lane(index: int, record: Any, problems: Problems) -> Lane | None:
    path = f"lanes[{index}]"
    if not isinstance(record, Mapping):
        problems.add(path, "must be an object")
        return None
    before = len(problems.items)
    lane_id = problems.text(record, "id", path)
    origin = problems.text(record, "from", path)
    destination = problems.text(record, "to", path)
    if origin is not None and origin == destination:
        problems.add(f"{path}.to", "a lane cannot end where it starts")
    mode = problems.text(record, "mode", path)
    if mode is not None and mode not in Mode._value2member_map_:
        problems.add(f"{path}.mode", f"unknown mode {mode!r} (one of {', '.join(Mode)})")
    carrier = problems.text(record, "carrier", path)
    tariff = problems.text(record, "tariff", path)
    departures = _parse_departures(record.get("departures"), f"{path}.departures", problems)
    transit = _minutes(problems, record, "transit_hours", path, minimum=0, exclusive_minimum=True)
    if transit == 0:
        problems.add(f"{path}.transit_hours", "rounds to zero minutes")
    cutoff = _minutes(problems, record, "cutoff_hours", path, required=False, minimum=0)
    clearance = _minutes(problems, record, "clearance_hours", path, required=False, minimum=0)
    capacity = record.get("capacity") or {}
    capacity_g = capacity_parcels = None
    if not isinstance(capacity, Mapping):
        problems.add(f"{path}.capacity", "must be an object {kg, parcels}")
    else:
        capacity_g = _grams(problems, capacity, "kg", f"{path}.capacity", required=False, minimum=0)
        parcels = problems.number(
            capacity, "parcels", f"{path}.capacity", required=False, minimum=0
        )
        if parcels is not None and parcels != parcels.to_integral_value():
            problems.add(f"{path}.capacity.parcels", "must be a whole number")
        capacity_parcels = int(parcels) if parcels is not None else None
    categories = record.get("categories", [GENERAL])
    if not isinstance(categories, list) or not categories:
        problems.add(f"{path}.categories", "must be a non-empty list of categories")
        categories = []
    for category in categories:
        if category not in CATEGORIES:
            problems.add(
                f"{path}.categories",
                f"unknown category {category!r} (one of {', '.join(CATEGORIES)})",
            )
    max_parcel_g = _grams(
        problems, record, "max_parcel_kg", path, required=False, minimum=0, exclusive_minimum=True
    )
    if len(problems.items) > before or transit is None:
        return None
    return problems.guard(
        path,
        lambda: Lane(
            id=lane_id,
            origin=origin,
            destination=destination,
            mode=Mode(mode),
            carrier=carrier,
            departures=tuple(departures),
            transit_minutes=transit,
            tariff=tariff,
            cutoff_minutes=cutoff or 0,
            clearance_minutes=clearance or 0,
            categories=frozenset(categories),
            capacity_g=capacity_g,
            capacity_parcels=capacity_parcels,
            max_parcel_g=max_parcel_g,
        ),
    )


def network_from_dict(data: Any) -> Network:
    """Build and validate a Network; an InputError lists every defect found."""
    problems = Problems()
    if not isinstance(data, Mapping):
        raise InputError("the network must be a JSON object", field="network")
    if data.get("format", FORMAT) != FORMAT:
        problems.add("format", f"unsupported format {data.get('format')!r}, expected {FORMAT}")
    rates = _parse_rates(data, problems)
    currency = rates.base if rates else "USD"
    known_currencies = set(rates.rates) if rates else set()
    levels = _parse_service_levels(data, currency, problems)
    tariffs_raw = data.get("tariffs")
    tariffs: dict[str, Tariff] = {}
    if not isinstance(tariffs_raw, Mapping) or not tariffs_raw:
        problems.add("tariffs", "must be a non-empty object id -> tariff", "missing")
        tariffs_raw = {}
    for tariff_id, record in tariffs_raw.items():
        tariff = parse_tariff(tariff_id, record, known_currencies, problems)
        if tariff is not None:
            tariffs[tariff_id] = tariff
    nodes: list[Node] = []
    node_ids: set[str] = set()
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        problems.add("nodes", "must be a non-empty list", "missing")
        raw_nodes = []
    for index, record in enumerate(raw_nodes):
        node = _parse_node(index, record, problems)
        raw_id = record.get("id") if isinstance(record, Mapping) else None
        if isinstance(raw_id, str) and raw_id in node_ids:
            problems.add(f"nodes[{index}].id", f"duplicate node id {raw_id!r}")
        if isinstance(raw_id, str):
            node_ids.add(raw_id)
        if node is not None:
            nodes.append(node)
    lanes: list[Lane] = []
    lane_ids: set[str] = set()
    raw_lanes = data.get("lanes")
    if not isinstance(raw_lanes, list) or not raw_lanes:
        problems.add("lanes", "must be a non-empty list", "missing")
        raw_lanes = []
    for index, record in enumerate(raw_lanes):
        lane = _parse_lane(index, record, problems)
        path = f"lanes[{index}]"
        if isinstance(record, Mapping):
            raw_id = record.get("id")
            if isinstance(raw_id, str) and raw_id in lane_ids:
                problems.add(f"{path}.id", f"duplicate lane id {raw_id!r}")
            if isinstance(raw_id, str):
                lane_ids.add(raw_id)
            for key in ("from", "to"):
                ref = record.get(key)
                if isinstance(ref, str) and ref not in node_ids:
                    problems.add(f"{path}.{key}", f"unknown node {ref!r}", "unknown_reference")
            ref = record.get("tariff")
            if isinstance(ref, str) and ref not in tariffs_raw:
                problems.add(f"{path}.tariff", f"unknown tariff {ref!r}", "unknown_reference")
        if lane is not None:
            lanes.append(lane)
    problems.raise_if_any()
    assert rates is not None and levels is not None
    return Network(
        nodes=tuple(nodes),
        lanes=tuple(lanes),
        tariffs=tariffs,
        rates=rates,
        service_levels=levels,
    )


def _hours(minutes: int) -> float | int:
    value = Decimal(minutes) / 60
    return int(value) if value == value.to_integral_value() else float(round(value, 4))


def _kg(grams: int) -> float | int:
    value = Decimal(grams) / 1000
    return int(value) if value == value.to_integral_value() else float(value)


def _departures_to_json(lane: Lane) -> list[dict[str, Any]]:
    by_time: dict[int, list[str]] = {}
    for departure in lane.departures:
        by_time.setdefault(departure.minute, []).append(WEEKDAYS[departure.weekday])
    return [
        {"days": days, "time": format_clock(minute)} for minute, days in sorted(by_time.items())
    ]


def tariff_to_dict(tariff: Tariff) -> dict[str, Any]:
    record: dict[str, Any] = {"currency": tariff.currency}
    if tariff.volumetric_divisor is not None:
        record["volumetric_divisor"] = tariff.volumetric_divisor
    if tariff.min_charge:
        record["min_charge"] = format_minor(tariff.min_charge, tariff.currency)
    record["zones"] = {
        zone: {
            "first_kg": _kg(rate.first_g),
            "first_price": format_minor(rate.first_price, tariff.currency),
            "step_kg": _kg(rate.step_g),
            "step_price": format_minor(rate.step_price, tariff.currency),
        }
        for zone, rate in tariff.zones.items()
    }
    return record


def lane_to_dict(lane: Lane) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": lane.id,
        "from": lane.origin,
        "to": lane.destination,
        "mode": str(lane.mode),
        "carrier": lane.carrier,
        "departures": _departures_to_json(lane),
        "transit_hours": _hours(lane.transit_minutes),
        "cutoff_hours": _hours(lane.cutoff_minutes),
        "clearance_hours": _hours(lane.clearance_minutes),
        "tariff": lane.tariff,
        "categories": [c for c in CATEGORIES if c in lane.categories],
    }
    capacity: dict[str, Any] = {}
    if lane.capacity_g is not None:
        capacity["kg"] = _kg(lane.capacity_g)
    if lane.capacity_parcels is not None:
        capacity["parcels"] = lane.capacity_parcels
    if capacity:
        record["capacity"] = capacity
    if lane.max_parcel_g is not None:
        record["max_parcel_kg"] = _kg(lane.max_parcel_g)
    return record


def node_to_dict(node: Node) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": node.id,
        "kind": str(node.kind),
        "country": node.country,
        "timezone": node.timezone,
        "handling_hours": _hours(node.handling_minutes),
    }
    if node.cutoff is not None:
        record["cutoff"] = format_clock(node.cutoff)
    if node.zone is not None:
        record["zone"] = node.zone
    if node.name:
        record["name"] = node.name
    return record


def network_to_dict(network: Network) -> dict[str, Any]:
    currency = network.currency
    return {
        "format": FORMAT,
        "currency": currency,
        "rates": {
            code: str(rate) for code, rate in network.rates.rates.items() if code != currency
        },
        "service_levels": {
            name: {
                "promise_days": level.promise_days,
                "late_penalty_per_day": format_minor(level.late_penalty_per_day, currency),
            }
            for name, level in network.service_levels.items()
        },
        "tariffs": {tariff_id: tariff_to_dict(t) for tariff_id, t in network.tariffs.items()},
        "nodes": [node_to_dict(node) for node in network.nodes],
        "lanes": [lane_to_dict(lane) for lane in network.lanes],
    }


def load_network(path: str | Path) -> Network:
    """Read and validate a network.json; bad JSON or content is an InputError."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", field=path.name
        ) from None
    return network_from_dict(data)


def save_network(network: Network, path: str | Path) -> None:
    Path(path).write_text(json.dumps(network_to_dict(network), indent=1) + "\n", encoding="utf-8")
