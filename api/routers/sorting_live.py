"""The WCS hot path: chute assignment (single and batch), chute events, live chutes, manifests.

Assignments touch no database: the sorter's assigner lives in memory behind its own
lock (`api.sorting.runtime`) and the handlers are `async def` so they run on the event
loop without a thread hop. The body is decoded once and checked by hand
(`api.sorting.scans`); no model is built per parcel. `ScanIn` documents the body.
Chute events change live state; the event and a closed container's manifest (named for
its carrier only when every parcel in it is that carrier's) are stored in one
transaction, and a restart replays the events recorded after the last snapshot.
An answer says `container_full` when its parcel filled the chute's container, so the
WCS can send an operator; `GET .../chutes` shows every chute's state.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request, Response

from api.db.types import utcnow
from api.deps import PageDep, ServicesDep, SessionDep, SorterKey
from api.errors import BODY_ERRORS, Conflict, NotFound, error_responses
from api.routers.sorting import SortingDep
from api.schemas.params import ChuteIdPath, ChuteQuery, SorterId, parse_instant
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
from api.sorting import documents as docs
from api.sorting.manifests import (
    ManifestRecord,
    find_manifest,
    list_manifests,
    store_manifests,
)
from api.sorting.runtime import SorterRuntime, SortingState
from api.sorting.scans import batch_args, json_body, scan_args
from api.store import append_event
from optimizer.sorting import Assigner, Decision

log = logging.getLogger("optimizer.api.sorting")
router = APIRouter(prefix="/sorters", tags=["sorting"], responses=error_responses(401, 403, 422))

CLOSING = ("container_closed", "emptied")
PER_CONTAINER = (*CLOSING, "full", "swap_started")  # a stale re-send of these changes nothing
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
            "maxItems": Settings.model_fields["max_batch_assignments"].default,  # see below
            "items": SCAN_SCHEMA,
        }
    },
}


def document_limits(openapi: dict[str, Any], settings: Settings) -> None:
    """Put the app's own batch limit in its OpenAPI document (the route's schema is built
    once at import, with the default)."""
    post = openapi["paths"].get("/v1/sorters/{sorter_id}/assignments/batch", {}).get("post")
    if post is not None:
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        schema["properties"]["parcels"]["maxItems"] = settings.max_batch_assignments


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
        assigner = runtime.live()
        decision = assigner.assign(*args)
        filled = _filled(assigner, decision)
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
            "container_full": filled,
        }
    )


def _filled(assigner: Assigner, decision: Decision) -> bool:
    """Whether `decision` filled its chute's container; drains `newly_full`, which would
    otherwise grow (activation holds land there too: they are answered by activation)."""
    full = assigner.newly_full
    if not full:
        return False
    chute = decision.chute_id
    filled = chute is not None and assigner.layout.chute_index(chute) in full
    full.clear()
    return filled


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
        assigner = runtime.live()
        assign = assigner.assign
        decisions, filled = [], set()
        for a in args:
            decision = assign(*a)
            if assigner.newly_full and _filled(assigner, decision):
                filled.add(len(decisions))
            decisions.append(decision)
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
                    "container_full": n in filled,
                }
                for n, d in enumerate(decisions)
            ],
        }
    )


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
    """Answers the chute's new state; closing a container answers its manifest too (null for
    an empty container), stored with the event in one transaction; a restart replays the
    events stored after the sorter's last snapshot, so it cannot close a container twice.
    With `container`, a re-send for a container already closed answers its stored manifest
    and changes nothing; one not yet at the chute is 409."""
    runtime = sorting.get(sorter_id)
    if runtime.layout.chute_index(chute_id) is None:
        raise NotFound("chute", chute_id, field="chute_id")
    at = parse_instant(body.at, "at") if body.at is not None else utcnow()
    with runtime.admin:
        with runtime.lock:
            assigner = runtime.live()
            current = assigner.chute_status(chute_id)["container"]
            if body.container is not None and body.container > current:
                raise Conflict(
                    f"container {body.container} is not at chute {chute_id} yet "
                    f"(container {current} is)",
                    field="container",
                )
            stale = body.container is not None and body.container < current
            resent = stale and body.event in PER_CONTAINER
            captured = None
            if resent:
                manifest = None
            else:
                manifest = assigner.chute_event(chute_id, body.event)
                runtime.changes += 1  # the next background snapshot takes it in
                if runtime.unlogged:  # an earlier event is in no row: store the state too
                    captured = runtime.capture()
            status = assigner.chute_status(chute_id)
        if resent:  # answer what its first sending did
            record = None
            if body.event in CLOSING:
                assert body.container is not None
                record = _stored_manifest(sorting, runtime, chute_id, body.container)
            return _event_out(runtime, status, record)
        record = (
            ManifestRecord.of(manifest, at) if manifest is not None and manifest.count else None
        )
        try:
            with sorting.database.transaction() as session:
                stored = append_event(
                    session,
                    docs.CHUTE_EVENT,
                    f"{sorter_id}/{chute_id}",
                    {
                        "event": body.event,
                        "chute_id": chute_id,
                        "container": current,
                        "manifest_id": record.manifest_id if record else None,
                    },
                    occurred_at=at,
                    sorter_id=sorter_id,
                    owner_key_id=principal.key_id,
                )
                if record is not None:
                    store_manifests(session, [record])
                if captured is not None:
                    captured = dataclasses.replace(captured, events_through=stored.id)
                    sorting.write_state(session, runtime, captured)
            runtime.events_through = stored.id
            if captured is not None:
                runtime.mark_saved(captured)
        except Exception:
            # Live state has changed but no row says so: until a snapshot is stored, later
            # events store it with them, so a restart never replays them over a state
            # that lacks this one.
            runtime.unlogged = True
            log.exception("sorter %s: chute event not stored; its manifest is kept", sorter_id)
            if record is not None:
                runtime.pending.append(record)
    return _event_out(runtime, status, record)


def _stored_manifest(
    sorting: SortingState, runtime: SorterRuntime, chute_id: str, container: int
) -> ManifestRecord | None:
    """A closed container's manifest: pending, or stored (none for an empty container)."""
    for record in runtime.pending:
        if (record.manifest.chute_id, record.manifest.container) == (chute_id, container):
            return record
    with sorting.database.session() as session:
        return find_manifest(session, runtime.sorter_id, chute_id, container)


def _event_out(
    runtime: SorterRuntime, status: dict[str, Any], record: ManifestRecord | None
) -> ChuteEventOut:
    return ChuteEventOut(
        sorter_id=runtime.sorter_id,
        chute=_chute_state(runtime, status),
        manifest=ManifestOut.model_validate(record.out()) if record else None,
    )


@router.get(
    "/{sorter_id}/chutes",
    response_model=ChuteStateList,
    responses=error_responses(404, 409),
    summary="Live state of every chute: open, full or swapping, disabled, container fill",
)
async def list_chutes(sorter_id: SorterId, _: SorterKey, sorting: SortingDep) -> Response:
    """Runs on the event loop beside the assignments, so it is built as plain data (no model
    validation): a WCS polling it must not hold up the hot path."""
    runtime = sorting.get(sorter_id)
    with runtime.lock:
        assigner = runtime.live()
        statuses = assigner.chute_statuses()
        version = runtime.plan_version
        layout = runtime.layout
    for status, chute in zip(statuses, layout.chutes, strict=True):
        status["type"] = chute.type.value
    return _answer({"sorter_id": sorter_id, "plan_version": version, "items": statuses})


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
