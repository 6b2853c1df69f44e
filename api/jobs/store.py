"""Job rows: every state change is one conditional UPDATE, so two processes never both win.

Shared by the API process (submit, cancel, recover) and the worker processes
(claim, progress, finish); nothing here imports the web framework's routing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.db.models import JobRow
from api.db.types import utcnow
from api.jobs.status import ACTIVE, TERMINAL, JobStatus

MESSAGE_CHARS = 200


@dataclass(frozen=True)
class JobView:
    """A job as the API shows it."""

    id: str
    kind: str
    status: JobStatus
    progress: float
    progress_message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    owner_key_id: str | None
    cancel_requested: bool
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: JobRow) -> JobView:
        return cls(
            id=row.id,
            kind=row.kind,
            status=JobStatus(row.status),
            progress=row.progress,
            progress_message=row.progress_message,
            params=row.params,
            result=row.result,
            error=row.error,
            owner_key_id=row.owner_key_id,
            cancel_requested=row.cancel_requested,
            attempts=row.attempts,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


def insert_job(
    session: Session, kind: str, params: dict[str, Any], owner_key_id: str | None, runner_id: str
) -> JobRow:
    now = utcnow()
    row = JobRow(
        id=str(uuid.uuid4()),
        kind=kind,
        status=JobStatus.QUEUED.value,
        progress=0.0,
        progress_message="",
        params=params,
        owner_key_id=owner_key_id,
        cancel_requested=False,
        attempts=0,
        runner_id=runner_id,
        heartbeat_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def list_jobs(
    session: Session,
    *,
    owner_key_id: str | None,
    status: JobStatus | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[JobRow]:
    """Newest first; `owner_key_id=None` lists everyone's jobs."""
    query = select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id)
    if owner_key_id is not None:
        query = query.where(JobRow.owner_key_id == owner_key_id)
    if status is not None:
        query = query.where(JobRow.status == status.value)
    if kind is not None:
        query = query.where(JobRow.kind == kind)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_active(session: Session) -> int:
    query = select(func.count()).select_from(JobRow).where(JobRow.status.in_(ACTIVE))
    return int(session.scalar(query) or 0)


def counts_by_kind_status(session: Session) -> dict[tuple[str, str], int]:
    query = select(JobRow.kind, JobRow.status, func.count()).group_by(JobRow.kind, JobRow.status)
    return {(kind, status): count for kind, status, count in session.execute(query)}


def claim(session: Session, job_id: str, runner_id: str) -> bool:
    """queued -> running for the runner that owns the job; False when someone else moved it."""
    now = utcnow()
    changed = session.execute(
        update(JobRow)
        .where(
            JobRow.id == job_id,
            JobRow.status == JobStatus.QUEUED.value,
            JobRow.runner_id == runner_id,
        )
        .values(
            status=JobStatus.RUNNING.value,
            started_at=now,
            heartbeat_at=now,
            attempts=JobRow.attempts + 1,
            error=None,
        )
    )
    return changed.rowcount == 1  # type: ignore[attr-defined]


def record_progress(session: Session, job_id: str, fraction: float, message: str) -> None:
    session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == JobStatus.RUNNING.value)
        .values(progress=fraction, progress_message=message[:MESSAGE_CHARS])
    )


def is_cancel_requested(session: Session, job_id: str) -> bool:
    return bool(session.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id)))


def finish(
    session: Session,
    job_id: str,
    runner_id: str,
    *,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> JobStatus | None:
    """running -> succeeded / cancelled (a result) or failed (an error); None if not ours."""
    row = session.get(JobRow, job_id)
    if row is None or row.status != JobStatus.RUNNING.value or row.runner_id != runner_id:
        return None
    if error is not None:
        final = JobStatus.FAILED
    elif row.cancel_requested:
        final = JobStatus.CANCELLED
    else:
        final = JobStatus.SUCCEEDED
    row.status = final.value
    row.result = result
    row.error = error
    row.finished_at = utcnow()
    if final is JobStatus.SUCCEEDED:
        row.progress = 1.0
    return final


def fail(session: Session, row: JobRow, code: str, message: str) -> None:
    row.status = JobStatus.FAILED.value
    row.error = {"code": code, "message": message}
    row.finished_at = utcnow()


def requeue(session: Session, row: JobRow, runner_id: str | None, note: str) -> None:
    """Back to the queue, for `runner_id` (None: whichever runner recovers it first)."""
    row.status = JobStatus.QUEUED.value
    row.runner_id = runner_id
    row.heartbeat_at = utcnow()
    row.progress = 0.0
    row.progress_message = note[:MESSAGE_CHARS]


def heartbeat(session: Session, runner_id: str) -> None:
    session.execute(
        update(JobRow)
        .where(JobRow.runner_id == runner_id, JobRow.status.in_(ACTIVE))
        .values(heartbeat_at=utcnow())
    )


def release(session: Session, runner_id: str) -> int:
    """On a clean shutdown: this runner's active jobs go back to the queue for the next start.

    A running job gives back its attempt: being interrupted was not its fault.
    """
    released = 0
    rows = list(
        session.scalars(
            select(JobRow).where(JobRow.runner_id == runner_id, JobRow.status.in_(ACTIVE))
        )
    )
    for row in rows:
        if row.status == JobStatus.RUNNING.value:
            row.attempts = max(0, row.attempts - 1)
        requeue(session, row, None, "interrupted by a server shutdown; will run again")
        released += 1
    return released


def active_jobs_not_of(session: Session, runner_id: str) -> list[JobRow]:
    query = select(JobRow).where(
        JobRow.status.in_(ACTIVE),
        (JobRow.runner_id != runner_id) | JobRow.runner_id.is_(None),
    )
    return list(session.scalars(query))


def is_stale(row: JobRow, stale_after_s: float) -> bool:
    beat = row.heartbeat_at
    return beat is None or utcnow() - beat > timedelta(seconds=stale_after_s)


def is_terminal(status: str) -> bool:
    return JobStatus(status) in TERMINAL
