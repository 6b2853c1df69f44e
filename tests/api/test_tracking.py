"""Tracking over HTTP: itineraries with milestones, carrier events on own legs, re-planning.

Seven express parcels due Wed 00:00Z on the tiny network: three fly Monday (on time,
Tue 17:00Z), three Tuesday (Wed 17:00Z), one Wednesday (Thu 17:00Z) - FAST takes
three parcels a departure. The plan is activated, then carriers report.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.api.conftest import Keys
from tests.api.routing_cases import (
    capacity_violations,
    carrier_keys,
    itinerary_violations,
    lane_risk,
    plan,
    shipment_records,
    upload,
)

H = Keys.header
SEVEN = shipment_records(7)
BY_ID = {s["id"]: s for s in SEVEN}


@pytest.fixture(scope="module")
def world(shared_client, shared_keys):
    """The activated plan, carrier keys, and which parcels fly which day."""
    client, keys = shared_client, shared_keys
    upload(client, keys.planner, SEVEN)
    job = plan(client, keys.planner)
    assert job["status"] == "succeeded", job
    activated = client.post(f"/v1/plans/{job['id']}/activate", headers=H(keys.planner))
    assert activated.status_code == 200, activated.text
    carriers = carrier_keys(client.app)
    flights = defaultdict(list)
    legs = client.get("/v1/carriers/Air/legs", headers=H(carriers["Air"])).json()["items"]
    for leg in legs:
        flights[leg["departure"][:10]].append(leg["shipment_id"])
    return {
        "client": client,
        "keys": keys,
        "carriers": carriers,
        "plan": job,
        "activation": activated.json(),
        "monday": sorted(flights["2025-03-24"]),
        "tuesday": sorted(flights["2025-03-25"]),
        "wednesday": sorted(flights["2025-03-26"]),
    }


def post(world, carrier: str, shipment_id: str, **event):
    key = world["carriers"].get(carrier) or carrier
    return world["client"].post(f"/v1/tracking/{shipment_id}/events", json=event, headers=H(key))


def track(world, shipment_id: str, key: str | None = None):
    key = key or world["keys"].planner
    return world["client"].get(f"/v1/tracking/{shipment_id}", headers=H(key))


def test_activation_tracks_every_parcel_and_fills_flights_by_capacity(world):
    """All seven are tracked; FAST carries 3, 3 and 1 on Mon, Tue and Wed, which costs
    3 x 15.85 + 3 x (15.85 + 10.00) + (15.85 + 2 x 10.00) = 160.95 USD."""
    assert world["plan"]["result"]["objective"] == "160.95"
    assert world["activation"]["tracked"] == 7 and world["activation"]["kept"] == 0
    assert (len(world["monday"]), len(world["tuesday"]), len(world["wednesday"])) == (3, 3, 1)
    client, keys = world["client"], world["keys"]
    found = client.get(f"/v1/plans/{world['plan']['id']}", headers=H(keys.planner)).json()
    assert found["activated_at"] == world["activation"]["activated_at"]


def test_planner_sees_the_whole_itinerary_with_milestones(world):
    """Legs, planned milestones, the ETA and version 1 from the plan."""
    shipment_id = world["monday"][0]
    view = track(world, shipment_id).json()
    assert view["state"] == "planned" and view["version"] == 1
    assert [leg["lane"] for leg in view["legs"]] == ["L1", "FAST", "LM"]
    assert view["eta"] == "2025-03-25T17:00:00Z" and view["status"] == "on_time"
    assert view["milestones"][-1] == {
        "event": "delivered",
        "lane": "LM",
        "node": "Z",
        "planned_at": "2025-03-25T17:00:00Z",
        "actual_at": None,
    }
    assert view["versions"][0]["cause"] == {"type": "plan", "plan_id": world["plan"]["id"]}
    assert view["total_cost"] == "15.85"


def test_a_carrier_sees_only_its_own_legs(world):
    """Air sees the FAST leg and its milestones, no costs, no history; others are hidden."""
    view = track(world, world["monday"][0], world["carriers"]["Air"]).json()
    assert [leg["lane"] for leg in view["legs"]] == ["FAST"]
    assert view["hidden_legs"] == 2
    assert {m["lane"] for m in view["milestones"]} == {"FAST"}
    assert view["total_cost"] is None and view["versions"] == []


def test_who_may_read_tracking(world):
    """Unknown shipment 404; a carrier without a leg on it 403; wcs 403; no key 401."""
    keys = world["keys"]
    assert track(world, "NOPE").status_code == 404
    assert track(world, world["monday"][0], keys.carrier_xyz).status_code == 403
    assert track(world, world["monday"][0], keys.wcs_s1).status_code == 403
    assert world["client"].get(f"/v1/tracking/{world['monday'][0]}").status_code == 401


def test_carriers_list_the_legs_handed_to_them_only(world):
    """Feeder lists seven L1 legs by departure; a key for one carrier cannot list another's."""
    client, carriers = world["client"], world["carriers"]
    legs = client.get("/v1/carriers/Feeder/legs", headers=H(carriers["Feeder"])).json()["items"]
    assert len(legs) == 7 and {leg["lane"] for leg in legs} == {"L1"}
    assert [leg["departure"] for leg in legs] == sorted(leg["departure"] for leg in legs)
    assert client.get("/v1/carriers/Feeder/legs", headers=H(carriers["Air"])).status_code == 403
    assert (
        client.get("/v1/carriers/Air/legs", headers=H(world["keys"].carrier_xyz)).status_code == 403
    )
    assert client.get("/v1/carriers/Air/legs", headers=H(world["keys"].planner)).status_code == 403
    window = client.get(
        "/v1/carriers/Air/legs",
        params={"departs_from": "2025-03-25T00:00Z", "departs_before": "2025-03-26T00:00Z"},
        headers=H(carriers["Air"]),
    ).json()["items"]
    assert sorted(leg["shipment_id"] for leg in window) == world["tuesday"]


