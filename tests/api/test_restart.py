"""Restarts: keys, jobs and results survive; jobs of a dead process are never left running."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.db.models import JobRow
from api.db.types import utcnow
from api.jobs.status import JobStatus
from tests.api.conftest import Keys, finished, issue_keys, settings_for, wait_for_job

H = Keys.header


def dead_runner_id() -> str:
    """A runner id on this host whose process has exited."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{socket.gethostname()}:{child.stdout.strip()}:deadbeef"


def plant_job(
    app,
    *,
    status: str,
    runner_id: str,
    attempts: int,
    owner: str,
    heartbeat_age_s: float = 0.0,
    kind: str = "test.count",
) -> str:
    """A job row as a crashed server would have left it."""
    now = utcnow()
    with app.state.services.database.transaction() as session:
        row = JobRow(
            id=f"planted-{status}-{attempts}-{kind}-{runner_id[-8:]}"[:36],
            kind=kind,
            status=status,
            progress=0.4,
            progress_message="",
            params={"n": 10, "step_s": 0.0, "values": []},
            owner_key_id=owner,
            cancel_requested=False,
            attempts=attempts,
            runner_id=runner_id,
            heartbeat_at=now - timedelta(seconds=heartbeat_age_s),
            created_at=now,
            started_at=now if status == "running" else None,
        )
        session.add(row)
    return row.id


def key_id(secret: str) -> str:
    return secret.split("_")[1]


def test_keys_and_finished_jobs_survive_a_restart(tmp_path):
    """A new app on the same database file finds the keys and the job with its result."""
    first = TestClient(create_app(settings_for(tmp_path)))
    with first:
        keys = issue_keys(first.app)
        job = first.post(
            "/v1/jobs", json={"kind": "test.count", "params": {"n": 7}}, headers=H(keys.planner)
        ).json()
        wait_for_job(first, job["id"], keys.planner, finished)
    with TestClient(create_app(settings_for(tmp_path))) as second:
        again = second.get(f"/v1/jobs/{job['id']}", headers=H(keys.planner))
        assert again.status_code == 200
        assert again.json()["status"] == "succeeded"
        assert again.json()["result"]["total"] == 21
        assert second.get("/v1/me", headers=H(keys.admin)).json()["roles"] == ["admin"]


def test_running_job_of_a_dead_process_without_attempts_left_is_failed(tmp_path):
    """On start, a job `running` under an exited pid with its attempts used is failed, with why."""
    client = TestClient(create_app(settings_for(tmp_path, job_max_attempts=1)))
    keys = issue_keys(client.app)
    job_id = plant_job(
        client.app,
        status="running",
        runner_id=dead_runner_id(),
        attempts=1,
        owner=key_id(keys.planner),
    )
    with client:
        job = client.get(f"/v1/jobs/{job_id}", headers=H(keys.planner)).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "worker_lost"
    assert "attempt 1 of 1" in job["error"]["message"]
    assert job["finished_at"] is not None


def test_running_job_of_a_dead_process_with_attempts_left_is_rerun(tmp_path):
    """On start, such a job goes back to the queue and runs to a result."""
    client = TestClient(create_app(settings_for(tmp_path, job_max_attempts=2)))
    keys = issue_keys(client.app)
    job_id = plant_job(
        client.app,
        status="running",
        runner_id=dead_runner_id(),
        attempts=1,
        owner=key_id(keys.planner),
    )
    with client:
        job = wait_for_job(client, job_id, keys.planner, finished)
    assert job["status"] == "succeeded"
    assert job["result"]["total"] == 45
    assert job["attempts"] == 2


def test_queued_job_of_a_dead_process_runs_without_using_an_attempt(tmp_path):
    """A job accepted but never started by a process that died is run on the next start."""
    client = TestClient(create_app(settings_for(tmp_path, job_max_attempts=1)))
    keys = issue_keys(client.app)
    job_id = plant_job(
        client.app,
        status="queued",
        runner_id=dead_runner_id(),
        attempts=0,
        owner=key_id(keys.planner),
    )
    with client:
        job = wait_for_job(client, job_id, keys.planner, finished)
    assert job["status"] == "succeeded" and job["attempts"] == 1


