"""Run the demo: the app in process on the configured database (SQLite by default)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from api.app import create_app
from api.demo.client import DemoClient, Say, TestClient
from api.demo.routing import RoutingReport, plan_the_day
from api.demo.sorting import SortingReport, run_the_sorter
from api.demo.tracking import TrackingReport, track_the_day
from api.security.keys import DevelopmentKey, development_key
from api.settings import Settings, load_settings


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 1
    chutes: int = 300
    destinations: int = 600
    parcels_per_hour: float = 20_000.0
    sort_time_limit_s: float = 10.0
    countries: int = 18
    shipments: int = 5_000
    plan_time_limit_s: float = 10.0


@dataclass
class DemoReport:
    database: str
    key: DevelopmentKey
    sorting: SortingReport
    routing: RoutingReport
    tracking: TrackingReport
    seconds: float


def run_demo(options: DemoOptions, say: Say, settings: Settings | None = None) -> DemoReport:
    """Every step goes through the HTTP API (in process), as WCS, planners and carriers do."""
    started = time.perf_counter()
    settings = settings or load_settings()
    app = create_app(settings)
    database = app.state.services.database
    with database.transaction() as session:
        key = development_key(session, settings.state_dir)
    with TestClient(app, raise_server_exceptions=True) as client:
        planner = DemoClient(client, key.secret)
        say("== sorting: an hour on the sorter ==")
        sorting = run_the_sorter(
            planner,
            chutes=options.chutes,
            destinations=options.destinations,
            rate=options.parcels_per_hour,
            time_limit_s=options.sort_time_limit_s,
            seed=options.seed,
            say=say,
        )
        say("== routing: the day's shipments ==")
        routing = plan_the_day(
            planner,
            countries=options.countries,
            shipments=options.shipments,
            time_limit_s=options.plan_time_limit_s,
            seed=options.seed,
            say=say,
        )
        say("== tracking: a carrier reports ==")
        tracking = track_the_day(planner, routing.plan_id, say)
        planner.revoke_issued()
    return DemoReport(
        database=settings.resolved_database_url,
        key=key,
        sorting=sorting,
        routing=routing,
        tracking=tracking,
        seconds=time.perf_counter() - started,
    )
