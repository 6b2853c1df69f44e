"""Path and query parameters shared by the routing, tracking and carrier routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SHIPMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:~-]*$"

DocumentId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
CarrierId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
JobId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]
ShipmentIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=SHIPMENT_PATTERN)]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=10**9, description="a stored version; omitted: the latest")
]
ValidateOnly = Annotated[
    bool, Query(description="check everything, store and start nothing; 422 lists every problem")
]
