"""The job runner: accepts jobs, hands them to a backend, and never loses one.

Each runner has an id `host:pid:token` stamped on the jobs it owns, and a
maintenance thread that renews their heartbeat and recovers orphans: active
jobs whose runner is gone (a dead pid on this host, or a stale heartbeat).
An orphan that had started is re-queued while it has attempts left, else
failed with the reason; one that had not started is simply queued again.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from api.db.engine import Database
from api.db.models import JobRow
from api.db.types import utcnow
from api.errors import Conflict, NotFound, Unavailable
from api.jobs import store
from api.jobs.backends import Backend, import_ray, make_backend
from api.jobs.registry import get_job_kind
from api.jobs.status import JobStatus
from api.jobs.store import JobView
from api.jobs.worker import execute_job
from api.settings import Settings

log = logging.getLogger("optimizer.api.jobs")


@dataclass
class Recovery:
    """What one recovery pass did."""

    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class JobRunner:
    """Submit, cancel and recover jobs for one API process."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        if settings.ray_address:
            import_ray()  # fail at startup, not on the first job
        self._backend: Backend | None = None
        self._futures: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()
        self._ended: queue.SimpleQueue[tuple[str, BaseException]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def backend_name(self) -> str:
        return "ray" if self.settings.ray_address else "local"

    @property
    def started(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Recovery:
        """Recover orphans, then keep heartbeats and recovery going in the background."""
        self._stopping.clear()
        recovery = self.recover()
        self._thread = threading.Thread(target=self._maintain, name="job-runner", daemon=True)
        self._thread.start()
        return recovery

    def stop(self) -> None:
        """Stop workers and hand this runner's unfinished jobs back to the queue."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._lock:
            backend, self._backend = self._backend, None
            self._futures.clear()
        if backend is not None:
            backend.shutdown()
        with self.database.transaction() as session:
            released = store.release(session, self.runner_id)
        if released:
            log.info("released %d unfinished job(s) for the next start", released)

    def submit(self, kind: str, params: dict[str, Any], owner_key_id: str | None) -> JobView:
        """Store a queued job and dispatch it; returns at once."""
        job_kind = get_job_kind(kind)
        if job_kind is None:
            raise NotFound("job kind", kind, field="kind")
        with self.database.transaction() as session:
            active = store.count_active(session)
            limit = self.settings.job_max_pending
            if active >= limit:
                raise Unavailable(f"Too many unfinished jobs ({active}), maximum is {limit}")
            row = store.insert_job(session, kind, params, owner_key_id, self.runner_id)
            view = JobView.from_row(row)
        if not self._dispatch(view.id, kind, params):
            raise Unavailable("The job could not be handed to a worker; it was not started")
        return view

    def cancel(self, job_id: str) -> JobView:
        """A queued job is cancelled at once; a running one is asked to stop."""
        with self.database.transaction() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFound("job", job_id)
            if store.is_terminal(row.status):
                raise Conflict(f"Job {job_id} already {row.status}; nothing to cancel")
            row.cancel_requested = True
            if row.status == JobStatus.QUEUED.value:
                row.status = JobStatus.CANCELLED.value
                row.finished_at = utcnow()
            view = JobView.from_row(row)
        if view.status is JobStatus.CANCELLED:
            with self._lock:
                future = self._futures.get(job_id)
            if future is not None:
                future.cancel()
        return view

    def recover(self) -> Recovery:
        """Take over the active jobs of runners that are gone."""
        recovery = Recovery()
        to_dispatch: list[tuple[str, str, dict[str, Any]]] = []
        with self.database.transaction() as session:
            for row in store.active_jobs_not_of(session, self.runner_id):
                if not self._is_orphan(row):
                    continue
                outcome = self._adopt(session, row)
                if outcome == "failed":
                    recovery.failed.append(row.id)
                else:
                    recovery.requeued.append(row.id)
                    to_dispatch.append((row.id, row.kind, row.params))
        for job_id, kind, params in to_dispatch:
            self._dispatch(job_id, kind, params)
        if recovery.requeued or recovery.failed:
            log.warning(
                "recovered orphaned jobs: %d re-queued, %d failed",
                len(recovery.requeued),
                len(recovery.failed),
            )
        return recovery

    def _is_orphan(self, row: JobRow) -> bool:
        if row.runner_id is None:
            return True
        host, _, rest = row.runner_id.partition(":")
        pid_text, _, _token = rest.partition(":")
        if host == socket.gethostname() and pid_text.isdigit():
            pid = int(pid_text)
            if pid == os.getpid() or not _pid_alive(pid):
                return True  # an earlier life of this process, or a process that exited
        return store.is_stale(row, self.settings.job_stale_after_s)

    def _adopt(self, session: Session, row: JobRow) -> str:
        max_attempts = self.settings.job_max_attempts
        if get_job_kind(row.kind) is None:
            store.fail(session, row, "unknown_kind", f"Job kind {row.kind!r} is not served here")
            return "failed"
        if row.status == JobStatus.RUNNING.value and row.attempts >= max_attempts:
            message = (
                f"The process running this job stopped (attempt {row.attempts} of "
                f"{max_attempts}); it was not retried"
            )
            store.fail(session, row, "worker_lost", message)
            return "failed"
        note = "re-queued after its worker stopped" if row.status == "running" else ""
        store.requeue(session, row, self.runner_id, note)
        return "requeued"

    def _dispatch(self, job_id: str, kind: str, params: dict[str, Any]) -> bool:
        """Hand a queued job to the backend; if that fails, fail the job rather than strand it."""
        job_kind = get_job_kind(kind)
        assert job_kind is not None
        try:
            with self._lock:
                if self._stopping.is_set():
                    return True  # stays queued; released to the next start by stop()
                if self._backend is None:
                    self._backend = make_backend(
                        self.settings.ray_address, self.settings.job_workers
                    )
                future = self._backend.submit(
                    execute_job,
                    job_id,
                    self.runner_id,
                    job_kind.func,
                    params,
                    self.database.url,
                    self.settings.job_progress_interval_s,
                )
                self._futures[job_id] = future
        except Exception:
            log.exception("could not dispatch job %s", job_id)
            with self.database.transaction() as session:
                row = session.get(JobRow, job_id)
                if row is not None and not store.is_terminal(row.status):
                    store.fail(session, row, "unavailable", "No worker could take the job")
            return False
        future.add_done_callback(partial(self._on_done, job_id))
        return True

    def _on_done(self, job_id: str, future: Future[Any]) -> None:
        """Runs on the backend's thread: only note a failed future for the maintenance thread."""
        self._futures.pop(job_id, None)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:  # the worker stored every normal outcome itself
            self._ended.put((job_id, exc))
            self._wake.set()

    def _handle_failed_futures(self) -> None:
        """A lost worker makes its job an orphan; any other crash fails the job."""
        while not self._ended.empty():
            job_id, exc = self._ended.get()
            backend = self._backend
            lost = backend is not None and backend.worker_lost(exc)
            with self.database.transaction() as session:
                row = session.get(JobRow, job_id)
                if row is None or store.is_terminal(row.status):
                    continue
                if lost:
                    row.runner_id = None  # the recovery pass below re-queues or fails it
                else:
                    log.error("job %s could not run", job_id, exc_info=exc)
                    store.fail(session, row, "internal", "The job could not be run; see the log")

    def _maintain(self) -> None:
        interval = self.settings.job_heartbeat_s
        while not self._stopping.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self._handle_failed_futures()
                with self.database.transaction() as session:
                    store.heartbeat(session, self.runner_id)
                self.recover()
            except Exception:
                log.exception("job maintenance pass failed; retrying")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
