"""Manifests of closed containers: stored once, listed by sorter and by carrier."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import SortManifestRow
from optimizer.sorting import Manifest


@dataclass(frozen=True)
class ManifestRecord:
    """A manifest with its id and closing time: what is stored and answered."""

    manifest_id: str
    manifest: Manifest
    closed_at: datetime

    @classmethod
    def of(cls, manifest: Manifest, closed_at: datetime) -> ManifestRecord:
        return cls(str(uuid.uuid4()), manifest, closed_at)

    @classmethod
    def from_row(cls, row: SortManifestRow) -> ManifestRecord:
        body = row.body
        # Rows stored before per-parcel carriers have no count of parcels without one: the
        # carrier stored with the row is what it was handed to.
        unattributed = body.get("unattributed", 0 if row.carrier_id is not None else 1)
        manifest = Manifest(
            sorter_id=row.sorter_id,
            chute_id=row.chute_id,
            container=row.container,
            plan_id=row.plan_id,
            parcel_ids=tuple(body["parcel_ids"]),
            weight_g=row.weight_g,
            destinations=dict(body["destinations"]),
            carriers=tuple(body["carriers"]),
            unattributed=unattributed,
        )
        return cls(row.id, manifest, row.closed_at)

    @property
    def carrier_id(self) -> str | None:
        """The one carrier it is handed to; None for none or several (planners see it)."""
        return self.manifest.carrier

    def out(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "manifest_id": self.manifest_id,
            "sorter_id": m.sorter_id,
            "chute_id": m.chute_id,
            "container": m.container,
            "plan_id": m.plan_id,
            "carrier_id": self.carrier_id,
            "carriers": list(m.carriers),
            "count": m.count,
            "weight_g": round(m.weight_g, 1),
            "destinations": dict(m.destinations),
            "parcel_ids": list(m.parcel_ids),
            "closed_at": self.closed_at,
        }


def store_manifests(session: Session, records: Iterable[ManifestRecord]) -> None:
    """Insert the manifests not stored yet (the caller commits)."""
    records = list(records)
    ids = [r.manifest_id for r in records]
    known = set(session.scalars(select(SortManifestRow.id).where(SortManifestRow.id.in_(ids))))
    for r in records:
        if r.manifest_id in known:
            continue
        m = r.manifest
        session.add(
            SortManifestRow(
                id=r.manifest_id,
                sorter_id=m.sorter_id,
                chute_id=m.chute_id,
                container=m.container,
                plan_id=m.plan_id,
                carrier_id=r.carrier_id,
                parcels=m.count,
                weight_g=round(m.weight_g, 1),
                closed_at=r.closed_at,
                body={
                    "carriers": list(m.carriers),
                    "unattributed": m.unattributed,
                    "destinations": dict(m.destinations),
                    "parcel_ids": list(m.parcel_ids),
                },
            )
        )
    session.flush()


def find_manifest(
    session: Session, sorter_id: str, chute_id: str, container: int
) -> ManifestRecord | None:
    """The stored manifest of one container (re-sent closes answer it)."""
    row = session.scalar(
        select(SortManifestRow)
        .where(
            SortManifestRow.sorter_id == sorter_id,
            SortManifestRow.chute_id == chute_id,
            SortManifestRow.container == container,
        )
        .order_by(SortManifestRow.closed_at.desc())
        .limit(1)
    )
    return ManifestRecord.from_row(row) if row is not None else None


def list_manifests(
    session: Session,
    *,
    sorter_id: str | None = None,
    carrier_id: str | None = None,
    chute_id: str | None = None,
    closed_from: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Newest first."""
    query = select(SortManifestRow)
    if sorter_id is not None:
        query = query.where(SortManifestRow.sorter_id == sorter_id)
    if carrier_id is not None:
        query = query.where(SortManifestRow.carrier_id == carrier_id)
    if chute_id is not None:
        query = query.where(SortManifestRow.chute_id == chute_id)
    if closed_from is not None:
        query = query.where(SortManifestRow.closed_at >= closed_from)
    query = query.order_by(SortManifestRow.closed_at.desc(), SortManifestRow.id)
    rows = session.scalars(query.limit(limit).offset(offset))
    return [ManifestRecord.from_row(row).out() for row in rows]
