"""Fixtures for the API tests: apps on throwaway databases, keys for every role."""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import tests.api.job_kinds  # noqa: F401  (registers the test job kinds)
from api import Settings, create_app
from api.security.keys import create_key

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient

PG_URL = os.environ.get("DATABASE_URL_TEST", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FAST_JOBS = {
    "job_workers": 1,
    "job_heartbeat_s": 0.2,
    "job_progress_interval_s": 0.02,
    "key_cache_ttl_s": 0.0,
}


@dataclass
class Keys:
    """One secret per kind of caller."""

    admin: str
    planner: str
    planner2: str
    wcs_s1: str
    carrier_xyz: str

    @staticmethod
    def header(secret: str) -> dict[str, str]:
        return {"X-API-Key": secret}


def issue_keys(app: Any) -> Keys:
    with app.state.services.database.transaction() as session:

        def make(roles: list[str], scopes: list[str]) -> str:
            return create_key(session, roles, scopes).secret

        return Keys(
            admin=make(["admin"], ["*"]),
            planner=make(["planner"], []),
            planner2=make(["planner"], []),
            wcs_s1=make(["wcs"], ["sorter:S1"]),
            carrier_xyz=make(["carrier"], ["carrier:XYZ"]),
        )


def settings_for(directory: Path, **overrides: Any) -> Settings:
    return Settings(state_dir=directory, **{**FAST_JOBS, **overrides})


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Builds started apps (lifespan entered) on a SQLite file in tmp_path; closes them after."""
    opened: list[TestClient] = []

    def make(directory: Path | None = None, **overrides: Any) -> TestClient:
        app = create_app(settings_for(directory or tmp_path, **overrides))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One started app for a whole module (its worker pool is spawned once)."""
    app = create_app(settings_for(tmp_path_factory.mktemp("api")))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def shared_keys(shared_client: TestClient) -> Keys:
    return issue_keys(shared_client.app)


def wait_for_job(
    client: TestClient, job_id: str, key: str, until: Callable[[dict], bool], timeout: float = 60
) -> dict[str, Any]:
    """Poll GET /v1/jobs/{id} until `until(job)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/jobs/{job_id}", headers=Keys.header(key)).json()
        if until(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job never reached the expected state: {job}")
        time.sleep(0.05)


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("succeeded", "failed", "cancelled")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    admin = create_engine(PG_URL)
    try:
        with admin.connect():
            pass
    except OperationalError:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL not reachable at {PG_URL}: start one (trust auth) or set "
            "DATABASE_URL_TEST=postgresql+psycopg://USER@HOST:PORT/DB to run these tests"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each backend the service supports: the SQLite default and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")