def test_job_of_another_host_is_taken_over_once_its_heartbeat_is_stale(tmp_path):
    """A live-looking job from another host is left alone until its heartbeat is too old."""
    client = TestClient(create_app(settings_for(tmp_path, job_stale_after_s=30)))
    keys = issue_keys(client.app)
    fresh = plant_job(
        client.app,
        status="running",
        runner_id="elsewhere:1:aaaaaaaa",
        attempts=1,
        owner=key_id(keys.planner),
    )
    stale = plant_job(
        client.app,
        status="running",
        runner_id="faraway:1:bbbbbbbb",
        attempts=1,
        owner=key_id(keys.planner),
        heartbeat_age_s=120,
    )
    with client:
        done = wait_for_job(client, stale, keys.planner, finished)
        alive = client.get(f"/v1/jobs/{fresh}", headers=H(keys.planner)).json()
    assert done["status"] == "succeeded"
    assert alive["status"] == "running"


def test_job_of_an_unknown_kind_is_failed_not_left_queued(tmp_path):
    """An orphan whose kind this server does not run is failed with code unknown_kind."""
    client = TestClient(create_app(settings_for(tmp_path)))
    keys = issue_keys(client.app)
    job_id = plant_job(
        client.app,
        status="queued",
        runner_id=dead_runner_id(),
        attempts=0,
        owner=key_id(keys.planner),
        kind="retired.kind",
    )
    with client:
        job = client.get(f"/v1/jobs/{job_id}", headers=H(keys.planner)).json()
    assert job["status"] == "failed" and job["error"]["code"] == "unknown_kind"


def test_clean_shutdown_hands_a_running_job_to_the_next_start(tmp_path):
    """Stopping mid-job re-queues the job without spending an attempt; the next app ends it."""
    first = TestClient(create_app(settings_for(tmp_path, job_max_attempts=1)))
    with first:
        keys = issue_keys(first.app)
        job = first.post(
            "/v1/jobs",
            json={"kind": "test.count", "params": {"n": 300, "step_s": 0.01}},
            headers=H(keys.planner),
        ).json()
        wait_for_job(first, job["id"], keys.planner, lambda j: j["status"] == "running")
    with first.app.state.services.database.session() as session:
        row = session.get(JobRow, job["id"])
        assert row.status == JobStatus.QUEUED and row.runner_id is None and row.attempts == 0
    with TestClient(create_app(settings_for(tmp_path, job_max_attempts=1))) as second:
        done = wait_for_job(second, job["id"], keys.planner, finished)
    assert done["status"] == "succeeded" and done["result"]["total"] == 300 * 299 // 2


@pytest.mark.postgres
def test_restart_recovery_on_postgresql(postgres_url, tmp_path):
    """The same restart guarantees hold on PostgreSQL: stored jobs found, dead ones recovered."""
    settings = settings_for(tmp_path, database_url=postgres_url, job_max_attempts=1)
    first = TestClient(create_app(settings))
    with first:
        keys = issue_keys(first.app)
        job = first.post(
            "/v1/jobs", json={"kind": "test.count", "params": {"n": 5}}, headers=H(keys.planner)
        ).json()
        wait_for_job(first, job["id"], keys.planner, finished)
    second = TestClient(create_app(settings))
    planted = plant_job(
        second.app,
        status="running",
        runner_id=dead_runner_id(),
        attempts=1,
        owner=key_id(keys.planner),
    )
    with second:
        assert (
            second.get(f"/v1/jobs/{job['id']}", headers=H(keys.planner)).json()["result"]["total"]
            == 10
        )
        lost = second.get(f"/v1/jobs/{planted}", headers=H(keys.planner)).json()
    assert lost["status"] == "failed" and lost["error"]["code"] == "worker_lost"
