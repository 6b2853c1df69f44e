"""The WCS hot path: chute assignment (single and batch), chute events, live chutes, manifests.

Assignments touch no database: the sorter's assigner lives in memory behind its own
lock (`api.sorting.runtime`) and the handlers are `async def` so they run on the event
loop without a thread hop. The body is decoded once and checked by hand
(`api.sorting.scans`); no model is built per parcel. `ScanIn` documents the body.
Chute events change live state; a closed container's manifest is stored with the
event, named for its carrier (from the destinations it holds).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from api.db.types import utcnow
from api.deps import PageDep, ServicesDep, SessionDep, SorterKey
from api.errors import BODY_ERRORS, ApiError, NotFound, error_responses
from api.routers.sorting import SorterId, SortingDep
from api.schemas.sorting import (
    AssignmentBatchIn,
    AssignmentBatchOut,
    AssignmentOut,
    ChuteEventIn,
    ChuteEventOut,
    ChuteStateList,
    ChuteStateOut,
    ManifestList,
    ManifestOut,
    ScanIn,
)
from api.settings import Settings
from api.sorting.manifests import ManifestRecord, list_manifests, store_manifests
from api.sorting.runtime import SorterRuntime
from api.sorting.scans import batch_args, json_body, scan_args
from api.store import append_event

log = logging.getLogger("optimizer.api.sorting")
router = APIRouter(prefix="/sorters", tags=["sorting"], responses=error_responses(401, 403, 422))

ChuteIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
ChuteQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"),
]
CHUTE_EVENT = "chute_event"
HOT_ERRORS = error_responses(404, 409, *BODY_ERRORS)


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI request body for a route that reads its body itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }


SCAN_SCHEMA = ScanIn.model_json_schema()
BATCH_SCHEMA = {
    "type": "object",
    "title": AssignmentBatchIn.__name__,
    "required": ["parcels"],
    "properties": {
        "parcels": {
            "type": "array",
            "minItems": 1,
            "maxItems": Settings.model_fields["max_batch_assignments"].default,
            "items": SCAN_SCHEMA,
        }
    },
}


def _answer(data: Any) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), media_type="application/json")


@router.post(
    "/{sorter_id}/assignments",
    response_model=AssignmentOut,
    responses=HOT_ERRORS,
    openapi_extra=_json_body(SCAN_SCHEMA),
    summary="The chute for one parcel scan (no database on the way)",
)
async def assign_parcel(
    sorter_id: SorterId, request: Request, _: SorterKey, sorting: SortingDep
) -> Response:
    """A re-sent request (same `scan`, or without one within half a loop) gets the same
    answer and is not counted twice; a re-scan is decided again. 409 without an active plan."""
    started = time.perf_counter()
    runtime = sorting.get(sorter_id)
    args = scan_args(await json_body(request))
    with runtime.lock:
        decision = runtime.live().assign(*args)
        version = runtime.plan_version
    meters = runtime.meters
    meters.by_reason[decision.reason].inc()
    meters.single.observe(time.perf_counter() - started)
    return _answer(
        {
            "parcel_id": decision.parcel_id,
            "chute_id": decision.chute_id,
            "reason": decision.reason.value,
            "plan_version": version,
        }
    )


@router.post(
    "/{sorter_id}/assignments/batch",
    response_model=AssignmentBatchOut,
    responses=HOT_ERRORS,
    openapi_extra=_json_body(BATCH_SCHEMA),
    summary="Chutes for a batch of scans, in order, all under one plan version",
)
async def assign_batch(
    sorter_id: SorterId, request: Request, _: SorterKey, sorting: SortingDep, services: ServicesDep
) -> Response:
    """`{"parcels": [scan, ...]}`: over `max_batch_assignments` is 413 with the count and
    the maximum before any scan is read; one bad scan is 422 naming it and assigns nothing."""
    started = time.perf_counter()
    runtime = sorting.get(sorter_id)
    args = batch_args(await json_body(request), services.settings.max_batch_assignments)
    with runtime.lock:
        assign = runtime.live().assign
        decisions = [assign(*a) for a in args]
        version = runtime.plan_version
    meters = runtime.meters
    for reason, count in Counter(d.reason for d in decisions).items():
        meters.by_reason[reason].inc(count)
    meters.batch.observe(time.perf_counter() - started)
    return _answer(
        {
            "plan_version": version,
            "decisions": [
                {
                    "parcel_id": d.parcel_id,
                    "chute_id": d.chute_id,
                    "reason": d.reason.value,
                    "plan_version": version,
                }
                for d in decisions
            ],
        }
    )


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(422, f"not an ISO 8601 instant: {text!r}", field="at") from None
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _chute_state(runtime: SorterRuntime, status: dict[str, Any]) -> ChuteStateOut:
    chute = runtime.layout.chute(status["chute_id"])
    return ChuteStateOut.model_validate({**status, "type": chute.type.value})


@router.post(
    "/{sorter_id}/chutes/{chute_id}/events",
    response_model=ChuteEventOut,
    responses=error_responses(404, 409, *BODY_ERRORS),
    summary="A chute event: full, swap_started, container_closed/emptied, disabled, enabled",
)
def post_chute_event(
    sorter_id: SorterId,
    chute_id: ChuteIdPath,
    body: ChuteEventIn,
    principal: SorterKey,
    sorting: SortingDep,
) -> ChuteEventOut:
    """Answers the chute's new state; closing a container answers its manifest too, stored
    for the carrier hand-over (with the sorter's state, so a restart cannot close it twice)."""
    runtime = sorting.get(sorter_id)
    if runtime.layout.chute_index(chute_id) is None:
        raise NotFound("chute", chute_id, field="chute_id")
    at = _instant(body.at) if body.at is not None else utcnow()
    with runtime.admin:
        with runtime.lock:
            assigner = runtime.live()
            manifest = assigner.chute_event(chute_id, body.event)
            status = assigner.chute_status(chute_id)
            runtime.changes += 1
            carriers = runtime.carriers
        record = ManifestRecord.of(manifest, carriers, at) if manifest is not None else None
        try:
            with sorting.database.transaction() as session:
                append_event(
                    session,
                    CHUTE_EVENT,
                    f"{sorter_id}/{chute_id}",
                    {
                        "event": body.event,
                        "chute_id": chute_id,
                        "manifest_id": record.manifest_id if record else None,
                    },
                    occurred_at=at,
                    sorter_id=sorter_id,
                    owner_key_id=principal.key_id,
                )
                if record is not None:
                    store_manifests(session, [record])
        except Exception:
            log.exception("sorter %s: chute event not stored; its manifest is kept", sorter_id)
            if record is not None:
                runtime.pending.append(record)
        if record is not None:
            sorting.persist_or_defer(runtime)
    return ChuteEventOut(
        sorter_id=sorter_id,
        chute=_chute_state(runtime, status),
        manifest=ManifestOut.model_validate(record.out()) if record else None,
    )


@router.get(
    "/{sorter_id}/chutes",
    response_model=ChuteStateList,
    responses=error_responses(404, 409),
    summary="Live state of every chute: open, full or swapping, disabled, container fill",
)
async def list_chutes(sorter_id: SorterId, _: SorterKey, sorting: SortingDep) -> ChuteStateList:
    runtime = sorting.get(sorter_id)
    with runtime.lock:
        assigner = runtime.live()
        statuses = [assigner.chute_status(c.id) for c in runtime.layout.chutes]
        version = runtime.plan_version
    return ChuteStateList(
        sorter_id=sorter_id,
        plan_version=version,
        items=[_chute_state(runtime, s) for s in statuses],
    )


@router.get(
    "/{sorter_id}/manifests",
    response_model=ManifestList,
    responses=error_responses(404),
    summary="Manifests of the sorter's closed containers, newest first",
)
def list_sorter_manifests(
    sorter_id: SorterId,
    _: SorterKey,
    sorting: SortingDep,
    session: SessionDep,
    page: PageDep,
    chute_id: ChuteQuery = None,
) -> ManifestList:
    sorting.get(sorter_id)
    items = list_manifests(
        session, sorter_id=sorter_id, chute_id=chute_id, limit=page.limit, offset=page.offset
    )
    return ManifestList(
        items=[ManifestOut.model_validate(i) for i in items], limit=page.limit, offset=page.offset
    )
