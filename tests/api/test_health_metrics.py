"""Health means the solver works; metrics expose latency by route, jobs and assignments."""

from __future__ import annotations

from itertools import permutations

import api.routers.health as health_router
from api.db.migrate import head_revision
from api.health import COST, ProbeResult, solve_probe
from optimizer.status import SolveStatus
from tests.api.conftest import Keys, finished, issue_keys, wait_for_job

H = Keys.header


def brute_force_assignment_cost(cost: tuple[tuple[int, ...], ...]) -> int:
    """The optimum by enumerating every permutation: shares nothing with CP-SAT."""
    n = len(cost)
    return min(sum(cost[i][p[i]] for i in range(n)) for p in permutations(range(n)))


def test_probe_solves_to_the_independently_checked_optimum():
    """The health probe's objective equals the brute-force optimum of its fixed instance."""
    result = solve_probe(time_limit_s=5, seed=1)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == brute_force_assignment_cost(COST)
    assert result.ok


def test_health_is_200_when_everything_works(make_client):
    """GET /v1/health needs no key and reports solver, database and job runner as ok."""
    client = make_client()
    response = client.get("/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["solver"]["objective"] == brute_force_assignment_cost(COST)
    assert body["database"] == {"ok": True, "backend": "sqlite", "revision": head_revision()}
    assert body["jobs"]["backend"] == "local" and body["jobs"]["runner_started"]


def test_health_is_503_when_the_solver_is_wrong(make_client, monkeypatch):
    """A probe that does not reach the known optimum makes the service report degraded (503)."""
    client = make_client()
    monkeypatch.setattr(
        health_router, "solve_probe", lambda: ProbeResult(SolveStatus.FEASIBLE, 6, 0.01)
    )
    response = client.get("/v1/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["solver"]["ok"] is False


def test_health_is_503_when_the_job_runner_is_not_running(tmp_path):
    """An app whose lifespan never started its runner is not healthy."""
    from fastapi.testclient import TestClient

    from api import create_app
    from tests.api.conftest import settings_for

    client = TestClient(create_app(settings_for(tmp_path)))  # no `with`: no lifespan
    response = client.get("/v1/health")
    assert response.status_code == 503
    assert response.json()["jobs"]["runner_started"] is False


def metric_lines(client, name: str) -> list[str]:
    text = client.get("/metrics").text
    return [line for line in text.splitlines() if line.startswith(name)]


def test_latency_histogram_is_labelled_by_route_template(make_client):
    """Requests are counted under the route template, not the raw path, with their status."""
    client = make_client()
    keys = issue_keys(client.app)
    for job_id in ("a", "b", "c"):
        client.get(f"/v1/jobs/{job_id}", headers=H(keys.planner))
    client.get("/no/such/path")
    counts = metric_lines(client, "optimizer_http_request_duration_seconds_count")
    assert (
        'optimizer_http_request_duration_seconds_count{method="GET",'
        'route="/v1/jobs/{job_id}",status="404"} 3.0'
    ) in counts
    assert any('route="unmatched"' in line for line in counts)
    assert not any("/v1/jobs/a" in line for line in counts)


def test_job_counts_by_status_come_from_the_database(make_client):
    """optimizer_jobs reports stored jobs by kind and status."""
    client = make_client()
    keys = issue_keys(client.app)
    for _ in range(2):
        job = client.post(
            "/v1/jobs", json={"kind": "test.count", "params": {"n": 2}}, headers=H(keys.planner)
        ).json()
        wait_for_job(client, job["id"], keys.planner, finished)
    lines = metric_lines(client, "optimizer_jobs{")
    assert 'optimizer_jobs{kind="test.count",status="succeeded"} 2.0' in lines


def test_assignment_counter_is_exposed(make_client):
    """The assignment counter the WCS hot path increments shows up by sorter and reason."""
    client = make_client()
    meters = client.app.state.services.metrics.assignment_meters("S1")
    meters.by_reason["planned"].inc(3)
    meters.by_reason["recirculate"].inc()
    lines = metric_lines(client, "optimizer_assignments_total")
    assert 'optimizer_assignments_total{reason="planned",sorter_id="S1"} 3.0' in lines
    assert 'optimizer_assignments_total{reason="recirculate",sorter_id="S1"} 1.0' in lines
