"""Shared data for the routing, tracking and carrier API tests.

The network is the hand-made Berlin -> London one of `tests.routing.conftest`
(its module doc derives every time and price used here): a parcel ready Mon
2025-03-24 07:00Z goes L1 (Feeder) -> FAST (Air, 3 parcels per departure) -> LM
(Post), delivered Tue 17:00Z for 15.85 USD, or via SLOW (Road, Mon+Thu) Sat 17:00Z
for 7.05 USD.
"""

from __future__ import annotations

from typing import Any

from api.security.keys import create_key
from optimizer.routing import (
    Itinerary,
    check_capacities,
    check_itinerary,
    check_plan,
    itinerary_from_dict,
)
from optimizer.routing.network_json import network_to_dict
from optimizer.routing.shipments import shipment_to_dict, shipments_from_records
from tests.api.conftest import Keys, finished, wait_for_job
from tests.routing.conftest import parcel, tiny_network

H = Keys.header
CARRIERS = ("Feeder", "Air", "Road", "Post")
NETWORK = tiny_network()


def network_document() -> dict[str, Any]:
    return network_to_dict(NETWORK)


def shipment_records(
    count: int,
    *,
    prefix: str = "P",
    service: str = "express",
    due: str = "2025-03-26T00:00Z",
    **options: Any,
) -> list[dict[str, Any]]:
    """`count` 1 kg parcels ready Mon 07:00Z at WH for Z (express: 10.00 USD a day late)."""
    return [
        shipment_to_dict(parcel(f"{prefix}{i}", service=service, due=due, **options))
        for i in range(count)
    ]


def carrier_keys(app: Any) -> dict[str, str]:
    """One carrier key per carrier of the network, scoped `carrier:<name>`."""
    with app.state.services.database.transaction() as session:
        return {c: create_key(session, ["carrier"], [f"carrier:{c}"]).secret for c in CARRIERS}


def upload(
    client: Any,
    key: str,
    shipments: list[dict[str, Any]],
    network_id: str = "tiny",
    set_id: str = "day",
) -> None:
    """The tiny network and a shipment set, stored."""
    response = client.post(
        f"/v1/networks/{network_id}/versions", json=network_document(), headers=H(key)
    )
    assert response.status_code == 201, response.text
    response = client.post(f"/v1/shipment-sets/{set_id}/versions", json=shipments, headers=H(key))
    assert response.status_code == 201, response.text


def plan(client: Any, key: str, **params: Any) -> dict[str, Any]:
    """Start a plan job and wait for its end."""
    body = {"network_id": "tiny", "shipment_set_id": "day", "time_limit_s": 5, **params}
    response = client.post("/v1/plans", json=body, headers=H(key))
    assert response.status_code == 202, response.text
    return wait_for_job(client, response.json()["id"], key, finished)


def itineraries(client: Any, key: str, plan_id: str) -> list[dict[str, Any]]:
    """Every itinerary of a plan, page by page."""
    found: list[dict[str, Any]] = []
    while True:
        page = client.get(
            f"/v1/plans/{plan_id}/itineraries",
            params={"offset": len(found), "limit": 2},
            headers=H(key),
        ).json()
        found.extend(page["items"])
        if len(found) >= page["total"]:
            return found


def as_itinerary(record: dict[str, Any]) -> Itinerary:
    return itinerary_from_dict(record, record["currency"])


def plan_violations(
    shipments: list[dict[str, Any]], records: list[dict[str, Any]], **options: Any
) -> list[str]:
    """The independent checker's verdict on itineraries served by the API."""
    by_id = {r["shipment"]: r for r in records}
    parsed = shipments_from_records(shipments)
    plan = [as_itinerary(by_id[s.id]) for s in parsed]
    return [str(v) for v in check_plan(NETWORK, parsed, plan, **options)]


def itinerary_violations(
    shipment: dict[str, Any], record: dict[str, Any], **options: Any
) -> list[str]:
    (parsed,) = shipments_from_records([shipment])
    return [str(v) for v in check_itinerary(NETWORK, parsed, as_itinerary(record), **options)]


def lane_risk(client: Any, key: str, network_id: str = "tiny") -> dict[str, int]:
    """Each lane's risk cost (minor units) from the scorecards, for the checker's cost check."""
    cards = client.get("/v1/carriers/scorecards", params={"network_id": network_id}, headers=H(key))
    assert cards.status_code == 200, cards.text
    return {
        lane["lane"]: round(float(lane["risk_cost"]) * 100)
        for card in cards.json()["items"]
        for lane in card["lanes"]
    }


def capacity_violations(
    shipments: list[dict[str, Any]], records: list[dict[str, Any]]
) -> list[str]:
    """Departures the served itineraries load beyond capacity (the independent checker)."""
    by_id = {r["shipment"]: r for r in records}
    parsed = shipments_from_records(shipments)
    plan = [as_itinerary(by_id[s.id]) for s in parsed]
    return [str(v) for v in check_capacities(NETWORK, parsed, plan)]