def test_a_parcels_journey_recomputes_the_eta_at_each_event(world):
    """Feeder departs and arrives 30 min late, Air announces and takes a 2 h delay, Post
    delivers: the ETA holds (slack absorbs it), legs close with outcomes, no re-plan."""
    shipment_id = world["monday"][0]
    steps = [
        ("Feeder", {"type": "departed", "at": "2025-03-24T09:00Z", "lane": "L1"}),
        ("Feeder", {"type": "arrived", "at": "2025-03-24T11:30Z", "lane": "L1"}),
        (
            "Air",
            {"type": "delayed", "at": "2025-03-24T15:00Z", "lane": "FAST", "delay_minutes": 120},
        ),
        ("Air", {"type": "departed", "at": "2025-03-24T19:00Z", "lane": "FAST"}),
        ("Air", {"type": "arrived", "at": "2025-03-24T21:00Z", "lane": "FAST"}),
        ("Post", {"type": "departed", "at": "2025-03-25T09:00Z", "lane": "LM"}),
        ("Post", {"type": "delivered", "at": "2025-03-25T16:30Z", "lane": "LM"}),
    ]
    for number, (carrier, event) in enumerate(steps):
        response = post(world, carrier, shipment_id, event_id=f"J{number}", **event)
        assert response.status_code == 201, response.text
        assert response.json()["replanned"] is False
    done = response.json()
    assert done["eta_after"] == "2025-03-25T16:30:00Z"
    view = track(world, shipment_id).json()
    assert view["state"] == "delivered"
    outcomes = {leg["lane"]: leg["outcome"] for leg in view["legs"]}
    assert outcomes == {"L1": "late", "FAST": "late", "LM": "on_time"}
    assert [m["actual_at"] for m in view["milestones"]][:2] == [
        "2025-03-24T09:00:00Z",
        "2025-03-24T11:30:00Z",
    ]
    assert [e["event_id"] for e in view["events"]] == [f"J{i}" for i in range(7)]
    feeder_view = track(world, shipment_id, world["carriers"]["Feeder"]).json()
    assert [e["event_id"] for e in feeder_view["events"]] == ["J0", "J1"]


