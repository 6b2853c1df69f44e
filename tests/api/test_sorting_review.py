"""Sorting API fixes from the review: carrier attribution, instants, layout switch, chute
events stored with the state, idempotent closes, background persistence, plan versions."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import warnings

import pytest

import api.sorting.runtime as runtime_module
from api import create_app
from api.errors import Conflict, Unavailable
from api.sorting import documents as docs
from api.sorting import jobs as sorting_jobs
from api.sorting.manifests import ManifestRecord
from api.store import get_document, put_snapshot
from optimizer.sorting import Manifest
from tests.api.conftest import Keys, issue_keys, settings_for
from tests.api.sorting_cases import (
    BASE,
    FIRST,
    FORECAST_DOC,
    LAYOUT,
    LAYOUT_DOC,
    SORTER,
    ready_sorter,
    scan,
    upload_layout,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

H = Keys.header
CARRIER = next(d["carrier"] for d in FORECAST_DOC["destinations"] if d["destination"] == FIRST)


@pytest.fixture(scope="module")
def ready(shared_client, shared_keys):
    """S1 with its layout and an optimized, activated plan."""
    plan = ready_sorter(shared_client, shared_keys.wcs_s1)
    return shared_client, shared_keys, plan


def event(client, key, chute, name, **extra):
    return client.post(
        f"{BASE}/chutes/{chute}/events", json={"event": name, **extra}, headers=H(key)
    )


def runtime_of(client):
    return client.app.state.services.sorting.get(SORTER)


def carrier_manifest_ids(client, key, carrier=CARRIER) -> list[str]:
    page = client.get(f"/v1/carriers/{carrier}/manifests", params={"limit": 500}, headers=H(key))
    assert page.status_code == 200, page.text
    return [m["manifest_id"] for m in page.json()["items"]]


# ---------------------------------------------------------------- 1. carrier attribution


def test_an_exception_container_with_a_known_destination_is_handed_to_no_carrier(ready):
    """Unknown destinations and one parcel of FIRST overflowing to the exception chute: the
    manifest names no carrier and FIRST's carrier cannot list it (the review's case 1)."""
    client, keys, plan = ready
    key = keys.wcs_s1
    exception = plan["plan"]["special"]["exception"][0]
    event(client, key, exception, "container_closed")
    found = next(a for a in plan["plan"]["assignments"] if a["destination"] == FIRST)
    blocked = [c["chute_id"] for c in found["chutes"]] + list(found["alternates"])
    for chute in blocked:
        assert event(client, key, chute, "disabled").status_code == 200
    last_pass = LAYOUT.max_recirculations + 1
    over = client.post(f"{BASE}/assignments", json=scan("OV-1", scan=last_pass), headers=H(key))
    assert (over.json()["chute_id"], over.json()["reason"]) == (exception, "chute_full")
    for i in range(2):
        unknown = client.post(
            f"{BASE}/assignments", json=scan(f"UNK-{i}", destination="ZZ-UNKNOWN"), headers=H(key)
        )
        assert unknown.json()["chute_id"] == exception
    closed = event(client, key, exception, "container_closed").json()["manifest"]
    for chute in blocked:
        event(client, key, chute, "enabled")
    assert closed["destinations"] == {FIRST: 1, "ZZ-UNKNOWN": 2}
    assert closed["carrier_id"] is None
    assert closed["manifest_id"] not in carrier_manifest_ids(client, keys.planner)


def test_a_destination_container_names_the_carrier_of_its_parcels(ready):
    """Parcels sorted to FIRST's chute for FIRST: the manifest is its carrier's."""
    client, keys, _ = ready
    key = keys.wcs_s1
    answer = client.post(f"{BASE}/assignments", json=scan("OWN-1"), headers=H(key)).json()
    assert answer["reason"] == "planned"
    closed = event(client, key, answer["chute_id"], "container_closed").json()["manifest"]
    assert (closed["carrier_id"], closed["carriers"]) == (CARRIER, [CARRIER])
    assert closed["manifest_id"] in carrier_manifest_ids(client, keys.planner)


# ---------------------------------------------------------------- 2. instants


@pytest.mark.parametrize("instant", ["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00"])
def test_an_instant_outside_the_utc_range_is_422_naming_its_field(ready, instant):
    """Valid-looking ISO instants that overflow when converted to UTC are 422, never 500."""
    client, keys, _ = ready
    chute = LAYOUT_DOC["chutes"][0]["id"]
    answer = event(client, keys.wcs_s1, chute, "full", at=instant)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "at"
    for path, field in (
        ("/v1/carriers/XYZ/manifests", "closed_from"),
        ("/v1/carriers/XYZ/legs", "departs_from"),
        ("/v1/carriers/XYZ/legs", "departs_before"),
    ):
        found = client.get(path, params={field: instant}, headers=H(keys.carrier_xyz))
        assert found.status_code == 422, (field, found.text)
        assert found.json()["error"]["field"] == field
    assert runtime_of(client).live().chute_status(chute)["state"] == "open"


# ---------------------------------------------------------------- 3. layout switch


def test_a_layout_switch_does_no_database_work_under_the_hot_lock(ready, monkeypatch):
    """The layout row and the snapshot are written while assignments can still run; the
    live state (containers, answers) carries over to the new layout."""
    client, keys, _ = ready
    key = keys.wcs_s1
    runtime = runtime_of(client)
    first = client.post(f"{BASE}/assignments", json=scan("LAY-1", scan=1), headers=H(key)).json()
    held: list[tuple[str, bool]] = []

    def spying(name, original):
        def spy(*args, **kwargs):
            held.append((name, runtime.lock.locked()))
            return original(*args, **kwargs)

        return spy

    monkeypatch.setattr(docs, "store_layout", spying("store_layout", docs.store_layout))
    monkeypatch.setattr(
        runtime_module, "put_snapshot", spying("put_snapshot", runtime_module.put_snapshot)
    )
    bigger = {
        **LAYOUT_DOC,
        "chutes": [
            {**c, "capacity_parcels": c["capacity_parcels"] + 1} for c in LAYOUT_DOC["chutes"]
        ],
    }
    answer = upload_layout(client, key, bigger)
    assert answer.status_code == 201, answer.text
    assert ("store_layout", False) in held and ("put_snapshot", False) in held
    assert all(not locked for _, locked in held)
    assert runtime.layout_version == answer.json()["version"]
    again = client.post(f"{BASE}/assignments", json=scan("LAY-1", scan=1), headers=H(key)).json()
    assert again == first
    assert upload_layout(client, key).status_code == 201  # back to the test layout


# ---------------------------------------------------------------- 4 and 10. chute events


def test_chute_states_and_the_layout_survive_a_crash_without_a_background_pass(tmp_path):
    """A disabled chute and a switched layout are stored with their change: a second app
    started while the first still runs (as after kill -9) finds both."""
    settings = settings_for(tmp_path, sorting_snapshot_interval_s=3600)
    with TestClient(create_app(settings)) as first:
        key = issue_keys(first.app).wcs_s1
        ready_sorter(first, key)
        first.post(f"{BASE}/assignments", json=scan("CR-1"), headers=H(key))
        assert event(first, key, "C001", "disabled").status_code == 200
        bigger = {
            **LAYOUT_DOC,
            "chutes": [
                {**c, "capacity_parcels": c["capacity_parcels"] + 1} for c in LAYOUT_DOC["chutes"]
            ],
        }
        assert upload_layout(first, key, bigger).status_code == 201
        assert event(first, key, "C002", "full").status_code == 200
        with TestClient(create_app(settings)) as second:
            chutes = {
                c["chute_id"]: c
                for c in second.get(f"{BASE}/chutes", headers=H(key)).json()["items"]
            }
            assert chutes["C001"]["disabled"] is True
            assert chutes["C002"]["state"] == "full"
            assert sum(c["count"] for c in chutes.values()) == 1
            assert second.get(BASE, headers=H(key)).json()["layout_version"] == 2


def test_a_resent_close_answers_the_stored_manifest_and_closes_nothing_more(ready):
    """`container` names the container meant: a re-send for one already closed answers its
    manifest; the next container stays open with what arrived since."""
    client, keys, _ = ready
    key = keys.wcs_s1
    first = client.post(f"{BASE}/assignments", json=scan("RS-1"), headers=H(key)).json()
    chute = first["chute_id"]
    number = runtime_of(client).live().chute_status(chute)["container"]
    closed = event(client, key, chute, "container_closed", container=number)
    assert closed.status_code == 200, closed.text
    manifest = closed.json()["manifest"]
    assert "RS-1" in manifest["parcel_ids"] and manifest["container"] == number
    second = client.post(f"{BASE}/assignments", json=scan("RS-2"), headers=H(key)).json()
    assert second["chute_id"] == chute
    again = event(client, key, chute, "container_closed", container=number)
    assert again.status_code == 200
    assert again.json()["manifest"]["manifest_id"] == manifest["manifest_id"]
    state = again.json()["chute"]
    assert (state["container"], state["count"]) == (number + 1, 1)
    ahead = event(client, key, chute, "container_closed", container=number + 5)
    assert ahead.status_code == 409 and ahead.json()["error"]["field"] == "container"
    stale_full = event(client, key, chute, "full", container=number)
    assert stale_full.json()["chute"]["state"] == "open"


def test_closing_an_empty_container_stores_no_manifest(ready):
    """An empty container's close answers manifest null and stores no row."""
    client, keys, _ = ready
    key = keys.wcs_s1
    chute = LAYOUT_DOC["chutes"][-1]["id"]
    event(client, key, chute, "container_closed")
    empty = event(client, key, chute, "container_closed")
    assert empty.status_code == 200 and empty.json()["manifest"] is None
    listed = client.get(f"{BASE}/manifests", params={"chute_id": chute}, headers=H(key)).json()
    assert all(m["count"] > 0 for m in listed["items"])


