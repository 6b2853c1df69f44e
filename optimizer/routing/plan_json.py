"""The plan JSON format (`optimizer.plan/1`): KPIs and one itinerary per shipment.

Instants are ISO 8601 UTC (`2025-03-24T10:00Z`); money is a decimal string in the
plan currency. Each leg's `departure`/`arrival` are the milestones tracking
compares against; `ready_at` is when the parcel is cleared and handled at the
leg's destination.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.money import format_minor
from optimizer.routing.assemble import BatchPlan
from optimizer.routing.itinerary import Itinerary, ItineraryStatus, Leg, Reason
from optimizer.routing.kpis import PlanKpis
from optimizer.routing.parsing import Problems
from optimizer.timeutil import format_instant, parse_instant

FORMAT = "optimizer.plan/1"


def leg_to_dict(leg: Leg, currency: str) -> dict[str, Any]:
    return {
        "lane": leg.lane,
        "carrier": leg.carrier,
        "mode": leg.mode,
        "from": leg.origin,
        "to": leg.destination,
        "departure": format_instant(leg.departure),
        "arrival": format_instant(leg.arrival),
        "ready_at": format_instant(leg.ready_at),
        "cost": format_minor(leg.cost, currency),
        "risk_cost": format_minor(leg.risk_cost, currency),
    }


def itinerary_to_dict(itinerary: Itinerary, currency: str) -> dict[str, Any]:
    record: dict[str, Any] = {"shipment": itinerary.shipment, "status": str(itinerary.status)}
    if itinerary.reason is not None:
        record["reason"] = str(itinerary.reason)
        if itinerary.detail:
            record["detail"] = itinerary.detail
    if itinerary.legs:
        assert itinerary.delivered_at is not None
        record.update(
            delivered_at=format_instant(itinerary.delivered_at),
            late_minutes=itinerary.late_minutes,
            freight_cost=format_minor(itinerary.freight_cost, currency),
            risk_cost=format_minor(itinerary.risk_cost, currency),
            late_penalty=format_minor(itinerary.late_penalty, currency),
            legs=[leg_to_dict(leg, currency) for leg in itinerary.legs],
        )
    return record


def kpis_to_dict(kpis: PlanKpis, currency: str) -> dict[str, Any]:
    return {
        "shipments": kpis.shipments,
        "on_time": kpis.on_time,
        "late": kpis.late,
        "unserved": kpis.unserved,
        "unroutable": kpis.unroutable,
        "on_time_rate": round(kpis.on_time_rate, 4),
        "cost": format_minor(kpis.cost, currency),
        "freight_cost": format_minor(kpis.freight_cost, currency),
        "risk_cost": format_minor(kpis.risk_cost, currency),
        "late_penalty": format_minor(kpis.late_penalty, currency),
        "mean_transit_days": round(kpis.mean_transit_days, 3),
        "lateness": dict(kpis.lateness),
        "lanes": [
            {
                "lane": use.lane,
                "departures": use.departures_used,
                "kg": round(use.kg, 3),
                "parcels": use.parcels,
                "utilisation": None if use.utilisation is None else round(use.utilisation, 4),
                "peak": None if use.peak is None else round(use.peak, 4),
            }
            for use in kpis.lanes
        ],
    }


def plan_to_dict(plan: BatchPlan) -> dict[str, Any]:
    currency = plan.currency
    return {
        "format": FORMAT,
        "currency": currency,
        "status": str(plan.status),
        "method": plan.method,
        "objective": format_minor(plan.objective, currency),
        "model_bound": None if plan.bound is None else round(plan.bound, 2),
        "model_gap": None if plan.gap is None else round(plan.gap, 6),
        "solve_seconds": round(plan.solve_seconds, 3),
        "stats": plan.stats,
        "kpis": kpis_to_dict(plan.kpis, currency),
        "itineraries": [itinerary_to_dict(it, currency) for it in plan.itineraries],
    }


def save_plan(plan: BatchPlan, path: str | Path) -> None:
    with Path(path).open("w", encoding="utf-8") as handle:
        json.dump(plan_to_dict(plan), handle, separators=(",", ":"))
        handle.write("\n")


def _minor(value: Any, currency: str, path: str, problems: Problems) -> int:
    amount = problems.money({"v": value}, "v", path, currency)
    return amount or 0


def itinerary_from_dict(
    record: Mapping[str, Any], currency: str, path: str = "itinerary"
) -> Itinerary:
    """Read an itinerary back (e.g. a stored plan the API re-plans); an InputError lists defects."""
    problems = Problems()
    try:
        status = ItineraryStatus(str(record.get("status")))
        reason = Reason(record["reason"]) if record.get("reason") else None
        legs = tuple(
            Leg(
                lane=leg["lane"],
                carrier=leg["carrier"],
                mode=leg["mode"],
                origin=leg["from"],
                destination=leg["to"],
                departure=parse_instant(leg["departure"], f"{path}.legs[{i}].departure"),
                arrival=parse_instant(leg["arrival"], f"{path}.legs[{i}].arrival"),
                ready_at=parse_instant(leg["ready_at"], f"{path}.legs[{i}].ready_at"),
                cost=_minor(leg["cost"], currency, f"{path}.legs[{i}].cost", problems),
                risk_cost=_minor(leg.get("risk_cost", 0), currency, f"{path}.legs[{i}]", problems),
            )
            for i, leg in enumerate(record.get("legs", []))
        )
        delivered = record.get("delivered_at")
        itinerary = Itinerary(
            shipment=record["shipment"],
            status=status,
            legs=legs,
            delivered_at=parse_instant(delivered, f"{path}.delivered_at") if delivered else None,
            late_minutes=int(record.get("late_minutes", 0)),
            late_penalty=_minor(
                record.get("late_penalty", 0), currency, f"{path}.late_penalty", problems
            ),
            reason=reason,
            detail=str(record.get("detail", "")),
        )
    except KeyError as exc:
        raise InputError(f"missing field {exc.args[0]!r}", field=path) from None
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc), field=path) from None
    problems.raise_if_any()
    return itinerary


def load_itineraries(path: str | Path) -> tuple[str, list[Itinerary]]:
    """The currency and itineraries of a saved plan.json."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise InputError(f"not a {FORMAT} document", field=str(path))
    currency = data["currency"]
    return currency, [
        itinerary_from_dict(record, currency, f"itineraries[{i}]")
        for i, record in enumerate(data.get("itineraries", []))
    ]