def test_events_that_contradict_state_are_conflicts(world):
    """Delivered twice, a leg departing twice, an arrival before departure, a reused id: 409."""
    delivered = world["monday"][0]
    again = post(
        world, "Post", delivered, event_id="K1", type="delivered", at="2025-03-25T18:00Z", lane="LM"
    )
    assert again.status_code == 409 and "already delivered" in again.json()["error"]["message"]
    other = world["tuesday"][0]
    first = post(
        world, "Feeder", other, event_id="K2", type="departed", at="2025-03-24T09:00Z", lane="L1"
    )
    assert first.status_code == 201
    twice = post(
        world, "Feeder", other, event_id="K3", type="departed", at="2025-03-24T09:05Z", lane="L1"
    )
    assert twice.status_code == 409
    early = post(
        world, "Feeder", other, event_id="K4", type="arrived", at="2025-03-24T08:00Z", lane="L1"
    )
    assert early.status_code == 409 and early.json()["error"]["field"] == "at"
    reused = post(
        world, "Feeder", other, event_id="K2", type="arrived", at="2025-03-24T11:00Z", lane="L1"
    )
    assert reused.status_code == 409 and reused.json()["error"]["field"] == "event_id"
    not_last = post(
        world, "Air", other, event_id="K5", type="delivered", at="2025-03-25T12:00Z", lane="FAST"
    )
    assert not_last.status_code == 409


def test_carriers_post_only_on_their_own_legs(world):
    """Air on Feeder's leg: 403; a lane not on the itinerary: 422; unknown shipment: 404;
    planners do not post carrier events: 403. Nothing is recorded."""
    shipment_id = world["tuesday"][1]
    event = {"event_id": "X1", "type": "departed", "at": "2025-03-24T09:00Z", "lane": "L1"}
    assert post(world, "Air", shipment_id, **event).status_code == 403
    assert post(world, world["keys"].carrier_xyz, shipment_id, **event).status_code == 403
    assert post(world, world["keys"].planner, shipment_id, **event).status_code == 403
    wrong = post(world, "Road", shipment_id, **{**event, "lane": "SLOW"})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "lane"
    assert post(world, "Feeder", "NOPE", **event).status_code == 404
    assert track(world, shipment_id).json()["events"] == []
    missing = post(
        world,
        "Air",
        shipment_id,
        event_id="X2",
        type="delayed",
        at="2025-03-24T09:00Z",
        lane="FAST",
    )
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "delay_minutes"


