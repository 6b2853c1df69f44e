"""Alembic migrations run from code (at startup or by `optimizer db upgrade`).

A new revision after a model change:
`.venv/bin/alembic -c api/db/alembic.ini revision --autogenerate -m "what changed"`
(it uses DATABASE_URL or the default SQLite file); review it before committing.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

log = logging.getLogger("optimizer.api.db")

MIGRATIONS = Path(__file__).with_name("migrations")
PG_MIGRATION_LOCK = 0x0F7140  # any constant shared by every process of this service


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe when several processes start at once."""
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)
    log.info("database schema at %s", current_revision(engine))


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Lock the SQLite database's directory while migrating (PostgreSQL: an advisory lock).

    Locking the directory leaves no lock file behind next to the data.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database:
        yield
        return
    descriptor = os.open(Path(database).resolve().parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
