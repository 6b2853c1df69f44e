"""The error envelope: every failure answers {"error": {"code", "message", "field"}}."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter

from api.deps import SorterKey
from optimizer.errors import InfeasibleError, InputError, Problem
from tests.api.conftest import Keys, issue_keys

H = Keys.header
ENVELOPE_KEYS = {"code", "message", "field"}

probe = APIRouter(prefix="/v1/probe")


@probe.post("/core-input")
def raise_core_input() -> dict:
    raise InputError(
        [Problem("lanes.2.capacity", "must be positive"), Problem("nodes.0.tz", "unknown zone")]
    )


@probe.post("/core-infeasible")
def raise_infeasible() -> dict:
    raise InfeasibleError("no path reaches DE-BER before the deadline", field="shipments.0")


@probe.get("/boom")
def boom() -> dict:
    raise RuntimeError("secret detail /etc/passwd")


@probe.get("/sorters/{sorter_id}")
def sorter_only(sorter_id: str, principal: SorterKey) -> dict:
    return {"sorter_id": sorter_id, "key": principal.key_id}


@pytest.fixture
def client_keys(make_client):
    client = make_client(max_body_bytes=4096)
    client.app.include_router(probe)
    return client, issue_keys(client.app)


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) >= ENVELOPE_KEYS
    return body["error"]


def test_missing_key_is_401_with_how_to_send_one(client_keys):
    """No key: 401 unauthorized, a WWW-Authenticate header, and the header names to use."""
    client, _ = client_keys
    response = client.get("/v1/jobs")
    error = error_of(response, 401)
    assert error["code"] == "unauthorized"
    assert "X-API-Key" in error["message"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "nonsense"},
        {"X-API-Key": "opk_000000000000_forged"},
        {"Authorization": "Bearer opk_123456789abc_x"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["shapeless", "unknown-id", "bearer-unknown", "basic-auth"],
)
def test_invalid_keys_are_401(client_keys, headers):
    """Malformed, unknown or wrongly-sent keys all answer 401."""
    client, _ = client_keys
    assert error_of(client.get("/v1/me", headers=headers), 401)["code"] == "unauthorized"


def test_right_id_wrong_secret_is_401(client_keys):
    """A key with a real id but a different secret is refused (the hash must match)."""
    client, keys = client_keys
    forged = keys.planner[:-4] + ("AAAA" if not keys.planner.endswith("AAAA") else "BBBB")
    assert error_of(client.get("/v1/me", headers=H(forged)), 401)["code"] == "unauthorized"


def test_bearer_header_works_like_x_api_key(client_keys):
    """`Authorization: Bearer <key>` authenticates the same key."""
    client, keys = client_keys
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {keys.planner}"})
    assert response.status_code == 200
    assert response.json()["roles"] == ["planner"]


def test_wrong_role_is_403(client_keys):
    """A planner key on an admin route: 403 naming the needed role."""
    client, keys = client_keys
    error = error_of(client.get("/v1/keys", headers=H(keys.planner)), 403)
    assert error["code"] == "forbidden"
    assert "admin" in error["message"]


def test_scope_is_checked_against_the_path(client_keys):
    """A wcs key scoped to sorter S1 may use S1, gets 403 on S2; admin may use any sorter."""
    client, keys = client_keys
    assert client.get("/v1/probe/sorters/S1", headers=H(keys.wcs_s1)).status_code == 200
    error = error_of(client.get("/v1/probe/sorters/S2", headers=H(keys.wcs_s1)), 403)
    assert error["message"] == "This key is not scoped to sorter:S2"
    assert client.get("/v1/probe/sorters/S2", headers=H(keys.admin)).status_code == 200
    assert error_of(client.get("/v1/probe/sorters/S1", headers=H(keys.carrier_xyz)), 403)


def test_unknown_path_and_job_are_404(client_keys):
    """No such endpoint and no such job both answer 404 in the envelope."""
    client, keys = client_keys
    assert error_of(client.get("/v2/nothing"), 404)["code"] == "not_found"
    error = error_of(client.get("/v1/jobs/abc", headers=H(keys.planner)), 404)
    assert error["field"] == "job_id"


def test_wrong_method_is_405(client_keys):
    """DELETE on a GET-only route answers 405 in the envelope."""
    client, _ = client_keys
    assert error_of(client.delete("/v1/health"), 405)["code"] == "method_not_allowed"


def test_malformed_json_is_400_naming_the_position(client_keys):
    """Broken JSON answers 400 bad_request on field body, with the parser's reason."""
    client, keys = client_keys
    response = client.post(
        "/v1/jobs",
        content=b'{"kind": ',
        headers={**H(keys.planner), "Content-Type": "application/json"},
    )
    error = error_of(response, 400)
    assert error["code"] == "bad_request" and error["field"] == "body"
    assert "position" in error["message"]


