"""Initial schema: api keys, jobs, versioned documents, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE_ONLY = sa.text("status = 'active'")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("roles", JSON, nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("progress_message", sa.String(200), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error", JSON, nullable=True),
        sa.Column("owner_key_id", sa.String(32), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("runner_id", sa.String(200), nullable=True),
        _time("heartbeat_at", nullable=True),
        _time("created_at"),
        _time("started_at", nullable=True),
        _time("finished_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_key_id"], ["api_keys.id"], name=op.f("fk_jobs_owner_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_created_at"), "jobs", ["created_at"])
    op.create_index(op.f("ix_jobs_kind"), "jobs", ["kind"])
    op.create_index(op.f("ix_jobs_owner_key_id"), "jobs", ["owner_key_id"])
    op.create_index(op.f("ix_jobs_status_runner_id"), "jobs", ["status", "runner_id"])

    op.create_table(
        "documents",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sorter_id", sa.String(64), nullable=True),
        sa.Column("carrier_id", sa.String(64), nullable=True),
        sa.Column("owner_key_id", sa.String(32), nullable=True),
        sa.Column("body", JSON, nullable=False),
        _time("created_at"),
        _time("activated_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_key_id"], ["api_keys.id"], name=op.f("fk_documents_owner_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("kind", "name", "version", name=op.f("uq_documents_kind_name_version")),
    )
    op.create_index(op.f("ix_documents_carrier_id"), "documents", ["carrier_id"])
    op.create_index(op.f("ix_documents_sorter_id"), "documents", ["sorter_id"])
    op.create_index(
        "uq_documents_active",
        "documents",
        ["kind", "name"],
        unique=True,
        sqlite_where=ACTIVE_ONLY,
        postgresql_where=ACTIVE_ONLY,
    )

    op.create_table(
        "events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=True),
        sa.Column("sorter_id", sa.String(64), nullable=True),
        sa.Column("carrier_id", sa.String(64), nullable=True),
        sa.Column("owner_key_id", sa.String(32), nullable=True),
        _time("occurred_at"),
        _time("recorded_at"),
        sa.Column("body", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_key_id"], ["api_keys.id"], name=op.f("fk_events_owner_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("kind", "event_id", name=op.f("uq_events_kind_event_id")),
    )
    op.create_index(op.f("ix_events_carrier_id"), "events", ["carrier_id"])
    op.create_index(op.f("ix_events_sorter_id"), "events", ["sorter_id"])
    op.create_index(
        op.f("ix_events_kind_subject_occurred_at"), "events", ["kind", "subject", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("documents")
    op.drop_table("jobs")
    op.drop_table("api_keys")