def test_customs_hold_replans_from_the_release_and_keeps_the_old_version(world):
    """Held at GW until Wed 12:00Z: the last mile moves to Thursday (delivered Thu 17:00Z);
    version 1 is kept; the new legs pass the independent checker from the release."""
    shipment_id = world["monday"][1]
    arrived = post(
        world,
        "Air",
        shipment_id,
        event_id="C1",
        type="arrived",
        at="2025-03-24T19:00Z",
        lane="FAST",
    )
    assert arrived.status_code == 201
    held = post(
        world, "Air", shipment_id, event_id="C2", type="customs_hold",
        at="2025-03-24T23:00Z", lane="FAST", until="2025-03-26T12:00Z",
    )  # fmt: skip
    assert held.status_code == 201, held.text
    answer = held.json()
    assert answer["replanned"] is True and answer["new_version"] is True
    assert answer["eta_before"] == "2025-03-25T17:00:00Z"
    assert answer["eta_after"] == "2025-03-27T17:00:00Z"
    assert answer["tracking"]["state"] == "held"
    view = track(world, shipment_id).json()
    latest = view["versions"][-1]
    assert latest["cause"]["type"] == "replan" and latest["cause"]["event_id"] == "C2"
    assert latest["cause"]["resume"] == {
        "node": "GW",
        "ready_at": "2025-03-26T12:00:00+00:00",
        "leg": 2,
    }
    client, planner = world["client"], world["keys"].planner
    first = client.get(f"/v1/tracking/{shipment_id}/versions/1", headers=H(planner)).json()
    assert first["itinerary"]["delivered_at"] == "2025-03-25T17:00:00Z"
    current = client.get(
        f"/v1/tracking/{shipment_id}/versions/{view['version']}", headers=H(planner)
    ).json()["itinerary"]
    start = ("GW", _minutes("2025-03-26T12:00Z"), 2)
    risk = lane_risk(client, planner)
    assert itinerary_violations(BY_ID[shipment_id], current, start=start, lane_risk=risk) == []
    assert [leg["state"] for leg in view["legs"]] == ["planned", "arrived", "planned"]
    missing = client.get(f"/v1/tracking/{shipment_id}/versions/99", headers=H(planner))
    assert missing.status_code == 404
    history = client.get(
        f"/v1/tracking/{shipment_id}/versions/1", headers=H(world["carriers"]["Air"])
    )
    assert history.status_code == 403  # versions (with costs) are the planners' view


def test_a_lost_parcel_is_replaced_through_flights_with_room(world):
    """Lost after Monday's flight: the replacement leaves WH, skips Tuesday's full flight and
    flies Wednesday; the whole tracked plan still fits every capacity."""
    shipment_id = world["monday"][2]
    risk = lane_risk(world["client"], world["keys"].planner)  # the scores the re-plan uses
    lost = post(
        world, "Air", shipment_id, event_id="L1", type="lost", at="2025-03-24T20:00Z", lane="FAST"
    )
    assert lost.status_code == 201, lost.text
    answer = lost.json()
    assert answer["replanned"] is True
    legs = {leg["lane"]: leg for leg in answer["tracking"]["legs"]}
    assert legs["FAST"]["departure"] == "2025-03-26T17:00:00Z"
    assert answer["eta_after"] == "2025-03-27T17:00:00Z"
    assert all(leg["state"] == "planned" for leg in legs.values())
    client, planner = world["client"], world["keys"].planner
    current = {}
    starts = {}
    for s in SEVEN:
        view = client.get(f"/v1/tracking/{s['id']}", headers=H(planner)).json()
        version = client.get(
            f"/v1/tracking/{s['id']}/versions/{view['version']}", headers=H(planner)
        ).json()
        current[s["id"]] = version["itinerary"]
        resume = version["cause"].get("resume")
        if resume:
            starts[s["id"]] = (resume["node"], _minutes(resume["ready_at"]), resume["leg"])
    replaced = itinerary_violations(
        BY_ID[shipment_id], current[shipment_id], start=starts[shipment_id], lane_risk=risk
    )
    assert replaced == []
    assert capacity_violations(SEVEN, list(current.values())) == []


def test_a_delay_beyond_the_slack_replans_what_remains(world):
    """Tuesday's flight announced 20 h late makes the parcel later than planned: the core
    re-plans from the end of that flight (it still rides it); the ETA moves to Thursday."""
    shipment_id = world["tuesday"][2]
    delayed = post(
        world, "Air", shipment_id, event_id="D1", type="delayed",
        at="2025-03-25T10:00Z", lane="FAST", delay_minutes=20 * 60,
    )  # fmt: skip
    assert delayed.status_code == 201, delayed.text
    answer = delayed.json()
    assert answer["replanned"] is True
    assert (answer["eta_before"], answer["eta_after"]) == (
        "2025-03-26T17:00:00Z",
        "2025-03-27T17:00:00Z",
    )
    cause = track(world, shipment_id).json()["versions"][-1]["cause"]
    assert cause["type"] == "replan" and cause["resume"]["node"] == "GW"


