"""The tables. Alembic migrations in `api/db/migrations/versions/` must match these.

Resource data (sorter layouts, plan versions, networks, itineraries, ...) is
stored as versioned JSON documents rather than one table per resource: the
core owns the shape of that data and validates it, the store only needs to
version it, activate one version atomically, and scope it by sorter or carrier.
Append-only facts (tracking events, chute events) go to `events`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.db.types import JsonDocument, UtcDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ApiKeyRow(Base):
    """An API key: only the sha256 of the secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    key_hash: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JsonDocument)
    scopes: Mapped[list[str]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class JobRow(Base):
    """An asynchronous job; `runner_id` and `heartbeat_at` say who runs it and that it lives."""

    __tablename__ = "jobs"
    __table_args__ = (Index(None, "status", "runner_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_message: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, default=None)
    owner_key_id: Mapped[str | None] = mapped_column(
        ForeignKey("api_keys.id"), index=True, default=None
    )
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runner_id: Mapped[str | None] = mapped_column(String(200), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class DocumentRow(Base):
    """One version of a stored document (a sorter layout, a plan, a network, ...)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("kind", "name", "version"),
        # At most one active version per document, enforced by the database itself.
        Index(
            "uq_documents_active",
            "kind",
            "name",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="stored")
    sorter_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    carrier_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    owner_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), default=None)
    body: Mapped[Any] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class EventRow(Base):
    """An append-only fact about a subject (a shipment's tracking event, a chute event)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("kind", "event_id"),
        Index(None, "kind", "subject", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(128))
    event_id: Mapped[str | None] = mapped_column(String(128), default=None)
    sorter_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    carrier_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    owner_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), default=None)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    body: Mapped[Any] = mapped_column(JsonDocument)


# -- Routing and tracking (revision 0002) ------------------------------------------------


class PlanItineraryRow(Base):
    """One shipment's itinerary in a batch plan, written by the plan job (one row per shipment).

    A 100k-shipment plan is 100k small rows read page by page, not one giant document.
    """

    __tablename__ = "plan_itineraries"
    __table_args__ = (
        UniqueConstraint("plan_id", "shipment_id"),
        Index(None, "plan_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # the shipment's place in its set
    shipment_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[Any] = mapped_column(JsonDocument)  # {"shipment": ..., "itinerary": ...}


class TrackedShipmentRow(Base):
    """A shipment under tracking: its current itinerary version and where it stands."""

    __tablename__ = "tracked_shipments"

    shipment_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    plan_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"), index=True, default=None)
    network_id: Mapped[str] = mapped_column(String(128))
    network_version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer, default=0)
    shipment: Mapped[Any] = mapped_column(JsonDocument)  # the shipments.jsonl record
    itinerary: Mapped[Any] = mapped_column(JsonDocument)  # the current version, plan format
    planning: Mapped[Any] = mapped_column(JsonDocument)  # carrier-score settings for re-plans
    eta: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    deliver_by: Mapped[datetime] = mapped_column(UtcDateTime)
    owner_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ItineraryVersionRow(Base):
    """Every itinerary a tracked shipment has had; re-plans add versions, none is dropped."""

    __tablename__ = "itinerary_versions"
    __table_args__ = (UniqueConstraint("shipment_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[str] = mapped_column(
        ForeignKey("tracked_shipments.shipment_id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    cause: Mapped[Any] = mapped_column(JsonDocument)  # plan, eta update or re-plan, and why
    itinerary: Mapped[Any] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ShipmentLegRow(Base):
    """A leg of a tracked shipment's current itinerary: what a carrier lists and reports on."""

    __tablename__ = "shipment_legs"
    __table_args__ = (
        Index(None, "carrier_id", "departure"),
        Index(None, "lane", "booked_departure"),
    )

    shipment_id: Mapped[str] = mapped_column(
        ForeignKey("tracked_shipments.shipment_id", ondelete="CASCADE"), primary_key=True
    )
    leg: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[str] = mapped_column(String(64))
    lane: Mapped[str] = mapped_column(String(128))
    mode: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(64))
    destination: Mapped[str] = mapped_column(String(64))
    departure: Mapped[datetime] = mapped_column(UtcDateTime)
    arrival: Mapped[datetime] = mapped_column(UtcDateTime)
    ready_at: Mapped[datetime] = mapped_column(UtcDateTime)
    weight_g: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    # The scheduled departure whose capacity the parcel holds: it stays when the
    # carrier reports the leg late (then `departure` moves), so a late flight keeps its load.
    booked_departure: Mapped[datetime] = mapped_column(UtcDateTime)
    # The arrival the carrier is held to, fixed by its first event on the leg.
    committed_arrival: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    departed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)


class CarrierOutcomeRow(Base):
    """How one leg ended for its carrier (on_time, late, lost, damaged): scorecards' input.

    Written when a tracked leg completes or fails, and by uploads of past history.
    """

    __tablename__ = "carrier_outcomes"
    __table_args__ = (Index(None, "carrier_id", "lane"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    carrier_id: Mapped[str] = mapped_column(String(64))
    lane: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))
    shipment_id: Mapped[str] = mapped_column(String(128), default="")
    source: Mapped[str] = mapped_column(String(16))  # tracking | history
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# -- Sorting (revision 0003) -----------------------------------------------------------


class SortManifestRow(Base):
    """A closed container's manifest: the hand-over document listed by sorter and by carrier.

    The id is chosen when the container closes, so a write retried after a database
    outage stores the manifest once.
    """

    __tablename__ = "sort_manifests"
    __table_args__ = (
        Index(None, "sorter_id", "closed_at"),
        Index(None, "carrier_id", "closed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sorter_id: Mapped[str] = mapped_column(String(64))
    chute_id: Mapped[str] = mapped_column(String(64))
    container: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[str] = mapped_column(String(128))
    carrier_id: Mapped[str | None] = mapped_column(String(64), default=None)
    parcels: Mapped[int] = mapped_column(Integer)
    weight_g: Mapped[float] = mapped_column(Float)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[Any] = mapped_column(JsonDocument)  # parcel ids, destinations, carriers
