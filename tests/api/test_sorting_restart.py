"""Restarts: plans, activation, chute states, open containers and manifests come back."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pytest

import api.routers.sorting_live as live_module
import api.sorting.runtime as runtime_module
from api import create_app
from api.sorting import documents as docs
from api.store import append_event, get_document
from api.store import put_snapshot as put
from optimizer.sorting import Assigner
from tests.api.conftest import Keys, issue_keys, settings_for
from tests.api.sorting_cases import BASE, SCANS, ready_sorter, scan
from tests.sorting.conftest import simple_plan, tiny_layout

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

H = Keys.header


def live_state(client: TestClient, key: str) -> dict:
    chutes = client.get(f"{BASE}/chutes", headers=H(key)).json()
    return {c["chute_id"]: c for c in chutes["items"]}


def test_a_restarted_app_finds_plans_activation_chute_states_and_manifests(database_url, tmp_path):
    """A clean shutdown stores everything; the next app answers as the first would have,
    re-sent requests included, on SQLite and PostgreSQL."""
    settings = settings_for(tmp_path, database_url=database_url)
    with TestClient(create_app(settings)) as first:
        keys = issue_keys(first.app)
        key = keys.wcs_s1
        plan = ready_sorter(first, key)
        answers = first.post(
            f"{BASE}/assignments/batch", json={"parcels": SCANS[:100]}, headers=H(key)
        ).json()["decisions"]
        chute = next(a["chute_id"] for a in answers if a["reason"] == "planned")
        other = next(
            a["chute_id"] for a in answers if a["reason"] == "planned" and a["chute_id"] != chute
        )
        first.post(f"{BASE}/chutes/{other}/events", json={"event": "disabled"}, headers=H(key))
        manifest = first.post(
            f"{BASE}/chutes/{chute}/events", json={"event": "container_closed"}, headers=H(key)
        ).json()["manifest"]
        before = live_state(first, key)
        counters = first.get(BASE, headers=H(key)).json()["live"]
    with TestClient(create_app(settings)) as second:
        after = second.get(BASE, headers=H(key)).json()
        assert after["active_plan_version"] == plan["version"] and after["live"] == counters
        assert live_state(second, key) == before
        assert before[other]["disabled"] is True and before[chute]["container"] == 2
        listed = second.get(f"{BASE}/manifests", headers=H(key)).json()["items"]
        assert [m["manifest_id"] for m in listed] == [manifest["manifest_id"]]
        plans = second.get(f"{BASE}/plans", headers=H(key)).json()["items"]
        assert [(p["version"], p["status"]) for p in plans] == [(plan["version"], "active")]
        for parcel, answer in list(zip(SCANS[:100], answers, strict=True))[:20]:
            again = second.post(f"{BASE}/assignments", json=parcel, headers=H(key)).json()
            assert (again["chute_id"], again["reason"]) == (answer["chute_id"], answer["reason"])
        assert second.get(BASE, headers=H(key)).json()["live"]["decisions"] == counters["decisions"]


def test_the_background_snapshot_restores_containers_without_a_clean_shutdown(tmp_path):
    """A second app started from what the background pass stored (the first still running,
    as after a crash) finds the open containers, chute states and the active plan."""
    settings = settings_for(tmp_path, sorting_snapshot_interval_s=3600)
    first = TestClient(create_app(settings))
    with first:
        keys = issue_keys(first.app)
        key = keys.wcs_s1
        ready_sorter(first, key)
        for i in range(30):
            first.post(f"{BASE}/assignments", json=scan(f"CR-{i}"), headers=H(key))
        first.post(f"{BASE}/chutes/C001/events", json={"event": "full"}, headers=H(key))
        first.app.state.services.sorting.persist_all()
        before = live_state(first, key)
        with TestClient(create_app(settings)) as second:
            assert live_state(second, key) == before
            assert before["C001"]["state"] == "full"
            assert sum(c["count"] for c in before.values()) == 30


@pytest.mark.parametrize("event", ["container_closed", "emptied"])
def test_a_closed_container_is_not_closed_again_after_a_crash(tmp_path, event):
    """Closing stores the manifest and the new container together: a crash right after
    leaves the container empty and numbered on, never a second manifest of it."""
    settings = settings_for(tmp_path, sorting_snapshot_interval_s=3600)
    with TestClient(create_app(settings)) as first:
        keys = issue_keys(first.app)
        key = keys.wcs_s1
        ready_sorter(first, key)
        chute = first.post(f"{BASE}/assignments", json=scan("K1"), headers=H(key)).json()
        first.post(
            f"{BASE}/chutes/{chute['chute_id']}/events", json={"event": event}, headers=H(key)
        )
        with TestClient(create_app(settings)) as second:
            state = live_state(second, key)[chute["chute_id"]]
            assert (state["container"], state["count"]) == (2, 0)


def _event(client: TestClient, key: str, chute: str, name: str) -> None:
    answer = client.post(f"{BASE}/chutes/{chute}/events", json={"event": name}, headers=H(key))
    assert answer.status_code == 200, answer.text


def test_chute_events_after_the_last_snapshot_are_replayed_at_restart(
    database_url, tmp_path, monkeypatch
):
    """Chute events write their row (and manifest), not the sorter's snapshot; a crash after
    many of them, some before the last snapshot and some after, restores every chute as it
    was. Replaying from the first event over that snapshot (each event names the container
    it met) gives the same state again. SQLite and PostgreSQL."""
    settings = settings_for(tmp_path, database_url=database_url, sorting_snapshot_interval_s=3600)
    with TestClient(create_app(settings)) as first:
        key = issue_keys(first.app).wcs_s1
        ready_sorter(first, key)
        sorting = first.app.state.services.sorting
        first.post(f"{BASE}/assignments/batch", json={"parcels": SCANS[:60]}, headers=H(key))
        _event(first, key, "C001", "disabled")
        _event(first, key, "C002", "full")
        _event(first, key, "C002", "container_closed")
        sorting.persist_all()  # the last snapshot: includes the events so far
        writes = []
        monkeypatch.setattr(
            runtime_module, "put_snapshot", lambda *a, **k: writes.append(a) or put(*a, **k)
        )
        for name in ("full", "swap_started", "container_closed"):
            _event(first, key, "C003", name)
        _event(first, key, "C001", "enabled")
        _event(first, key, "C004", "disabled")
        _event(first, key, "C002", "container_closed")
        assert writes == []  # no event rewrote the snapshot
        before = live_state(first, key)
        with TestClient(create_app(settings)) as second:
            assert live_state(second, key) == before
        assert (before["C002"]["container"], before["C003"]["container"]) == (3, 2)
        assert before["C001"]["disabled"] is False and before["C004"]["disabled"] is True
        with sorting.database.transaction() as session:  # as if no event were in the snapshot
            stored = get_document(session, docs.STATE, "S1", 1).body
            put(session, docs.STATE, "S1", {**stored, "events_through": 0}, sorter_id="S1")
        with TestClient(create_app(settings)) as third:
            assert live_state(third, key) == before


def test_an_event_whose_write_failed_is_not_lost_by_replaying_the_next(tmp_path, monkeypatch):
    """An event whose row could not be stored still applies (200; a close's manifest is kept
    for the background retry); the next event stores the whole state with its row, so a
    crash before any snapshot pass restores both, and the WCS's next numbered event is
    accepted."""
    settings = settings_for(tmp_path, sorting_snapshot_interval_s=3600)
    with TestClient(create_app(settings)) as first:
        key = issue_keys(first.app).wcs_s1
        ready_sorter(first, key)
        sorting = first.app.state.services.sorting
        chute = first.post(f"{BASE}/assignments", json=scan("A1"), headers=H(key)).json()
        chute = chute["chute_id"]
        other = "C005" if chute != "C005" else "C006"
        sorting.persist_all()
        real, calls = live_module.append_event, []

        def fails_once(*args, **kwargs):
            calls.append(args)
            if len(calls) == 1:
                raise RuntimeError("the database went away")
            return real(*args, **kwargs)

        monkeypatch.setattr(live_module, "append_event", fails_once)
        lost = first.post(
            f"{BASE}/chutes/{other}/events", json={"event": "disabled"}, headers=H(key)
        )
        assert lost.status_code == 200 and lost.json()["chute"]["disabled"] is True
        events = f"{BASE}/chutes/{chute}/events"
        closed = first.post(
            events, json={"event": "container_closed", "container": 1}, headers=H(key)
        )
        assert closed.status_code == 200 and closed.json()["chute"]["container"] == 2
        before = live_state(first, key)
        with TestClient(create_app(settings)) as second:  # a crash: no snapshot pass since
            assert live_state(second, key) == before
            assert before[other]["disabled"] is True
            nxt = second.post(events, json={"event": "full", "container": 2}, headers=H(key))
            assert nxt.status_code == 200, nxt.text


def test_a_snapshot_from_before_event_replay_replays_nothing_twice(tmp_path, monkeypatch):
    """A snapshot stored by the previous release (written with every event, no
    `events_through`) counts as including every stored event: restarts replay none."""
    settings = settings_for(tmp_path, sorting_snapshot_interval_s=3600)
    with TestClient(create_app(settings)) as first:
        key = issue_keys(first.app).wcs_s1
        ready_sorter(first, key)
        for i in range(6):
            _event(first, key, "C001", "disabled" if i % 2 == 0 else "enabled")
        database = first.app.state.services.sorting.database
    with database.transaction() as session:
        body = get_document(session, docs.STATE, "S1", 1).body
        del body["events_through"]
        put(session, docs.STATE, "S1", body, sorter_id="S1")
    replayed = []
    real = runtime_module.events_after
    monkeypatch.setattr(
        runtime_module, "events_after", lambda *a: replayed.extend(real(*a)) or real(*a)
    )
    for _ in range(2):
        with TestClient(create_app(settings)) as again:
            assert live_state(again, key)["C001"]["disabled"] is False
    assert replayed == []
    with database.session() as session:
        assert get_document(session, docs.STATE, "S1", 1).body["events_through"] > 0


def test_a_snapshot_that_cannot_be_read_is_rebuilt_from_every_event(tmp_path):
    """An unreadable snapshot gives a fresh state; replaying the sorter's whole event log
    over it brings back container numbers and chute states."""
    settings = settings_for(tmp_path, sorting_snapshot_interval_s=3600)
    with TestClient(create_app(settings)) as first:
        key = issue_keys(first.app).wcs_s1
        ready_sorter(first, key)
        for name in ("container_closed", "container_closed", "full"):
            _event(first, key, "C001", name)
        _event(first, key, "C002", "disabled")
        database = first.app.state.services.sorting.database
    with database.transaction() as session:
        body = get_document(session, docs.STATE, "S1", 1).body
        put(session, docs.STATE, "S1", {**body, "assigner": {"format": 999}}, sorter_id="S1")
    with TestClient(create_app(settings)) as second:
        chutes = live_state(second, key)
        assert (chutes["C001"]["container"], chutes["C001"]["state"]) == (3, "full")
        assert chutes["C002"]["disabled"] is True


def test_replay_moves_a_chute_on_when_an_event_meets_a_later_container(tmp_path):
    """Closes lost without trace (no row, no snapshot): an event meeting container 3 over
    a state at container 1 moves the chute on to 3 before applying, instead of numbering
    the next containers twice."""
    settings = settings_for(tmp_path, sorting_snapshot_interval_s=3600)
    with TestClient(create_app(settings)) as first:
        key = issue_keys(first.app).wcs_s1
        ready_sorter(first, key)
        first.post(f"{BASE}/assignments", json=scan("L1"), headers=H(key))
        sorting = first.app.state.services.sorting
        sorting.persist_all()
        with sorting.database.transaction() as session:  # as the lost events would have left it
            append_event(
                session,
                docs.CHUTE_EVENT,
                "S1/C001",
                {"event": "container_closed", "chute_id": "C001", "container": 3},
                occurred_at=datetime.now(UTC),
                sorter_id="S1",
            )
        with TestClient(create_app(settings)) as second:
            assert live_state(second, key)["C001"]["container"] == 4


def test_chutes_held_by_an_activation_replayed_at_restart_are_not_flagged_later(tmp_path):
    """A plan activated after the last snapshot is activated again at restart; the chutes it
    holds are full, but no later answer (a re-send among them) says it filled them."""
    layout = tiny_layout(4, capacity=10)
    before = simple_plan(layout, {"A": ["D0"], "B": ["D1"]})
    after = simple_plan(layout, {"A": ["D1"], "B": ["D0"]}, version=2)
    assigner = Assigner(layout, before)
    assigner.assign("P1", "A", 100, 10, 10, 10, "general")
    sorting = runtime_module.SortingState(database=None, metrics=None)  # type: ignore[arg-type]
    restored, from_snapshot = sorting._restored_assigner(
        1, layout, after, {}, {"assigner": assigner.snapshot()}
    )
    assert from_snapshot and restored.plan.version == 2
    assert restored.chute_status("D0")["state"] == "full"
    assert restored.newly_full == []