def test_damage_is_an_outcome_not_a_new_itinerary(world):
    """A damaged report closes the leg's outcome as damaged; the itinerary stays as it is."""
    shipment_id = world["tuesday"][0]
    before = track(world, shipment_id).json()
    damaged = post(
        world,
        "Feeder",
        shipment_id,
        event_id="DM1",
        type="damaged",
        at="2025-03-24T10:00Z",
        lane="L1",
    )
    assert damaged.status_code == 201
    assert damaged.json()["new_version"] is False and damaged.json()["replanned"] is False
    after = track(world, shipment_id).json()
    assert after["version"] == before["version"] and after["eta"] == before["eta"]
    assert after["legs"][0]["outcome"] == "damaged"


def test_a_carrier_re_planned_off_a_shipment_still_gets_its_answer(world):
    """Air reports the Wednesday parcel lost with Feeder's lane now excluded (late and damaged):
    no replacement route exists, the shipment is unrouted (reason lost), and Air's answer
    shows it without legs instead of refusing the event it just accepted."""
    shipment_id = world["wednesday"][0]
    lost = post(
        world, "Air", shipment_id, event_id="L2", type="lost", at="2025-03-24T20:00Z", lane="FAST"
    )
    assert lost.status_code == 201, lost.text
    view = lost.json()["tracking"]
    assert view["state"] == "unrouted" and view["reason"] == "lost" and view["legs"] == []
    assert track(world, shipment_id, world["carriers"]["Air"]).status_code == 403


def test_a_carrier_batch_is_applied_in_order_or_not_at_all(world):
    """Feeder's batch of two departures is accepted; a batch whose second event is on Air's
    leg is refused with 403 naming events.1, and its first event is not stored either."""
    client, feeder = world["client"], world["carriers"]["Feeder"]
    first, second = world["tuesday"][2], world["tuesday"][1]
    url = "/v1/carriers/Feeder/events"
    leg = {"type": "departed", "at": "2025-03-24T09:00Z", "lane": "L1"}
    refused = client.post(
        url,
        json={
            "events": [
                {**leg, "event_id": "B1", "shipment_id": first},
                {**leg, "event_id": "B2", "shipment_id": second, "lane": "FAST"},
            ]
        },
        headers=H(feeder),
    )
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "events.1"
    assert [e["event_id"] for e in track(world, first).json()["events"]] == ["D1"]
    accepted = client.post(
        url,
        json={
            "events": [
                {**leg, "event_id": "B1", "shipment_id": first},
                {**leg, "event_id": "B2", "shipment_id": second},
            ]
        },
        headers=H(feeder),
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["accepted"] == 2
    assert [r["shipment_id"] for r in accepted.json()["results"]] == [first, second]
    assert track(world, second).json()["state"] == "in_transit"
    other = client.post("/v1/carriers/Air/events", json={"events": []}, headers=H(feeder))
    assert other.status_code == 403


def test_an_oversized_batch_is_refused_before_it_is_read(make_client):
    """Two events against a limit of one: 413 with both numbers."""
    client = make_client(max_tracking_events=1)
    event = {"event_id": "E", "type": "departed", "at": "2025-03-24T09:00Z", "lane": "L1"}
    batch = {"events": [{**event, "shipment_id": "S1"}, {**event, "shipment_id": "S2"}]}
    keys = carrier_keys(client.app)
    response = client.post("/v1/carriers/Feeder/events", json=batch, headers=H(keys["Feeder"]))
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "Too many tracking events (2), maximum is 1"


def test_metrics_count_events_and_replans(world):
    """The Prometheus counter shows accepted events by type and whether they re-planned."""
    text = world["client"].get("/metrics").text
    assert 'optimizer_tracking_events_total{replanned="yes",type="customs_hold"} 1.0' in text
    assert 'optimizer_tracking_events_total{replanned="no",type="departed"}' in text


def _minutes(text: str) -> int:
    from optimizer.timeutil import parse_instant

    return parse_instant(text, "test")
