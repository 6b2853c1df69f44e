"""Networks over HTTP: versions validated by the core, every problem at once, limits, roles."""

from __future__ import annotations

import copy

import pytest

from optimizer.routing import generate_network, generate_shipments, save_network, save_shipments
from tests.api.conftest import Keys, issue_keys
from tests.api.routing_cases import network_document

H = Keys.header


@pytest.fixture
def client_keys(make_client):
    client = make_client(max_network_lanes=6)
    return client, issue_keys(client.app)


def test_upload_stores_numbered_versions_and_reads_them_back(client_keys):
    """Each upload is the next version; GET returns the stored document and its summary."""
    client, keys = client_keys
    first = client.post(
        "/v1/networks/eu/versions", json=network_document(), headers=H(keys.planner)
    )
    assert first.status_code == 201, first.text
    assert first.headers["location"] == "/v1/networks/eu?version=1"
    summary = first.json()["summary"]
    assert (summary["nodes"], summary["lanes"], summary["tariffs"]) == (5, 4, 4)
    assert summary["carriers"] == ["Air", "Feeder", "Post", "Road"]
    second = client.post(
        "/v1/networks/eu/versions", json=network_document(), headers=H(keys.planner)
    )
    assert second.json()["version"] == 2
    latest = client.get("/v1/networks/eu", headers=H(keys.planner)).json()
    assert latest["version"] == 2
    assert [lane["id"] for lane in latest["document"]["lanes"]] == ["L1", "FAST", "SLOW", "LM"]
    old = client.get("/v1/networks/eu", params={"version": 1}, headers=H(keys.planner))
    assert old.json()["version"] == 1
    versions = client.get("/v1/networks/eu/versions", headers=H(keys.planner)).json()
    assert [v["version"] for v in versions["items"]] == [2, 1]
    listed = client.get("/v1/networks", headers=H(keys.planner2)).json()
    assert [(n["network_id"], n["version"]) for n in listed["items"]] == [("eu", 2)]


def test_core_validation_lists_every_problem_and_stores_nothing(client_keys):
    """Two broken references and a bad time zone come back together as 422; nothing is stored."""
    client, keys = client_keys
    document = network_document()
    document["lanes"][1]["to"] = "NOWHERE"
    document["lanes"][3]["tariff"] = "T_MISSING"
    document["nodes"][0]["timezone"] = "Mars/Olympus"
    response = client.post("/v1/networks/eu/versions", json=document, headers=H(keys.planner))
    assert response.status_code == 422
    error = response.json()["error"]
    fields = {p["field"]: p["message"] for p in error["problems"]}
    assert fields["lanes.1.to"] == "unknown node 'NOWHERE'"
    assert fields["lanes.3.tariff"] == "unknown tariff 'T_MISSING'"
    assert "Mars/Olympus" in fields["nodes.0.timezone"]
    assert client.get("/v1/networks/eu", headers=H(keys.planner)).status_code == 404


def test_validate_only_checks_without_storing(client_keys):
    """validate_only answers 200 with the summary of a valid network and stores no version."""
    client, keys = client_keys
    response = client.post(
        "/v1/networks/eu/versions",
        params={"validate_only": True},
        json=network_document(),
        headers=H(keys.planner),
    )
    assert response.status_code == 200
    assert response.json()["stored"] is False and response.json()["version"] is None
    missing = client.get("/v1/networks/eu", headers=H(keys.planner))
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "network_id"


def test_validate_only_reports_problems_like_an_upload(client_keys):
    """An invalid network in validate_only mode is the same 422 with every problem."""
    client, keys = client_keys
    document = network_document()
    document["lanes"][0]["from"] = "X"
    document["lanes"][2]["from"] = "Y"
    response = client.post(
        "/v1/networks/eu/versions",
        params={"validate_only": True},
        json=document,
        headers=H(keys.planner),
    )
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["error"]["problems"]] == [
        "lanes.0.from",
        "lanes.2.from",
    ]


