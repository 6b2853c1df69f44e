"""Health check response."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class SolverCheck(BaseModel):
    ok: bool
    status: str
    objective: int | None
    expected: int
    solve_time_ms: float


class DatabaseCheck(BaseModel):
    ok: bool
    backend: str
    revision: str | None


class JobsCheck(BaseModel):
    ok: bool
    backend: Literal["local", "ray"]
    workers: int
    runner_started: bool


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    solver: SolverCheck
    database: DatabaseCheck
    jobs: JobsCheck