# ---------------------------------------------------------------- 8, 9, 11. runtime


def test_the_service_does_not_keep_a_growing_list_of_full_chutes(ready):
    """Nothing in the service drains `newly_full`: the hot path keeps it empty."""
    client, keys, _ = ready
    key = keys.wcs_s1
    parcels = [scan(f"NF-{i}") for i in range(700)]  # more than its chutes hold
    answers = client.post(f"{BASE}/assignments/batch", json={"parcels": parcels}, headers=H(key))
    used = {a["chute_id"] for a in answers.json()["decisions"] if a["chute_id"]}
    states = client.get(f"{BASE}/chutes", headers=H(key)).json()["items"]
    assert any(c["state"] == "full" for c in states if c["chute_id"] in used)
    assert runtime_of(client).live().newly_full == []
    for chute in used:
        event(client, key, chute, "container_closed")


def test_one_unstorable_manifest_blocks_neither_the_others_nor_the_snapshot(ready, monkeypatch):
    """Pending manifests are stored one per transaction; the snapshot is written anyway."""
    client, keys, _ = ready
    sorting = client.app.state.services.sorting
    runtime = runtime_of(client)
    records = [
        ManifestRecord.of(
            Manifest(SORTER, "C001", 900 + i, "S1-v1", (f"PM-{i}",), 100.0, {FIRST: 1}),
            closed_at=runtime_module.datetime.now(runtime_module.UTC),
        )
        for i in range(2)
    ]
    bad = records[0].manifest_id
    original = runtime_module.store_manifests

    def refuse_one(session, batch):
        if any(r.manifest_id == bad for r in batch):
            raise RuntimeError("cannot store this one")
        return original(session, batch)

    monkeypatch.setattr(runtime_module, "store_manifests", refuse_one)
    runtime.pending.extend(records)
    client.post(f"{BASE}/assignments", json=scan("PM-X"), headers=H(keys.wcs_s1))
    sorting.persist_all()
    assert [r.manifest_id for r in runtime.pending] == [bad]
    assert not runtime.dirty()
    listed = client.get(f"{BASE}/manifests", params={"limit": 500}, headers=H(keys.wcs_s1))
    ids = [m["manifest_id"] for m in listed.json()["items"]]
    assert records[1].manifest_id in ids and bad not in ids
    runtime.pending.clear()


