"""The planner's day: a network and the day's shipments, a plan job, a what-if, activation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from api.demo.client import DemoClient, Say
from optimizer.routing import Network, generate_network, generate_shipments
from optimizer.routing.network_json import network_to_dict
from optimizer.routing.shipments import shipment_to_dict

NETWORK_ID = "demo-network"
SHIPMENT_SET_ID = "demo-day"
VOLUME_GROWTH = "1.3"


@dataclass
class RoutingReport:
    countries: int
    lanes: int
    shipments: int
    plan_id: str = ""
    solver_status: str = ""
    solve_seconds: float = 0.0
    currency: str = ""
    kpis: dict[str, Any] = field(default_factory=dict)
    tracked: int = 0
    scenario_name: str = ""
    scenario_deltas: list[dict[str, Any]] = field(default_factory=list)
    scenario_lanes: list[dict[str, Any]] = field(default_factory=list)


def plan_the_day(
    api: DemoClient, *, countries: int, shipments: int, time_limit_s: float, seed: int, say: Say
) -> RoutingReport:
    """Upload a generated network and day, plan it as a job, activate it for tracking."""
    network = generate_network(countries, seed=seed, expected_shipments=shipments)
    day = generate_shipments(network, shipments, seed=seed)
    document = network_to_dict(network)
    report = RoutingReport(countries, len(document["lanes"]), len(day))
    say(f"  network: {countries} countries, {report.lanes} scheduled lanes; {len(day):,} shipments")
    api.call("POST", f"/networks/{NETWORK_ID}/versions", 201, json=document)
    body = "\n".join(json.dumps(shipment_to_dict(s)) for s in day).encode()
    api.call(
        "POST",
        f"/shipment-sets/{SHIPMENT_SET_ID}/versions",
        201,
        params={"network_id": NETWORK_ID},
        content=body,
        headers={"Content-Type": "application/x-ndjson"},
    )
    inputs = {
        "network_id": NETWORK_ID,
        "shipment_set_id": SHIPMENT_SET_ID,
        "time_limit_s": time_limit_s,
        "seed": seed,
    }
    job = api.call("POST", "/plans", 202, json=inputs)
    plan = api.wait(f"/plans/{job['id']}", say, "plan job")
    result = plan["result"]
    report.plan_id = plan["plan_id"]
    report.solver_status = result["solver_status"]
    report.solve_seconds = result["solve_seconds"]
    report.currency = result["currency"]
    report.kpis = result["kpis"]
    report.tracked = api.call("POST", f"/plans/{report.plan_id}/activate")["tracked"]
    busiest = _busiest_line_haul(network, result["kpis"]["lanes"])
    scenario = {
        "name": f"lane {busiest} closed, volume +30%",
        "changes": [
            {"type": "close_lane", "lane": busiest},
            {"type": "scale_volume", "factor": VOLUME_GROWTH},
        ],
    }
    job = api.call("POST", "/scenarios", 202, json={**inputs, "scenario": scenario})
    compared = api.wait(f"/scenarios/{job['id']}", say, "what-if job")["result"]
    report.scenario_name = scenario["name"]
    report.scenario_deltas = compared["kpis"]
    report.scenario_lanes = compared["lane_utilisation"][:3]
    return report


def _busiest_line_haul(network: Network, used: list[dict[str, Any]]) -> str:
    """The cross-border lane most parcels ride on: closing it is the what-if planners ask
    first (a domestic feeder often has no alternative, which makes a dull scenario)."""
    country = {node.id: node.country for node in network.nodes}
    cross_border = {
        lane.id for lane in network.lanes if country[lane.origin] != country[lane.destination]
    }
    candidates = [lane for lane in used if lane["lane"] in cross_border] or used
    return max(candidates, key=lambda lane: (lane["parcels"], lane["lane"]))["lane"]
