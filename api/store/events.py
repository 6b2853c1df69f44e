"""Append-only events: tracking milestones posted by carriers, chute events from a sorter.

A client-chosen `event_id` makes posting idempotent: the same id twice is a 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db.models import EventRow
from api.db.types import utcnow
from api.errors import Conflict


@dataclass(frozen=True)
class StoredEvent:
    id: int
    kind: str
    subject: str
    event_id: str | None
    sorter_id: str | None
    carrier_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    body: Any

    @classmethod
    def from_row(cls, row: EventRow) -> StoredEvent:
        return cls(
            id=row.id,
            kind=row.kind,
            subject=row.subject,
            event_id=row.event_id,
            sorter_id=row.sorter_id,
            carrier_id=row.carrier_id,
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
            body=row.body,
        )


def append_event(
    session: Session,
    kind: str,
    subject: str,
    body: Any,
    *,
    occurred_at: datetime,
    event_id: str | None = None,
    sorter_id: str | None = None,
    carrier_id: str | None = None,
    owner_key_id: str | None = None,
) -> StoredEvent:
    """Record one event (the caller commits); a repeated `event_id` raises Conflict."""
    row = EventRow(
        kind=kind,
        subject=subject,
        event_id=event_id,
        sorter_id=sorter_id,
        carrier_id=carrier_id,
        owner_key_id=owner_key_id,
        occurred_at=occurred_at,
        recorded_at=utcnow(),
        body=body,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"event {event_id!r} was already recorded", field="event_id") from None
    return StoredEvent.from_row(row)


def events_after(session: Session, kind: str, sorter_id: str, after_id: int) -> list[StoredEvent]:
    """A sorter's events of `kind` recorded after the one numbered `after_id`, in the order
    they were recorded (one sorter's events are written one at a time)."""
    query = (
        select(EventRow)
        .where(EventRow.kind == kind, EventRow.sorter_id == sorter_id, EventRow.id > after_id)
        .order_by(EventRow.id)
    )
    return [StoredEvent.from_row(row) for row in session.scalars(query)]


def last_event_id(session: Session, kind: str, sorter_id: str) -> int:
    """The id of the sorter's latest event of `kind` (0 when none)."""
    query = select(func.max(EventRow.id)).where(
        EventRow.kind == kind, EventRow.sorter_id == sorter_id
    )
    return int(session.scalar(query) or 0)


def list_events(
    session: Session,
    kind: str,
    *,
    subject: str | None = None,
    sorter_ids: frozenset[str] | None = None,
    carrier_ids: frozenset[str] | None = None,
    since: datetime | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[StoredEvent]:
    """Oldest first (the order things happened); scope filters as in `list_documents`."""
    query = select(EventRow).where(EventRow.kind == kind)
    if subject is not None:
        query = query.where(EventRow.subject == subject)
    if sorter_ids is not None:
        query = query.where(EventRow.sorter_id.in_(sorted(sorter_ids)))
    if carrier_ids is not None:
        query = query.where(EventRow.carrier_id.in_(sorted(carrier_ids)))
    if since is not None:
        query = query.where(EventRow.occurred_at >= since)
    query = query.order_by(EventRow.occurred_at, EventRow.id).limit(limit).offset(offset)
    return [StoredEvent.from_row(row) for row in session.scalars(query)]
