"""Path and query parameters shared by the routes, and the one parser of instants they send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query

from api.errors import ApiError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SHIPMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:~-]*$"
ISO_INSTANT = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"

DocumentId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
CarrierId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
SorterId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
ChuteIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
ChuteQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)]
JobId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]
ShipmentIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=SHIPMENT_PATTERN)]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=10**9, description="a stored version; omitted: the latest")
]
ValidateOnly = Annotated[
    bool, Query(description="check everything, store and start nothing; 422 lists every problem")
]
InstantQuery = Annotated[
    str | None,
    Query(max_length=40, pattern=ISO_INSTANT, description="ISO 8601 (UTC without an offset)"),
]


def parse_instant(text: str, field: str) -> datetime:
    """An ISO 8601 instant in UTC (read as UTC without an offset); 422 naming `field` when it
    is no instant or lies outside what UTC can hold (year 1 at +01:00, year 9999 at -01:00)."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(
            422, f"not an ISO 8601 instant in UTC's range: {text!r}", field=field
        ) from None
