"""A line-haul carrier's view of the day: its legs, a departure on time, a customs hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from api.demo.client import DemoClient, DemoFailed, Say

LINE_HAUL = ("air", "sea", "rail")
HOLD = timedelta(hours=72)  # import customs keeps the parcel three days


@dataclass
class TrackingReport:
    carrier: str = ""
    carrier_legs: int = 0
    foreign_event_status: int = 0
    on_time_shipment: str = ""
    on_time_eta: str = ""
    exception_shipment: str = ""
    exception: str = ""
    eta_before: str | None = None
    eta_after: str | None = None
    replanned: bool = False
    legs_before: list[str] = field(default_factory=list)
    legs_after: list[str] = field(default_factory=list)
    status_after: str = ""


def track_the_day(planner: DemoClient, plan_id: str, say: Say) -> TrackingReport:
    """The line-haul carrier of a planned shipment gets a key scoped to it, reports one
    departure on time and, on another shipment, an arrival then a customs hold: the
    service re-plans what remains from the gateway once the parcel is released."""
    waiting = _not_yet_moving(planner, _routed(planner, plan_id))
    if not waiting:
        raise DemoFailed("no planned shipment left to track; rerun with another --seed")
    carrier = _line_haul(waiting[0])["carrier"]
    mine = [r for r in waiting if _line_haul(r)["carrier"] == carrier]
    api = planner.scoped("carrier", f"carrier:{carrier}")
    run = f"demo-{plan_id[:8]}"  # event ids are unique per carrier; a rerun has a new plan
    report = TrackingReport(carrier=carrier)
    legs = api.call("GET", f"/carriers/{carrier}/legs", params={"limit": 500})["items"]
    report.carrier_legs = len(legs)
    say(f"  carrier {carrier}: a key scoped to it; {len(legs)} legs handed to it (first page)")

    first = mine[0]
    answer = _post(api, first, "departed", f"{run}-dep", at=_line_haul(first)["departure"])
    report.on_time_shipment, report.on_time_eta = first["shipment"], answer["eta_after"]
    foreign = next((r for r in waiting for leg in r["legs"] if leg["carrier"] != carrier), None)
    if foreign is not None:
        other = next(leg for leg in foreign["legs"] if leg["carrier"] != carrier)
        report.foreign_event_status = api.raw(
            "POST",
            f"/tracking/{foreign['shipment']}/events",
            json={
                "event_id": f"{run}-foreign",
                "type": "departed",
                "at": other["departure"],
                "lane": other["lane"],
            },
        ).status_code

    held = mine[-1]
    leg = _line_haul(held)
    report.exception_shipment = held["shipment"]
    report.exception = f"customs hold of {HOLD.total_seconds() / 3600:.0f} h at {leg['to']}"
    report.legs_before = [_leg_line(x) for x in held["legs"]]
    if held is not first:
        _post(api, held, "departed", f"{run}-dep", at=leg["departure"])
    _post(api, held, "arrived", f"{run}-arr", at=leg["arrival"])
    arrival = datetime.fromisoformat(leg["arrival"])
    answer = _post(
        api,
        held,
        "customs_hold",
        f"{run}-hold",
        at=leg["arrival"],
        until=(arrival + HOLD).isoformat(),
    )
    report.eta_before, report.eta_after = answer["eta_before"], answer["eta_after"]
    report.replanned = answer["replanned"]
    now = planner.call("GET", f"/tracking/{held['shipment']}")
    report.legs_after = [_leg_line(x) for x in now["legs"]]
    report.status_after = now["status"]
    return report


def _post(
    api: DemoClient, itinerary: dict[str, Any], kind: str, prefix: str, **fields: str
) -> dict[str, Any]:
    leg = _line_haul(itinerary)
    event = {"event_id": f"{prefix}-{itinerary['shipment']}", "type": kind, "lane": leg["lane"]}
    return api.call(
        "POST", f"/tracking/{itinerary['shipment']}/events", 201, json={**event, **fields}
    )


def _line_haul(itinerary: dict[str, Any]) -> dict[str, Any]:
    """The cross-border leg (air, sea or rail); the first leg when there is none."""
    return next(
        (leg for leg in itinerary["legs"] if leg["mode"] in LINE_HAUL), itinerary["legs"][0]
    )


def _routed(planner: DemoClient, plan_id: str) -> list[dict[str, Any]]:
    """The plan's itineraries that have legs (the first page is plenty for the demo)."""
    page = planner.call("GET", f"/plans/{plan_id}/itineraries", params={"limit": 500})
    return [r for r in page["items"] if r["legs"]]


def _not_yet_moving(
    planner: DemoClient, routed: list[dict[str, Any]], wanted: int = 40
) -> list[dict[str, Any]]:
    """Shipments still waiting for their first departure: an earlier demo run on the same
    database may have moved some (shipment ids are the generator's, stable per seed)."""
    waiting = []
    for itinerary in routed:
        if planner.call("GET", f"/tracking/{itinerary['shipment']}")["state"] == "planned":
            waiting.append(itinerary)
            if len(waiting) == wanted:
                break
    return waiting


def _leg_line(leg: dict[str, Any]) -> str:
    where = f"{leg['from']}->{leg['to']}"
    return f"{leg['lane']} ({leg['carrier']}, {where}, dep {leg['departure'][:16]})"
