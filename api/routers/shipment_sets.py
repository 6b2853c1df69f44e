"""Shipment sets: upload versions (a JSON array or JSON Lines), list them, page through one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from api.deps import PageDep, PlannerKey, ServicesDep, SessionDep, SettingsDep, WriterDep
from api.errors import BODY_ERRORS, error_responses
from api.routing.documents import (
    SHIPMENT_SET,
    Listed,
    list_latest,
    list_versions,
    load_network,
    resolve,
    shipment_set_summary,
    store_shipment_set,
)
from api.routing.jobs import check_references
from api.routing.uploads import content_type, decode_records, parse_shipments
from api.schemas.params import DocumentId, ValidateOnly, VersionQuery
from api.schemas.shipments import (
    ShipmentPage,
    ShipmentSetList,
    ShipmentSetSummary,
    ShipmentSetVersionOut,
)

router = APIRouter(
    prefix="/shipment-sets", tags=["shipment sets"], responses=error_responses(401, 403, 422)
)

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/ShipmentIn"}}
            },
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "one ShipmentIn object per line"}
            },
        },
    }
}


async def raw_body(request: Request) -> tuple[bytes, str]:
    """The body and its media type (the edge middleware has already capped its size)."""
    return await request.body(), content_type(request.headers)


RawBody = Annotated[tuple[bytes, str], Depends(raw_body)]


def _listed(item: Listed) -> ShipmentSetVersionOut:
    return ShipmentSetVersionOut(
        shipment_set_id=item.name,
        version=item.version,
        stored=True,
        created_at=item.created_at,
        summary=ShipmentSetSummary.model_validate(item.summary),
    )


@router.post(
    "/{shipment_set_id}/versions",
    response_model=ShipmentSetVersionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": ShipmentSetVersionOut,
            "description": "validate_only: valid; nothing stored",
        },
        **error_responses(404, *BODY_ERRORS),
    },
    openapi_extra=UPLOAD_BODY,
    summary="Upload shipments (JSON array or JSON Lines) as the set's next version",
)
def upload_shipment_set(
    shipment_set_id: DocumentId,
    principal: PlannerKey,
    raw: RawBody,
    session: WriterDep,
    services: ServicesDep,
    settings: SettingsDep,
    response: Response,
    validate_only: ValidateOnly = False,
    network_id: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="also check nodes and service levels"),
    ] = None,
    network_version: VersionQuery = None,
) -> ShipmentSetVersionOut:
    body, media_type = raw
    records = decode_records(body, media_type, settings.max_shipments)
    shipments = parse_shipments(records)
    checked = None
    if network_id is not None:
        ref, network = load_network(
            session, services.routing, network_id, network_version, "network_id", "network_version"
        )
        check_references(network, shipments)
        checked = f"{ref.id}@{ref.version}"
    summary = ShipmentSetSummary.model_validate(shipment_set_summary(shipments))
    if validate_only:
        response.status_code = status.HTTP_200_OK
        return ShipmentSetVersionOut(
            shipment_set_id=shipment_set_id,
            version=None,
            stored=False,
            created_at=None,
            network_checked=checked,
            summary=summary,
        )
    stored = store_shipment_set(session, shipment_set_id, shipments, principal.key_id)
    session.commit()
    response.headers["Location"] = f"/v1/shipment-sets/{shipment_set_id}?version={stored.version}"
    return ShipmentSetVersionOut(
        shipment_set_id=shipment_set_id,
        version=stored.version,
        stored=True,
        created_at=stored.created_at,
        network_checked=checked,
        summary=summary,
    )


@router.get("", response_model=ShipmentSetList, summary="Shipment sets, each at its latest version")
def list_shipment_sets(_: PlannerKey, session: SessionDep, page: PageDep) -> ShipmentSetList:
    items = list_latest(session, SHIPMENT_SET, page.limit, page.offset)
    return ShipmentSetList(items=[_listed(i) for i in items], limit=page.limit, offset=page.offset)


@router.get(
    "/{shipment_set_id}/versions",
    response_model=ShipmentSetList,
    responses=error_responses(404),
    summary="Every version of a shipment set, newest first",
)
def list_shipment_set_versions(
    shipment_set_id: DocumentId, _: PlannerKey, session: SessionDep, page: PageDep
) -> ShipmentSetList:
    items = list_versions(
        session, SHIPMENT_SET, shipment_set_id, page.limit, page.offset, "shipment_set_id"
    )
    return ShipmentSetList(items=[_listed(i) for i in items], limit=page.limit, offset=page.offset)


@router.get(
    "/{shipment_set_id}",
    response_model=ShipmentSetVersionOut,
    responses=error_responses(404),
    summary="A shipment set version's summary",
)
def get_shipment_set(
    shipment_set_id: DocumentId, _: PlannerKey, session: SessionDep, version: VersionQuery = None
) -> ShipmentSetVersionOut:
    stored = resolve(session, SHIPMENT_SET, shipment_set_id, version, "shipment_set_id")
    return ShipmentSetVersionOut(
        shipment_set_id=shipment_set_id,
        version=stored.version,
        stored=True,
        created_at=stored.created_at,
        summary=ShipmentSetSummary.model_validate(stored.body["summary"]),
    )


@router.get(
    "/{shipment_set_id}/shipments",
    response_model=ShipmentPage,
    responses=error_responses(404),
    summary="A page of a shipment set's shipments (shipments.jsonl records)",
)
def list_shipments(
    shipment_set_id: DocumentId,
    _: PlannerKey,
    session: SessionDep,
    page: PageDep,
    version: VersionQuery = None,
) -> ShipmentPage:
    stored = resolve(session, SHIPMENT_SET, shipment_set_id, version, "shipment_set_id")
    records = stored.body["shipments"]
    return ShipmentPage(
        shipment_set_id=shipment_set_id,
        version=stored.version,
        total=len(records),
        items=records[page.offset : page.offset + page.limit],
        limit=page.limit,
        offset=page.offset,
    )
