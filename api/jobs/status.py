"""The life of a job: queued -> running -> succeeded | failed | cancelled."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"  # accepted, waiting for a worker
    RUNNING = "running"  # a worker is on it
    SUCCEEDED = "succeeded"  # finished; `result` holds the answer
    FAILED = "failed"  # finished without an answer; `error` says why
    CANCELLED = "cancelled"  # stopped on request; `result` may hold a partial answer


ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})
TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
