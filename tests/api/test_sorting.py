"""Sorting over HTTP: layouts, plan jobs, activation, assignments, chute events, manifests."""

from __future__ import annotations

import json

import pytest

from api.metrics import REASONS
from api.schemas.sorting import ChuteStateList
from api.security.keys import create_key
from api.sorting import documents as docs
from api.store import save_version
from optimizer.sorting import Reason
from tests.api.conftest import Keys, issue_keys
from tests.api.sorting_cases import (
    BASE,
    FIRST,
    FORECAST_DOC,
    LAYOUT,
    LAYOUT_DOC,
    SCANS,
    SORTER,
    checked_plan,
    optimize,
    ready_sorter,
    scan,
    upload_layout,
)

H = Keys.header


@pytest.fixture(scope="module")
def ready(shared_client, shared_keys):
    """S1 with its layout and an optimized, activated plan (version 1)."""
    plan = ready_sorter(shared_client, shared_keys.wcs_s1)
    return shared_client, shared_keys, plan


def chutes_of(plan: dict, destination: str) -> set[str]:
    found = next(a for a in plan["plan"]["assignments"] if a["destination"] == destination)
    return {c["chute_id"] for c in found["chutes"]}


def sorter(client, key) -> dict:
    return client.get(BASE, headers=H(key)).json()


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("GET", "/layout"),
        ("GET", "/plans"),
        ("GET", "/chutes"),
        ("GET", "/manifests"),
        ("POST", "/assignments"),
        ("POST", "/assignments/batch"),
        ("POST", "/plans/1/activate"),
    ],
)
def test_sorter_routes_need_a_wcs_key_scoped_to_the_sorter(ready, method, path):
    """No key 401; planner and carrier keys 403; a wcs key for another sorter 403."""
    client, keys, _ = ready
    with client.app.state.services.database.transaction() as session:
        other = create_key(session, ["wcs"], ["sorter:S9"]).secret
    url = BASE + path
    assert client.request(method, url).status_code == 401
    for key in (keys.planner, keys.carrier_xyz, other):
        response = client.request(method, url, headers=H(key))
        assert response.status_code == 403, (key, response.text)
        assert response.json()["error"]["code"] == "forbidden"


def test_admin_sees_every_sorter_and_wcs_only_its_own(ready):
    """GET /v1/sorters lists the sorters in the key's scope."""
    client, keys, _ = ready
    assert upload_layout(client, keys.admin, sorter="S7").status_code == 201
    mine = client.get("/v1/sorters", headers=H(keys.wcs_s1)).json()["items"]
    everyone = client.get("/v1/sorters", headers=H(keys.admin)).json()["items"]
    assert [s["sorter_id"] for s in mine] == ["S1"]
    assert {"S1", "S7"} <= {s["sorter_id"] for s in everyone}
    assert client.get("/v1/sorters", headers=H(keys.planner)).status_code == 403


# ---------------------------------------------------------------- layouts


