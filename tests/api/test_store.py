"""The document and event store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.db.engine import Database
from api.db.migrate import current_revision, head_revision, upgrade
from api.db.models import DocumentRow
from api.errors import Conflict, NotFound
from api.sliced_json import encode_in_slices
from api.store import (
    activate,
    append_event,
    get_active,
    get_document,
    list_documents,
    list_events,
    put_snapshot,
    save_version,
)


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def test_migrations_reach_head_and_are_idempotent(database):
    """upgrade() brings a fresh database to the head revision; running it again is harmless."""
    assert current_revision(database.engine) == head_revision() is not None
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()


def test_migrations_match_the_models(database):
    """The Alembic revisions create exactly the tables and columns the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from api.db.models import Base

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_versions_count_up_per_document(database):
    """Each save of (kind, name) adds the next version; other names count separately."""
    with database.transaction() as session:
        v1 = save_version(session, "sort_plan", "S1", {"plan": 1}, sorter_id="S1")
        v2 = save_version(session, "sort_plan", "S1", {"plan": 2}, sorter_id="S1")
        other = save_version(session, "sort_plan", "S2", {"plan": 9}, sorter_id="S2")
    assert (v1.version, v2.version, other.version) == (1, 2, 1)
    with database.session() as session:
        assert get_document(session, "sort_plan", "S1").body == {"plan": 2}
        assert get_document(session, "sort_plan", "S1", 1).body == {"plan": 1}
        assert get_document(session, "sort_plan", "S1", 7) is None


def test_activation_switches_exactly_one_version(database):
    """Activating v2 retires v1 in the same transaction; one version is active at any time."""
    with database.transaction() as session:
        for n in (1, 2):
            save_version(session, "sort_plan", "S1", {"plan": n}, sorter_id="S1")
        activate(session, "sort_plan", "S1", 1)
    with database.transaction() as session:
        activate(session, "sort_plan", "S1", 2)
    with database.session() as session:
        active = get_active(session, "sort_plan", "S1")
        statuses = dict(
            session.execute(
                select(DocumentRow.version, DocumentRow.status).where(DocumentRow.name == "S1")
            ).all()
        )
    assert active.version == 2 and active.body == {"plan": 2}
    assert statuses == {1: "retired", 2: "active"}


def test_failed_activation_leaves_the_active_version_unchanged(database):
    """Activating a missing version raises NotFound and the previous plan stays active."""
    with database.transaction() as session:
        save_version(session, "sort_plan", "S1", {"plan": 1})
        activate(session, "sort_plan", "S1", 1)
    with pytest.raises(NotFound), database.transaction() as session:
        save_version(session, "sort_plan", "S1", {"plan": 2})
        activate(session, "sort_plan", "S1", 5)
    with database.session() as session:
        assert get_active(session, "sort_plan", "S1").version == 1
        assert get_document(session, "sort_plan", "S1").version == 1  # v2 rolled back too


def test_database_refuses_two_active_versions(database):
    """The partial unique index rejects a second active row even if code forgot to retire."""
    from sqlalchemy.exc import IntegrityError

    with database.transaction() as session:
        for n in (1, 2):
            save_version(session, "network", "EU", {"n": n})
        activate(session, "network", "EU", 1)
    with pytest.raises(IntegrityError), database.transaction() as session:
        row = session.scalar(select(DocumentRow).where(DocumentRow.version == 2))
        row.status = "active"


def test_snapshot_replaces_its_single_row(database):
    """put_snapshot keeps one row per document, holding the latest body."""
    with database.transaction() as session:
        put_snapshot(session, "chute_state", "S1", {"c1": "full"}, sorter_id="S1")
    with database.transaction() as session:
        put_snapshot(session, "chute_state", "S1", {"c1": "open"}, sorter_id="S1")
    with database.session() as session:
        rows = session.scalars(select(DocumentRow).where(DocumentRow.kind == "chute_state")).all()
    assert [(r.version, r.body) for r in rows] == [(1, {"c1": "open"})]


