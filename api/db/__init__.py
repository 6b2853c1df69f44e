"""Persistence: SQLAlchemy 2 models, engine set-up and Alembic migrations."""

from api.db.engine import Database, create_db_engine
from api.db.migrate import upgrade
from api.db.models import ApiKeyRow, Base, DocumentRow, EventRow, JobRow

__all__ = [
    "ApiKeyRow",
    "Base",
    "Database",
    "DocumentRow",
    "EventRow",
    "JobRow",
    "create_db_engine",
    "upgrade",
]
