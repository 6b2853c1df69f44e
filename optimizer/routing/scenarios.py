"""What-if scenarios as data, applied to a network and shipments, compared with the baseline.

    {"name": "air strike", "changes": [
        {"type": "close_lane", "lane": "CN-GW>DE-GW/air0"},
        {"type": "scale_capacity", "factor": 0.5},                  (no lane: every lane)
        {"type": "scale_capacity", "lane": "CN-GW>DE-GW/air1", "factor": 0.5},
        {"type": "scale_volume", "factor": 1.3},
        {"type": "change_tariff", "lane": "CN-GW>DE-GW/air1", "price_factor": 1.2},
        {"type": "change_tariff", "lane": "...", "min_charge": "3.00", "zones": {...}},
        {"type": "add_delay", "lane": "CN-GW>DE-GW/rail", "hours": 24}]}

Changes apply in order. `change_tariff` takes any tariff field (currency,
volumetric_divisor, min_charge, zones: merged zone by zone) and/or `price_factor`
(every price and the minimum charge scaled, rounded half up); only that lane's
tariff changes, even when other lanes share it. `scale_volume` repeats every
shipment `floor(factor)` times plus a seeded sample for the fraction (copies get
ids `ID~2`, `ID~3`...); a factor below 1 keeps a seeded sample.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.money import minor_digits
from optimizer.routing.assemble import BatchPlan
from optimizer.routing.batch import plan_batch
from optimizer.routing.network import Lane, Network
from optimizer.routing.network_json import parse_tariff, tariff_to_dict
from optimizer.routing.parsing import Problems, scaled_int
from optimizer.routing.policy import PlanningPolicy
from optimizer.routing.scores import LaneScore
from optimizer.routing.shipments import Shipment
from optimizer.routing.tariffs import Tariff, ZoneRate

CHANGE_FIELDS = {
    "close_lane": ({"lane"}, set()),
    "scale_capacity": ({"factor"}, {"lane"}),
    "scale_volume": ({"factor"}, set()),
    "change_tariff": (
        {"lane"},
        {"currency", "volumetric_divisor", "min_charge", "zones", "price_factor"},
    ),
    "add_delay": ({"lane", "hours"}, set()),
}


@dataclass(frozen=True)
class Change:
    """One validated change: its type and its fields (as given, numbers as Decimal)."""

    type: str
    lane: str | None = None
    factor: Decimal | None = None
    hours: Decimal | None = None
    tariff: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: tuple[Change, ...]


def scenario_from_dict(data: Any, network: Network) -> Scenario:
    """Validate a scenario against the network; every unknown type, lane or bad value is named."""
    problems = Problems()
    if not isinstance(data, Mapping):
        raise InputError("a scenario must be a JSON object {name, changes}", field="scenario")
    name = problems.text(data, "name", "scenario")
    raw = data.get("changes")
    if not isinstance(raw, list):
        problems.add("changes", "must be a list of changes", "missing")
        raw = []
    changes: list[Change] = []
    for index, record in enumerate(raw):
        path = f"changes[{index}]"
        if not isinstance(record, Mapping):
            problems.add(path, "must be an object with a type")
            continue
        kind = record.get("type")
        if kind not in CHANGE_FIELDS:
            known = ", ".join(CHANGE_FIELDS)
            problems.add(f"{path}.type", f"unknown change type {kind!r} (one of {known})")
            continue
        required, optional = CHANGE_FIELDS[kind]
        for key in sorted(required - set(record)):
            problems.add(f"{path}.{key}", f"is required for {kind}", "missing")
        for key in sorted(set(record) - required - optional - {"type"}):
            problems.add(f"{path}.{key}", f"is not a field of {kind}")
        lane = record.get("lane")
        if lane is not None and lane not in network.lane_by_id:
            problems.add(f"{path}.lane", f"unknown lane {lane!r}", "unknown_reference")
        factor = hours = None
        if "factor" in record:
            factor = problems.number(record, "factor", path, minimum=0)
            if kind == "scale_volume" and factor == 0:
                problems.add(f"{path}.factor", "must be greater than 0")
        if "hours" in record:
            hours = problems.number(record, "hours", path, minimum=0, exclusive_minimum=True)
        tariff_fields = None
        if kind == "change_tariff":
            tariff_fields = {k: v for k, v in record.items() if k not in ("type", "lane")}
            if not tariff_fields:
                problems.add(path, "change_tariff needs at least one tariff field or price_factor")
            elif isinstance(lane, str) and lane in network.lane_by_id:
                _changed_tariff(network, network.lane_by_id[lane], tariff_fields, path, problems)
        changes.append(Change(kind, lane, factor, hours, tariff_fields))
    problems.raise_if_any()
    return Scenario(name=name, changes=tuple(changes))


def load_scenario(path: str | Path, network: Network) -> Scenario:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON (line {exc.lineno}: {exc.msg})", field=path.name
        ) from None
    return scenario_from_dict(data, network)


def _scale(amount: int, factor: Decimal) -> int:
    return int((Decimal(amount) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _changed_tariff(
    network: Network, lane: Lane, fields: Mapping[str, Any], path: str, problems: Problems
) -> Tariff | None:
    """The lane's tariff with the changes, validated like a tariff in network.json."""
    base = tariff_to_dict(network.tariffs[lane.tariff])
    factor = None
    if "price_factor" in fields:
        factor = problems.number(fields, "price_factor", path, minimum=0, exclusive_minimum=True)
    merged = {**base, **{k: v for k, v in fields.items() if k not in ("zones", "price_factor")}}
    merged["zones"] = {**base["zones"], **(fields.get("zones") or {})}
    new_id = f"{lane.tariff}@{lane.id}"
    local = Problems()
    tariff = parse_tariff(new_id, merged, set(network.rates.rates), local)
    prefix = f"tariffs.{new_id}"
    for problem in local.items:
        problems.items.append(
            Problem(path + problem.field[len(prefix) :], problem.message, problem.code)
        )
    if tariff is None or factor is None:
        return tariff
    zones = {
        zone: ZoneRate(
            rate.first_g,
            _scale(rate.first_price, factor),
            rate.step_g,
            _scale(rate.step_price, factor),
        )
        for zone, rate in tariff.zones.items()
    }
    return replace(tariff, zones=zones, min_charge=_scale(tariff.min_charge, factor))


