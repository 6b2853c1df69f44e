"""API latency and throughput over real HTTP to uvicorn on localhost.

The WCS hot path: single chute assignments (`POST /v1/sorters/{id}/assignments`)
at a fixed open-loop rate and as fast as 8 connections allow, and batches of 100.
The sorter is the generated 300-chute / 600-destination case, its plan optimized
by the API's own job and activated; the scans are the generator's stream (distinct
parcels, no re-sends). Containers are not closed during the run, so late in a long
run more parcels recirculate: the decision is then no cheaper. Alongside, the floor
every call stands on: GET /v1/me (authentication from the key cache, middleware,
metrics, no database). The issue's target for single assignments is p99 under 5 ms
at 1,000 requests/s on this 2-core machine.

`make test` runs a short fast mode that only checks the answers; the full run
writes the `api` section of RESULTS.md:
    BENCH_MODE=full .venv/bin/python -m pytest -q benchmarks/bench_api.py
"""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from benchmarks.api_load import LoadResult, Request, run_load
from benchmarks.api_server import Server, running_server
from benchmarks.api_swaps import swap_containers
from benchmarks.report import machine_line, update_section
from optimizer.sorting import (
    check_plan,
    forecast_to_dict,
    generate_case,
    layout_to_dict,
    plan_from_dict,
    scan_to_dict,
)

TARGET_P99_MS = 5.0
COMMAND = "BENCH_MODE=full .venv/bin/python -m pytest -q benchmarks/bench_api.py"


@dataclass(frozen=True)
class Row:
    what: str
    load: str
    result: LoadResult


ROWS: list[Row] = []
IN_PROCESS: list[float] = []  # median microseconds per in-process request
SORTER: dict[str, Any] = {}  # what the sorting setup measured
CASE_SIZE = {"full": (300, 600, 20_000.0), "fast": (60, 40, 3000.0)}  # chutes, destinations, /h
PLAN_TIME_LIMIT = {"full": 10.0, "fast": 3.0}
HOURS = {"full": 2.0, "fast": 1.0}  # of scans: every full-mode run sends distinct parcels
BATCH = 100


@pytest.fixture(scope="module")
def server(mode: str):
    with running_server() as running:
        warm = Request("GET", "/v1/me", {"X-API-Key": running.key})
        run_load(running.host, running.port, warm, 300 if mode == "full" else 50, rate=300)
        yield running
    if mode == "full" and ROWS:
        update_section("api", _report(ROWS))


@pytest.fixture(scope="module")
def sorter(server: Server, mode: str) -> dict[str, Any]:
    """The generated sorter uploaded, its plan optimized by the API's job, checked, activated."""
    chutes, destinations, rate = CASE_SIZE[mode]
    case = generate_case(chutes, destinations, seed=1, rate=rate, hours=HOURS[mode])
    sorter_id = case.layout.sorter_id
    client = httpx.Client(
        base_url=f"http://{server.host}:{server.port}/v1/sorters/{sorter_id}",
        headers={"X-API-Key": server.key},
        timeout=600,
    )
    assert client.put("/layout", json=layout_to_dict(case.layout)).status_code == 201
    started = time.perf_counter()
    body = {"forecast": forecast_to_dict(case.forecast), "time_limit_s": PLAN_TIME_LIMIT[mode]}
    job = client.post("/plans", json=body).json()
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(0.2)
        job = httpx.get(
            f"http://{server.host}:{server.port}/v1/jobs/{job['id']}",
            headers={"X-API-Key": server.key},
        ).json()
    assert job["status"] == "succeeded", job
    SORTER["plan_job_s"] = time.perf_counter() - started
    version = job["result"]["version"]
    stored = client.get(f"/plans/{version}").json()
    plan = plan_from_dict(stored["plan"])
    assert check_plan(plan, case.layout, case.forecast).ok
    assert client.post(f"/plans/{version}/activate").status_code == 200
    SORTER.update(
        chutes=chutes,
        destinations=destinations,
        gap=job["result"]["gap"],
        status=job["result"]["status"],
    )
    scans = [scan_to_dict(s) for s in case.parcels]
    yield {"id": sorter_id, "client": client, "plan": plan, "scans": scans}
    client.close()


def _assignments(server: Server, sorter_id: str, scans: list[dict[str, Any]]) -> list[Request]:
    path = f"/v1/sorters/{sorter_id}/assignments"
    headers = {"X-API-Key": server.key}
    return [Request("POST", path, headers, json.dumps(s).encode()) for s in scans]


