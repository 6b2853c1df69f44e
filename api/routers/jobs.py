"""Asynchronous jobs: start one, follow its progress, fetch its result, cancel it.

A key sees the jobs it started; an admin key sees all. Another key's job is
answered 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import ValidationError

from api.db.models import JobRow
from api.deps import JobsDep, JobsKey, PageDep, SessionDep
from api.errors import BODY_ERRORS, Forbidden, NotFound, error_responses, validation_error
from api.jobs.registry import get_job_kind, job_kinds
from api.jobs.status import JobStatus
from api.jobs.store import JobView, list_jobs
from api.schemas.jobs import JobCreate, JobKindList, JobKindOut, JobList, JobOut
from api.security.principal import Principal

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=error_responses(401, 403, 422))


@router.get("/kinds", response_model=JobKindList, summary="Job kinds this server runs")
def list_job_kinds(principal: JobsKey) -> JobKindList:
    kinds = [k for k in job_kinds() if principal.has_any_role(k.roles)]
    return JobKindList(items=[JobKindOut.of(k) for k in kinds])


@router.post(
    "",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(404, 503, *BODY_ERRORS),
    summary="Start a job; answers at once with its id",
)
def create_job(body: JobCreate, principal: JobsKey, jobs: JobsDep, response: Response) -> JobOut:
    kind = get_job_kind(body.kind)
    if kind is None:
        raise NotFound("job kind", body.kind, field="kind")
    if not principal.has_any_role(kind.roles):
        raise Forbidden(f"Job kind {kind.name} needs the {' or '.join(sorted(kind.roles))} role")
    params = body.params
    if kind.params_model is not None:
        try:
            params = kind.params_model.model_validate(params).model_dump(mode="json")
        except ValidationError as exc:
            raise validation_error(exc.errors(), prefix=("params",)) from None
    view = jobs.submit(kind.name, params, principal.key_id)
    response.headers["Location"] = f"/v1/jobs/{view.id}"
    return JobOut.of(view)


@router.get("", response_model=JobList, summary="List jobs, newest first")
def list_my_jobs(
    principal: JobsKey,
    session: SessionDep,
    page: PageDep,
    status: Annotated[JobStatus | None, Query(description="only jobs in this status")] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
) -> JobList:
    rows = list_jobs(
        session,
        owner_key_id=None if principal.is_admin else principal.key_id,
        status=status,
        kind=kind,
        limit=page.limit,
        offset=page.offset,
    )
    return JobList(
        items=[JobOut.of(JobView.from_row(r)) for r in rows], limit=page.limit, offset=page.offset
    )


@router.get(
    "/{job_id}",
    response_model=JobOut,
    responses=error_responses(404),
    summary="A job's status, progress and result",
)
def get_job(job_id: str, principal: JobsKey, session: SessionDep) -> JobOut:
    return JobOut.of(JobView.from_row(_visible_job(session, job_id, principal)))


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    responses=error_responses(404, 409),
    summary="Cancel a queued job, or ask a running one to stop",
)
def cancel_job(job_id: str, principal: JobsKey, session: SessionDep, jobs: JobsDep) -> JobOut:
    _visible_job(session, job_id, principal)
    session.rollback()  # end this read before the runner's own write transaction
    return JobOut.of(jobs.cancel(job_id))


def _visible_job(session: SessionDep, job_id: str, principal: Principal) -> JobRow:
    row = session.get(JobRow, job_id)
    if row is None or not (principal.is_admin or row.owner_key_id == principal.key_id):
        raise NotFound("job", job_id, field="job_id")
    return row
