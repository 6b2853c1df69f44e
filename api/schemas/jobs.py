"""Job requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.jobs.registry import JobKind
from api.jobs.status import JobStatus
from api.jobs.store import JobView
from api.schemas.common import Strict


class JobCreate(Strict):
    kind: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    params: dict[str, Any] = Field(default_factory=dict, description="checked by the kind")


class JobError(BaseModel):
    code: str
    message: str
    problems: list[dict[str, Any]] | None = None


class JobOut(BaseModel):
    id: str
    kind: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    progress_message: str
    cancel_requested: bool
    attempts: int
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: JobError | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, view: JobView) -> JobOut:
        return cls(
            id=view.id,
            kind=view.kind,
            status=view.status,
            progress=view.progress,
            progress_message=view.progress_message,
            cancel_requested=view.cancel_requested,
            attempts=view.attempts,
            params=view.params,
            result=view.result,
            error=JobError.model_validate(view.error) if view.error else None,
            created_at=view.created_at,
            started_at=view.started_at,
            finished_at=view.finished_at,
        )


class JobList(BaseModel):
    items: list[JobOut]
    limit: int
    offset: int


class JobKindOut(BaseModel):
    name: str
    description: str
    roles: list[str]
    params_schema: dict[str, Any] | None

    @classmethod
    def of(cls, kind: JobKind) -> JobKindOut:
        schema = kind.params_model.model_json_schema() if kind.params_model else None
        return cls(
            name=kind.name,
            description=kind.description,
            roles=sorted(kind.roles),
            params_schema=schema,
        )


class JobKindList(BaseModel):
    items: list[JobKindOut]
