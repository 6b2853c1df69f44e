"""Persistence: SQLAlchemy 2 models, engine set-up and Alembic migrations (`api.db.migrate`)."""

from api.db.engine import Database, create_db_engine
from api.db.models import ApiKeyRow, Base, DocumentRow, EventRow, JobRow

__all__ = ["ApiKeyRow", "Base", "Database", "DocumentRow", "EventRow", "JobRow", "create_db_engine"]
