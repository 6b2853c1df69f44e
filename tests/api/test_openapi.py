"""The published contract: OpenAPI at /docs, stable operation ids, documented errors."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def schema(make_client):
    client = make_client()
    assert client.get("/docs").status_code == 200
    return client.get("/openapi.json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_resource_is_under_v1(schema):
    """All API paths live under /v1; only /metrics sits at the root (Prometheus convention)."""
    paths = set(schema["paths"])
    assert {p for p in paths if not p.startswith("/v1/")} == {"/metrics"}


def test_operation_ids_are_unique_snake_case_names(schema):
    """Operation ids are the route functions' names: unique and stable for generated clients."""
    ids = [op["operationId"] for _, _, op in operations(schema)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids)


def test_every_json_success_response_has_a_schema(schema):
    """Each route declares its response model, so clients know what they get back."""
    for path, method, operation in operations(schema):
        if path == "/metrics":
            continue
        success = [c for c in operation["responses"] if c.startswith("2")]
        assert success, (method, path)
        for code in success:
            content = operation["responses"][code]["content"]["application/json"]
            assert content["schema"], (method, path, code)


def test_errors_are_documented_with_the_envelope(schema):
    """Routes behind a key document 401; every documented error uses the one envelope."""
    envelope = "#/components/schemas/ErrorEnvelope"
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        if "security" in operation:
            assert "401" in responses, (method, path)
        for code, response in responses.items():
            if code.startswith("4"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == envelope, (method, path, code)


def test_both_ways_of_sending_a_key_are_declared(schema):
    """X-API-Key and Bearer appear as security schemes so /docs can authorize."""
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "an API key",
    }
    assert schemes["Bearer"]["scheme"] == "bearer"
