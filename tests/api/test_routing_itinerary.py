"""One shipment planned synchronously: the hand-computed itineraries, reasons, errors."""

from __future__ import annotations

import pytest

from tests.api.conftest import Keys, issue_keys
from tests.api.routing_cases import itinerary_violations, network_document, shipment_records

H = Keys.header


@pytest.fixture
def client_keys(make_client):
    client = make_client()
    keys = issue_keys(client.app)
    response = client.post(
        "/v1/networks/tiny/versions", json=network_document(), headers=H(keys.planner)
    )
    assert response.status_code == 201
    return client, keys


def ask(client, key, shipment, **extra):
    body = {"network_id": "tiny", "shipment": shipment, **extra}
    return client.post("/v1/itineraries", json=body, headers=H(key))


def test_express_parcel_flies_and_arrives_tuesday(client_keys):
    """Due Wednesday 00:00Z, express: L1 -> FAST -> LM, delivered Tue 17:00Z for 15.85 USD."""
    client, keys = client_keys
    (shipment,) = shipment_records(1)
    response = ask(client, keys.planner, shipment)
    assert response.status_code == 200, response.text
    itinerary = response.json()
    assert itinerary["status"] == "on_time"
    assert [leg["lane"] for leg in itinerary["legs"]] == ["L1", "FAST", "LM"]
    assert itinerary["delivered_at"] == "2025-03-25T17:00:00Z"
    assert itinerary["total_cost"] == "15.85" and itinerary["currency"] == "USD"
    assert (itinerary["network_id"], itinerary["network_version"]) == ("tiny", 1)
    events = [(m["event"], m["node"], m["planned_at"]) for m in itinerary["milestones"]]
    assert events[0] == ("departed", "WH", "2025-03-24T09:00:00Z")
    assert events[3] == ("arrived", "GW", "2025-03-24T19:00:00Z")
    assert events[-1] == ("delivered", "Z", "2025-03-25T17:00:00Z")
    assert itinerary_violations(shipment, itinerary) == []


def test_a_loose_deadline_takes_the_cheap_road(client_keys):
    """Due the next Monday: SLOW on Thursday, delivered Sat 17:00Z for 7.05 USD."""
    client, keys = client_keys
    (shipment,) = shipment_records(1, service="standard", due="2025-03-31T00:00Z")
    itinerary = ask(client, keys.planner, shipment).json()
    assert [leg["lane"] for leg in itinerary["legs"]] == ["L1", "SLOW", "LM"]
    assert (itinerary["delivered_at"], itinerary["total_cost"]) == ("2025-03-29T17:00:00Z", "7.05")
    assert itinerary_violations(shipment, itinerary) == []


def test_no_route_is_an_answer_with_its_reason(client_keys):
    """Food is carried by no line-haul lane: 200 with status unroutable and the reason."""
    client, keys = client_keys
    (shipment,) = shipment_records(1, category="food")
    response = ask(client, keys.planner, shipment)
    assert response.status_code == 200
    itinerary = response.json()
    assert itinerary["status"] == "unroutable"
    assert itinerary["reason"] == "no_lane_for_category"
    assert itinerary["legs"] == [] and itinerary["milestones"] == []


def test_bad_shipments_name_the_field(client_keys):
    """Unknown node and service (core) or a missing weight (model): 422 on `shipment.<field>`."""
    client, keys = client_keys
    (shipment,) = shipment_records(1)
    unknown = ask(client, keys.planner, {**shipment, "origin": "ATLANTIS", "service": "warp"})
    assert unknown.status_code == 422
    assert {p["field"] for p in unknown.json()["error"]["problems"]} == {
        "shipment.origin",
        "shipment.service",
    }
    reversed_window = ask(client, keys.planner, {**shipment, "deliver_by": "2025-03-20T00:00Z"})
    assert reversed_window.json()["error"]["field"] == "shipment.deliver_by"
    del shipment["weight_kg"]
    missing = ask(client, keys.planner, shipment)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "shipment.weight_kg"


def test_unknown_network_and_roles(client_keys):
    """Unknown network or version: 404 naming the field; only planners plan."""
    client, keys = client_keys
    (shipment,) = shipment_records(1)
    body = {"network_id": "asia", "shipment": shipment}
    response = client.post("/v1/itineraries", json=body, headers=H(keys.planner))
    assert response.status_code == 404 and response.json()["error"]["field"] == "network_id"
    version = ask(client, keys.planner, shipment, network_version=3)
    assert version.status_code == 404 and version.json()["error"]["field"] == "network_version"
    assert ask(client, keys.carrier_xyz, shipment).status_code == 403
    assert client.post("/v1/itineraries", json=body).status_code == 401
