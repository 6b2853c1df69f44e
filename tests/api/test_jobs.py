"""Jobs over HTTP: start, follow, fetch, cancel, and who may see what."""

from __future__ import annotations

import pytest

from tests.api.conftest import Keys, finished, wait_for_job

H = Keys.header


def start(client, key: str, kind: str = "test.count", **params) -> dict:
    response = client.post("/v1/jobs", json={"kind": kind, "params": params}, headers=H(key))
    assert response.status_code == 202, response.text
    return response.json()


def test_job_runs_to_a_stored_result(shared_client, shared_keys):
    """POST answers 202 at once with a Location; the worker's result is then served by GET."""
    response = shared_client.post(
        "/v1/jobs",
        json={"kind": "test.count", "params": {"n": 50, "values": [4, 5]}},
        headers=H(shared_keys.planner),
    )
    assert response.status_code == 202
    created = response.json()
    assert created["status"] == "queued"
    assert response.headers["location"] == f"/v1/jobs/{created['id']}"
    job = wait_for_job(shared_client, created["id"], shared_keys.planner, finished)
    assert job["status"] == "succeeded"
    assert job["result"] == {"total": 50 * 49 // 2, "done": 50, "stopped": False, "values_sum": 9}
    assert job["progress"] == 1.0
    assert job["attempts"] == 1
    assert job["started_at"] is not None and job["finished_at"] >= job["started_at"]


def test_progress_is_visible_while_running(shared_client, shared_keys):
    """A running job's progress moves between 0 and 1 as the worker reports it."""
    job = start(shared_client, shared_keys.planner, n=200, step_s=0.01)
    seen = wait_for_job(
        shared_client, job["id"], shared_keys.planner, lambda j: 0 < j["progress"] < 1
    )
    assert seen["status"] == "running"
    assert seen["progress_message"].endswith("of 200")
    wait_for_job(shared_client, job["id"], shared_keys.planner, finished)


def test_cancel_stops_a_running_job_with_its_partial_result(shared_client, shared_keys):
    """Cancelling a running job asks it to stop; it ends cancelled with what it had done."""
    job = start(shared_client, shared_keys.planner, n=100_000, step_s=0.01)
    wait_for_job(shared_client, job["id"], shared_keys.planner, lambda j: j["status"] == "running")
    response = shared_client.post(f"/v1/jobs/{job['id']}/cancel", headers=H(shared_keys.planner))
    assert response.status_code == 200
    assert response.json()["cancel_requested"] is True
    done = wait_for_job(shared_client, job["id"], shared_keys.planner, finished)
    assert done["status"] == "cancelled"
    assert done["result"]["stopped"] is True
    assert 0 < done["result"]["done"] < 100_000


def test_cancel_of_a_queued_job_means_it_never_runs(shared_client, shared_keys):
    """With the only worker busy, a queued job cancelled stays unstarted for good."""
    blocker = start(shared_client, shared_keys.planner, n=100_000, step_s=0.01)
    queued = start(shared_client, shared_keys.planner, n=5)
    response = shared_client.post(f"/v1/jobs/{queued['id']}/cancel", headers=H(shared_keys.planner))
    assert response.json()["status"] == "cancelled"
    shared_client.post(f"/v1/jobs/{blocker['id']}/cancel", headers=H(shared_keys.planner))
    wait_for_job(shared_client, blocker["id"], shared_keys.planner, finished)
    job = shared_client.get(f"/v1/jobs/{queued['id']}", headers=H(shared_keys.planner)).json()
    assert job["status"] == "cancelled"
    assert job["started_at"] is None and job["attempts"] == 0 and job["result"] is None


def test_cancel_of_a_finished_job_is_a_conflict(shared_client, shared_keys):
    """A finished job cannot be cancelled: 409 in the envelope."""
    job = start(shared_client, shared_keys.planner, n=3)
    wait_for_job(shared_client, job["id"], shared_keys.planner, finished)
    response = shared_client.post(f"/v1/jobs/{job['id']}/cancel", headers=H(shared_keys.planner))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "already succeeded" in response.json()["error"]["message"]


def test_core_input_error_fails_the_job_with_every_problem(shared_client, shared_keys):
    """A job whose core raises InputError fails with code invalid and all its problems."""
    job = start(shared_client, shared_keys.planner, kind="test.refuse_input")
    done = wait_for_job(shared_client, job["id"], shared_keys.planner, finished)
    assert done["status"] == "failed"
    assert done["error"]["code"] == "invalid"
    fields = [p["field"] for p in done["error"]["problems"]]
    assert fields == ["shipments.0.weight_g", "shipments.3.destination"]


@pytest.mark.parametrize("kind", ["test.crash", "test.not_json"])
def test_a_broken_job_fails_without_leaking_internals(shared_client, shared_keys, kind):
    """An exception or a non-JSON result fails the job with a message free of paths."""
    job = start(shared_client, shared_keys.planner, kind=kind)
    done = wait_for_job(shared_client, job["id"], shared_keys.planner, finished)
    assert done["status"] == "failed"
    assert done["error"]["code"] == "internal"
    assert "/secret" not in done["error"]["message"]
    assert "Traceback" not in done["error"]["message"]


def test_params_are_validated_by_the_kind_with_dotted_fields(shared_client, shared_keys):
    """Bad params answer 422 naming `params.<field>`; nothing is queued."""
    before = shared_client.get("/v1/jobs?limit=500", headers=H(shared_keys.planner2)).json()
    response = shared_client.post(
        "/v1/jobs",
        json={"kind": "test.count", "params": {"n": 0, "step_s": "slow"}},
        headers=H(shared_keys.planner2),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "params.n"
    assert {p["field"] for p in error["problems"]} == {"params.n", "params.step_s"}
    after = shared_client.get("/v1/jobs?limit=500", headers=H(shared_keys.planner2)).json()
    assert after["items"] == before["items"]


def test_list_over_its_limit_in_params_is_413_with_count_and_maximum(shared_client, shared_keys):
    """A params list longer than its setting is refused as too large, naming both numbers."""
    response = shared_client.post(
        "/v1/jobs",
        json={"kind": "test.count", "params": {"n": 1, "values": [1] * 1001}},
        headers=H(shared_keys.planner),
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error == {
        "code": "too_large",
        "message": "Too many values (1001), maximum is 1000",
        "field": "params.values",
    }


def test_unknown_kind_is_404_on_field_kind(shared_client, shared_keys):
    """Starting a kind the server does not run is a 404 naming the field."""
    response = shared_client.post(
        "/v1/jobs", json={"kind": "no.such", "params": {}}, headers=H(shared_keys.planner)
    )
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "kind"


def test_others_jobs_are_invisible_and_admin_sees_all(shared_client, shared_keys):
    """A planner gets 404 for another planner's job and never lists it; admin sees it."""
    job = start(shared_client, shared_keys.planner, n=2)
    other = shared_client.get(f"/v1/jobs/{job['id']}", headers=H(shared_keys.planner2))
    assert other.status_code == 404
    cancel = shared_client.post(f"/v1/jobs/{job['id']}/cancel", headers=H(shared_keys.planner2))
    assert cancel.status_code == 404
    listed = shared_client.get("/v1/jobs?limit=500", headers=H(shared_keys.planner2)).json()
    assert job["id"] not in {j["id"] for j in listed["items"]}
    admin = shared_client.get(f"/v1/jobs/{job['id']}", headers=H(shared_keys.admin))
    assert admin.status_code == 200
    everyone = shared_client.get("/v1/jobs?limit=500", headers=H(shared_keys.admin)).json()
    assert job["id"] in {j["id"] for j in everyone["items"]}


def test_list_filters_by_status_and_pages(shared_client, shared_keys):
    """Listing filters by status and kind, newest first, and respects limit/offset."""
    ids = [start(shared_client, shared_keys.planner2, n=1)["id"] for _ in range(3)]
    for job_id in ids:
        wait_for_job(shared_client, job_id, shared_keys.planner2, finished)
    url = "/v1/jobs?status=succeeded&kind=test.count&limit=2"
    page1 = shared_client.get(url, headers=H(shared_keys.planner2)).json()
    page2 = shared_client.get(url + "&offset=2", headers=H(shared_keys.planner2)).json()
    listed = [j["id"] for j in page1["items"] + page2["items"]]
    assert listed[:3] == ids[::-1]
    assert all(j["status"] == "succeeded" for j in page1["items"])


def test_page_size_over_the_setting_is_refused(shared_client, shared_keys):
    """limit above max_page_size answers 422 on field limit with both numbers."""
    response = shared_client.get("/v1/jobs?limit=501", headers=H(shared_keys.planner))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "limit"
    assert "(501), maximum is 500" in response.json()["error"]["message"]


def test_roles_on_jobs(shared_client, shared_keys):
    """Carriers may not use jobs (403); a kind limited to wcs refuses a planner (403)."""
    carrier = shared_client.get("/v1/jobs", headers=H(shared_keys.carrier_xyz))
    assert carrier.status_code == 403
    assert carrier.json()["error"]["code"] == "forbidden"
    planner = shared_client.post(
        "/v1/jobs",
        json={"kind": "test.wcs_count", "params": {"n": 1}},
        headers=H(shared_keys.planner),
    )
    assert planner.status_code == 403
    wcs = shared_client.post(
        "/v1/jobs",
        json={"kind": "test.wcs_count", "params": {"n": 1}},
        headers=H(shared_keys.wcs_s1),
    )
    assert wcs.status_code == 202


def test_job_kinds_lists_what_the_key_may_start(shared_client, shared_keys):
    """GET /v1/jobs/kinds shows kinds with their params schema, filtered by the key's roles."""
    planner = shared_client.get("/v1/jobs/kinds", headers=H(shared_keys.planner)).json()
    names = {k["name"] for k in planner["items"]}
    assert "test.count" in names and "test.wcs_count" not in names
    count = next(k for k in planner["items"] if k["name"] == "test.count")
    assert count["params_schema"]["properties"]["n"]["minimum"] == 1


def test_a_dying_worker_is_retried_then_failed_with_the_reason(make_client):
    """A job that kills its worker is retried up to job_max_attempts, then failed worker_lost."""
    from tests.api.conftest import issue_keys

    client = make_client(job_max_attempts=2)
    keys = issue_keys(client.app)
    job = start(client, keys.planner, kind="test.die")
    done = wait_for_job(client, job["id"], keys.planner, finished)
    assert done["status"] == "failed"
    assert done["error"]["code"] == "worker_lost"
    assert done["attempts"] == 2
    assert "attempt 2 of 2" in done["error"]["message"]
    after = start(client, keys.planner, n=4)  # the pool was rebuilt
    assert wait_for_job(client, after["id"], keys.planner, finished)["status"] == "succeeded"


def test_too_many_unfinished_jobs_is_503_with_retry_after(make_client):
    """Past job_max_pending, a new job is refused with 503 and Retry-After; none is stored."""
    from tests.api.conftest import issue_keys

    client = make_client(job_max_pending=1)
    keys = issue_keys(client.app)
    first = start(client, keys.planner, n=100_000, step_s=0.01)
    response = client.post(
        "/v1/jobs", json={"kind": "test.count", "params": {"n": 1}}, headers=H(keys.planner)
    )
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.json()["error"]["message"] == "Too many unfinished jobs (1), maximum is 1"
    client.post(f"/v1/jobs/{first['id']}/cancel", headers=H(keys.planner))
    listed = client.get("/v1/jobs", headers=H(keys.planner)).json()["items"]
    assert [j["id"] for j in listed] == [first["id"]]


def test_a_job_no_worker_can_take_is_failed_not_stranded(make_client, monkeypatch):
    """If the backend cannot start, POST answers 503 and the stored job is failed, not queued."""
    import api.jobs.runner as runner_module
    from tests.api.conftest import issue_keys

    def broken_backend(*args, **kwargs):
        raise OSError("cannot start worker processes")

    monkeypatch.setattr(runner_module, "make_backend", broken_backend)
    client = make_client()
    keys = issue_keys(client.app)
    response = client.post(
        "/v1/jobs", json={"kind": "test.count", "params": {"n": 1}}, headers=H(keys.planner)
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    [job] = client.get("/v1/jobs", headers=H(keys.planner)).json()["items"]
    assert job["status"] == "failed" and job["error"]["code"] == "unavailable"