def test_a_snapshot_encoded_ahead_is_stored_as_the_json_it_holds(database):
    """EncodedJson (a snapshot encoded in slices) is stored as the document, not as a string,
    and replacing a snapshot leaves it readable on both databases."""
    body = {"chutes": [{"id": "c1", "contents": [("P1", 250.0, "DE", None)]}], "n": 1}
    with database.transaction() as session:
        put_snapshot(session, "chute_state", "S1", {"old": True}, sorter_id="S1")
    with database.transaction() as session:
        put_snapshot(session, "chute_state", "S1", encode_in_slices(body), sorter_id="S1")
    with database.session() as session:
        row = session.scalar(select(DocumentRow).where(DocumentRow.kind == "chute_state"))
    assert row.body == json.loads(json.dumps(body))


def test_listing_is_restricted_to_the_callers_scope(database):
    """sorter_ids/carrier_ids filters return only documents of those sorters or carriers."""
    with database.transaction() as session:
        save_version(session, "manifest", "M1", {}, sorter_id="S1", carrier_id="XYZ")
        save_version(session, "manifest", "M2", {}, sorter_id="S1", carrier_id="ABC")
        save_version(session, "manifest", "M3", {}, sorter_id="S2", carrier_id="XYZ")
    with database.session() as session:
        xyz = list_documents(session, "manifest", carrier_ids=frozenset({"XYZ"}))
        s1 = list_documents(session, "manifest", sorter_ids=frozenset({"S1"}))
        everything = list_documents(session, "manifest")
        nothing = list_documents(session, "manifest", carrier_ids=frozenset())
    assert [d.name for d in xyz] == ["M1", "M3"]
    assert [d.name for d in s1] == ["M1", "M2"]
    assert len(everything) == 3 and nothing == []


def test_events_are_ordered_scoped_and_idempotent(database):
    """Events list in occurrence order, filter by carrier, and a repeated event_id is a 409."""
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    with database.transaction() as session:
        append_event(
            session,
            "tracking",
            "SHP1",
            {"type": "arrived"},
            event_id="e2",
            occurred_at=t0 + timedelta(hours=5),
            carrier_id="XYZ",
        )
        append_event(
            session,
            "tracking",
            "SHP1",
            {"type": "departed"},
            event_id="e1",
            occurred_at=t0,
            carrier_id="XYZ",
        )
        append_event(
            session,
            "tracking",
            "SHP1",
            {"type": "delivered"},
            event_id="e3",
            occurred_at=t0 + timedelta(hours=9),
            carrier_id="ABC",
        )
    with pytest.raises(Conflict), database.transaction() as session:
        append_event(
            session,
            "tracking",
            "SHP1",
            {"type": "lost"},
            event_id="e1",
            occurred_at=t0,
            carrier_id="XYZ",
        )
    with database.session() as session:
        xyz = list_events(session, "tracking", subject="SHP1", carrier_ids=frozenset({"XYZ"}))
        all_events = list_events(session, "tracking", subject="SHP1")
    assert [e.body["type"] for e in xyz] == ["departed", "arrived"]
    assert [e.event_id for e in all_events] == ["e1", "e2", "e3"]
    assert all_events[0].occurred_at == t0  # timezone-aware UTC round trip


def test_a_conflict_inside_a_transaction_keeps_earlier_writes_only_if_committed(database):
    """A duplicate event aborts the whole unit of work: nothing written in it is stored."""
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    with database.transaction() as session:
        append_event(session, "tracking", "A", {}, event_id="x1", occurred_at=t0)
    with pytest.raises(Conflict), database.transaction() as session:
        save_version(session, "itinerary", "A", {"legs": []})
        append_event(session, "tracking", "A", {}, event_id="x1", occurred_at=t0)
    with database.session() as session:
        assert get_document(session, "itinerary", "A") is None


def test_naive_datetimes_are_refused(database):
    """Storing a time without a zone is an error rather than a silent guess."""
    with pytest.raises(Exception, match="naive datetime"), database.transaction() as session:
        append_event(session, "tracking", "A", {}, occurred_at=datetime(2026, 1, 1))


def test_processes_starting_together_migrate_once(tmp_path):
    """Three processes migrating one fresh SQLite file at once all succeed (the lock serialises)."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    script = (
        "import sys; from api.db.engine import Database; from api.db.migrate import upgrade; "
        "upgrade(Database(sys.argv[1]).engine)"
    )
    runs = [subprocess.Popen([sys.executable, "-c", script, url]) for _ in range(3)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0]
    database = Database(url)
    assert current_revision(database.engine) == head_revision()
    database.dispose()
