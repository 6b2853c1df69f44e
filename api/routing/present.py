"""The core's results in the API's JSON shapes (the plan.json format plus a few conveniences).

An itinerary record is the core's `itinerary_to_dict` with `total_cost` added; it
is what plan rows and tracking versions store. Milestones are the planned
instants tracking compares against, listed in the order they happen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.money import format_minor
from optimizer.routing import Itinerary, itinerary_to_dict
from optimizer.routing.kpis import PlanKpis
from optimizer.routing.plan_json import kpis_to_dict


def itinerary_record(itinerary: Itinerary, currency: str) -> dict[str, Any]:
    record = itinerary_to_dict(itinerary, currency)
    if itinerary.legs:
        record["total_cost"] = format_minor(itinerary.total_cost, currency)
    return record


def milestones(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """departed / arrived per leg, then delivered, each with its node and planned instant."""
    legs: Sequence[Mapping[str, Any]] = record.get("legs") or []
    found: list[dict[str, Any]] = []
    for leg in legs:
        found.append(
            {
                "event": "departed",
                "lane": leg["lane"],
                "node": leg["from"],
                "planned_at": leg["departure"],
            }
        )
        found.append(
            {
                "event": "arrived",
                "lane": leg["lane"],
                "node": leg["to"],
                "planned_at": leg["arrival"],
            }
        )
    if legs and record.get("delivered_at"):
        found.append(
            {
                "event": "delivered",
                "lane": legs[-1]["lane"],
                "node": legs[-1]["to"],
                "planned_at": record["delivered_at"],
            }
        )
    return found


def itinerary_out(record: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """A stored itinerary record as `ItineraryOut` fields."""
    out = dict(record)
    out["currency"] = currency
    out.setdefault("legs", [])
    out["milestones"] = milestones(record)
    return out


def kpis(plan_kpis: PlanKpis, currency: str) -> dict[str, Any]:
    return kpis_to_dict(plan_kpis, currency)
