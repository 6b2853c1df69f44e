"""Versioned JSON documents: sorter layouts, sort plans, networks, shipment sets, itineraries.

A document is (kind, name); each save adds a version. At most one version is
`active` (the database enforces it with a partial unique index), and
`activate` switches versions in one transaction, so readers see the old plan
or the new one, never none. Snapshots (chute states) keep one row, replaced.
None of these functions commits: the route commits once, after every check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from api.db.models import DocumentRow
from api.db.types import utcnow
from api.errors import Conflict, NotFound

STORED, ACTIVE, RETIRED = "stored", "active", "retired"


@dataclass(frozen=True)
class StoredDocument:
    kind: str
    name: str
    version: int
    status: str
    sorter_id: str | None
    carrier_id: str | None
    owner_key_id: str | None
    body: Any
    created_at: datetime
    activated_at: datetime | None

    @classmethod
    def from_row(cls, row: DocumentRow) -> StoredDocument:
        return cls(
            kind=row.kind,
            name=row.name,
            version=row.version,
            status=row.status,
            sorter_id=row.sorter_id,
            carrier_id=row.carrier_id,
            owner_key_id=row.owner_key_id,
            body=row.body,
            created_at=row.created_at,
            activated_at=row.activated_at,
        )


def save_version(
    session: Session,
    kind: str,
    name: str,
    body: Any,
    *,
    sorter_id: str | None = None,
    carrier_id: str | None = None,
    owner_key_id: str | None = None,
) -> StoredDocument:
    """Add the next version of (kind, name); a concurrent save of the same version is a 409.

    `body` may be a function of the new version number, for a document that names its
    own version (a sort plan).
    """
    latest = session.scalar(
        select(func.max(DocumentRow.version)).where(
            DocumentRow.kind == kind, DocumentRow.name == name
        )
    )
    version = (latest or 0) + 1
    row = DocumentRow(
        kind=kind,
        name=name,
        version=version,
        status=STORED,
        sorter_id=sorter_id,
        carrier_id=carrier_id,
        owner_key_id=owner_key_id,
        body=body(version) if callable(body) else body,
        created_at=utcnow(),
    )
    _flush(session, row, f"{kind} {name} was saved concurrently; retry")
    return StoredDocument.from_row(row)


def put_snapshot(
    session: Session,
    kind: str,
    name: str,
    body: Any,
    *,
    sorter_id: str | None = None,
    carrier_id: str | None = None,
) -> StoredDocument:
    """Replace the single stored version of a snapshot document (e.g. live chute states).

    The old body is never loaded: parsing a large snapshot only to overwrite it cost a
    one-call `json.loads` holding the GIL for milliseconds.
    """
    row = session.scalar(
        select(DocumentRow)
        .options(defer(DocumentRow.body))
        .where(DocumentRow.kind == kind, DocumentRow.name == name, DocumentRow.version == 1)
    )
    if row is None:
        row = DocumentRow(kind=kind, name=name, version=1, status=STORED, created_at=utcnow())
        session.add(row)
    row.body = body
    row.sorter_id = sorter_id
    row.carrier_id = carrier_id
    row.created_at = utcnow()
    _flush(session, row, f"{kind} {name} was saved concurrently; retry")
    return StoredDocument.from_row(row)


def get_document(
    session: Session, kind: str, name: str, version: int | None = None
) -> StoredDocument | None:
    """One version, or the latest when `version` is None."""
    query = select(DocumentRow).where(DocumentRow.kind == kind, DocumentRow.name == name)
    if version is None:
        query = query.order_by(DocumentRow.version.desc()).limit(1)
    else:
        query = query.where(DocumentRow.version == version)
    row = session.scalar(query)
    return StoredDocument.from_row(row) if row is not None else None


def get_active(session: Session, kind: str, name: str) -> StoredDocument | None:
    row = session.scalar(
        select(DocumentRow).where(
            DocumentRow.kind == kind, DocumentRow.name == name, DocumentRow.status == ACTIVE
        )
    )
    return StoredDocument.from_row(row) if row is not None else None


def activate(session: Session, kind: str, name: str, version: int) -> StoredDocument:
    """Make `version` the active one and retire the previous; both or neither."""
    row = session.scalar(
        select(DocumentRow).where(
            DocumentRow.kind == kind, DocumentRow.name == name, DocumentRow.version == version
        )
    )
    if row is None:
        raise NotFound(kind.replace("_", " "), f"{name} v{version}", field="version")
    if row.status == ACTIVE:
        return StoredDocument.from_row(row)
    session.execute(
        update(DocumentRow)
        .where(DocumentRow.kind == kind, DocumentRow.name == name, DocumentRow.status == ACTIVE)
        .values(status=RETIRED)
    )
    row.status = ACTIVE
    row.activated_at = utcnow()
    _flush(session, row, f"{kind} {name} was activated concurrently; retry")
    return StoredDocument.from_row(row)


def list_documents(
    session: Session,
    kind: str,
    *,
    name: str | None = None,
    sorter_ids: frozenset[str] | None = None,
    carrier_ids: frozenset[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[StoredDocument]:
    """By name, newest version first; `sorter_ids`/`carrier_ids` restrict (None: all)."""
    query = select(DocumentRow).where(DocumentRow.kind == kind)
    if name is not None:
        query = query.where(DocumentRow.name == name)
    if sorter_ids is not None:
        query = query.where(DocumentRow.sorter_id.in_(sorted(sorter_ids)))
    if carrier_ids is not None:
        query = query.where(DocumentRow.carrier_id.in_(sorted(carrier_ids)))
    query = query.order_by(DocumentRow.name, DocumentRow.version.desc()).limit(limit).offset(offset)
    return [StoredDocument.from_row(row) for row in session.scalars(query)]


def _flush(session: Session, row: DocumentRow, conflict: str) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None
