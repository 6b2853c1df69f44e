"""Sorter layouts, forecasts and plan versions as versioned documents (named by sorter id).

A plan version's body is `{"summary": ..., "plan": plan.json, "carriers": {sort key:
carrier}}`: listings read the summary alone, activation reads the plan, manifests
name their carrier from `carriers` (the forecast the plan was made for). Live state
(`sorter_state`) is a single replaced snapshot per sorter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db.models import DocumentRow
from api.errors import ApiError, NotFound
from api.routing.problems import with_paths
from api.store import StoredDocument, get_document, save_version
from optimizer.errors import InputError, Problem
from optimizer.sorting import (
    CheckReport,
    Forecast,
    SorterLayout,
    SortPlan,
    forecast_from_dict,
    forecast_to_dict,
    layout_from_dict,
    layout_to_dict,
    plan_from_dict,
)

LAYOUT = "sorter_layout"
FORECAST = "sort_forecast"
PLAN = "sort_plan"
STATE = "sorter_state"
CHUTE_EVENT = "chute_event"  # an event kind: chute events, replayed over the last snapshot
MAX_CHECK_PROBLEMS = 50


def _core_paths(exc: InputError, root: str, prefix: str = "") -> InputError:
    """The core's `layout.chutes[3].x` as the body's own `chutes.3.x` (under `prefix`)."""
    problems = []
    for p in with_paths(exc).problems:
        field = p.field
        if field == root:
            field = ""
        elif field.startswith(root + "."):
            field = field[len(root) + 1 :]
        field = ".".join(x for x in (prefix, field) if x)
        problems.append(Problem(field, p.message, p.code))
    return InputError(problems)


def parse_layout(document: dict[str, Any]) -> SorterLayout:
    """The core's validation of a layout body; every problem with its body path."""
    try:
        return layout_from_dict(document)
    except InputError as exc:
        raise _core_paths(exc, "layout") from None


def parse_forecast(document: dict[str, Any], prefix: str = "forecast") -> Forecast:
    try:
        return forecast_from_dict(document)
    except InputError as exc:
        raise _core_paths(exc, "forecast", prefix) from None


def layout_summary(layout: SorterLayout) -> dict[str, Any]:
    types: dict[str, int] = {}
    for chute in layout.chutes:
        types[chute.type.value] = types.get(chute.type.value, 0) + 1
    return {
        "chutes": len(layout.chutes),
        "chute_types": dict(sorted(types.items())),
        "induction_points": len(layout.induction_points),
        "loop_time_s": round(layout.loop_time_s, 3),
    }


def latest_layout(session: Session, sorter_id: str) -> StoredDocument:
    """The sorter's newest layout version; 404 when the sorter has none."""
    found = get_document(session, LAYOUT, sorter_id)
    if found is None:
        raise NotFound("sorter", sorter_id, field="sorter_id")
    return found


def store_layout(
    session: Session, layout: SorterLayout, owner_key_id: str | None
) -> tuple[StoredDocument, bool]:
    """The next layout version, or the latest one unchanged when it is the same layout."""
    document = layout_to_dict(layout)
    latest = get_document(session, LAYOUT, layout.sorter_id)
    if latest is not None and latest.body == document:
        return latest, False
    stored = save_version(
        session,
        LAYOUT,
        layout.sorter_id,
        document,
        sorter_id=layout.sorter_id,
        owner_key_id=owner_key_id,
    )
    return stored, True


def load_layout_version(session: Session, sorter_id: str, version: int | None) -> StoredDocument:
    latest = latest_layout(session, sorter_id)
    if version is None or version == latest.version:
        return latest
    found = get_document(session, LAYOUT, sorter_id, version)
    if found is None:
        message = (
            f"sorter {sorter_id!r} has no layout version {version} (latest is {latest.version})"
        )
        raise ApiError(404, message, field="version")
    return found


def store_forecast(
    session: Session, sorter_id: str, forecast: Forecast, owner_key_id: str | None
) -> tuple[StoredDocument, bool]:
    """The forecast a plan is optimized for, and whether it is new; the same forecast again
    reuses its version."""
    document = forecast_to_dict(forecast)
    latest = get_document(session, FORECAST, sorter_id)
    if latest is not None and latest.body == document:
        return latest, False
    stored = save_version(
        session, FORECAST, sorter_id, document, sorter_id=sorter_id, owner_key_id=owner_key_id
    )
    return stored, True


def delete_forecast(session: Session, sorter_id: str, version: int) -> None:
    """Take back a forecast version stored for a request that was then refused."""
    session.execute(
        delete(DocumentRow).where(
            DocumentRow.kind == FORECAST,
            DocumentRow.name == sorter_id,
            DocumentRow.version == version,
        )
    )


def sorter_ids(session: Session) -> list[str]:
    """Every sorter with a stored layout."""
    query = select(DocumentRow.name).where(DocumentRow.kind == LAYOUT).distinct()
    return sorted(session.scalars(query))


def check_out(report: CheckReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "max_fill": round(report.max_fill, 4),
        "problems": [
            {"field": p.field or None, "message": p.message, "code": p.code}
            for p in report.problems[:MAX_CHECK_PROBLEMS]
        ],
    }


def plan_summary(
    plan: SortPlan,
    report: CheckReport,
    *,
    layout_version: int,
    forecast_version: int,
    job_id: str | None,
) -> dict[str, Any]:
    return {
        "plan_id": plan.plan_id,
        "job_id": job_id,
        "layout_version": layout_version,
        "forecast_version": forecast_version,
        "destinations": len(plan.assignments),
        "chutes_used": len({c for a in plan.assignments for c in a.chute_ids}),
        "mixed_destinations": len(plan.mixed_destinations()),
        "solve": plan.solve,
        "check": check_out(report),
    }


@dataclass(frozen=True)
class PlanListing:
    version: int
    status: str
    created_at: datetime
    activated_at: datetime | None
    summary: dict[str, Any]


def list_plans(session: Session, sorter_id: str, limit: int, offset: int) -> list[PlanListing]:
    """A sorter's plan versions, newest first, without their plans."""
    query = (
        select(
            DocumentRow.version,
            DocumentRow.status,
            DocumentRow.created_at,
            DocumentRow.activated_at,
            DocumentRow.body["summary"],
        )
        .where(DocumentRow.kind == PLAN, DocumentRow.name == sorter_id)
        .order_by(DocumentRow.version.desc())
        .limit(limit)
        .offset(offset)
    )
    return [PlanListing(*row) for row in session.execute(query)]


def plan_of_job(session: Session, sorter_id: str, job_id: str) -> StoredDocument | None:
    """The plan version a job stored, if it did (a requeued job must not store it twice)."""
    row = session.scalar(
        select(DocumentRow)
        .where(
            DocumentRow.kind == PLAN,
            DocumentRow.name == sorter_id,
            DocumentRow.body["summary"]["job_id"].as_string() == job_id,
        )
        .limit(1)
    )
    return StoredDocument.from_row(row) if row is not None else None


def plan_document(session: Session, sorter_id: str, version: int) -> StoredDocument:
    found = get_document(session, PLAN, sorter_id, version)
    if found is None:
        raise NotFound("plan version", f"{sorter_id} v{version}", field="version")
    return found


def plan_of(document: StoredDocument) -> SortPlan:
    return plan_from_dict(document.body["plan"])