def test_the_plan_is_serialized_once_per_activation_not_per_snapshot(ready, monkeypatch):
    """Background snapshots reuse the plan's JSON; the stored body is the full snapshot."""
    client, keys, _ = ready
    sorting = client.app.state.services.sorting
    runtime = runtime_of(client)
    calls = []
    original = runtime_module.plan_to_dict
    monkeypatch.setattr(runtime_module, "plan_to_dict", lambda p: calls.append(p) or original(p))
    for i in range(3):
        client.post(f"{BASE}/assignments", json=scan(f"SER-{i}"), headers=H(keys.wcs_s1))
        sorting.persist(runtime)
    assert len(calls) <= 1
    with sorting.database.session() as session:
        stored = get_document(session, docs.STATE, SORTER, 1).body["assigner"]
    assert stored == json.loads(json.dumps(runtime.live().snapshot(include_parcels=False)))


# ---------------------------------------------------------------- 7 and 12. stored data


def test_a_requeued_plan_job_stores_its_plan_once(ready):
    """Storing the plan of a job that already stored one answers that version again."""
    client, _, plan = ready
    database = client.app.state.services.database
    stored = get_document_version(database, plan["version"])
    body = stored.body

    def make(version):
        return {**body, "summary": {**body["summary"], "job_id": "job-requeued"},
                "plan": {**body["plan"], "version": version}}  # fmt: skip

    first = sorting_jobs.store_plan(database, SORTER, "job-requeued", make)
    second = sorting_jobs.store_plan(database, SORTER, "job-requeued", make)
    assert first == second
    again = get_document_version(database, first)
    assert again.body["plan"]["version"] == first
    assert again.body["summary"]["job_id"] == "job-requeued"