def test_shape_errors_name_the_field_before_the_core_runs(client_keys):
    """A negative transit time and an unknown mode are refused by the request model, all listed."""
    client, keys = client_keys
    document = network_document()
    document["lanes"][0]["transit_hours"] = -2
    document["lanes"][1]["mode"] = "teleport"
    response = client.post("/v1/networks/eu/versions", json=document, headers=H(keys.planner))
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["error"]["problems"]}
    assert {"lanes.0.transit_hours", "lanes.1.mode"} <= fields


def test_carrier_names_must_work_as_key_scopes(client_keys):
    """A lane's carrier is what carrier keys are scoped to: 'Sky Cargo' (a space) is refused."""
    client, keys = client_keys
    document = network_document()
    document["lanes"][1]["carrier"] = "Sky Cargo"
    response = client.post("/v1/networks/eu/versions", json=document, headers=H(keys.planner))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "lanes.1.carrier"


def test_too_many_lanes_is_413_with_count_and_maximum(client_keys):
    """Seven lanes against a limit of six: 413 naming both numbers, before any validation."""
    client, keys = client_keys
    document = network_document()
    extra = copy.deepcopy(document["lanes"][0])
    document["lanes"] += [dict(extra, id=f"X{i}", transit_hours=-1) for i in range(3)]
    response = client.post("/v1/networks/eu/versions", json=document, headers=H(keys.planner))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["message"] == "Too many lanes (7), maximum is 6"
    assert error["field"] == "lanes"


def test_roles_and_missing_things(client_keys):
    """No key 401; wcs and carrier keys 403; unknown network or version 404 naming the field."""
    client, keys = client_keys
    client.post("/v1/networks/eu/versions", json=network_document(), headers=H(keys.planner))
    assert client.get("/v1/networks").status_code == 401
    for key in (keys.wcs_s1, keys.carrier_xyz):
        response = client.post("/v1/networks/eu/versions", json=network_document(), headers=H(key))
        assert response.status_code == 403
        assert client.get("/v1/networks/eu", headers=H(key)).status_code == 403
    assert client.get("/v1/networks/eu", headers=H(keys.admin)).status_code == 200
    unknown = client.get("/v1/networks/asia", headers=H(keys.planner))
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "network_id"
    version = client.get("/v1/networks/eu", params={"version": 9}, headers=H(keys.planner))
    assert version.status_code == 404 and version.json()["error"]["field"] == "version"
    assert client.get("/v1/networks/eu/versions", headers=H(keys.planner)).status_code == 200
    assert client.get("/v1/networks/asia/versions", headers=H(keys.planner)).status_code == 404


def test_generated_files_are_posted_as_they_are(make_client, tmp_path):
    """network.json and shipments.jsonl as `optimizer generate network` writes them (the README
    walk-through) are accepted unchanged, and a plan of them validates."""
    network = generate_network(20, seed=2, expected_shipments=500)
    save_network(network, tmp_path / "network.json")
    save_shipments(generate_shipments(network, 500, seed=2), tmp_path / "shipments.jsonl")
    client = make_client()
    keys = issue_keys(client.app)
    stored = client.post(
        "/v1/networks/eu/versions",
        content=(tmp_path / "network.json").read_bytes(),
        headers={**H(keys.planner), "Content-Type": "application/json"},
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["summary"]["lanes"] == len(network.lanes)
    shipments = client.post(
        "/v1/shipment-sets/monday/versions",
        params={"network_id": "eu"},
        content=(tmp_path / "shipments.jsonl").read_bytes(),
        headers={**H(keys.planner), "Content-Type": "application/x-ndjson"},
    )
    assert shipments.status_code == 201, shipments.text
    assert shipments.json()["summary"]["shipments"] == 500
    body = {"network_id": "eu", "shipment_set_id": "monday"}
    check = client.post(
        "/v1/plans", params={"validate_only": True}, json=body, headers=H(keys.planner)
    )
    assert check.status_code == 200 and check.json()["summary"]["lanes"] == len(network.lanes)
    assert client.get("/v1/networks/eu", headers=H(keys.planner)).json()["document"]["lanes"]
