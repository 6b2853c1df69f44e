"""Restarts: plans, their itineraries, tracking state and outcomes survive; a plan job
interrupted by a shutdown runs again on the next start and stores its itineraries."""

from __future__ import annotations

import warnings

from api import create_app
from api.db.models import JobRow
from optimizer.routing import generate_network, generate_shipments
from optimizer.routing.network_json import network_to_dict
from optimizer.routing.shipments import shipment_to_dict
from tests.api.conftest import Keys, finished, issue_keys, settings_for, wait_for_job
from tests.api.routing_cases import carrier_keys, plan, shipment_records, upload

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

H = Keys.header


def test_plans_tracking_and_outcomes_are_found_after_a_restart(tmp_path):
    """A finished plan, its itineraries, a re-planned shipment with both versions, its events
    and the carrier's legs and outcomes are all served by a new app on the same database."""
    with TestClient(create_app(settings_for(tmp_path))) as first:
        keys = issue_keys(first.app)
        carriers = carrier_keys(first.app)
        upload(first, keys.planner, shipment_records(2))
        job = plan(first, keys.planner)
        assert job["status"] == "succeeded"
        first.post(f"/v1/plans/{job['id']}/activate", headers=H(keys.planner))
        held = first.post(
            "/v1/tracking/P0/events",
            json={
                "event_id": "R1",
                "type": "customs_hold",
                "at": "2025-03-24T23:00Z",
                "lane": "FAST",
                "until": "2025-03-26T12:00Z",
            },
            headers=H(carriers["Air"]),
        )
        assert held.status_code == 201 and held.json()["replanned"] is True
        before = first.get("/v1/tracking/P0", headers=H(keys.planner)).json()
        pages = first.get(f"/v1/plans/{job['id']}/itineraries", headers=H(keys.planner)).json()
    with TestClient(create_app(settings_for(tmp_path))) as second:
        found = second.get(f"/v1/plans/{job['id']}", headers=H(keys.planner)).json()
        assert found["status"] == "succeeded" and found["result"]["objective"] == "31.70"
        assert found["activated_at"] is not None
        again = second.get(f"/v1/plans/{job['id']}/itineraries", headers=H(keys.planner)).json()
        assert again == pages
        after = second.get("/v1/tracking/P0", headers=H(keys.planner)).json()
        assert after == before and after["version"] == 2 and after["state"] == "held"
        first_version = second.get("/v1/tracking/P0/versions/1", headers=H(keys.planner)).json()
        assert first_version["itinerary"]["delivered_at"] == "2025-03-25T17:00:00Z"
        legs = second.get("/v1/carriers/Post/legs", headers=H(carriers["Post"])).json()["items"]
        assert {leg["shipment_id"] for leg in legs} == {"P0", "P1"}
        duplicate = second.post(
            "/v1/tracking/P0/events",
            json={"event_id": "R1", "type": "damaged", "at": "2025-03-25T00:00Z", "lane": "FAST"},
            headers=H(carriers["Air"]),
        )
        assert duplicate.status_code == 409


def test_a_plan_interrupted_by_a_shutdown_runs_again_on_the_next_start(tmp_path):
    """Stopping the server mid-plan hands the job back; the next start plans and stores it."""
    network = generate_network(20, seed=5, expected_shipments=2000, tightness=2.0)
    shipments = [shipment_to_dict(s) for s in generate_shipments(network, 2000, seed=5)]
    first = TestClient(create_app(settings_for(tmp_path)))
    with first:
        keys = issue_keys(first.app)
        first.post(
            "/v1/networks/gen/versions", json=network_to_dict(network), headers=H(keys.planner)
        )
        first.post("/v1/shipment-sets/big/versions", json=shipments, headers=H(keys.planner))
        body = {"network_id": "gen", "shipment_set_id": "big", "time_limit_s": 2}
        job = first.post("/v1/plans", json=body, headers=H(keys.planner)).json()
        wait_for_job(first, job["id"], keys.planner, lambda j: j["status"] == "running")
    with first.app.state.services.database.session() as session:
        assert session.get(JobRow, job["id"]).status == "queued"  # handed back, not finished
    with TestClient(create_app(settings_for(tmp_path))) as second:
        done = wait_for_job(second, job["id"], keys.planner, finished, timeout=120)
        assert done["status"] == "succeeded", done
        assert done["result"]["itineraries"] == 2000
        page = second.get(
            f"/v1/plans/{job['id']}/itineraries", params={"limit": 1}, headers=H(keys.planner)
        ).json()
        assert page["total"] == 2000
