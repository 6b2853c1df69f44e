"""A real uvicorn serving the API on a free localhost port, for the HTTP benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.db.engine import Database
from api.db.migrate import upgrade
from api.jobs.registry import register_job_kind
from api.security.keys import create_key
from api.settings import Settings


def noop(params: dict[str, Any], progress: Any, should_stop: Any) -> dict[str, Any]:
    """Does nothing: isolates the cost of accepting and storing a job."""
    return {"ok": True}


register_job_kind("bench.noop", noop)


def app_factory() -> Any:
    """The uvicorn factory: the normal app plus the benchmark's job kind."""
    from api.app import create_app_from_env

    return create_app_from_env()


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    key: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(job_workers: int = 1) -> Iterator[Server]:
    """uvicorn in a subprocess (one worker, no access log) on a fresh SQLite file."""
    with tempfile.TemporaryDirectory(prefix="bench-api-") as state:
        settings = Settings(state_dir=Path(state))
        database = Database(settings.resolved_database_url)
        upgrade(database.engine)
        with database.transaction() as session:
            key = create_key(session, ["planner", "wcs", "admin"], ["*"], "bench").secret
        database.dispose()
        port = _free_port()
        env = {
            **os.environ,
            "OPTIMIZER_STATE_DIR": state,
            "OPTIMIZER_JOB_WORKERS": str(job_workers),
            "OPTIMIZER_JOB_MAX_PENDING": "100000",
        }
        env.pop("DATABASE_URL", None)
        process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "benchmarks.api_server:app_factory",
                "--factory", "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning", "--no-access-log",
            ],
            env=env,
        )  # fmt: skip
        try:
            _wait_until_up(port, process)
            yield Server("127.0.0.1", port, key)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the API server exited during start-up")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the API server did not answer /v1/health within 60 s")
