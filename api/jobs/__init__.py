"""Asynchronous jobs: kinds, the runner, and the worker side."""

from api.jobs.registry import (
    JobFunction,
    JobKind,
    Progress,
    get_job_kind,
    job_kinds,
    register_job_kind,
)
from api.jobs.runner import JobRunner, Recovery
from api.jobs.status import JobStatus
from api.jobs.store import JobView
from api.jobs.worker import JobContext, current_job

__all__ = [
    "JobContext",
    "JobFunction",
    "JobKind",
    "JobRunner",
    "JobStatus",
    "JobView",
    "Progress",
    "Recovery",
    "current_job",
    "get_job_kind",
    "job_kinds",
    "register_job_kind",
]
