"""The `sorting.optimize` job: a plan for a stored forecast on a stored layout, as a new version.

It runs in a worker process. Params name documents by version only; the worker
loads them, optimizes with the core (CP-SAT under the capped time limit), runs the
independent checker on the plan and stores it as the sorter's next plan version
with the solver's report and the checker's verdict. Activation is a separate,
explicit step. The core's solver cannot be interrupted; a cancel asked for while
it runs keeps the plan from being stored.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from api.db.engine import Database
from api.errors import ApiError, Conflict
from api.jobs.registry import Progress, register_job_kind
from api.jobs.worker import current_job
from api.schemas.sorting import OptimizeParams
from api.security.principal import Role
from api.sorting import documents as docs
from api.store import get_document, save_version
from optimizer.errors import InputError
from optimizer.sorting import (
    PlanWeights,
    carriers_by_destination,
    check_plan,
    forecast_from_dict,
    layout_from_dict,
    optimize_plan,
    plan_to_dict,
)

log = logging.getLogger("optimizer.api.sorting")
OPTIMIZE_KIND = "sorting.optimize"
SOLVER_WORKERS = 2
STORE_ATTEMPTS = 5


def _load(params: dict[str, Any]) -> tuple[Any, Any, Any]:
    database = current_job().database
    sorter_id = params["sorter_id"]
    with database.session() as session:
        try:
            layout = docs.load_layout_version(session, sorter_id, int(params["layout_version"]))
        except ApiError as exc:
            raise InputError(exc.message, field="layout_version", code="not_found") from None
        forecast = get_document(session, docs.FORECAST, sorter_id, int(params["forecast_version"]))
        if forecast is None:
            raise InputError(
                f"sorter {sorter_id!r} has no forecast version {params['forecast_version']}",
                field="forecast_version",
                code="not_found",
            )
        current = None
        if params.get("current_version") is not None:
            stored = get_document(session, docs.PLAN, sorter_id, int(params["current_version"]))
            if stored is None:
                raise InputError(
                    f"sorter {sorter_id!r} has no plan version {params['current_version']}",
                    field="current_version",
                    code="not_found",
                )
            current = docs.plan_of(stored)
    return layout_from_dict(layout.body), forecast_from_dict(forecast.body), current


def run_optimize(
    params: dict[str, Any], progress: Progress, should_stop: Callable[[], bool]
) -> dict[str, Any]:
    """Optimize a sort plan for a stored forecast; store it, checked, as the next plan version."""
    job = current_job()
    sorter_id = params["sorter_id"]
    layout, forecast, current = _load(params)
    time_limit = float(params["time_limit_s"])
    progress(0.05, f"optimizing {len(forecast.destinations)} destinations on "
             f"{len(layout.chutes)} chutes for up to {time_limit:g} s")  # fmt: skip
    result = optimize_plan(
        layout,
        forecast,
        time_limit_s=time_limit,
        seed=int(params.get("seed", 0)),
        workers=SOLVER_WORKERS,
        current=current,
        weights=PlanWeights(move=float(params.get("move_penalty", PlanWeights().move))),
    )
    if result.plan is None:
        raise InputError(
            f"no plan found within {time_limit:g} s; ask for a longer time_limit_s",
            field="time_limit_s",
            code="timeout",
        )
    if should_stop():
        return {"sorter_id": sorter_id, "cancelled": True}
    progress(0.95, "checking and storing the plan")
    solved = result.plan
    report = check_plan(solved, layout, forecast)

    def body_of(version: int) -> dict[str, Any]:
        plan = dataclasses.replace(solved, version=version)
        summary = docs.plan_summary(
            plan,
            report,
            layout_version=int(params["layout_version"]),
            forecast_version=int(params["forecast_version"]),
            job_id=job.job_id,
        )
        return {
            "summary": summary,
            "plan": plan_to_dict(plan),
            "carriers": carriers_by_destination(forecast),
        }

    version = store_plan(job.database, sorter_id, job.job_id, body_of)
    summary = body_of(version)["summary"]
    log.info("sorter %s: plan v%d stored (%s, check %s)", sorter_id, version,
             result.status.value, "ok" if report.ok else "failed")  # fmt: skip
    return {
        "sorter_id": sorter_id,
        "version": version,
        "plan_id": summary["plan_id"],
        "status": result.status.value,
        "objective": summary["solve"]["objective"],
        "bound": summary["solve"]["bound"],
        "gap": summary["solve"]["gap"],
        "solve_time_s": summary["solve"]["solve_time_s"],
        "moves": result.moves,
        "check": summary["check"],
    }


def store_plan(
    database: Database, sorter_id: str, job_id: str, body_of: Callable[[int], dict[str, Any]]
) -> int:
    """Store a job's plan as the sorter's next version; the version it got.

    `save_version` picks the version and `body_of` writes it into the plan. A job that
    already stored its plan (requeued after its commit) gets that version back; a version
    saved concurrently by another job (PostgreSQL) is retried with the next one.
    """
    for attempt in range(STORE_ATTEMPTS):
        try:
            with database.transaction() as session:
                done = docs.plan_of_job(session, sorter_id, job_id)
                if done is not None:
                    return done.version
                stored = save_version(session, docs.PLAN, sorter_id, body_of, sorter_id=sorter_id)
                return stored.version
        except Conflict:
            if attempt == STORE_ATTEMPTS - 1:
                raise
            log.info("sorter %s: plan version taken concurrently; retrying", sorter_id)
    raise AssertionError("unreachable")


register_job_kind(
    OPTIMIZE_KIND, run_optimize, params_model=OptimizeParams, roles=[Role.ADMIN],
    description="Optimize a sort plan for a stored forecast as the sorter's next plan version "
    "(start it with POST /v1/sorters/{sorter_id}/plans)",
)  # fmt: skip
