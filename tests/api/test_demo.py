"""`optimizer demo` end to end on a small day: every step through the API, checked afterwards."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.db.engine import Database
from api.demo import DemoOptions, run_demo
from api.demo.report import _delta, _value, summary_lines
from optimizer.cli import main
from tests.api.conftest import settings_for

SMALL = DemoOptions(
    seed=3,
    chutes=80,
    destinations=100,
    parcels_per_hour=3_000.0,
    sort_time_limit_s=2.0,
    countries=6,
    shipments=300,
    plan_time_limit_s=3.0,
)


def test_demo_runs_every_step_and_a_rerun_on_the_same_database_works(tmp_path):
    """Plan, what-if, carrier scope and a re-planned exception; the second run reuses the key."""
    lines: list[str] = []
    settings = settings_for(tmp_path)
    first = run_demo(SMALL, lines.append, settings)
    sorting, routing, tracking = first.sorting, first.routing, first.tracking
    assert sorting.check_ok and sorting.plan_version == 1
    assert sum(sorting.reasons.values()) == sorting.parcels == sorting.latencies_s.size > 2000
    assert sorting.reasons["planned"] > sorting.parcels / 2
    assert sorting.chute_events["disabled"] == sorting.chute_events["enabled"] == 1
    assert sorting.manifests == sorting.chute_events["container_closed"] > 0
    assert sorting.carrier and sorting.carrier_manifests >= 1
    assert routing.solver_status in ("optimal", "feasible")
    assert routing.kpis["shipments"] == SMALL.shipments == routing.tracked
    assert {d["name"] for d in routing.scenario_deltas} >= {"on-time rate", "total cost"}
    cost_line = next(line for line in summary_lines(first) if "total cost" in line)
    assert cost_line.rstrip().endswith(f"{routing.currency})"), cost_line
    shipments_delta = next(d for d in routing.scenario_deltas if d["name"] == "shipments")
    assert shipments_delta["scenario"] > shipments_delta["baseline"]  # volume +30%
    assert tracking.foreign_event_status == 403
    assert tracking.replanned and tracking.eta_after >= tracking.eta_before
    assert "customs hold" in tracking.exception
    assert tracking.legs_before != tracking.legs_after
    assert first.key.issued_now and any("plan job: succeeded" in line for line in lines)

    second = run_demo(SMALL, lines.append, settings)
    assert not second.key.issued_now and second.key.secret == first.key.secret
    rerun = second.sorting
    assert rerun.plan_version == 2  # the same layout again; a new plan version
    # the first run's containers are closed before the hour, and its parcel ids are not
    # taken for re-sent requests: every parcel of the rerun is decided and counted afresh
    assert rerun.carried_over > 0
    assert rerun.reasons == sorting.reasons
    live = TestClient(create_app(settings))
    with live:
        headers = {"X-API-Key": second.key.secret}
        sorter = live.get(f"/v1/sorters/{sorting.sorter_id}", headers=headers).json()
        assert sorter["live"]["decisions"] == 2 * sorting.parcels
    assert second.tracking.exception_shipment != tracking.exception_shipment
    assert any(line.startswith("what-if") for line in summary_lines(second))
    database = Database(settings.resolved_database_url)
    try:
        with database.session() as session:
            from api.security.keys import list_keys

            # the demo's scoped keys are revoked at its end: only the development key is left
            assert [k.name for k in list_keys(session)] == ["development key"]
    finally:
        database.dispose()


def test_demo_flags_are_checked_before_anything_runs(capsys):
    assert main(["demo", "--plan-time-limit", "0"]) == 2
    assert "--plan-time-limit: must be > 0" in capsys.readouterr().err


def test_the_what_if_lines_print_counts_whole_and_money_in_its_currency():
    """Counts without decimals, money labelled with the plan's currency, ratios in points."""
    assert (_value(206.0, "count"), _delta(118.0, "count")) == ("206", "+118 count")
    assert _delta(17882.4, "USD") == "+17,882 USD" and _value(12.5, "EUR") == "12.50"
    assert (_value(0.957, "ratio"), _delta(-0.012, "ratio")) == ("95.7%", "-1.2 points")
    assert _delta(0.25, "days") == "+0.25 days"