def test_body_that_is_not_json_is_415(client_keys):
    """A form-encoded body is refused with 415 saying to send JSON."""
    client, keys = client_keys
    response = client.post(
        "/v1/jobs",
        content=b"kind=test.count",
        headers={**H(keys.planner), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_of(response, 415)["code"] == "unsupported_media_type"


def test_oversize_body_is_413_before_parsing(client_keys):
    """A Content-Length over max_body_bytes is refused with both sizes, even without a key."""
    client, _ = client_keys
    body = b'{"kind": "test.count", "params": {"pad": "' + b"x" * 5000 + b'"}}'
    response = client.post("/v1/jobs", content=body, headers={"Content-Type": "application/json"})
    error = error_of(response, 413)
    assert error["code"] == "too_large" and error["field"] == "body"
    assert error["message"] == f"Request body is {len(body)} bytes, maximum is 4096"


def test_oversize_streamed_body_is_413(client_keys):
    """A chunked body with no Content-Length is cut off once it passes the maximum."""
    client, keys = client_keys

    def chunks():
        yield b'{"kind": "test.count", "params": {"pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}}'

    response = client.post(
        "/v1/jobs",
        content=chunks(),
        headers={**H(keys.planner), "Content-Type": "application/json"},
    )
    error = error_of(response, 413)
    assert error["code"] == "too_large"
    assert "4096" in error["message"]


def test_validation_error_names_the_first_field_and_lists_all(client_keys):
    """422 carries the dotted path of the first problem and every problem under `problems`."""
    client, keys = client_keys
    response = client.post(
        "/v1/keys", json={"roles": ["pilot"], "scopes": [""], "nam": "x"}, headers=H(keys.admin)
    )
    error = error_of(response, 422)
    assert error["code"] == "invalid"
    assert error["field"] == "roles.0"
    fields = {p["field"] for p in error["problems"]}
    assert fields == {"roles.0", "scopes.0", "nam"}
    assert "more problem" in error["message"]


def test_missing_body_is_422_on_body(client_keys):
    """POST without a body names `body` as the missing field."""
    client, keys = client_keys
    error = error_of(client.post("/v1/jobs", headers=H(keys.planner)), 422)
    assert error["field"] == "body"


def test_core_input_error_maps_to_422_with_all_problems(client_keys):
    """The core's InputError becomes 422 invalid with every Problem listed."""
    client, _ = client_keys
    error = error_of(client.post("/v1/probe/core-input"), 422)
    assert error["code"] == "invalid"
    assert error["field"] == "lanes.2.capacity"
    assert [p["field"] for p in error["problems"]] == ["lanes.2.capacity", "nodes.0.tz"]


def test_core_infeasible_error_maps_to_422_infeasible(client_keys):
    """InfeasibleError keeps its own code so clients can tell bad data from impossible data."""
    client, _ = client_keys
    error = error_of(client.post("/v1/probe/core-infeasible"), 422)
    assert error["code"] == "infeasible"
    assert error["field"] == "shipments.0"


def test_unexpected_exception_is_a_generic_500_and_logged(client_keys, caplog):
    """A bug answers 500 with an incident id and no internals; the log has the traceback."""
    client, _ = client_keys
    with caplog.at_level(logging.ERROR, logger="optimizer.api"):
        error = error_of(client.get("/v1/probe/boom"), 500)
    assert error["code"] == "internal"
    assert "passwd" not in error["message"] and "Traceback" not in error["message"]
    incident = error["message"].split("incident ")[1].split(")")[0]
    assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)
