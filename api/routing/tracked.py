"""Shipments under tracking: the current itinerary, every earlier version, the legs carriers see.

A plan's activation starts tracking its shipments. Each change of itinerary (an
ETA moved by a carrier event, a re-plan after an exception, a newer plan) adds a
version and rewrites the shipment's leg rows; what carriers reported on legs that
stay (departed, arrived, committed arrival, outcome) carries over to the new rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api.db.models import ItineraryVersionRow, JobRow, ShipmentLegRow, TrackedShipmentRow
from api.db.types import utcnow
from api.routing.plans import plan_rows, record_activation, require_succeeded
from optimizer.routing import shipments_from_records

CHUNK = 1000
MAX_LISTED = 100


class ShipmentState(StrEnum):
    PLANNED = "planned"  # not moving yet
    IN_TRANSIT = "in_transit"
    HELD = "held"  # customs hold, re-planned from its release
    DELIVERED = "delivered"
    UNROUTED = "unrouted"  # no itinerary (unserved, unroutable, lost without a route)


class LegState(StrEnum):
    PLANNED = "planned"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    DELIVERED = "delivered"


CARRIED = (
    "state",
    "committed_arrival",
    "departed_at",
    "arrived_at",
    "outcome",
)


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def leg_rows(
    shipment_id: str,
    record: Mapping[str, Any],
    weight_g: int,
    previous: Sequence[ShipmentLegRow] = (),
    carry: int = 0,
) -> list[dict[str, Any]]:
    """Rows for an itinerary's legs; the first `carry` keep what was reported on the same lane."""
    before = {(row.leg, row.lane): row for row in previous if row.leg < carry}
    rows = []
    for index, leg in enumerate(record.get("legs") or []):
        row: dict[str, Any] = {
            "shipment_id": shipment_id,
            "leg": index,
            "carrier_id": leg["carrier"],
            "lane": leg["lane"],
            "mode": leg["mode"],
            "origin": leg["from"],
            "destination": leg["to"],
            "departure": instant(leg["departure"]),
            "arrival": instant(leg["arrival"]),
            "ready_at": instant(leg["ready_at"]),
            "weight_g": weight_g,
            "state": LegState.PLANNED.value,
            "booked_departure": instant(leg["departure"]),
            "committed_arrival": None,
            "departed_at": None,
            "arrived_at": None,
            "outcome": None,
        }
        old = before.get((index, leg["lane"]))
        if old is not None:
            row.update({name: getattr(old, name) for name in CARRIED})
            if old.committed_arrival is not None:  # reported on: it holds its booking
                row["booked_departure"] = old.booked_departure
        rows.append(row)
    return rows


def initial_state(record: Mapping[str, Any]) -> ShipmentState:
    return ShipmentState.PLANNED if record.get("legs") else ShipmentState.UNROUTED


def current_legs(session: Session, shipment_id: str) -> list[ShipmentLegRow]:
    return list(
        session.scalars(
            select(ShipmentLegRow)
            .where(ShipmentLegRow.shipment_id == shipment_id)
            .order_by(ShipmentLegRow.leg)
        )
    )


def versions(session: Session, shipment_id: str) -> list[ItineraryVersionRow]:
    return list(
        session.scalars(
            select(ItineraryVersionRow)
            .where(ItineraryVersionRow.shipment_id == shipment_id)
            .order_by(ItineraryVersionRow.version)
        )
    )


def new_version(
    session: Session,
    tracked: TrackedShipmentRow,
    record: Mapping[str, Any],
    cause: Mapping[str, Any],
    weight_g: int,
    carry: int,
) -> int:
    """Store `record` as the next version, make it current and rewrite the leg rows.

    The first `carry` legs keep what carriers reported on them (same index and lane).
    """
    now = utcnow()
    tracked.version += 1
    tracked.itinerary = dict(record)
    tracked.eta = instant(record.get("delivered_at"))
    tracked.updated_at = now
    session.add(
        ItineraryVersionRow(
            shipment_id=tracked.shipment_id,
            version=tracked.version,
            cause=dict(cause),
            itinerary=dict(record),
            created_at=now,
        )
    )
    previous = current_legs(session, tracked.shipment_id)
    rows = leg_rows(tracked.shipment_id, record, weight_g, previous, carry)
    for row in previous:
        session.delete(row)
    session.flush()
    if rows:
        session.execute(insert(ShipmentLegRow), rows)
    return tracked.version


