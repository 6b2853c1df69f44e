"""Batch plans: itinerary rows written by the plan job, read page by page, handed to tracking.

A plan's id is its job's id; its KPIs live in the job's result and its itineraries
in `plan_itineraries`, one row per shipment, so a 100k-shipment plan is never one
JSON blob. Activation hands the itineraries to tracking (see `api.routing.tracked`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from api.db.engine import Database
from api.db.models import JobRow, PlanItineraryRow
from api.errors import Conflict, NotFound
from api.jobs.status import JobStatus
from api.routing.present import itinerary_record
from api.security.principal import Principal
from api.store import get_document, save_version
from optimizer.routing import Itinerary, Shipment
from optimizer.routing.shipments import shipment_to_dict

PLAN_KIND = "routing.plan"
WHATIF_KIND = "routing.whatif"
ACTIVATION = "plan_activation"
CHUNK = 2000


def store_itineraries(
    database: Database,
    plan_id: str,
    shipments: Sequence[Shipment],
    itineraries: Sequence[Itinerary],
    currency: str,
) -> int:
    """Replace the plan's rows (a re-run job writes them afresh), a chunk per transaction."""
    with database.transaction() as session:
        session.execute(delete(PlanItineraryRow).where(PlanItineraryRow.plan_id == plan_id))
    for start in range(0, len(shipments), CHUNK):
        rows = [
            {
                "plan_id": plan_id,
                "position": position,
                "shipment_id": shipment.id,
                "status": str(itinerary.status),
                "body": {
                    "shipment": shipment_to_dict(shipment),
                    "itinerary": itinerary_record(itinerary, currency),
                },
            }
            for position, (shipment, itinerary) in enumerate(
                zip(
                    shipments[start : start + CHUNK],
                    itineraries[start : start + CHUNK],
                    strict=True,
                ),
                start=start,
            )
        ]
        with database.transaction() as session:
            session.execute(insert(PlanItineraryRow), rows)
    return len(shipments)


def visible_job(
    session: Session, job_id: str, principal: Principal, kind: str, noun: str
) -> JobRow:
    """The caller's job of `kind` (an admin sees all); anything else is 404, as for jobs."""
    row = session.get(JobRow, job_id)
    if (
        row is None
        or row.kind != kind
        or not (principal.is_admin or row.owner_key_id == principal.key_id)
    ):
        raise NotFound(noun, job_id, field=f"{noun.replace(' ', '_')}_id")
    return row


def require_succeeded(row: JobRow, noun: str) -> None:
    if row.status != JobStatus.SUCCEEDED.value:
        raise Conflict(f"{noun.capitalize()} {row.id} is {row.status}; it has no itineraries yet")


def itinerary_page(
    session: Session, plan_id: str, status: str | None, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """(total matching, this page's itinerary records) in shipment-set order."""
    where = [PlanItineraryRow.plan_id == plan_id]
    if status is not None:
        where.append(PlanItineraryRow.status == status)
    total = session.scalar(select(func.count()).select_from(PlanItineraryRow).where(*where))
    rows = session.scalars(
        select(PlanItineraryRow.body)
        .where(*where)
        .order_by(PlanItineraryRow.position)
        .limit(limit)
        .offset(offset)
    )
    return int(total or 0), [body["itinerary"] for body in rows]


def plan_itinerary(session: Session, plan_id: str, shipment_id: str) -> dict[str, Any]:
    body = session.scalar(
        select(PlanItineraryRow.body).where(
            PlanItineraryRow.plan_id == plan_id, PlanItineraryRow.shipment_id == shipment_id
        )
    )
    if body is None:
        raise NotFound("shipment", shipment_id, field="shipment_id")
    return body["itinerary"]  # type: ignore[no-any-return]


def plan_rows(session: Session, plan_id: str, after: int, limit: int) -> list[PlanItineraryRow]:
    """Rows by position after `after`, for walking a whole plan in chunks."""
    return list(
        session.scalars(
            select(PlanItineraryRow)
            .where(PlanItineraryRow.plan_id == plan_id, PlanItineraryRow.position > after)
            .order_by(PlanItineraryRow.position)
            .limit(limit)
        )
    )


def activated_at(session: Session, plan_id: str) -> datetime | None:
    found = get_document(session, ACTIVATION, plan_id)
    return found.created_at if found is not None else None


def record_activation(session: Session, plan_id: str, summary: dict[str, Any]) -> datetime:
    return save_version(session, ACTIVATION, plan_id, summary).created_at
