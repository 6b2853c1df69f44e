"""The app factory: `create_app(settings)` wires settings, database, keys, jobs and routers."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from api.db.engine import Database
from api.db.migrate import upgrade
from api.errors import install_error_handlers
from api.gc_policy import GcCompactor
from api.jobs.runner import JobRunner
from api.jobs.store import counts_by_kind_status
from api.metrics import Metrics
from api.middleware import EdgeMiddleware
from api.routers import ROOT_ROUTERS, ROUTERS
from api.routers.health import VERSION
from api.routers.sorting_live import document_limits
from api.security.keyring import KeyRing
from api.services import Services
from api.settings import Settings, load_settings
from api.sorting.runtime import SortingState

log = logging.getLogger("optimizer.api")

API_PREFIX = "/v1"
DESCRIPTION = """\
Parcel sorting and cross-border route planning.

Authenticate with `X-API-Key: <key>` (or `Authorization: Bearer <key>`).
Every error answers `{"error": {"code", "message", "field"}}`.
"""


def operation_id(route: APIRoute) -> str:
    """The route function's name: stable across releases, readable in generated clients."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """A ready app: the schema is migrated now; the job runner starts with the app's lifespan."""
    settings = settings or load_settings()
    database = Database(settings.resolved_database_url)
    if settings.migrate_on_startup:
        upgrade(database.engine)

    def job_counts() -> dict[tuple[str, str], int]:
        with database.session() as session:
            return counts_by_kind_status(session)

    metrics = Metrics(job_counts)
    services = Services(
        settings=settings,
        database=database,
        keyring=KeyRing(database.session, settings.key_cache_ttl_s),
        jobs=JobRunner(settings, database),
        metrics=metrics,
        sorting=SortingState(database, metrics, settings.sorting_snapshot_interval_s),
    )

    compactor = GcCompactor(settings.gc_compact_interval_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        services.jobs.start()
        services.sorting.start()  # live sorters as they were: plans, chute states, containers
        compactor.start()
        try:
            yield
        finally:
            compactor.stop()
            services.sorting.stop()  # their state, with per-parcel records, for the next start
            services.jobs.stop()
            database.dispose()

    app = FastAPI(
        title="Parcel optimizer",
        version=VERSION,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
    )
    app.state.services = services
    _document_limits(app, settings)
    install_error_handlers(app)
    mounted = [(API_PREFIX, r) for r in ROUTERS] + [("", r) for r in ROOT_ROUTERS]
    for prefix, router in mounted:
        app.include_router(router, prefix=prefix)
    templates = _route_templates(mounted)
    app.state.allowed_methods = _allowed_methods(mounted)
    app.add_middleware(
        EdgeMiddleware, settings=settings, metrics=services.metrics, templates=templates
    )
    return app


def _document_limits(app: FastAPI, settings: Settings) -> None:
    """The OpenAPI document states this app's limits where a route's schema is static."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_limits(generate(), settings)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """The uvicorn factory (`optimizer serve`): settings from the environment."""
    return create_app(load_settings())


def _allowed_methods(
    mounted: list[tuple[str, APIRouter]],
) -> list[tuple[re.Pattern[str], set[str]]]:
    """Every path pattern with all its methods, for a truthful `Allow` header on 405."""
    by_template: dict[str, set[str]] = {}
    for prefix, router in mounted:
        for route in router.routes:
            if isinstance(route, APIRoute):
                by_template.setdefault(prefix + route.path, set()).update(route.methods or ())
    return [(compile_path(t)[0], methods) for t, methods in by_template.items()]


def _route_templates(mounted: list[tuple[str, APIRouter]]) -> dict[int, str]:
    """Full path template of every route, keyed by route identity, for the latency metric.

    Checks on the way that operation ids are unique.
    """
    templates: dict[int, str] = {}
    seen: set[str] = set()
    for prefix, router in mounted:
        for route in router.routes:
            if isinstance(route, APIRoute):
                if route.name in seen:
                    raise RuntimeError(f"two routes share the operation id {route.name!r}")
                seen.add(route.name)
                templates[id(route)] = prefix + route.path
    return templates