def activate_plan(session: Session, job: JobRow, owner_key_id: str | None) -> dict[str, Any]:
    """Track every shipment of a finished plan on its itinerary.

    A shipment already tracked without carrier events (still waiting) moves to this
    plan's itinerary as a new version; one already moving keeps its own (`kept`).
    """
    require_succeeded(job, "plan")
    result = job.result or {}
    params = job.params
    network = result["network"]
    planning = {
        "carrier_scores": bool(params.get("carrier_scores", True)),
        "min_score": float(params.get("min_score", 0.75)),
    }
    now = utcnow()
    tracked = 0
    kept: list[str] = []
    after = -1
    while rows := plan_rows(session, job.id, after, CHUNK):
        after = rows[-1].position
        ids = [row.shipment_id for row in rows]
        existing = {
            t.shipment_id: t
            for t in session.scalars(
                select(TrackedShipmentRow)
                .where(TrackedShipmentRow.shipment_id.in_(ids))
                .with_for_update()
            )
        }
        shipments = shipments_from_records([row.body["shipment"] for row in rows])
        fresh: list[dict[str, Any]] = []
        fresh_versions: list[dict[str, Any]] = []
        fresh_legs: list[dict[str, Any]] = []
        for row, shipment in zip(rows, shipments, strict=True):
            record = row.body["itinerary"]
            current = existing.get(row.shipment_id)
            if current is not None and current.events > 0:
                kept.append(row.shipment_id)
                continue
            tracked += 1
            if current is not None:
                if current.plan_id != job.id:
                    current.plan_id = job.id
                    current.network_id = network["id"]
                    current.network_version = network["version"]
                    current.currency = result["currency"]
                    current.shipment = row.body["shipment"]
                    current.planning = planning
                    current.state = initial_state(record).value
                    current.deliver_by = instant(row.body["shipment"]["deliver_by"])  # type: ignore[assignment]
                    new_version(
                        session,
                        current,
                        record,
                        {"type": "plan", "plan_id": job.id},
                        shipment.weight_g,
                        carry=0,
                    )
                continue
            fresh.append(
                {
                    "shipment_id": shipment.id,
                    "plan_id": job.id,
                    "network_id": network["id"],
                    "network_version": network["version"],
                    "currency": result["currency"],
                    "state": initial_state(record).value,
                    "version": 1,
                    "events": 0,
                    "shipment": row.body["shipment"],
                    "itinerary": record,
                    "planning": planning,
                    "eta": instant(record.get("delivered_at")),
                    "deliver_by": instant(row.body["shipment"]["deliver_by"]),
                    "owner_key_id": owner_key_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            fresh_versions.append(
                {
                    "shipment_id": shipment.id,
                    "version": 1,
                    "cause": {"type": "plan", "plan_id": job.id},
                    "itinerary": record,
                    "created_at": now,
                }
            )
            fresh_legs.extend(leg_rows(shipment.id, record, shipment.weight_g))
        if fresh:
            session.execute(insert(TrackedShipmentRow), fresh)
            session.execute(insert(ItineraryVersionRow), fresh_versions)
        if fresh_legs:
            session.execute(insert(ShipmentLegRow), fresh_legs)
    summary = {"tracked": tracked, "kept": len(kept), "kept_shipments": kept[:MAX_LISTED]}
    activated = record_activation(session, job.id, summary)
    return {"plan_id": job.id, "activated_at": activated, **summary}
