"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class EncodedJson(str):
    """JSON text encoded ahead of the write (`api.sliced_json`), stored as it is."""


def encode_json(value: Any) -> str:
    """The engines' JSON serializer: `json.dumps`, except for a document already encoded
    (an `EncodedJson` as the whole value; nested in a dict it would be a JSON string)."""
    return str(value) if isinstance(value, EncodedJson) else json.dumps(value)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, although SQLite stores no zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
