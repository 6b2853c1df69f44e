"""Routing and tracking over real HTTP: a day's plan as a job, single itineraries, carrier events.

A real uvicorn (benchmarks.api_server, one worker process for jobs) on a fresh SQLite
file. The generated ~200-lane network and its shipments are posted as files
(network.json, shipments.jsonl), planned as a job, checked by the independent checker
and handed to tracking; then single-itinerary queries, tracking reads, on-time carrier
events and exceptions that re-plan are timed. Full mode writes the `api-routing`
section of RESULTS.md:
    BENCH_MODE=full .venv/bin/python -m pytest -q benchmarks/bench_api_routing.py
Fast mode (`make test`) runs a small day and asserts only.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import numpy as np
import pytest

from benchmarks.api_load import LoadResult, Request, run_load
from benchmarks.api_server import Server, running_server
from benchmarks.report import machine_line, update_section
from optimizer.routing import (
    check_plan,
    generate_network,
    generate_shipments,
    itinerary_from_dict,
    shipments_from_records,
)
from optimizer.routing.network_json import network_to_dict
from optimizer.routing.shipments import shipment_to_dict

COMMAND = "BENCH_MODE=full .venv/bin/python -m pytest -q benchmarks/bench_api_routing.py"
COUNTRIES = 18  # 207 lanes, as the network benchmark
SEED = 1
SIZES = {"full": 20_000, "fast": 400}  # shipments: the server's max_shipments in full mode
TIME_LIMIT = {"full": 30.0, "fast": 5.0}
EVENTS = {"full": 1000, "fast": 20}
EXCEPTIONS = {"full": 200, "fast": 5}
QUERIES = {"full": 2000, "fast": 30}

FIGURES: dict[str, Any] = {}
ROWS: list[tuple[str, str, np.ndarray]] = []  # endpoint, load, latencies in seconds


@pytest.fixture(scope="module")
def day(mode: str):
    """A running server with the network, the day's shipments, its plan activated."""
    network = generate_network(COUNTRIES, seed=SEED, expected_shipments=SIZES[mode])
    shipments = generate_shipments(network, SIZES[mode], seed=SEED)
    records = [shipment_to_dict(s) for s in shipments]
    with running_server(job_workers=1) as server:
        client = httpx.Client(
            base_url=f"http://{server.host}:{server.port}/v1",
            headers={"X-API-Key": server.key},
            timeout=600,
        )
        started = time.perf_counter()
        stored = client.post("/networks/eu/versions", json=network_to_dict(network))
        assert stored.status_code == 201, stored.text
        body = "\n".join(json.dumps(r) for r in records).encode()
        uploaded = client.post(
            "/shipment-sets/day/versions",
            params={"network_id": "eu"},
            content=body,
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert uploaded.status_code == 201, uploaded.text
        FIGURES["upload_s"] = time.perf_counter() - started
        FIGURES["upload_mb"] = len(body) / 1e6
        yield {"server": server, "client": client, "network": network, "records": records}
        client.close()
    if mode == "full":
        update_section("api-routing", _report())


def test_plan_job_over_http(day, mode):
    """POST /v1/plans answers at once; the job plans the whole day; every itinerary served
    passes the independent checker; activation hands them to tracking."""
    client: httpx.Client = day["client"]
    started = time.perf_counter()
    response = client.post(
        "/plans",
        json={"network_id": "eu", "shipment_set_id": "day", "time_limit_s": TIME_LIMIT[mode]},
    )
    FIGURES["submit_ms"] = (time.perf_counter() - started) * 1000
    assert response.status_code == 202, response.text
    plan_id = response.json()["id"]
    while (job := client.get(f"/jobs/{plan_id}").json())["status"] in ("queued", "running"):
        time.sleep(0.2)
    FIGURES["plan_wall_s"] = time.perf_counter() - started
    assert job["status"] == "succeeded", job
    FIGURES["result"] = job["result"]
    served: list[dict[str, Any]] = []
    started = time.perf_counter()
    while len(served) < len(day["records"]):
        page = client.get(
            f"/plans/{plan_id}/itineraries", params={"limit": 500, "offset": len(served)}
        ).json()
        served.extend(page["items"])
    FIGURES["read_s"] = time.perf_counter() - started
    shipments = shipments_from_records(day["records"])
    itineraries = [itinerary_from_dict(r, r["currency"]) for r in served]
    assert check_plan(day["network"], shipments, itineraries) == []
    started = time.perf_counter()
    activated = client.post(f"/plans/{plan_id}/activate")
    FIGURES["activate_s"] = time.perf_counter() - started
    assert activated.status_code == 200 and activated.json()["tracked"] == len(shipments)
    day["routed"] = [r["shipment"] for r in served if r["legs"]]


def test_single_itinerary_latency(day, mode):
    """POST /v1/itineraries at 20 requests/s, the timetable warm: every answer 200."""
    server: Server = day["server"]
    body = json.dumps({"network_id": "eu", "shipment": day["records"][0]}).encode()
    request = Request("POST", "/v1/itineraries", {"X-API-Key": server.key}, body)
    result = run_load(server.host, server.port, request, QUERIES[mode], rate=20, connections=2)
    assert result.errors == 0
    ROWS.append(("POST /v1/itineraries (one shipment)", "20/s open loop", result.latencies))


def test_tracking_read_latency(day, mode):
    """GET /v1/tracking/{id} at 50 requests/s: legs, milestones, events, versions."""
    server: Server = day["server"]
    request = Request("GET", f"/v1/tracking/{day['routed'][0]}", {"X-API-Key": server.key})
    result: LoadResult = run_load(
        server.host, server.port, request, QUERIES[mode], rate=50, connections=2
    )
    assert result.errors == 0
    ROWS.append(("GET /v1/tracking/{id}", "50/s open loop", result.latencies))


def _first_legs(client: httpx.Client, shipment_ids: list[str]) -> list[dict[str, Any]]:
    return [client.get(f"/tracking/{s}").json()["legs"][0] for s in shipment_ids]


def _post_events(
    client: httpx.Client, events: list[tuple[str, dict[str, Any]]]
) -> tuple[np.ndarray, int]:
    """Latencies, and how many events made the core re-plan."""
    latencies = []
    replanned = 0
    for shipment_id, event in events:
        started = time.perf_counter()
        response = client.post(f"/tracking/{shipment_id}/events", json=event)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 201, response.text
        replanned += response.json()["replanned"]
    return np.array(latencies), replanned


def test_on_time_departure_events(day, mode):
    """A departure on time per shipment: the ETA is recomputed, nothing re-planned."""
    client: httpx.Client = day["client"]
    chosen = day["routed"][: EVENTS[mode]]
    events = [
        (s, {"event_id": f"D-{s}", "type": "departed", "at": leg["departure"], "lane": leg["lane"]})
        for s, leg in zip(chosen, _first_legs(client, chosen), strict=True)
    ]
    latencies, FIGURES["departed_replanned"] = _post_events(client, events)
    ROWS.append(("POST /v1/tracking/{id}/events (departed)", "sequential", latencies))


def test_lost_parcel_events_replan(day, mode):
    """A parcel lost on its first leg: the core re-plans a replacement through departures
    with room, counting every other tracked shipment's legs."""
    client: httpx.Client = day["client"]
    chosen = day["routed"][-EXCEPTIONS[mode] :]
    events = [
        (s, {"event_id": f"L-{s}", "type": "lost", "at": leg["arrival"], "lane": leg["lane"]})
        for s, leg in zip(chosen, _first_legs(client, chosen), strict=True)
    ]
    latencies, _ = _post_events(client, events)
    replanned = [client.get(f"/tracking/{s}").json()["versions"][-1]["cause"] for s in chosen]
    assert all(cause["type"] == "replan" for cause in replanned)
    ROWS.append(("POST /v1/tracking/{id}/events (lost: re-plan)", "sequential", latencies))


def _ms(values: np.ndarray, q: float) -> str:
    return f"{np.percentile(values, q) * 1000:.1f}"


def _report() -> str:
    result = FIGURES.get("result", {})
    kpis = result.get("kpis", {})
    count = kpis.get("shipments", 0)
    wall, solver = FIGURES.get("plan_wall_s", 0), result.get("solve_seconds", 0)
    lines = [
        f"Command: `{COMMAND}`  ",
        f"Machine: {machine_line()}; uvicorn (1 worker) and one job worker process on the same "
        "2 cores, SQLite in a temp dir.",
        "",
        f"A day of {count:,} shipments on the generated 207-lane network, posted as files "
        f"({FIGURES.get('upload_mb', 0):.1f} MB of JSON Lines, checked against the network: "
        f"{FIGURES.get('upload_s', 0):.1f} s with the network), planned as a job:",
        "",
        "| step | figure |",
        "|---|---|",
        f"| POST /v1/plans answers 202 | {FIGURES.get('submit_ms', 0):.0f} ms |",
        f"| job: load inputs, plan, store {count:,} itinerary rows | "
        f"{wall:.1f} s wall (planner {solver:.1f} s, solver limit {TIME_LIMIT['full']:.0f} s) |",
        f"| plan | {result.get('solver_status', '?')}, gap {result.get('model_gap')}, "
        f"on time {kpis.get('on_time_rate', 0):.1%}, cost {kpis.get('cost', '?')} "
        f"{result.get('currency', '')} |",
        f"| read every itinerary back (pages of 500) | {FIGURES.get('read_s', 0):.1f} s |",
        "| independent checker on the served itineraries | no violation |",
        f"| POST /v1/plans/{{id}}/activate (tracking rows for all) | "
        f"{FIGURES.get('activate_s', 0):.1f} s |",
        "",
        "| endpoint | load | requests | p50 ms | p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for what, load, latencies in ROWS:
        lines.append(
            f"| {what} | {load} | {latencies.size} | {_ms(latencies, 50)} | {_ms(latencies, 99)} "
            f"| {latencies.max() * 1000:.1f} |"
        )
    departed = EVENTS["full"]
    lines += [
        "",
        "Events are posted one after another by one client, each in its own write "
        "transaction. An on-time departure re-times the rest with the core (the first "
        "departures the parcel makes); when that lands a leg on a departure the plan had "
        f"left full, the core re-plans: {FIGURES.get('departed_replanned', 0)} of {departed} "
        "departures here, the tail of that row. A re-plan counts what every other tracked "
        "shipment holds (one grouped query over their legs) before the core searches.",
    ]
    return "\n".join(lines)
