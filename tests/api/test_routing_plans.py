"""Batch plans and what-if scenarios as jobs: 202 at once, progress, results, cancel, privacy."""

from __future__ import annotations

import pytest

from optimizer.routing import generate_network, generate_shipments
from optimizer.routing.network_json import network_to_dict
from optimizer.routing.shipments import shipment_to_dict
from tests.api.conftest import Keys, finished, wait_for_job
from tests.api.routing_cases import (
    carrier_keys,
    itineraries,
    network_document,
    plan,
    plan_violations,
    shipment_records,
    upload,
)

H = Keys.header
FOUR = shipment_records(4)


@pytest.fixture(scope="module")
def client_keys(shared_client, shared_keys):
    """The tiny network with four express parcels due Wednesday (set 'day')."""
    upload(shared_client, shared_keys.planner, FOUR)
    return shared_client, shared_keys


@pytest.fixture(scope="module")
def finished_plan(client_keys):
    client, keys = client_keys
    job = plan(client, keys.planner)
    assert job["status"] == "succeeded", job
    return job


def test_plan_answers_202_with_the_job_at_once(client_keys):
    """POST /v1/plans returns the queued job and where to follow it, before any solving."""
    client, keys = client_keys
    body = {"network_id": "tiny", "shipment_set_id": "day", "time_limit_s": 5}
    response = client.post("/v1/plans", json=body, headers=H(keys.planner))
    assert response.status_code == 202
    job = response.json()
    assert job["kind"] == "routing.plan" and job["status"] == "queued"
    assert response.headers["location"] == f"/v1/plans/{job['id']}"
    assert job["params"]["network_version"] == 1 and job["params"]["shipment_set_version"] == 1
    wait_for_job(client, job["id"], keys.planner, finished)


def test_plan_reaches_the_hand_computed_optimum_and_passes_the_checker(client_keys, finished_plan):
    """Three parcels fill Monday's flight (15.85 each), the fourth flies Tuesday, a day late
    (25.85): 73.40 USD; every served itinerary passes the independent checker."""
    client, keys = client_keys
    found = client.get(f"/v1/plans/{finished_plan['id']}", headers=H(keys.planner)).json()
    result = found["result"]
    assert found["status"] == "succeeded" and found["network"] == {"id": "tiny", "version": 1}
    assert result["solver_status"] == "optimal"
    assert result["objective"] == "73.40" and result["kpis"]["cost"] == "73.40"
    assert (result["kpis"]["on_time"], result["kpis"]["late"]) == (3, 1)
    assert result["itineraries"] == 4
    served = itineraries(client, keys.planner, finished_plan["id"])
    assert sorted(i["shipment"] for i in served) == ["P0", "P1", "P2", "P3"]
    assert plan_violations(FOUR, served) == []
    flights = sorted(leg["departure"] for i in served for leg in i["legs"] if leg["lane"] == "FAST")
    assert flights == ["2025-03-24T17:00:00Z"] * 3 + ["2025-03-25T17:00:00Z"]


def test_itineraries_filter_by_status_and_one_by_id(client_keys, finished_plan):
    """status=late lists the one late parcel; one shipment's itinerary by id; unknown id 404."""
    client, keys = client_keys
    url = f"/v1/plans/{finished_plan['id']}/itineraries"
    late = client.get(url, params={"status": "late"}, headers=H(keys.planner)).json()
    assert late["total"] == 1
    (only,) = late["items"]
    assert only["late_minutes"] == 17 * 60 and only["late_penalty"] == "10.00"
    one = client.get(f"{url}/{only['shipment']}", headers=H(keys.planner))
    assert one.json() == only
    missing = client.get(f"{url}/NOPE", headers=H(keys.planner))
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "shipment_id"