def test_layout_reads_back_and_the_same_upload_keeps_its_version(ready):
    """GET returns the stored layout.json; PUT of the same layout is 200 with the version."""
    client, keys, _ = ready
    found = client.get(f"{BASE}/layout", headers=H(keys.wcs_s1)).json()
    assert found["layout"]["chutes"] == LAYOUT_DOC["chutes"]
    assert found["summary"]["chutes"] == 60 and found["summary"]["chute_types"]["no_read"] == 1
    again = upload_layout(client, keys.wcs_s1)
    assert again.status_code == 200 and again.json()["version"] == found["version"]
    missing = client.get(f"{BASE}/layout", params={"version": 99}, headers=H(keys.wcs_s1))
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "version"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"sorter_id": "S2"}, 422, "sorter_id"),
        ({"speed_m_s": 0}, 422, "speed_m_s"),
        ({"chutes": [{**LAYOUT_DOC["chutes"][0], "capacity_parcels": 0}]}, 422, "chutes.0"),
        ({"chutes": [LAYOUT_DOC["chutes"][0]] * 2}, 422, "chutes.1.id"),
        ({"chutes": [{**LAYOUT_DOC["chutes"][0], "type": "chute"}]}, 422, "chutes.0.type"),
        ({"chutes": [{**LAYOUT_DOC["chutes"][0], "position_m": 500.0}]}, 422, "chutes.0"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_bad_layouts_are_refused_naming_the_field(ready, change, status, field):
    """Shape and meaning (the core's checks) both come back with the body's field path."""
    client, keys, _ = ready
    before = client.get(f"{BASE}/layout", headers=H(keys.wcs_s1)).json()["version"]
    response = upload_layout(client, keys.wcs_s1, {**LAYOUT_DOC, **change})
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"].startswith(field)
    assert client.get(f"{BASE}/layout", headers=H(keys.wcs_s1)).json()["version"] == before


def test_too_many_chutes_is_413_with_the_count(make_client):
    """A layout over max_chutes is refused before its chutes are read."""
    client = make_client(max_chutes=10)
    keys = issue_keys(client.app)
    response = upload_layout(client, keys.wcs_s1)
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "Too many chutes (60), maximum is 10"


def test_a_layout_the_active_plan_does_not_fit_is_409_and_not_stored(ready):
    """Dropping chutes the active plan uses: 409 naming one, the stored layout unchanged."""
    client, keys, plan = ready
    used = {c["chute_id"] for a in plan["plan"]["assignments"] for c in a["chutes"]}
    kept = [c for c in LAYOUT_DOC["chutes"] if c["id"] not in used]
    before = client.get(f"{BASE}/layout", headers=H(keys.wcs_s1)).json()["version"]
    response = upload_layout(client, keys.wcs_s1, {**LAYOUT_DOC, "chutes": kept})
    assert response.status_code == 409
    error = response.json()["error"]
    assert "does not fit this layout" in error["message"]
    assert any("is not in the layout" in p["message"] for p in error["problems"])
    assert client.get(f"{BASE}/layout", headers=H(keys.wcs_s1)).json()["version"] == before


# ---------------------------------------------------------------- plans


def test_the_plan_job_answered_202_and_stored_a_checked_version(ready):
    """The job's result is the stored version with status, objective, bound and gap."""
    client, keys, plan = ready
    listed = client.get(f"{BASE}/plans", headers=H(keys.wcs_s1)).json()["items"]
    first = next(p for p in listed if p["version"] == plan["version"])
    assert first["status"] == "active" and first["check"]["ok"] is True
    solve = first["solve"]
    assert solve["status"] in ("optimal", "feasible") and solve["objective"] >= solve["bound"]
    assert first["destinations"] == len(FORECAST_DOC["destinations"])
    assert first["plan"] is None and plan["plan"]["plan_id"] == f"{SORTER}-v{plan['version']}"
    job = client.get(f"/v1/jobs/{plan['job_id']}", headers=H(keys.wcs_s1)).json()
    assert job["kind"] == "sorting.optimize" and job["result"]["version"] == plan["version"]


def test_optimize_errors(ready):
    """Unknown sorter 404; stay_close without an active plan 409; a bad forecast 422."""
    client, keys, _ = ready
    body = {"forecast": FORECAST_DOC}
    unknown = client.post("/v1/sorters/NOPE/plans", json=body, headers=H(keys.admin))
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "sorter_id"
    upload_layout(client, keys.admin, sorter="S8")
    close = client.post(
        "/v1/sorters/S8/plans", json={**body, "stay_close": True}, headers=H(keys.admin)
    )
    assert close.status_code == 409 and close.json()["error"]["field"] == "stay_close"
    twice = {**FORECAST_DOC, "destinations": FORECAST_DOC["destinations"][:1] * 2}
    bad = client.post(f"{BASE}/plans", json={"forecast": twice}, headers=H(keys.wcs_s1))
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "forecast.destinations.1.destination"
    negative = {**FORECAST_DOC, "no_read_share": 1.5}
    bad = client.post(f"{BASE}/plans", json={"forecast": negative}, headers=H(keys.wcs_s1))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "forecast.no_read_share"


def test_the_time_limit_is_held_under_the_server_cap(make_client):
    """A client asking for an hour gets the server's solver_time_cap_s."""
    client = make_client(solver_time_cap_s=3.0)
    keys = issue_keys(client.app)
    upload_layout(client, keys.wcs_s1)
    job = optimize(client, keys.wcs_s1, time_limit_s=3600)
    assert job["params"]["time_limit_s"] == 3.0
    assert job["status"] == "succeeded"
    assert checked_plan(client, keys.wcs_s1, job["result"]["version"])["solve"]["time_limit_s"] == 3


def test_a_plan_that_fails_the_checker_or_the_layout_is_not_activated(ready):
    """409 with the checker's or the core's reason; the active plan stays."""
    client, keys, plan = ready
    database = client.app.state.services.database
    stored = client.get(f"{BASE}/plans/{plan['version']}", headers=H(keys.wcs_s1)).json()
    summary = {k: stored[k] for k in ("plan_id", "job_id", "layout_version", "forecast_version",
                                      "destinations", "chutes_used", "mixed_destinations",
                                      "solve")}  # fmt: skip
    failing = {"ok": False, "max_fill": 1.4, "problems": [
        {"field": "plan", "message": "chute C001 expects 140% of its container", "code": "capacity"}
    ]}  # fmt: skip
    with database.transaction() as session:

        def body(version: int) -> dict:
            return {
                "summary": {**summary, "check": failing},
                "plan": {**stored["plan"], "version": version},
                "carriers": {},
            }

        version = save_version(session, docs.PLAN, SORTER, body, sorter_id=SORTER).version
    refused = client.post(f"{BASE}/plans/{version}/activate", headers=H(keys.wcs_s1))
    assert refused.status_code == 409
    assert "fails the independent checker (chute C001" in refused.json()["error"]["message"]
    assert sorter(client, keys.wcs_s1)["active_plan_version"] == plan["version"]
    missing = client.post(f"{BASE}/plans/999/activate", headers=H(keys.wcs_s1))
    assert missing.status_code == 404


def test_a_plan_for_chutes_the_layout_lost_is_409_with_the_cores_message(ready):
    """S2 (no active plan) drops chutes after its plan was made: activation names them."""
    client, keys, _ = ready
    upload_layout(client, keys.admin, sorter="S2")
    job = optimize(client, keys.admin, sorter="S2")
    version = job["result"]["version"]
    kept = [c for c in LAYOUT_DOC["chutes"] if c["type"] != "destination"][:4]
    kept += [c for c in LAYOUT_DOC["chutes"] if c["type"] == "destination"][:3]
    smaller = {**LAYOUT_DOC, "sorter_id": "S2", "chutes": kept}
    assert upload_layout(client, keys.admin, smaller, sorter="S2").status_code == 201
    refused = client.post(f"/v1/sorters/S2/plans/{version}/activate", headers=H(keys.admin))
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert "does not fit the sorter's layout v2" in error["message"]
    assert "is not in the layout" in error["message"]
    assigned = client.post("/v1/sorters/S2/assignments", json=scan("X"), headers=H(keys.admin))
    assert assigned.status_code == 409 and "no active plan" in assigned.json()["error"]["message"]


def test_a_plan_close_to_the_active_one_moves_few_destinations_and_switches_atomically(
    make_client,
):
    """stay_close reports the moves; activation answers the previous version; new parcels get
    the new plan while parcels already in containers stay in their manifests."""
    client = make_client()
    keys = issue_keys(client.app)
    key = keys.wcs_s1
    first = ready_sorter(client, key)
    before = client.post(f"{BASE}/assignments", json=scan("OLD1"), headers=H(key)).json()
    assert before["plan_version"] == 1
    job = optimize(client, key, stay_close=True, seed=3, move_penalty=1000)
    assert job["status"] == "succeeded" and job["params"]["current_version"] == 1
    assert job["result"]["moves"] == 0  # the forecast did not change
    second = checked_plan(client, key, job["result"]["version"])
    assert second["version"] == 2 and second["solve"]["moves"] == 0
    switched = client.post(f"{BASE}/plans/2/activate", headers=H(key)).json()
    assert switched["previous_version"] == 1 and switched["plan_id"] == f"{SORTER}-v2"
    again = client.post(f"{BASE}/plans/2/activate", headers=H(key))
    assert again.status_code == 200 and again.json()["activated_at"] == switched["activated_at"]
    after = client.post(f"{BASE}/assignments", json=scan("NEW1"), headers=H(key)).json()
    assert after["plan_version"] == 2 and after["chute_id"] in chutes_of(second, FIRST)
    statuses = {
        p["version"]: p["status"]
        for p in client.get(f"{BASE}/plans", headers=H(key)).json()["items"]
    }
    assert statuses == {1: "retired", 2: "active"}
    closed = client.post(
        f"{BASE}/chutes/{before['chute_id']}/events",
        json={"event": "container_closed"},
        headers=H(key),
    ).json()
    assert "OLD1" in closed["manifest"]["parcel_ids"] and first["version"] == 1


# ---------------------------------------------------------------- assignments


def test_one_assignment_answers_the_planned_chute_and_a_resend_the_same(ready):
    """The chute is one of the destination's planned chutes; the same scan again is answered
    the same and not counted twice."""
    client, keys, plan = ready
    key = keys.wcs_s1
    body = scan("P-ONE", scan=1)
    first = client.post(f"{BASE}/assignments", json=body, headers=H(key))
    assert first.status_code == 200
    answer = first.json()
    assert answer["reason"] == "planned" and answer["chute_id"] in chutes_of(plan, FIRST)
    assert answer["plan_version"] == plan["version"] and answer["parcel_id"] == "P-ONE"
    decisions = sorter(client, key)["live"]["decisions"]
    assert client.post(f"{BASE}/assignments", json=body, headers=H(key)).json() == answer
    assert sorter(client, key)["live"]["decisions"] == decisions


@pytest.mark.parametrize(
    ("changes", "reason", "role"),
    [
        ({"destination": None}, "no_read", "no_read"),
        ({"destination": "ZZ-NOWHERE"}, "unknown_destination", "exception"),
        ({"category": "battery"}, "restricted", "battery"),
        ({"length_mm": 1000, "width_mm": 500, "height_mm": 400}, "oversize", "oversize"),
    ],
)
def test_reason_codes_route_to_their_special_chutes(ready, changes, reason, role):
    """No-reads, unknown sort keys, restricted goods and oversize go to their chutes."""
    client, keys, plan = ready
    pid = f"P-{reason}"
    answer = client.post(f"{BASE}/assignments", json=scan(pid, **changes), headers=H(keys.wcs_s1))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["reason"] == reason
    special = plan["plan"]["special"].get(role) or plan["plan"]["restricted"].get(role)
    assert found["chute_id"] in special


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (scan("B1", category="plutonium"), 422, "category"),
        (scan("B2", weight_g=-1), 422, "weight_g"),
        (scan("B3", weight_g=True), 422, "weight_g"),
        (scan("B4", scan=0), 422, "scan"),
        (scan("", destination="X"), 422, "parcel_id"),
        ({k: v for k, v in scan("B5").items() if k != "destination"}, 422, "destination"),
        ([scan("B6")], 422, "body"),
    ],
)
def test_bad_scans_are_422_naming_the_field(ready, body, status, field):
    client, keys, _ = ready
    response = client.post(f"{BASE}/assignments", json=body, headers=H(keys.wcs_s1))
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field