def _scale_volume(shipments: Sequence[Shipment], factor: Decimal, seed: int) -> list[Shipment]:
    rng = np.random.default_rng(seed)
    whole = math.floor(factor)
    fraction = float(factor - whole)
    result: list[Shipment] = []
    if whole == 0:
        keep = rng.random(len(shipments)) < fraction
        return [s for s, k in zip(shipments, keep.tolist(), strict=True) if k]
    extra = rng.random(len(shipments)) < fraction
    for shipment, one_more in zip(shipments, extra.tolist(), strict=True):
        result.append(shipment)
        copies = whole - 1 + int(one_more)
        for copy in range(2, 2 + copies):
            result.append(replace(shipment, id=f"{shipment.id}~{copy}"))
    return result


def apply_scenario(
    network: Network, shipments: Sequence[Shipment], scenario: Scenario, seed: int = 0
) -> tuple[Network, list[Shipment]]:
    """The network and shipments with every change applied, in order."""
    lanes = {lane.id: lane for lane in network.lanes}
    tariffs = dict(network.tariffs)
    result = list(shipments)
    for index, change in enumerate(scenario.changes):
        lane_id = change.lane or ""
        if change.lane is not None and change.lane not in lanes:
            raise InputError(
                f"lane {change.lane!r} was closed by an earlier change",
                field=f"changes[{index}].lane",
            )
        if change.type == "close_lane":
            del lanes[lane_id]
        elif change.type == "scale_capacity":
            assert change.factor is not None
            targets = [lane_id] if lane_id else list(lanes)
            for lane_id in targets:
                lane = lanes[lane_id]
                lanes[lane_id] = replace(
                    lane,
                    capacity_g=None
                    if lane.capacity_g is None
                    else _scale(lane.capacity_g, change.factor),
                    capacity_parcels=None
                    if lane.capacity_parcels is None
                    else _scale(lane.capacity_parcels, change.factor),
                )
        elif change.type == "scale_volume":
            assert change.factor is not None
            result = _scale_volume(result, change.factor, seed + index)
        elif change.type == "add_delay":
            assert change.hours is not None
            lane = lanes[lane_id]
            lanes[lane_id] = replace(
                lane, transit_minutes=lane.transit_minutes + scaled_int(change.hours, 60)
            )
        elif change.type == "change_tariff":
            problems = Problems()
            current = replace(network, lanes=tuple(lanes.values()), tariffs=tariffs)
            tariff = _changed_tariff(
                current, lanes[lane_id], change.tariff or {}, f"changes[{index}]", problems
            )
            problems.raise_if_any()
            assert tariff is not None
            tariff = replace(tariff, id=f"{tariff.id}#{index}")
            tariffs[tariff.id] = tariff
            lanes[lane_id] = replace(lanes[lane_id], tariff=tariff.id)
    return replace(network, lanes=tuple(lanes.values()), tariffs=tariffs), result