def test_assignment_answers_are_the_plans(sorter):
    """Single and batch answers over HTTP: planned chutes are the destination's own."""
    client, plan = sorter["client"], sorter["plan"]
    own = {a.destination: set(a.chute_ids) for a in plan.assignments}
    scans = sorter["scans"][-50:]
    singles = [client.post("/assignments", json=s).json() for s in scans[:25]]
    batch = client.post("/assignments/batch", json={"parcels": scans[25:]}).json()["decisions"]
    for scan, answer in zip(scans, singles + batch, strict=True):
        assert answer["parcel_id"] == scan["parcel_id"] and answer["plan_version"] == plan.version
        if answer["reason"] == "planned":
            assert answer["chute_id"] in own[scan["destination"]]


@pytest.mark.parametrize("rate", [1000])
def test_single_assignment_at_a_fixed_rate(server, sorter, mode, rate):
    """POST .../assignments at 1,000/s open loop, distinct parcels from the generated stream."""
    total = rate * 10 if mode == "full" else 200
    scans = sorter["scans"][:total]
    result = run_load(
        server.host, server.port, _assignments(server, sorter["id"], scans), total, rate=rate
    )
    assert result.errors == 0
    ROWS.append(Row("POST /v1/sorters/{id}/assignments", f"{rate}/s open loop", result))


def test_single_assignment_with_container_swaps(server, sorter, mode):
    """1,000/s as above while the WCS swaps two containers a second (full, then closed):
    each swap stores a manifest and the sorter's snapshot beside the hot path."""
    total = 10_000 if mode == "full" else 200
    scans = sorter["scans"][20_000 : 20_000 + total] if mode == "full" else sorter["scans"][:total]
    assert len(scans) == total
    base_url = f"http://{server.host}:{server.port}/v1/sorters/{sorter['id']}"
    chutes = sorted({c for a in sorter["plan"].assignments for c in a.chute_ids})
    requests = _assignments(server, sorter["id"], scans)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        pool.submit(time.sleep, 0).result()  # the worker is up before the clock starts
        swapper = pool.submit(swap_containers, base_url, server.key, chutes, total / 1000, 0.5)
        result = run_load(server.host, server.port, requests, total, rate=1000)
        swaps = swapper.result(timeout=60)
    assert result.errors == 0
    assert swaps.swaps > 0 and not swaps.failures, swaps.failures
    assert swaps.parcels_closed > 0
    ROWS.append(
        Row(
            "POST /v1/sorters/{id}/assignments",
            f"1000/s open loop, {swaps.swaps / result.wall_s:.1f} container swaps/s",
            result,
        )
    )


def test_single_assignment_max_throughput(server, sorter, mode):
    """As fast as 8 keep-alive connections allow (the next parcels of the stream)."""
    total = 8000 if mode == "full" else 200
    scans = sorter["scans"][10_000 : 10_000 + total] if mode == "full" else sorter["scans"][200:400]
    requests = _assignments(server, sorter["id"], scans)
    result = run_load(server.host, server.port, requests, len(requests), rate=None, connections=8)
    assert result.errors == 0
    ROWS.append(Row("POST /v1/sorters/{id}/assignments", "closed loop, 8 connections", result))


def test_batch_assignment_throughput(server, sorter, mode):
    """Batches of 100 scans, 4 connections: parcels per second."""
    scans = sorter["scans"][18_000:20_000] if mode == "full" else sorter["scans"][400:600]
    path = f"/v1/sorters/{sorter['id']}/assignments/batch"
    requests = [
        Request(
            "POST",
            path,
            {"X-API-Key": server.key},
            json.dumps({"parcels": scans[i : i + BATCH]}).encode(),
        )
        for i in range(0, len(scans), BATCH)
    ]
    result = run_load(server.host, server.port, requests, len(requests), rate=None, connections=4)
    assert result.errors == 0
    ROWS.append(
        Row(f"POST .../assignments/batch ({BATCH} scans)", "closed loop, 4 connections", result)
    )


def _me(server: Server) -> Request:
    return Request("GET", "/v1/me", {"X-API-Key": server.key})


@pytest.mark.parametrize("rate", [500, 1000])
def test_authenticated_get_at_a_fixed_rate(server, mode, rate):
    """GET /v1/me at a fixed open-loop rate: every answer 200, latency recorded."""
    total = rate * 5 if mode == "full" else 100
    result = run_load(server.host, server.port, _me(server), total, rate=rate)
    assert result.errors == 0
    ROWS.append(Row("GET /v1/me (auth, no DB)", f"{rate}/s open loop", result))


def test_authenticated_get_max_throughput(server, mode):
    """GET /v1/me as fast as 8 keep-alive connections allow."""
    total = 10_000 if mode == "full" else 200
    result = run_load(server.host, server.port, _me(server), total, rate=None, connections=8)
    assert result.errors == 0
    ROWS.append(Row("GET /v1/me (auth, no DB)", "closed loop, 8 connections", result))