def test_plans_are_visible_to_their_key_only(client_keys, finished_plan):
    """Another planner gets 404 (as for jobs) and does not list it; an admin sees it."""
    client, keys = client_keys
    url = f"/v1/plans/{finished_plan['id']}"
    assert client.get(url, headers=H(keys.planner2)).status_code == 404
    assert client.get(f"{url}/itineraries", headers=H(keys.planner2)).status_code == 404
    assert client.post(f"{url}/activate", headers=H(keys.planner2)).status_code == 404
    assert client.get(url, headers=H(keys.admin)).status_code == 200
    mine = [p["plan_id"] for p in client.get("/v1/plans", headers=H(keys.planner)).json()["items"]]
    theirs = client.get("/v1/plans", headers=H(keys.planner2)).json()["items"]
    assert finished_plan["id"] in mine and theirs == []
    assert client.get(url, headers=H(keys.carrier_xyz)).status_code == 403


def test_validate_only_and_bad_inputs_start_no_job(client_keys):
    """validate_only answers 200; unknown set or version 404; unknown nodes 422 by index."""
    client, keys = client_keys
    before = len(client.get("/v1/jobs", headers=H(keys.planner)).json()["items"])
    body = {"network_id": "tiny", "shipment_set_id": "day"}
    check = client.post(
        "/v1/plans", params={"validate_only": True}, json=body, headers=H(keys.planner)
    )
    assert check.status_code == 200
    assert check.json()["summary"]["shipments"] == 4
    missing = client.post(
        "/v1/plans", json={**body, "shipment_set_id": "night"}, headers=H(keys.planner)
    )
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "shipment_set_id"
    version = client.post(
        "/v1/plans", json={**body, "shipment_set_version": 7}, headers=H(keys.planner)
    )
    assert version.status_code == 404
    assert version.json()["error"]["field"] == "shipment_set_version"
    stray = shipment_records(2, prefix="Q")
    stray[1]["destination"] = "FARAWAY"
    client.post("/v1/shipment-sets/stray/versions", json=stray, headers=H(keys.planner))
    bad = client.post(
        "/v1/plans", json={**body, "shipment_set_id": "stray"}, headers=H(keys.planner)
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "shipments.1.destination"
    assert len(client.get("/v1/jobs", headers=H(keys.planner)).json()["items"]) == before


def test_solver_time_is_capped_by_the_server(client_keys):
    """A request for 10,000 s is stored as the server's cap (60 s in these tests)."""
    client, keys = client_keys
    body = {"network_id": "tiny", "shipment_set_id": "day", "time_limit_s": 10_000}
    job = client.post("/v1/plans", json=body, headers=H(keys.planner)).json()
    assert job["params"]["time_limit_s"] == 60.0
    wait_for_job(client, job["id"], keys.planner, finished)


def test_plan_kind_also_runs_through_the_generic_jobs_endpoint(client_keys):
    """routing.plan is a listed job kind; POST /v1/jobs with its params plans the same set;
    a set that does not exist fails the job with the field named."""
    client, keys = client_keys
    kinds = client.get("/v1/jobs/kinds", headers=H(keys.planner)).json()["items"]
    assert {"routing.plan", "routing.whatif"} <= {k["name"] for k in kinds}
    body = {"kind": "routing.plan", "params": {"network_id": "tiny", "shipment_set_id": "day"}}
    created = client.post("/v1/jobs", json=body, headers=H(keys.planner))
    assert created.status_code == 202
    job = wait_for_job(client, created.json()["id"], keys.planner, finished)
    assert job["status"] == "succeeded" and job["result"]["objective"] == "73.40"
    missing = client.post(
        "/v1/jobs",
        json={"kind": "routing.plan", "params": {"network_id": "tiny", "shipment_set_id": "nope"}},
        headers=H(keys.planner),
    )
    failed = wait_for_job(client, missing.json()["id"], keys.planner, finished)
    assert failed["status"] == "failed" and failed["error"]["code"] == "invalid"
    assert failed["error"]["problems"][0]["field"] == "shipment_set_id"
    refused = client.post(
        "/v1/jobs",
        json={"kind": "routing.plan", "params": {"network_id": "tiny"}},
        headers=H(keys.planner),
    )
    assert (
        refused.status_code == 422 and refused.json()["error"]["field"] == "params.shipment_set_id"
    )


def test_a_plan_that_is_not_done_has_no_itineraries(client_keys):
    """Itineraries of a queued or cancelled plan: 409; so is activating it."""
    client, keys = client_keys
    blocker = client.post(
        "/v1/jobs",
        json={"kind": "test.count", "params": {"n": 100_000, "step_s": 0.01}},
        headers=H(keys.planner),
    ).json()
    body = {"network_id": "tiny", "shipment_set_id": "day"}
    queued = client.post("/v1/plans", json=body, headers=H(keys.planner)).json()
    conflict = client.get(f"/v1/plans/{queued['id']}/itineraries", headers=H(keys.planner))
    assert conflict.status_code == 409
    assert (
        client.post(f"/v1/plans/{queued['id']}/activate", headers=H(keys.planner)).status_code
        == 409
    )
    client.post(f"/v1/jobs/{queued['id']}/cancel", headers=H(keys.planner))
    client.post(f"/v1/jobs/{blocker['id']}/cancel", headers=H(keys.planner))
    wait_for_job(client, blocker["id"], keys.planner, finished)
    assert (
        client.get(f"/v1/plans/{queued['id']}", headers=H(keys.planner)).json()["status"]
        == "cancelled"
    )


def test_cancel_stops_a_plan_while_it_solves(client_keys):
    """A large, tight plan is cancelled mid-solve: it ends cancelled with no itineraries."""
    client, keys = client_keys
    network = generate_network(20, seed=3, expected_shipments=4000, tightness=2.0)
    shipments = [shipment_to_dict(s) for s in generate_shipments(network, 4000, seed=3)]
    client.post("/v1/networks/gen/versions", json=network_to_dict(network), headers=H(keys.planner))
    client.post("/v1/shipment-sets/big/versions", json=shipments, headers=H(keys.planner))
    body = {"network_id": "gen", "shipment_set_id": "big", "time_limit_s": 60}
    job = client.post("/v1/plans", json=body, headers=H(keys.planner)).json()
    wait_for_job(client, job["id"], keys.planner, lambda j: j["progress"] >= 0.05 or finished(j))
    response = client.post(f"/v1/jobs/{job['id']}/cancel", headers=H(keys.planner))
    assert response.status_code == 200
    done = wait_for_job(client, job["id"], keys.planner, finished)
    assert done["status"] == "cancelled" and done["result"]["cancelled"] is True
    assert (
        client.get(f"/v1/plans/{job['id']}/itineraries", headers=H(keys.planner)).status_code == 409
    )


def test_whatif_compares_closing_the_flight_with_the_baseline(client_keys):
    """Without FAST all four go by road, four days late: 188.20 USD against 73.40, on time 0."""
    client, keys = client_keys
    body = {
        "network_id": "tiny",
        "shipment_set_id": "day",
        "time_limit_s": 5,
        "scenario": {"name": "no flights", "changes": [{"type": "close_lane", "lane": "FAST"}]},
    }
    created = client.post("/v1/scenarios", json=body, headers=H(keys.planner))
    assert created.status_code == 202
    assert created.headers["location"] == f"/v1/scenarios/{created.json()['id']}"
    wait_for_job(client, created.json()["id"], keys.planner, finished)
    found = client.get(f"/v1/scenarios/{created.json()['id']}", headers=H(keys.planner)).json()
    assert found["status"] == "succeeded" and found["name"] == "no flights"
    rows = {row["name"]: row for row in found["result"]["kpis"]}
    assert rows["total cost"]["baseline"] == pytest.approx(73.40)
    assert rows["total cost"]["scenario"] == pytest.approx(188.20)
    assert rows["total cost"]["delta"] == pytest.approx(114.80)
    assert rows["on-time rate"]["delta"] == pytest.approx(-0.75)
    assert found["result"]["changed"]["kpis"]["late"] == 4
    listed = client.get("/v1/scenarios", headers=H(keys.planner)).json()["items"]
    assert created.json()["id"] in [s["scenario_id"] for s in listed]
    assert (
        client.get(f"/v1/scenarios/{created.json()['id']}", headers=H(keys.planner2)).status_code
        == 404
    )


def test_unknown_change_type_and_lane_are_named(client_keys):
    """An unknown change type and an unknown lane: one 422 naming both; no job starts."""
    client, keys = client_keys
    body = {
        "network_id": "tiny",
        "shipment_set_id": "day",
        "scenario": {
            "name": "typos",
            "changes": [
                {"type": "teleport", "lane": "FAST"},
                {"type": "close_lane", "lane": "HYPERLOOP"},
            ],
        },
    }
    response = client.post("/v1/scenarios", json=body, headers=H(keys.planner))
    assert response.status_code == 422
    problems = {p["field"]: p["message"] for p in response.json()["error"]["problems"]}
    assert "teleport" in problems["scenario.changes.0.type"]
    assert problems["scenario.changes.1.lane"] == "unknown lane 'HYPERLOOP'"
    valid = client.post(
        "/v1/scenarios",
        params={"validate_only": True},
        json={
            **body,
            "scenario": {"name": "ok", "changes": [{"type": "scale_volume", "factor": 2}]},
        },
        headers=H(keys.planner),
    )
    assert valid.status_code == 200 and valid.json()["summary"]["changes"] == 1


def test_activation_is_idempotent_and_newer_plans_move_only_waiting_shipments(
    client_keys, finished_plan
):
    """Activating twice changes nothing; activating a newer plan moves the shipments no carrier
    has reported on to its itineraries (as version 2) and keeps the one already moving."""
    client, keys = client_keys
    url = f"/v1/plans/{finished_plan['id']}/activate"
    first = client.post(url, headers=H(keys.planner)).json()
    assert (first["tracked"], first["kept"]) == (4, 0)
    again = client.post(url, headers=H(keys.planner)).json()
    assert (again["tracked"], again["kept"]) == (4, 0)
    assert client.get("/v1/tracking/P1", headers=H(keys.planner)).json()["version"] == 1
    feeder = carrier_keys(client.app)["Feeder"]
    departed = client.post(
        "/v1/tracking/P0/events",
        json={"event_id": "A1", "type": "departed", "at": "2025-03-24T09:00Z", "lane": "L1"},
        headers=H(feeder),
    )
    assert departed.status_code == 201
    newer = plan(client, keys.planner)
    moved = client.post(f"/v1/plans/{newer['id']}/activate", headers=H(keys.planner)).json()
    assert (moved["tracked"], moved["kept"], moved["kept_shipments"]) == (3, 1, ["P0"])
    waiting = client.get("/v1/tracking/P1", headers=H(keys.planner)).json()
    assert waiting["plan_id"] == newer["id"] and waiting["version"] == 2
    assert waiting["versions"][-1]["cause"] == {"type": "plan", "plan_id": newer["id"]}
    moving = client.get("/v1/tracking/P0", headers=H(keys.planner)).json()
    assert moving["plan_id"] == finished_plan["id"]


def test_events_on_legs_a_newer_plan_dropped(client_keys):
    """A newer network without the flight re-routes the waiting parcels by road: Air's report
    on its former leg is 409 (no longer on the itinerary), Feeder's 403, and Air no longer
    sees the shipment."""
    client, keys = client_keys
    document = network_document()
    document["lanes"] = [lane for lane in document["lanes"] if lane["id"] != "FAST"]
    stored = client.post("/v1/networks/tiny/versions", json=document, headers=H(keys.planner))
    assert stored.json()["version"] == 2
    road = plan(client, keys.planner, network_version=2)
    moved = client.post(f"/v1/plans/{road['id']}/activate", headers=H(keys.planner)).json()
    assert moved["kept_shipments"] == ["P0"]
    view = client.get("/v1/tracking/P1", headers=H(keys.planner)).json()
    assert [leg["lane"] for leg in view["legs"]] == ["L1", "SLOW", "LM"]
    carriers = carrier_keys(client.app)
    event = {"event_id": "N1", "type": "departed", "at": "2025-03-24T17:00Z", "lane": "FAST"}
    gone = client.post("/v1/tracking/P1/events", json=event, headers=H(carriers["Air"]))
    assert gone.status_code == 409 and gone.json()["error"]["field"] == "lane"
    assert "no longer" in gone.json()["error"]["message"]
    other = client.post("/v1/tracking/P1/events", json=event, headers=H(carriers["Feeder"]))
    assert other.status_code == 403
    assert client.get("/v1/tracking/P1", headers=H(carriers["Air"])).status_code == 403
