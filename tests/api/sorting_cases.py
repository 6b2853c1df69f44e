"""Shared data for the sorting API tests: a small generated sorter (60 chutes, 40 destinations).

The generator's files are posted as they are, renamed for sorter `S1` (the test wcs key's
scope). Every plan the API returns is re-checked here with the independent checker.
"""

from __future__ import annotations

from typing import Any

from optimizer.sorting import (
    check_plan,
    forecast_to_dict,
    generate_case,
    layout_from_dict,
    layout_to_dict,
    plan_from_dict,
    scan_to_dict,
)
from tests.api.conftest import Keys, finished, wait_for_job

H = Keys.header
SORTER = "S1"
CASE = generate_case(60, 40, seed=5, rate=3000.0, hours=0.1)
LAYOUT_DOC: dict[str, Any] = {**layout_to_dict(CASE.layout), "sorter_id": SORTER}
LAYOUT = layout_from_dict(LAYOUT_DOC)
FORECAST_DOC: dict[str, Any] = forecast_to_dict(CASE.forecast)
SCANS: list[dict[str, Any]] = [scan_to_dict(s) for s in CASE.parcels]
BASE = f"/v1/sorters/{SORTER}"
FIRST = FORECAST_DOC["destinations"][0]["destination"]


def scan(parcel_id: str, destination: Any = ..., **changes: Any) -> dict[str, Any]:
    """A small general parcel for `destination` (default: the forecast's first)."""
    body = {
        "parcel_id": parcel_id,
        "destination": FIRST if destination is ... else destination,
        "weight_g": 400,
        "length_mm": 200,
        "width_mm": 150,
        "height_mm": 100,
        "category": "general",
    }
    return {**body, **changes}


def upload_layout(
    client: Any, key: str, document: dict[str, Any] | None = None, sorter: str = SORTER
) -> Any:
    body = document or {**LAYOUT_DOC, "sorter_id": sorter}
    return client.put(f"/v1/sorters/{sorter}/layout", json=body, headers=H(key))


def optimize(client: Any, key: str, sorter: str = SORTER, **options: Any) -> dict[str, Any]:
    """Start a plan job and wait for its end; the finished job."""
    body = {"forecast": FORECAST_DOC, "time_limit_s": 5, **options}
    response = client.post(f"/v1/sorters/{sorter}/plans", json=body, headers=H(key))
    assert response.status_code == 202, response.text
    return wait_for_job(client, response.json()["id"], key, finished)


def checked_plan(client: Any, key: str, version: int) -> dict[str, Any]:
    """A stored plan version, asserted to pass the independent checker on the test layout."""
    found = client.get(f"{BASE}/plans/{version}", headers=H(key))
    assert found.status_code == 200, found.text
    body = found.json()
    plan = plan_from_dict(body["plan"])
    report = check_plan(plan, LAYOUT, CASE.forecast)
    assert report.ok, report.problems
    assert body["check"]["ok"] is True and plan.version == version
    return body


def ready_sorter(client: Any, key: str) -> dict[str, Any]:
    """Layout uploaded, a plan optimized and activated: the plan version's body."""
    assert upload_layout(client, key).status_code in (200, 201)
    job = optimize(client, key)
    assert job["status"] == "succeeded", job
    version = job["result"]["version"]
    body = checked_plan(client, key, version)
    activated = client.post(f"{BASE}/plans/{version}/activate", headers=H(key))
    assert activated.status_code == 200, activated.text
    return body
