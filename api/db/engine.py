"""Engines and sessions: SQLite tuned for a service (WAL, foreign keys), PostgreSQL by URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from api.db.types import encode_json

log = logging.getLogger("optimizer.api.db")

SQLITE_BUSY_TIMEOUT_S = 30
WRITER_OPTION = "optimizer_writer"


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite files get WAL, foreign keys and immediate write locks."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, json_serializer=encode_json, **kwargs)
    if parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        json_serializer=encode_json,
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions (see `_begin`).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A writing transaction takes the write lock up front (IMMEDIATE), so a
        # read-then-write waits for a concurrent writer instead of failing with
        # "database is locked"; reading transactions stay deferred and never block.
        immediate = connection.get_execution_options().get(WRITER_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """An engine with a reading and a writing session factory; one per app and worker process.

    The difference matters on SQLite only: a writer session locks the database
    when its transaction begins. Never hold a session open while calling code
    that opens its own writer (it would wait for the lock you hold).
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_db_engine(url, **engine_kwargs)
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        writer_engine = self.engine.execution_options(**{WRITER_OPTION: True})
        self._writers = sessionmaker(writer_engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """A session for reading (writes work too, but may meet a lock conflict on SQLite)."""
        return self._readers()

    def writer(self) -> Session:
        """A session for a read-then-write unit; the caller commits, else it rolls back."""
        return self._writers()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A writer session committed on success and rolled back on any exception."""
        with self._writers() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
