"""Networks: upload versions (validated by the core), list them, read one back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from api.deps import PageDep, PlannerKey, SessionDep, WriterDep
from api.errors import BODY_ERRORS, error_responses
from api.routing.documents import (
    NETWORK,
    Listed,
    list_latest,
    list_versions,
    network_summary,
    resolve,
    store_network,
)
from api.routing.problems import with_paths
from api.schemas.networks import (
    NetworkIn,
    NetworkList,
    NetworkOut,
    NetworkSummary,
    NetworkVersionOut,
)
from api.schemas.params import DocumentId, ValidateOnly, VersionQuery
from optimizer.errors import InputError
from optimizer.routing import Network, network_from_dict

router = APIRouter(prefix="/networks", tags=["networks"], responses=error_responses(401, 403, 422))


def parse_network(body: NetworkIn) -> Network:
    """The core's validation: every broken reference and impossible value, at once."""
    try:
        return network_from_dict(body.document())
    except InputError as exc:
        raise with_paths(exc) from None


def _listed(item: Listed) -> NetworkVersionOut:
    return NetworkVersionOut(
        network_id=item.name,
        version=item.version,
        stored=True,
        created_at=item.created_at,
        summary=NetworkSummary.model_validate(item.summary),
    )


@router.post(
    "/{network_id}/versions",
    response_model=NetworkVersionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": NetworkVersionOut, "description": "validate_only: valid; nothing stored"},
        **error_responses(*BODY_ERRORS),
    },
    summary="Upload a network (optimizer.network/1) as its next version",
)
def upload_network(
    network_id: DocumentId,
    body: NetworkIn,
    principal: PlannerKey,
    session: WriterDep,
    response: Response,
    validate_only: ValidateOnly = False,
) -> NetworkVersionOut:
    network = parse_network(body)
    summary = NetworkSummary.model_validate(network_summary(network))
    if validate_only:
        response.status_code = status.HTTP_200_OK
        return NetworkVersionOut(
            network_id=network_id, version=None, stored=False, created_at=None, summary=summary
        )
    stored = store_network(session, network_id, network, principal.key_id)
    session.commit()
    response.headers["Location"] = f"/v1/networks/{network_id}?version={stored.version}"
    return NetworkVersionOut(
        network_id=network_id,
        version=stored.version,
        stored=True,
        created_at=stored.created_at,
        summary=summary,
    )


@router.get("", response_model=NetworkList, summary="Networks, each at its latest version")
def list_networks(_: PlannerKey, session: SessionDep, page: PageDep) -> NetworkList:
    items = list_latest(session, NETWORK, page.limit, page.offset)
    return NetworkList(items=[_listed(i) for i in items], limit=page.limit, offset=page.offset)


@router.get(
    "/{network_id}/versions",
    response_model=NetworkList,
    responses=error_responses(404),
    summary="Every version of a network, newest first",
)
def list_network_versions(
    network_id: DocumentId, _: PlannerKey, session: SessionDep, page: PageDep
) -> NetworkList:
    items = list_versions(session, NETWORK, network_id, page.limit, page.offset, "network_id")
    return NetworkList(items=[_listed(i) for i in items], limit=page.limit, offset=page.offset)


@router.get(
    "/{network_id}",
    response_model=NetworkOut,
    responses=error_responses(404),
    summary="A network version with its document",
)
def get_network(
    network_id: DocumentId,
    _: PlannerKey,
    session: SessionDep,
    version: VersionQuery = None,
) -> NetworkOut:
    stored = resolve(session, NETWORK, network_id, version, "network_id")
    body: dict[str, Any] = stored.body
    return NetworkOut(
        network_id=network_id,
        version=stored.version,
        stored=True,
        created_at=stored.created_at,
        summary=NetworkSummary.model_validate(body["summary"]),
        document=body["document"],
    )
