"""Run the demo: the app in process on the configured database (SQLite by default)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi.testclient import TestClient

from api.app import create_app
from api.demo.client import DemoClient, Say
from api.demo.routing import RoutingReport, plan_the_day
from api.demo.tracking import TrackingReport, track_the_day
from api.security.keys import DevelopmentKey, development_key
from api.settings import Settings, load_settings


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 1
    countries: int = 18
    shipments: int = 5_000
    plan_time_limit_s: float = 10.0


@dataclass
class DemoReport:
    database: str
    key: DevelopmentKey
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
    return DemoReport(
        database=settings.resolved_database_url,
        key=key,
        routing=routing,
        tracking=tracking,
        seconds=time.perf_counter() - started,
    )
