"""Routing and tracking: plan itineraries, tracked shipments, their versions and legs, outcomes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "plan_itineraries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _text("plan_id", 36),
        sa.Column("position", sa.Integer(), nullable=False),
        _text("shipment_id", 128),
        _text("status", 16),
        sa.Column("body", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["jobs.id"],
            name=op.f("fk_plan_itineraries_plan_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_itineraries")),
        sa.UniqueConstraint(
            "plan_id", "shipment_id", name=op.f("uq_plan_itineraries_plan_id_shipment_id")
        ),
    )
    op.create_index(
        op.f("ix_plan_itineraries_plan_id_position"), "plan_itineraries", ["plan_id", "position"]
    )

    op.create_table(
        "tracked_shipments",
        _text("shipment_id", 128),
        _text("plan_id", 36, nullable=True),
        _text("network_id", 128),
        sa.Column("network_version", sa.Integer(), nullable=False),
        _text("currency", 3),
        _text("state", 16),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("shipment", JSON, nullable=False),
        sa.Column("itinerary", JSON, nullable=False),
        sa.Column("planning", JSON, nullable=False),
        _time("eta", nullable=True),
        _time("deliver_by"),
        _text("owner_key_id", 32, nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.ForeignKeyConstraint(
            ["owner_key_id"],
            ["api_keys.id"],
            name=op.f("fk_tracked_shipments_owner_key_id_api_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["jobs.id"], name=op.f("fk_tracked_shipments_plan_id_jobs")
        ),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_tracked_shipments")),
    )
    op.create_index(op.f("ix_tracked_shipments_plan_id"), "tracked_shipments", ["plan_id"])
    op.create_index(op.f("ix_tracked_shipments_state"), "tracked_shipments", ["state"])

    op.create_table(
        "itinerary_versions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _text("shipment_id", 128),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cause", JSON, nullable=False),
        sa.Column("itinerary", JSON, nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["tracked_shipments.shipment_id"],
            name=op.f("fk_itinerary_versions_shipment_id_tracked_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_itinerary_versions")),
        sa.UniqueConstraint(
            "shipment_id", "version", name=op.f("uq_itinerary_versions_shipment_id_version")
        ),
    )

    op.create_table(
        "shipment_legs",
        _text("shipment_id", 128),
        sa.Column("leg", sa.Integer(), nullable=False),
        _text("carrier_id", 64),
        _text("lane", 128),
        _text("mode", 16),
        _text("origin", 64),
        _text("destination", 64),
        _time("departure"),
        _time("arrival"),
        _time("ready_at"),
        sa.Column("weight_g", sa.BigInteger(), nullable=False),
        _text("state", 16),
        _time("booked_departure"),
        _time("committed_arrival", nullable=True),
        _time("departed_at", nullable=True),
        _time("arrived_at", nullable=True),
        _text("outcome", 16, nullable=True),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["tracked_shipments.shipment_id"],
            name=op.f("fk_shipment_legs_shipment_id_tracked_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", "leg", name=op.f("pk_shipment_legs")),
    )
    op.create_index(
        op.f("ix_shipment_legs_carrier_id_departure"), "shipment_legs", ["carrier_id", "departure"]
    )
    op.create_index(
        op.f("ix_shipment_legs_lane_booked_departure"),
        "shipment_legs",
        ["lane", "booked_departure"],
    )

    op.create_table(
        "carrier_outcomes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _text("carrier_id", 64),
        _text("lane", 128),
        _text("outcome", 16),
        _text("shipment_id", 128),
        _text("source", 16),
        _time("recorded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_outcomes")),
    )
    op.create_index(
        op.f("ix_carrier_outcomes_carrier_id_lane"), "carrier_outcomes", ["carrier_id", "lane"]
    )


def downgrade() -> None:
    op.drop_table("carrier_outcomes")
    op.drop_table("shipment_legs")
    op.drop_table("itinerary_versions")
    op.drop_table("tracked_shipments")
    op.drop_table("plan_itineraries")
