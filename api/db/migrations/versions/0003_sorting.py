"""Sorting: manifests of closed containers, listed by sorter and by carrier.

Layouts, forecasts, plan versions (with the active one) and live sorter state are
documents; chute events are events (revision 0001).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sort_manifests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("sorter_id", sa.String(64), nullable=False),
        sa.Column("chute_id", sa.String(64), nullable=False),
        sa.Column("container", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(128), nullable=False),
        sa.Column("carrier_id", sa.String(64), nullable=True),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Float(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sort_manifests")),
    )
    op.create_index(
        op.f("ix_sort_manifests_sorter_id_closed_at"), "sort_manifests", ["sorter_id", "closed_at"]
    )
    op.create_index(
        op.f("ix_sort_manifests_carrier_id_closed_at"),
        "sort_manifests",
        ["carrier_id", "closed_at"],
    )


def downgrade() -> None:
    op.drop_table("sort_manifests")
