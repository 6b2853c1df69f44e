"""Networks and shipment sets as versioned documents, with their summaries.

Bodies are `{"summary": ..., "document" | "shipments": ...}` so listings read the
summary alone. Versions never change once stored, so a parsed network is cached
by (id, version).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db.models import DocumentRow
from api.errors import ApiError, NotFound
from api.routing.cache import RoutingCache
from api.store import StoredDocument, get_document, save_version
from optimizer.routing import Network, Shipment, network_from_dict, shipments_from_records
from optimizer.routing.network_json import network_to_dict
from optimizer.routing.shipments import shipment_to_dict
from optimizer.timeutil import from_minutes

NETWORK = "network"
SHIPMENT_SET = "shipment_set"
NOUNS = {NETWORK: "network", SHIPMENT_SET: "shipment set"}


@dataclass(frozen=True)
class DocRef:
    """A document version: what a plan was made from."""

    id: str
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version}


@dataclass(frozen=True)
class Listed:
    name: str
    version: int
    created_at: datetime
    summary: dict[str, Any]


def network_summary(network: Network) -> dict[str, Any]:
    return {
        "currency": network.currency,
        "nodes": len(network.nodes),
        "lanes": len(network.lanes),
        "tariffs": len(network.tariffs),
        "carriers": sorted({lane.carrier for lane in network.lanes}),
        "countries": sorted({node.country for node in network.nodes}),
        "service_levels": sorted(network.service_levels),
    }


def shipment_set_summary(shipments: Sequence[Shipment]) -> dict[str, Any]:
    return {
        "shipments": len(shipments),
        "origins": sorted({s.origin for s in shipments}),
        "destinations": len({s.destination for s in shipments}),
        "services": dict(sorted(Counter(s.service for s in shipments).items())),
        "categories": dict(sorted(Counter(s.category for s in shipments).items())),
        "first_ready_at": (
            from_minutes(min(s.ready_at for s in shipments)).isoformat() if shipments else None
        ),
        "last_deliver_by": (
            from_minutes(max(s.deliver_by for s in shipments)).isoformat() if shipments else None
        ),
        "total_weight_kg": round(sum(s.weight_g for s in shipments) / 1000, 3),
    }


def store_network(
    session: Session, network_id: str, network: Network, owner_key_id: str | None
) -> StoredDocument:
    body = {"summary": network_summary(network), "document": network_to_dict(network)}
    return save_version(session, NETWORK, network_id, body, owner_key_id=owner_key_id)


def store_shipment_set(
    session: Session, set_id: str, shipments: Sequence[Shipment], owner_key_id: str | None
) -> StoredDocument:
    body = {
        "summary": shipment_set_summary(shipments),
        "references": {
            "nodes": sorted({s.origin for s in shipments} | {s.destination for s in shipments}),
            "services": sorted({s.service for s in shipments}),
        },
        "shipments": [shipment_to_dict(s) for s in shipments],
    }
    return save_version(session, SHIPMENT_SET, set_id, body, owner_key_id=owner_key_id)


def latest_version(session: Session, kind: str, name: str, field: str) -> int:
    """The newest version number, or 404 naming `field`."""
    version = session.scalar(
        select(func.max(DocumentRow.version)).where(
            DocumentRow.kind == kind, DocumentRow.name == name
        )
    )
    if version is None:
        raise NotFound(NOUNS[kind], name, field=field)
    return int(version)


def resolve(
    session: Session,
    kind: str,
    name: str,
    version: int | None,
    field: str,
    version_field: str = "version",
) -> StoredDocument:
    """One stored version (the latest when None); 404 names the id's or the version's field."""
    latest = latest_version(session, kind, name, field)
    found = get_document(session, kind, name, version or latest)
    if found is None:
        message = f"{NOUNS[kind]} {name!r} has no version {version} (latest is {latest})"
        raise ApiError(404, message, field=version_field)
    return found


def load_network(
    session: Session,
    cache: RoutingCache | None,
    network_id: str,
    version: int | None,
    field: str = "network_id",
    version_field: str = "network_version",
) -> tuple[DocRef, Network]:
    """The parsed network version (cached: stored versions never change)."""
    latest = latest_version(session, NETWORK, network_id, field)
    if version is None:
        version = latest
    elif version > latest:
        message = f"network {network_id!r} has no version {version} (latest is {latest})"
        raise ApiError(404, message, field=version_field)
    ref = DocRef(network_id, version)

    def build() -> Network:
        stored = resolve(session, NETWORK, network_id, version, field, version_field)
        return network_from_dict(stored.body["document"])

    if cache is None:
        return ref, build()
    network = cache.networks.get((network_id, version), build)
    assert isinstance(network, Network)
    return ref, network


def load_shipment_set(
    session: Session,
    set_id: str,
    version: int | None,
    field: str = "shipment_set_id",
    version_field: str = "shipment_set_version",
) -> tuple[DocRef, list[Shipment]]:
    stored = resolve(session, SHIPMENT_SET, set_id, version, field, version_field)
    shipments = shipments_from_records(stored.body["shipments"], source="shipments")
    return DocRef(set_id, stored.version), shipments


def shipment_set_facts(
    session: Session, set_id: str, version: int | None
) -> tuple[DocRef, dict[str, Any], dict[str, Any]]:
    """A set version's summary and the node and service names it uses, without its records."""
    field, version_field = "shipment_set_id", "shipment_set_version"
    latest = latest_version(session, SHIPMENT_SET, set_id, field)
    found = session.execute(
        select(DocumentRow.body["summary"], DocumentRow.body["references"]).where(
            DocumentRow.kind == SHIPMENT_SET,
            DocumentRow.name == set_id,
            DocumentRow.version == (version or latest),
        )
    ).one_or_none()
    if found is None:
        message = f"shipment set {set_id!r} has no version {version} (latest is {latest})"
        raise ApiError(404, message, field=version_field)
    return DocRef(set_id, version or latest), found[0], found[1]


def list_latest(session: Session, kind: str, limit: int, offset: int) -> list[Listed]:
    """Each document's newest version with its summary, by name."""
    newest = (
        select(DocumentRow.name, func.max(DocumentRow.version).label("version"))
        .where(DocumentRow.kind == kind)
        .group_by(DocumentRow.name)
        .subquery()
    )
    query = (
        select(
            DocumentRow.name,
            DocumentRow.version,
            DocumentRow.created_at,
            DocumentRow.body["summary"],
        )
        .join(
            newest,
            (DocumentRow.name == newest.c.name) & (DocumentRow.version == newest.c.version),
        )
        .where(DocumentRow.kind == kind)
        .order_by(DocumentRow.name)
        .limit(limit)
        .offset(offset)
    )
    return [Listed(*row) for row in session.execute(query)]


def list_versions(
    session: Session, kind: str, name: str, limit: int, offset: int, field: str
) -> list[Listed]:
    """Every version of one document, newest first (404 when it has none)."""
    query = (
        select(
            DocumentRow.name,
            DocumentRow.version,
            DocumentRow.created_at,
            DocumentRow.body["summary"],
        )
        .where(DocumentRow.kind == kind, DocumentRow.name == name)
        .order_by(DocumentRow.version.desc())
        .limit(limit)
        .offset(offset)
    )
    found = [Listed(*row) for row in session.execute(query)]
    if not found and offset == 0:
        raise NotFound(NOUNS[kind], name, field=field)
    return found
