"""What runs inside a worker process (pool or Ray): claim the job, run it, store the outcome.

Progress and cancellation cross the process boundary through the job's row:
the worker writes progress (throttled) and reads `cancel_requested`, so any
API process sharing the database sees the one and can set the other. A job
function that loads its inputs from the database (by document id) or stores
bulky results in rows of its own calls `current_job()` for its id and database.
"""

from __future__ import annotations

import json
import logging
import math
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from api.db.engine import Database
from api.jobs import store
from api.jobs.registry import JobFunction
from optimizer.errors import InfeasibleError, InputError

log = logging.getLogger("optimizer.api.jobs")

_DATABASES: dict[str, Database] = {}
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class JobContext:
    """The running job's id and the service's database, as seen from the worker."""

    job_id: str
    database: Database


_CURRENT: ContextVar[JobContext | None] = ContextVar("optimizer_current_job", default=None)


def current_job() -> JobContext:
    """The job this worker is running; only valid inside a job function."""
    found = _CURRENT.get()
    if found is None:
        raise RuntimeError("current_job() is only available while a job runs")
    return found


def execute_job(
    job_id: str,
    runner_id: str,
    func: JobFunction,
    params: dict[str, Any],
    database_url: str,
    progress_interval_s: float,
) -> str:
    """Run one job to its end; returns the final status (or 'skipped' when not ours to run)."""
    database = _database(database_url)
    with database.transaction() as session:
        if not store.claim(session, job_id, runner_id):
            return "skipped"
    channel = _Channel(database, job_id, progress_interval_s)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    token = _CURRENT.set(JobContext(job_id, database))
    try:
        returned = func(dict(params), channel.progress, channel.should_stop)
        result = _json_object(returned)
    except InputError as exc:
        code = "infeasible" if isinstance(exc, InfeasibleError) else "invalid"
        error = {
            "code": code,
            "message": str(exc.problems[0]) if exc.problems else "invalid input",
            "problems": [
                {"field": p.field, "message": p.message, "code": p.code}
                for p in exc.problems[:MAX_PROBLEMS]
            ],
        }
    except _NotJson as exc:
        error = {"code": "internal", "message": f"The job returned {exc}"}
    except Exception as exc:
        log.exception("job %s failed", job_id)
        message = f"The job raised {type(exc).__name__}; the server log has the details"
        error = {"code": "internal", "message": message}
    finally:
        _CURRENT.reset(token)
    with database.transaction() as session:
        final = store.finish(session, job_id, runner_id, result=result, error=error)
    return final.value if final else "skipped"


class _Channel:
    """progress() and should_stop() for one job, each touching the database at most per interval."""

    def __init__(self, database: Database, job_id: str, interval_s: float) -> None:
        self._database = database
        self._job_id = job_id
        self._interval = interval_s
        self._last_write = float("-inf")
        self._last_read = float("-inf")
        self._stop = False

    def progress(self, fraction: float, message: str = "") -> None:
        if not isinstance(fraction, int | float) or math.isnan(fraction):
            return
        now = time.monotonic()
        if now - self._last_write < self._interval and fraction < 1.0:
            return
        self._last_write = now
        with self._database.transaction() as session:
            store.record_progress(session, self._job_id, min(max(fraction, 0.0), 1.0), message)

    def should_stop(self) -> bool:
        if self._stop:
            return True
        now = time.monotonic()
        if now - self._last_read >= self._interval:
            self._last_read = now
            with self._database.session() as session:
                self._stop = store.is_cancel_requested(session, self._job_id)
        return self._stop


class _NotJson(Exception):
    pass


def _json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _NotJson(f"a {type(value).__name__}, not a JSON object")
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise _NotJson(f"a result that is not JSON ({exc})") from None


def _database(url: str) -> Database:
    """One engine per worker process and URL."""
    found = _DATABASES.get(url)
    if found is None:
        found = _DATABASES[url] = Database(url)
    return found