def test_a_plan_saved_concurrently_is_retried_with_the_next_version(ready, monkeypatch):
    """A concurrent save of the same version (PostgreSQL) costs a retry, not the job."""
    client, _, plan = ready
    database = client.app.state.services.database
    body = get_document_version(database, plan["version"]).body
    original = sorting_jobs.save_version
    raised = []

    def conflict_once(*args, **kwargs):
        if not raised:
            raised.append(True)
            raise Conflict("sort_plan S1 was saved concurrently; retry")
        return original(*args, **kwargs)

    monkeypatch.setattr(sorting_jobs, "save_version", conflict_once)

    def make(version):
        return {**body, "summary": {**body["summary"], "job_id": "job-race"},
                "plan": {**body["plan"], "version": version}}  # fmt: skip

    version = sorting_jobs.store_plan(database, SORTER, "job-race", make)
    assert raised and get_document_version(database, version).body["plan"]["version"] == version


def get_document_version(database, version):
    with database.session() as session:
        return get_document(session, docs.PLAN, SORTER, version)


def test_a_refused_plan_request_stores_no_forecast(make_client, monkeypatch):
    """A 503 from the job queue leaves the stored forecasts as they were."""
    client = make_client()
    keys = issue_keys(client.app)
    assert upload_layout(client, keys.wcs_s1).status_code == 201
    jobs = client.app.state.services.jobs

    def full(*_args, **_kwargs):
        raise Unavailable("Too many unfinished jobs (1), maximum is 1")

    monkeypatch.setattr(jobs, "submit", full)
    body = {"forecast": FORECAST_DOC, "time_limit_s": 5}
    refused = client.post(f"{BASE}/plans", json=body, headers=H(keys.wcs_s1))
    assert refused.status_code == 503
    with client.app.state.services.database.session() as session:
        assert get_document(session, docs.FORECAST, SORTER) is None


def test_a_snapshot_that_does_not_fit_the_layout_restores_the_matching_chutes(tmp_path, caplog):
    """A snapshot naming a chute the latest layout lacks (layout stored, process gone before
    its snapshot) still restores the other chutes' containers, and says so at error level."""
    settings = settings_for(tmp_path, sorting_snapshot_interval_s=3600)
    with TestClient(create_app(settings)) as first:
        key = issue_keys(first.app).wcs_s1
        ready_sorter(first, key)
        answer = first.post(f"{BASE}/assignments", json=scan("FIT-1"), headers=H(key)).json()
    database = create_app(settings).state.services.database  # after the clean shutdown
    with database.transaction() as session:
        state = get_document(session, docs.STATE, SORTER, 1).body
        ghost = {"chute_id": "GHOST", "state": "full", "disabled": False, "container": 3,
                 "contents": [["G-1", 100.0, FIRST, CARRIER]]}  # fmt: skip
        state["assigner"]["chutes"].append(ghost)
        put_snapshot(session, docs.STATE, SORTER, state, sorter_id=SORTER)
    database.dispose()
    with (
        caplog.at_level(logging.ERROR, logger="optimizer.api.sorting"),
        TestClient(create_app(settings)) as second,
    ):
        chutes = second.get(f"{BASE}/chutes", headers=H(key)).json()["items"]
        held = {c["chute_id"]: c["count"] for c in chutes}
        assert held[answer["chute_id"]] == 1
    assert any("GHOST" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_the_batch_limit_in_openapi_is_the_configured_one(make_client):
    """The OpenAPI document states the server's own max_batch_assignments."""
    client = make_client(max_batch_assignments=7)
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/sorters/{sorter_id}/assignments/batch"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["properties"]["parcels"]["maxItems"] == 7


# ---------------------------------------------------------------- 5. serve


def test_serve_refuses_several_workers(tmp_path):
    """Sorter state lives in one process: `--workers 2` is an input error naming --workers."""
    done = subprocess.run(
        [sys.executable, "-m", "optimizer", "serve", "--workers", "2"],
        env={"OPTIMIZER_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--workers" in done.stderr + done.stdout
    assert "per process" in done.stderr + done.stdout
