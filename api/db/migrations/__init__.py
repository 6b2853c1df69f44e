"""Alembic environment and revisions for the service database."""
