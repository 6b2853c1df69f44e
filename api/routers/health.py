"""Health (does the service work?) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from api.db.migrate import current_revision
from api.deps import ServicesDep
from api.health import EXPECTED_OBJECTIVE, solve_probe
from api.schemas.health import DatabaseCheck, Health, JobsCheck, SolverCheck

router = APIRouter(prefix="/health", tags=["health"])
metrics_router = APIRouter(tags=["health"])

VERSION = "0.1.0"


@router.get(
    "",
    response_model=Health,
    responses={503: {"model": Health, "description": "A check failed"}},
    summary="Solve a tiny fixed instance and check the database",
)
def health(services: ServicesDep) -> JSONResponse:
    """200 when a fixed OR-Tools instance solves to its known optimum and the database answers."""
    probe = solve_probe()
    solver = SolverCheck(
        ok=probe.ok,
        status=probe.status.value,
        objective=probe.objective,
        expected=EXPECTED_OBJECTIVE,
        solve_time_ms=round(probe.solve_time_s * 1000, 3),
    )
    try:
        with services.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(services.database.engine)
        database = DatabaseCheck(ok=True, backend=services.database.backend, revision=revision)
    except Exception:
        database = DatabaseCheck(ok=False, backend=services.database.backend, revision=None)
    runner = services.jobs
    jobs = JobsCheck(
        ok=runner.started,
        backend=runner.backend_name,  # type: ignore[arg-type]
        workers=services.settings.job_workers,
        runner_started=runner.started,
    )
    healthy = solver.ok and database.ok and jobs.ok
    body = Health(
        status="ok" if healthy else "degraded",
        version=VERSION,
        solver=solver,
        database=database,
        jobs=jobs,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if healthy else 503)


@metrics_router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
    summary="Prometheus metrics",
)
def metrics(services: ServicesDep) -> Response:
    """Request latency by route, job counts by status, assignments by reason."""
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)
