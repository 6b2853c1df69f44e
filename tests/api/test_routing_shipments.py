"""Shipment sets over HTTP: JSON arrays or JSON Lines, counted before any model, every problem."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import Keys, issue_keys
from tests.api.routing_cases import network_document, shipment_records

H = Keys.header
NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture
def client_keys(make_client):
    client = make_client(max_shipments=5)
    keys = issue_keys(client.app)
    response = client.post(
        "/v1/networks/tiny/versions", json=network_document(), headers=H(keys.planner)
    )
    assert response.status_code == 201
    return client, keys


def jsonl(records) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


def test_json_array_upload_is_summarised_and_paged(client_keys):
    """A JSON array becomes version 1; its shipments are served back page by page."""
    client, keys = client_keys
    response = client.post(
        "/v1/shipment-sets/day/versions", json=shipment_records(3), headers=H(keys.planner)
    )
    assert response.status_code == 201, response.text
    summary = response.json()["summary"]
    assert summary["shipments"] == 3 and summary["origins"] == ["WH"]
    assert summary["services"] == {"express": 3} and summary["total_weight_kg"] == 3.0
    page = client.get(
        "/v1/shipment-sets/day/shipments", params={"limit": 2, "offset": 1}, headers=H(keys.planner)
    )
    assert page.json()["total"] == 3
    assert [s["id"] for s in page.json()["items"]] == ["P1", "P2"]


def test_json_lines_upload_as_a_file_is_sent(client_keys):
    """shipments.jsonl posted as it is (blank lines allowed) gives the same set."""
    client, keys = client_keys
    body = jsonl(shipment_records(2)) + "\n"
    response = client.post(
        "/v1/shipment-sets/day/versions", content=body, headers={**H(keys.planner), **NDJSON}
    )
    assert response.status_code == 201, response.text
    assert response.json()["summary"]["shipments"] == 2
    again = client.post(
        "/v1/shipment-sets/day/versions",
        json={"shipments": shipment_records(4)},
        headers=H(keys.planner),
    )
    assert again.json()["version"] == 2
    assert (
        client.get("/v1/shipment-sets/day", headers=H(keys.planner)).json()["summary"]["shipments"]
        == 4
    )
    first = client.get("/v1/shipment-sets/day", params={"version": 1}, headers=H(keys.planner))
    assert first.json()["summary"]["shipments"] == 2
    listed = client.get("/v1/shipment-sets", headers=H(keys.planner)).json()["items"]
    assert [(s["shipment_set_id"], s["version"]) for s in listed] == [("day", 2)]
    versions = client.get("/v1/shipment-sets/day/versions", headers=H(keys.planner)).json()
    assert [v["summary"]["shipments"] for v in versions["items"]] == [4, 2]
    unknown = client.get("/v1/shipment-sets/night/versions", headers=H(keys.planner))
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "shipment_set_id"


@pytest.mark.parametrize("as_lines", [False, True])
def test_too_many_shipments_is_413_before_records_are_read(client_keys, as_lines):
    """Six records (all broken) against a maximum of five: 413 with both numbers, not 422."""
    client, keys = client_keys
    records = [{"id": i} for i in range(6)]
    if as_lines:
        response = client.post(
            "/v1/shipment-sets/day/versions",
            content=jsonl(records),
            headers={**H(keys.planner), **NDJSON},
        )
    else:
        response = client.post(
            "/v1/shipment-sets/day/versions", json=records, headers=H(keys.planner)
        )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": "Too many shipments (6), maximum is 5",
        "field": "shipments",
    }


def test_every_record_problem_is_listed_with_its_index(client_keys):
    """A missing id, a zero weight and a naive timestamp in three records: one 422, all three."""
    client, keys = client_keys
    records = shipment_records(3)
    del records[0]["id"]
    records[1]["weight_kg"] = 0
    records[2]["ready_at"] = "2025-03-24T07:00"
    response = client.post("/v1/shipment-sets/day/versions", json=records, headers=H(keys.planner))
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["error"]["problems"]}
    assert fields == {"shipments.0.id", "shipments.1.weight_kg", "shipments.2.ready_at"}
    assert client.get("/v1/shipment-sets/day", headers=H(keys.planner)).status_code == 404


def test_the_core_finds_duplicates_and_reversed_windows(client_keys):
    """Duplicate ids and a deadline before readiness are named by index, together."""
    client, keys = client_keys
    records = shipment_records(3)
    records[2]["id"] = "P0"
    records[1]["deliver_by"] = "2025-03-23T00:00Z"
    response = client.post("/v1/shipment-sets/day/versions", json=records, headers=H(keys.planner))
    assert response.status_code == 422
    messages = {p["field"]: p["message"] for p in response.json()["error"]["problems"]}
    assert messages["shipments.1.deliver_by"] == "must be after ready_at"
    assert messages["shipments.2.id"] == "duplicate shipment id 'P0'"


def test_checking_against_a_network_names_unknown_nodes_and_services(client_keys):
    """With network_id, a destination and a service level the network lacks are 422."""
    client, keys = client_keys
    records = shipment_records(2)
    records[1]["destination"] = "MOON"
    records[0]["service"] = "overnight"
    response = client.post(
        "/v1/shipment-sets/day/versions",
        params={"network_id": "tiny", "validate_only": True},
        json=records,
        headers=H(keys.planner),
    )
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["error"]["problems"]}
    assert fields == {"shipments.1.destination", "shipments.0.service"}
    valid = client.post(
        "/v1/shipment-sets/day/versions",
        params={"network_id": "tiny", "validate_only": True},
        json=shipment_records(2),
        headers=H(keys.planner),
    )
    assert valid.status_code == 200
    assert valid.json()["network_checked"] == "tiny@1" and valid.json()["stored"] is False
    assert client.get("/v1/shipment-sets/day", headers=H(keys.planner)).status_code == 404
    unknown = client.post(
        "/v1/shipment-sets/day/versions",
        params={"network_id": "asia"},
        json=shipment_records(1),
        headers=H(keys.planner),
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "network_id"


def test_unreadable_bodies(client_keys):
    """Bad JSON 400, a bad JSON line 422 naming the line, another media type 415, {} 422."""
    client, keys = client_keys
    url = "/v1/shipment-sets/day/versions"
    bad = client.post(
        url, content=b"[{", headers={**H(keys.planner), "Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "body"
    lines = jsonl(shipment_records(1)) + "{oops\n"
    line = client.post(url, content=lines, headers={**H(keys.planner), **NDJSON})
    assert line.status_code == 422
    assert line.json()["error"]["problems"][0]["field"] == "shipments.1"
    assert "line 2" in line.json()["error"]["message"]
    other = client.post(
        url, content=b"id,origin", headers={**H(keys.planner), "Content-Type": "text/csv"}
    )
    assert other.status_code == 415
    empty = client.post(url, json={}, headers=H(keys.planner))
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "body"
    none = client.post(url, json=[], headers=H(keys.planner))
    assert none.status_code == 422 and none.json()["error"]["field"] == "shipments"


def test_a_window_over_a_year_is_refused(client_keys):
    """deliver_by more than 366 days after ready_at would make an unbounded timetable: 422."""
    client, keys = client_keys
    records = shipment_records(1, due="2026-06-01T00:00Z")
    response = client.post("/v1/shipment-sets/day/versions", json=records, headers=H(keys.planner))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "shipments.0"


def test_roles(client_keys):
    """Only planners (and admins) upload and read shipment sets."""
    client, keys = client_keys
    url = "/v1/shipment-sets/day/versions"
    assert client.post(url, json=shipment_records(1)).status_code == 401
    assert (
        client.post(url, json=shipment_records(1), headers=H(keys.carrier_xyz)).status_code == 403
    )
    assert client.post(url, json=shipment_records(1), headers=H(keys.admin)).status_code == 201
    assert client.get("/v1/shipment-sets/day", headers=H(keys.wcs_s1)).status_code == 403


DEEP = b"[" * 5000 + b"]" * 5000  # the decoder would recurse past Python's limit


def test_deeply_nested_json_is_400_naming_the_body(client_keys):
    """Nesting deep enough to exhaust the decoder's recursion is bad input, not a 500."""
    client, keys = client_keys
    url = "/v1/shipment-sets/day/versions"
    whole = client.post(
        url, content=DEEP, headers={**H(keys.planner), "Content-Type": "application/json"}
    )
    assert whole.status_code == 400, whole.text
    assert whole.json()["error"]["field"] == "body"
    assert "nested too deeply" in whole.json()["error"]["message"]
    lines = jsonl(shipment_records(1)).encode() + DEEP + b"\n"
    line = client.post(url, content=lines, headers={**H(keys.planner), **NDJSON})
    assert line.status_code == 422, line.text
    assert [p["field"] for p in line.json()["error"]["problems"]] == ["shipments.1"]


