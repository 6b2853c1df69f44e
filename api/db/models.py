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