def test_unreadable_bodies_are_400_and_415(ready):
    client, keys, _ = ready
    broken = client.post(
        f"{BASE}/assignments",
        content=b'{"parcel_id": ',
        headers={**H(keys.wcs_s1), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["error"]["field"] == "body"
    text = client.post(
        f"{BASE}/assignments",
        content=b"parcel_id=1",
        headers={**H(keys.wcs_s1), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert text.status_code == 415


def test_unknown_sorter_is_404(ready):
    client, keys, _ = ready
    response = client.post("/v1/sorters/NOPE/assignments", json=scan("Q"), headers=H(keys.admin))
    assert response.status_code == 404 and response.json()["error"]["field"] == "sorter_id"


def test_a_batch_answers_each_scan_in_order_like_single_requests(ready):
    """The generated stream's scans, batched: every answer valid for the active plan."""
    client, keys, plan = ready
    parcels = SCANS[:200]
    response = client.post(
        f"{BASE}/assignments/batch", json={"parcels": parcels}, headers=H(keys.wcs_s1)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["plan_version"] == plan["version"]
    assert [d["parcel_id"] for d in body["decisions"]] == [p["parcel_id"] for p in parcels]
    chutes = {c.id for c in LAYOUT.chutes}
    for parcel, decision in zip(parcels, body["decisions"], strict=True):
        assert decision["chute_id"] is None or decision["chute_id"] in chutes
        if decision["reason"] == "planned":
            assert decision["chute_id"] in chutes_of(plan, parcel["destination"])


def test_a_batch_with_one_bad_scan_assigns_nothing(ready):
    client, keys, _ = ready
    decisions = sorter(client, keys.wcs_s1)["live"]["decisions"]
    parcels = [scan("G1"), scan("G2"), scan("G3", height_mm="tall")]
    response = client.post(
        f"{BASE}/assignments/batch", json={"parcels": parcels}, headers=H(keys.wcs_s1)
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "parcels.2.height_mm"
    assert sorter(client, keys.wcs_s1)["live"]["decisions"] == decisions
    empty = client.post(f"{BASE}/assignments/batch", json={"parcels": []}, headers=H(keys.wcs_s1))
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "parcels"


def test_an_oversize_batch_is_413_with_the_count_and_maximum(make_client):
    """Refused on its count before any scan is checked (the scans here are not even valid)."""
    client = make_client(max_batch_assignments=5)
    keys = issue_keys(client.app)
    upload_layout(client, keys.wcs_s1)
    response = client.post(
        f"{BASE}/assignments/batch", json={"parcels": [{}] * 6}, headers=H(keys.wcs_s1)
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": "Too many parcels (6), maximum is 5",
        "field": "parcels",
    }


# ---------------------------------------------------------------- chutes and manifests


def test_chute_events_change_live_state_and_assignments_follow(ready):
    """A disabled chute takes nothing until enabled; full and swap block it until closed."""
    client, keys, plan = ready
    key = keys.wcs_s1
    own = sorted(chutes_of(plan, FIRST))
    events = f"{BASE}/chutes/{own[0]}/events"
    disabled = client.post(events, json={"event": "disabled"}, headers=H(key)).json()
    assert disabled["chute"]["disabled"] is True and disabled["chute"]["available"] is False
    assert disabled["manifest"] is None
    for i in range(5):
        answer = client.post(f"{BASE}/assignments", json=scan(f"D-{i}"), headers=H(key)).json()
        assert answer["chute_id"] != own[0]
    client.post(events, json={"event": "enabled"}, headers=H(key))
    client.post(events, json={"event": "swap_started"}, headers=H(key))
    states = client.get(f"{BASE}/chutes", headers=H(key)).json()
    found = next(c for c in states["items"] if c["chute_id"] == own[0])
    assert (found["state"], found["disabled"], found["available"]) == ("swapping", False, False)
    assert len(states["items"]) == 60 and states["plan_version"] == plan["version"]
    listing = ChuteStateList.model_validate(states)  # the documented schema, types included
    assert {c.chute_id: c.type for c in listing.items} == {
        c.id: c.type.value for c in LAYOUT.chutes
    }
    reopened = client.post(events, json={"event": "container_closed"}, headers=H(key)).json()
    assert reopened["chute"]["state"] == "open" and reopened["chute"]["count"] == 0


def test_a_closed_container_yields_a_stored_manifest_for_its_carrier(ready):
    """Parcels, count and weight; listed for the sorter and for the carrier of its
    destinations; another carrier's key cannot read that carrier's manifests."""
    client, keys, plan = ready
    key = keys.wcs_s1
    sent = [scan(f"M-{i}", weight_g=250 + i) for i in range(3)]
    answers = [client.post(f"{BASE}/assignments", json=s, headers=H(key)).json() for s in sent]
    chute = answers[0]["chute_id"]
    inside = [a["parcel_id"] for a in answers if a["chute_id"] == chute]
    closed = client.post(
        f"{BASE}/chutes/{chute}/events", json={"event": "container_closed"}, headers=H(key)
    )
    assert closed.status_code == 200
    manifest = closed.json()["manifest"]
    assert set(inside) <= set(manifest["parcel_ids"]) and manifest["count"] == len(
        manifest["parcel_ids"]
    )
    carrier = next(d["carrier"] for d in FORECAST_DOC["destinations"] if d["destination"] == FIRST)
    assert manifest["carrier_id"] == carrier and manifest["carriers"] == [carrier]
    assert manifest["plan_id"] == plan["plan"]["plan_id"]
    listed = client.get(f"{BASE}/manifests", params={"chute_id": chute}, headers=H(key)).json()
    assert manifest["manifest_id"] in [m["manifest_id"] for m in listed["items"]]
    for reader in (keys.planner, keys.admin):
        found = client.get(f"/v1/carriers/{carrier}/manifests", headers=H(reader))
        assert manifest["manifest_id"] in [m["manifest_id"] for m in found.json()["items"]]
    assert (
        client.get(f"/v1/carriers/{carrier}/manifests", headers=H(keys.carrier_xyz)).status_code
        == 403
    )
    own = client.get("/v1/carriers/XYZ/manifests", headers=H(keys.carrier_xyz))
    assert own.status_code == 200 and own.json()["items"] == []
    assert client.get(f"/v1/carriers/{carrier}/manifests", headers=H(key)).status_code == 403


def test_bad_chute_events(ready):
    """Unknown chute 404; unknown event 422 naming it."""
    client, keys, _ = ready
    unknown = client.post(
        f"{BASE}/chutes/NOPE/events", json={"event": "full"}, headers=H(keys.wcs_s1)
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "chute_id"
    bad = client.post(
        f"{BASE}/chutes/C001/events", json={"event": "exploded"}, headers=H(keys.wcs_s1)
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "event"


def test_a_manifest_the_database_refused_is_stored_later(ready, monkeypatch):
    """The event is answered with its manifest; the background pass stores it once."""
    client, keys, _ = ready
    import api.routers.sorting_live as live

    def refuse(*_args, **_kwargs):
        raise RuntimeError("database away")

    answer = client.post(f"{BASE}/assignments", json=scan("LATE-1"), headers=H(keys.wcs_s1)).json()
    with monkeypatch.context() as patch:
        patch.setattr(live, "store_manifests", refuse)
        closed = client.post(
            f"{BASE}/chutes/{answer['chute_id']}/events",
            json={"event": "container_closed"},
            headers=H(keys.wcs_s1),
        )
    assert closed.status_code == 200
    manifest_id = closed.json()["manifest"]["manifest_id"]

    def listed() -> list[str]:
        items = client.get(f"{BASE}/manifests", params={"limit": 500}, headers=H(keys.wcs_s1))
        return [m["manifest_id"] for m in items.json()["items"]]

    assert manifest_id not in listed()
    client.app.state.services.sorting.persist_all()
    client.app.state.services.sorting.persist_all()
    assert listed().count(manifest_id) == 1


def test_assignment_metrics_count_reasons_and_latency(ready):
    """/metrics: assignments by sorter and reason, and the handler's latency histogram."""
    client, keys, _ = ready
    client.post(f"{BASE}/assignments", json=scan("MET-1", destination=None), headers=H(keys.wcs_s1))
    text = client.get("/metrics").text
    no_read = [
        line
        for line in text.splitlines()
        if line.startswith('optimizer_assignments_total{reason="no_read",sorter_id="S1"}')
    ]
    assert no_read and float(no_read[0].split()[-1]) >= 1
    assert 'optimizer_assignment_seconds_count{form="single",sorter_id="S1"}' in text
    assert 'optimizer_assignment_seconds_count{form="batch",sorter_id="S1"}' in text
    assert set(REASONS) == {r.value for r in Reason}  # every reason code has its counter


@pytest.mark.parametrize("path", ["/assignments", "/assignments/batch"])
@pytest.mark.parametrize(
    "body",
    [b"[" * 5000 + b"]" * 5000, b'{"parcel_id": ' + b"[" * 5000 + b"]" * 5000 + b"}"],
    ids=["whole body", "one field"],
)
def test_deeply_nested_json_is_400_on_the_hot_path(ready, path, body):
    """Nesting deep enough to exhaust the decoder's recursion is bad input, not a 500."""
    client, keys, _ = ready
    headers = {**H(keys.wcs_s1), "Content-Type": "application/json"}
    answer = client.post(BASE + path, content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == {
        "code": answer.json()["error"]["code"],
        "message": "Body is not valid JSON: nested too deeply",
        "field": "body",
    }


def live_chutes(client, key) -> dict:
    return {c["chute_id"]: c for c in client.get(f"{BASE}/chutes", headers=H(key)).json()["items"]}


def test_the_answer_that_fills_a_container_says_so(ready):
    """`container_full` is true exactly once per container, on the parcel that filled it:
    the chute is full from then on and takes nothing more until the container is swapped."""
    client, keys, _ = ready
    key = keys.wcs_s1
    answers = []
    for i in range(2000):
        answer = client.post(f"{BASE}/assignments", json=scan(f"FULL-{i}"), headers=H(key))
        answers.append(answer.json())
        if answers[-1]["container_full"]:
            break
    filled = answers[-1]
    assert filled["container_full"] and filled["chute_id"] is not None
    chute = filled["chute_id"]
    states = live_chutes(client, key)
    assert states[chute]["state"] == "full"
    assert not any(a["container_full"] for a in answers[:-1])
    batch = client.post(
        f"{BASE}/assignments/batch",
        json={"parcels": [scan(f"FULL-B{i}") for i in range(30)]},
        headers=H(key),
    ).json()["decisions"]
    assert chute not in {d["chute_id"] for d in batch}
    closed = client.post(
        f"{BASE}/chutes/{chute}/events", json={"event": "container_closed"}, headers=H(key)
    )
    assert closed.json()["manifest"]["count"] == states[chute]["count"]


def test_a_batch_says_which_of_its_parcels_filled_a_container(ready):
    """In a batch the flag sits on the decision that filled the container, no other."""
    client, keys, _ = ready
    key = keys.wcs_s1
    before = live_chutes(client, key)
    batch = client.post(
        f"{BASE}/assignments/batch",
        json={"parcels": [scan(f"FB-{i}") for i in range(1000)]},
        headers=H(key),
    ).json()["decisions"]
    flagged = [n for n, d in enumerate(batch) if d["container_full"]]
    assert flagged
    after = live_chutes(client, key)
    for n in flagged:
        chute = batch[n]["chute_id"]
        assert before[chute]["state"] == "open" and after[chute]["state"] == "full"
        assert chute not in {d["chute_id"] for d in batch[n + 1 :]}
    became_full = {c for c in after if after[c]["state"] == "full" and before[c]["state"] == "open"}
    assert became_full == {batch[n]["chute_id"] for n in flagged}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('"weight_g": ' + "1" * 5000, "a number has too many digits"),
        ('"parcel_id": "\\ud800x"', "half of a surrogate pair"),
        ('"destination": "\\udfff"', "half of a surrogate pair"),
    ],
    ids=["huge integer", "lone high surrogate", "lone low surrogate"],
)
def test_json_no_later_step_could_store_is_400(ready, raw, problem):
    """An integer past Python's digit limit and half a surrogate pair (which no manifest or
    response could encode later) are refused at the door, single and batch."""
    client, keys, _ = ready
    scan_text = json.dumps(scan("SUR-1"))[:-1] + ", " + raw + "}"
    headers = {**H(keys.wcs_s1), "Content-Type": "application/json"}
    batch_text = f'{{"parcels": [{scan_text}]}}'
    for path, body in (("/assignments", scan_text), ("/assignments/batch", batch_text)):
        answer = client.post(BASE + path, content=body, headers=headers)
        assert answer.status_code == 400, answer.text
        assert problem in answer.json()["error"]["message"]
        assert answer.json()["error"]["field"] == "body"


def test_a_surrogate_pair_written_as_escapes_is_one_character(ready):
    client, keys, _ = ready
    body = json.dumps(scan("PAIR-1"))[:-1] + ', "parcel_id": "P\\ud83d\\udce6"}'
    headers = {**H(keys.wcs_s1), "Content-Type": "application/json"}
    answer = client.post(BASE + "/assignments", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["parcel_id"] == "P\U0001f4e6"