def test_a_line_that_is_not_json_does_not_hide_the_others_problems(client_keys):
    """JSON Lines: one answer names the unparsable line and every bad field elsewhere."""
    client, keys = client_keys
    first, second, third = shipment_records(3)
    del first["deliver_by"]
    third["weight_kg"] = -1
    lines = f"{json.dumps(first)}\n{{oops\n{json.dumps(second)}\n{json.dumps(third)}\n"
    answer = client.post(
        "/v1/shipment-sets/day/versions", content=lines, headers={**H(keys.planner), **NDJSON}
    )
    assert answer.status_code == 422
    problems = answer.json()["error"]["problems"]
    assert [p["field"].split(".")[1] for p in problems] == ["0", "1", "3"]
    assert problems[0]["field"] == "shipments.0.deliver_by" and "line 1" in problems[0]["message"]
    assert problems[2]["field"] == "shipments.3.weight_kg" and "line 4" in problems[2]["message"]


def test_json_lines_end_at_newlines_only_and_bad_numbers_are_named(client_keys):
    """A raw U+2028 inside a string is part of its line (JSON allows it), so line numbers
    stay the file's; a number of 5,000 digits is that line's problem, not a 500."""
    client, keys = client_keys
    first, second, third = shipment_records(3)
    first["id"] = "S\u2028one"
    second_text = json.dumps(second, ensure_ascii=False)[:-1] + ', "weight_kg": ' + "1" * 5000 + "}"
    third["weight_kg"] = -1
    lines = "\n".join([json.dumps(first, ensure_ascii=False), second_text, json.dumps(third)])
    answer = client.post(
        "/v1/shipment-sets/day/versions",
        content=(lines + "\r\n").encode(),
        headers={**H(keys.planner), **NDJSON},
    )
    assert answer.status_code == 422, answer.text
    problems = answer.json()["error"]["problems"]
    # line 1 is one line (its id breaks only the id's pattern), line 2 the digits, line 3 -1
    fields = [p["field"] for p in problems]
    assert fields == ["shipments.0.id", "shipments.1", "shipments.2.weight_kg"]
    assert "line 2" in problems[1]["message"] and "too many digits" in problems[1]["message"]
    assert "line 3" in problems[2]["message"]
    array = client.post(
        "/v1/shipment-sets/day/versions",
        content="[" + second_text + "]",
        headers={**H(keys.planner), "Content-Type": "application/json"},
    )
    assert array.status_code == 400 and "too many digits" in array.json()["error"]["message"]
