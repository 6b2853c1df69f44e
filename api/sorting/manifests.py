"""Manifests of closed containers: stored once, listed by sorter and by carrier."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import SortManifestRow
from optimizer.sorting import Manifest


@dataclass(frozen=True)
class ManifestRecord:
    """A manifest with its id, carrier and closing time: what is stored and answered."""

    manifest_id: str
    manifest: Manifest
    carriers: tuple[str, ...]
    closed_at: datetime

    @classmethod
    def of(
        cls, manifest: Manifest, carrier_of: Mapping[str, str], closed_at: datetime
    ) -> ManifestRecord:
        return cls(str(uuid.uuid4()), manifest, manifest.carriers(carrier_of), closed_at)

    @property
    def carrier_id(self) -> str | None:
        """The one carrier it is handed to; None for no carrier or several (planners see it)."""
        return self.carriers[0] if len(self.carriers) == 1 else None

    def out(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "manifest_id": self.manifest_id,
            "sorter_id": m.sorter_id,
            "chute_id": m.chute_id,
            "container": m.container,
            "plan_id": m.plan_id,
            "carrier_id": self.carrier_id,
            "carriers": list(self.carriers),
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
                    "carriers": list(r.carriers),
                    "destinations": dict(m.destinations),
                    "parcel_ids": list(m.parcel_ids),
                },
            )
        )
    session.flush()


def manifest_out(row: SortManifestRow) -> dict[str, Any]:
    body = row.body
    return {
        "manifest_id": row.id,
        "sorter_id": row.sorter_id,
        "chute_id": row.chute_id,
        "container": row.container,
        "plan_id": row.plan_id,
        "carrier_id": row.carrier_id,
        "carriers": body["carriers"],
        "count": row.parcels,
        "weight_g": row.weight_g,
        "destinations": body["destinations"],
        "parcel_ids": body["parcel_ids"],
        "closed_at": row.closed_at,
    }


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
    return [manifest_out(row) for row in session.scalars(query.limit(limit).offset(offset))]
