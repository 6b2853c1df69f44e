"""The routing and tracking flow on PostgreSQL: JSON summaries, row locks, grouped capacity."""

from __future__ import annotations

import warnings

import pytest

from api import create_app
from tests.api.conftest import Keys, issue_keys, settings_for
from tests.api.routing_cases import carrier_keys, plan, shipment_records, upload

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

H = Keys.header


@pytest.mark.postgres
def test_plan_track_and_replan_on_postgresql(postgres_url, tmp_path):
    """Seven parcels planned (3 x 15.85 + 3 x 25.85 + 35.85), tracked and one lost: the
    replacement skips Tuesday's full flight (capacity summed in SQL), and a restarted app
    finds it all."""
    settings = settings_for(tmp_path, database_url=postgres_url)
    with TestClient(create_app(settings)) as client:
        keys = issue_keys(client.app)
        carriers = carrier_keys(client.app)
        upload(client, keys.planner, shipment_records(7))
        listed = client.get("/v1/networks", headers=H(keys.planner)).json()["items"]
        assert listed[0]["summary"]["lanes"] == 4
        job = plan(client, keys.planner)
        assert job["status"] == "succeeded" and job["result"]["objective"] == "160.95"
        client.post(f"/v1/plans/{job['id']}/activate", headers=H(keys.planner))
        monday = client.get(
            "/v1/carriers/Air/legs",
            params={"departs_before": "2025-03-25T00:00Z"},
            headers=H(carriers["Air"]),
        ).json()["items"]
        lost_id = monday[0]["shipment_id"]
        lost = client.post(
            f"/v1/tracking/{lost_id}/events",
            json={"event_id": "PG1", "type": "lost", "at": "2025-03-24T20:00Z", "lane": "FAST"},
            headers=H(carriers["Air"]),
        )
        assert lost.status_code == 201, lost.text
        fast = [leg for leg in lost.json()["tracking"]["legs"] if leg["lane"] == "FAST"]
        assert fast[0]["departure"] == "2025-03-26T17:00:00Z"
    with TestClient(create_app(settings)) as again:
        view = again.get(f"/v1/tracking/{lost_id}", headers=H(keys.planner)).json()
        assert view["version"] == 2 and view["events"][0]["event_id"] == "PG1"
        cards = again.get(
            "/v1/carriers/scorecards", params={"network_id": "tiny"}, headers=H(keys.planner)
        ).json()
        air = next(card for card in cards["items"] if card["carrier"] == "Air")
        assert air["outcomes"]["lost"] == 1
