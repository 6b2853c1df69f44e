"""Carrier outcomes and scorecards: the core's smoothed scores, and plans that use them.

Hand computation for 10 late + 10 on-time outcomes on FAST (carrier Air, no other
history), prior m = 20 pseudo-events of 10% late, 0.5% lost, 1% damaged:
carrier late (10 + 2) / 40 = 0.3, lane late (10 + 20 x 0.3) / 40 = 0.4; lost
0.0025 -> 0.00125; damaged 0.005 -> 0.0025; score 1 - 0.40375 = 0.59625, below 0.75
so FAST is excluded; risk 0.4 x 150 + 0.00125 x 3000 + 0.0025 x 1500 = 67.5 -> 0.68 USD.
A lane without history sits at the prior: score 0.885, risk 0.45 USD.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import Keys, issue_keys
from tests.api.routing_cases import (
    itineraries,
    lane_risk,
    network_document,
    plan,
    plan_violations,
    shipment_records,
    upload,
)

H = Keys.header
FOUR = shipment_records(4)
HISTORY = [
    {"carrier": "Air", "lane": "FAST", "outcome": "late", "shipment": f"H{i}"} for i in range(10)
]
HISTORY += [{"carrier": "Air", "lane": "FAST", "outcome": "on_time"} for _ in range(10)]


@pytest.fixture(scope="module")
def client_keys(shared_client, shared_keys):
    upload(shared_client, shared_keys.planner, FOUR)
    response = shared_client.post(
        "/v1/carriers/outcomes", json={"outcomes": HISTORY}, headers=H(shared_keys.planner)
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"stored": 20, "total": 20}
    return shared_client, shared_keys


def test_scorecards_follow_the_hand_computed_formula(client_keys):
    """FAST: score 0.59625, excluded, risk 0.68; SLOW (no history): the prior, 0.885 and 0.45."""
    client, keys = client_keys
    cards = client.get(
        "/v1/carriers/scorecards", params={"network_id": "tiny"}, headers=H(keys.planner)
    )
    assert cards.status_code == 200
    body = cards.json()
    assert body["outcomes"] == 20 and body["network_version"] == 1
    by_carrier = {card["carrier"]: card for card in body["items"]}
    assert by_carrier["Air"]["outcomes"] == {"on_time": 10, "late": 10, "lost": 0, "damaged": 0}
    (fast,) = by_carrier["Air"]["lanes"]
    assert fast["lane"] == "FAST" and fast["events"] == 20
    assert fast["late_rate"] == pytest.approx(0.4)
    assert fast["score"] == pytest.approx(0.59625)
    assert fast["excluded"] is True and fast["risk_cost"] == "0.68"
    (slow,) = by_carrier["Road"]["lanes"]
    assert slow["score"] == pytest.approx(0.885) and slow["risk_cost"] == "0.45"
    assert slow["excluded"] is False
    lenient = client.get(
        "/v1/carriers/scorecards",
        params={"network_id": "tiny", "min_score": 0.5, "carrier": "Air"},
        headers=H(keys.planner),
    ).json()
    assert [c["carrier"] for c in lenient["items"]] == ["Air"]
    assert lenient["items"][0]["lanes"][0]["excluded"] is False


def test_plans_avoid_excluded_lanes_and_carry_risk_costs(client_keys):
    """With scores, FAST is excluded: the parcels go by road; without, they fly as before."""
    client, keys = client_keys
    scored = plan(client, keys.planner)
    assert scored["status"] == "succeeded", scored
    assert scored["result"]["carrier_scores"]["used"] is True
    assert scored["result"]["carrier_scores"]["excluded_lanes"] == ["FAST"]
    served = itineraries(client, keys.planner, scored["id"])
    assert {leg["lane"] for i in served for leg in i["legs"]} == {"L1", "SLOW", "LM"}
    risk = lane_risk(client, keys.planner)
    assert plan_violations(FOUR, served, lane_risk=risk, excluded_lanes={"FAST"}) == []
    plain = plan(client, keys.planner, carrier_scores=False)
    flown = itineraries(client, keys.planner, plain["id"])
    assert sum(leg["lane"] == "FAST" for i in flown for leg in i["legs"]) == 4
    assert plan_violations(FOUR, flown) == []


def test_scorecards_need_a_planner_and_a_known_network(client_keys):
    """Carriers and wcs keys get 403; an unknown network 404 naming network_id."""
    client, keys = client_keys
    url = "/v1/carriers/scorecards"
    assert (
        client.get(url, params={"network_id": "tiny"}, headers=H(keys.carrier_xyz)).status_code
        == 403
    )
    assert client.get(url, params={"network_id": "tiny"}, headers=H(keys.wcs_s1)).status_code == 403
    missing = client.get(url, params={"network_id": "asia"}, headers=H(keys.planner))
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "network_id"
    upload_as_carrier = client.post(
        "/v1/carriers/outcomes", json={"outcomes": HISTORY[:1]}, headers=H(keys.carrier_xyz)
    )
    assert upload_as_carrier.status_code == 403


def test_outcome_uploads_are_limited_and_checked(make_client):
    """Over the limit: 413 with both numbers; an unknown outcome: 422 naming it; none stored."""
    client = make_client(max_carrier_outcomes=5)
    keys = issue_keys(client.app)
    client.post("/v1/networks/tiny/versions", json=network_document(), headers=H(keys.planner))
    too_many = client.post(
        "/v1/carriers/outcomes", json={"outcomes": HISTORY[:6]}, headers=H(keys.planner)
    )
    assert too_many.status_code == 413
    assert too_many.json()["error"]["message"] == "Too many outcomes (6), maximum is 5"
    wrong = [HISTORY[0], {**HISTORY[1], "outcome": "stolen"}]
    bad = client.post("/v1/carriers/outcomes", json={"outcomes": wrong}, headers=H(keys.planner))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "outcomes.1.outcome"
    cards = client.get(
        "/v1/carriers/scorecards", params={"network_id": "tiny"}, headers=H(keys.planner)
    )
    assert cards.json()["outcomes"] == 0