@dataclass(frozen=True)
class KpiRow:
    name: str
    baseline: float
    scenario: float
    unit: str

    @property
    def delta(self) -> float:
        return self.scenario - self.baseline


@dataclass(frozen=True)
class ScenarioComparison:
    """Baseline and scenario plans with their KPIs side by side."""

    name: str
    baseline: BatchPlan
    scenario: BatchPlan
    rows: tuple[KpiRow, ...]
    lane_utilisation: tuple[tuple[str, float | None, float | None], ...]


def _rows(baseline: BatchPlan, scenario: BatchPlan, digits: int) -> tuple[KpiRow, ...]:
    scale = 10**digits
    result = []
    pairs = [
        ("shipments", lambda p: p.kpis.shipments, "count"),
        ("total cost", lambda p: p.kpis.cost / scale, "money"),
        ("freight cost", lambda p: p.kpis.freight_cost / scale, "money"),
        ("late penalties", lambda p: p.kpis.late_penalty / scale, "money"),
        ("on-time rate", lambda p: p.kpis.on_time_rate, "ratio"),
        ("late shipments", lambda p: p.kpis.late, "count"),
        ("unserved shipments", lambda p: p.kpis.unserved + p.kpis.unroutable, "count"),
        ("mean transit days", lambda p: p.kpis.mean_transit_days, "days"),
        ("mean lane utilisation", lambda p: p.kpis.mean_lane_utilisation or 0.0, "ratio"),
    ]
    for name, get, unit in pairs:
        result.append(KpiRow(name, float(get(baseline)), float(get(scenario)), unit))
    return tuple(result)


def compare_scenario(
    network: Network,
    shipments: Sequence[Shipment],
    scenario: Scenario,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    policy: PlanningPolicy | None = None,
    scores: Mapping[str, LaneScore] | None = None,
    progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ScenarioComparison:
    """Plan the baseline and the scenario with the same planner and settings; compare KPIs.

    `time_limit` applies to each of the two plans.
    """

    def half(offset: float, label: str):
        if progress is None:
            return None
        return lambda fraction, message: progress(offset + fraction / 2, f"{label}: {message}")

    baseline = plan_batch(
        network,
        shipments,
        time_limit=time_limit,
        seed=seed,
        policy=policy,
        scores=scores,
        progress=half(0.0, "baseline"),
        should_stop=should_stop,
    )
    changed_network, changed_shipments = apply_scenario(network, shipments, scenario, seed)
    changed_scores = (
        {lane: s for lane, s in scores.items() if lane in changed_network.lane_by_id}
        if scores
        else None
    )
    outcome = plan_batch(
        changed_network,
        changed_shipments,
        time_limit=time_limit,
        seed=seed,
        policy=policy,
        scores=changed_scores,
        progress=half(0.5, scenario.name),
        should_stop=should_stop,
    )
    before = {use.lane: use.utilisation for use in baseline.kpis.lanes}
    after = {use.lane: use.utilisation for use in outcome.kpis.lanes}
    lanes = tuple(
        (lane, before.get(lane), after.get(lane)) for lane in sorted(set(before) | set(after))
    )
    return ScenarioComparison(
        name=scenario.name,
        baseline=baseline,
        scenario=outcome,
        rows=_rows(baseline, outcome, minor_digits(network.currency)),
        lane_utilisation=lanes,
    )