def test_job_submission_latency(server, mode):
    """POST /v1/jobs answers 202 at once: a database write and a hand-off, never the work."""
    body = json.dumps({"kind": "bench.noop", "params": {}}).encode()
    request = Request("POST", "/v1/jobs", {"X-API-Key": server.key}, body)
    total = 1000 if mode == "full" else 20
    result = run_load(server.host, server.port, request, total, rate=100, connections=4)
    assert result.errors == 0
    ROWS.append(Row("POST /v1/jobs (SQLite write)", "100/s open loop", result))


def test_in_process_request_overhead(benchmark, mode, tmp_path):
    """One authenticated request through the ASGI stack in process: the app's own cost."""
    import asyncio

    from api import Settings, create_app
    from api.security.keys import create_key

    app = create_app(Settings(state_dir=tmp_path))
    with app.state.services.database.transaction() as session:
        key = create_key(session, ["planner"], ["*"]).secret
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/me",
        "raw_path": b"/v1/me",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"x-api-key", key.encode())],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    statuses: list[int] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    loop = asyncio.new_event_loop()
    try:
        call = lambda: loop.run_until_complete(app(dict(scope), receive, send))  # noqa: E731
        call()  # warm the key cache
        benchmark.pedantic(call, rounds=5000 if mode == "full" else 50, warmup_rounds=10)
    finally:
        loop.close()
    assert set(statuses) == {200}
    IN_PROCESS.append(benchmark.stats.stats.median * 1e6)


def _report(rows: list[Row]) -> str:
    lines = [
        f"Command: `{COMMAND}`  ",
        f"Machine: {machine_line()}; uvicorn, 1 worker, no access log, SQLite in a temp dir; "
        "the load generator runs on the same 2 cores.",
        "",
        "| endpoint | load | requests | achieved req/s | p50 ms | p99 ms | max ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        r = row.result
        lines.append(
            f"| {row.what} | {row.load} | {r.count} | {r.achieved_rate:,.0f} | "
            f"{r.percentile_ms(50):.2f} | {r.percentile_ms(99):.2f} | "
            f"{r.latencies.max() * 1000:.1f} | {r.errors} |"
        )
    if IN_PROCESS:
        lines += [
            "",
            f"In process (ASGI call, no sockets): median {IN_PROCESS[-1]:.0f} µs per "
            "authenticated GET /v1/me.",
        ]
    batch = next((r for r in rows if "batch" in r.what), None)
    if batch is not None:
        parcels = batch.result.achieved_rate * BATCH
        lines += ["", f"Batch throughput: {parcels:,.0f} parcels/s in batches of {BATCH}."]
    if SORTER:
        lines += [
            "",
            f"Sorter: generated {SORTER['chutes']} chutes x {SORTER['destinations']} destinations "
            f"(seed 1); its plan came from the API's `sorting.optimize` job "
            f"({SORTER['status']}, gap {SORTER['gap']}, {SORTER['plan_job_s']:.1f} s from POST to "
            "done with a 10 s limit), passed the independent checker and was activated.",
        ]
    at_1000 = [r for r in rows if r.load.startswith("1000/s") and "assignments" in r.what]
    if at_1000:
        worst = max(r.result.percentile_ms(99) for r in at_1000)
        verdict = "meets" if worst < TARGET_P99_MS else "misses"
        each = "; ".join(f"{r.load}: {r.result.percentile_ms(99):.2f} ms" for r in at_1000)
        lines += [
            "",
            f"Target (issue 5): p99 < {TARGET_P99_MS:.0f} ms for single assignments at 1,000 "
            f"requests/s: {verdict} it ({each}).",
            "Latency is measured from each request's scheduled send time (open loop), so "
            "queueing in the client or server counts. The machine is shared with other agents' "
            "work: figures are noisy, compare rows of one run.",
            "What the tail was, and what took it off: CPython's full garbage collections "
            "walked every long-lived object and stopped the server for 100-250 ms (now new "
            "objects are collected every 2 s and the survivors frozen, `api/gc_policy.py`); "
            "then the sorter's snapshot, stored every 5 s and with every chute event, was one "
            "`json.dumps` of all parcels in open containers holding the GIL for 10-30 ms (now "
            "each container's parcels are encoded once, `optimizer/sorting/snapshot_text.py`, "
            "the rest in short slices that let the event loop in, `api/sliced_json.py`, and a "
            "chute event stores only its row: a restart replays events over the snapshot).",
        ]
    return "\n".join(lines)
