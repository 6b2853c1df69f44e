"""Sorters: layouts, plan optimization as a job, plan versions and their atomic activation.

Role `wcs`, scoped to its sorters (`sorter:ID`); admin keys see every sorter. The
layout and forecast bodies are the CLI's JSON files. `POST .../plans` answers 202
with a `sorting.optimize` job at once (follow it at /v1/jobs/{id}); the job stores
the plan as the sorter's next version with the solver's report and the independent
checker's verdict. Activation switches the stored active version and the live
assigner together. The hot path (assignments, chute events) is in `sorting_live`.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status
from sqlalchemy.orm import Session

from api.db.types import utcnow
from api.deps import JobsDep, PageDep, SessionDep, SorterKey, WriterDep, require
from api.errors import BODY_ERRORS, ApiError, Conflict, error_responses
from api.schemas.jobs import JobOut
from api.schemas.params import SorterId, VersionQuery
from api.schemas.sorting import (
    ActivationOut,
    LayoutIn,
    LayoutOut,
    LayoutSummary,
    LiveCounters,
    OptimizeIn,
    PlanVersionList,
    PlanVersionOut,
    SorterList,
    SorterOut,
)
from api.security.principal import Principal, Role
from api.sorting import documents as docs
from api.sorting.jobs import OPTIMIZE_KIND
from api.sorting.runtime import SorterRuntime, SortingState
from api.store import StoredDocument, activate, get_active
from optimizer.errors import InputError
from optimizer.sorting import Assigner, PlanTables, SorterLayout, layout_from_dict

log = logging.getLogger("optimizer.api.sorting")
router = APIRouter(prefix="/sorters", tags=["sorting"], responses=error_responses(401, 403, 422))

PlanVersion = Annotated[int, Path(ge=1, le=10**9)]
WcsKey = Annotated[Principal, Depends(require(Role.WCS))]


async def get_sorting(request: Request) -> SortingState:
    return request.app.state.services.sorting  # type: ignore[no-any-return]


SortingDep = Annotated[SortingState, Depends(get_sorting)]


def _sorter_out(runtime: SorterRuntime) -> SorterOut:
    assigner = runtime.assigner
    live = None
    if assigner is not None:
        live = LiveCounters(
            parcels_seen=assigner.parcels_seen,
            decisions=assigner.decisions,
            reasons={k.value: v for k, v in assigner.reason_counts.items()},
        )
    return SorterOut(
        sorter_id=runtime.sorter_id,
        layout_version=runtime.layout_version,
        active_plan_version=runtime.plan_version or None,
        chutes=len(runtime.layout.chutes),
        live=live,
    )


@router.get("", response_model=SorterList, summary="The sorters this key may operate")
def list_sorters(principal: WcsKey, sorting: SortingDep, page: PageDep) -> SorterList:
    allowed = principal.scoped_ids("sorter")
    runtimes = sorted(
        (r for r in sorting.sorters() if allowed is None or r.sorter_id in allowed),
        key=lambda r: r.sorter_id,
    )
    chosen = runtimes[page.offset : page.offset + page.limit]
    return SorterList(items=[_sorter_out(r) for r in chosen], limit=page.limit, offset=page.offset)


@router.get(
    "/{sorter_id}",
    response_model=SorterOut,
    responses=error_responses(404),
    summary="A sorter: its layout and active plan versions, live counters",
)
def get_sorter(sorter_id: SorterId, _: SorterKey, sorting: SortingDep) -> SorterOut:
    return _sorter_out(sorting.get(sorter_id))


def _layout_out(stored: StoredDocument) -> LayoutOut:
    layout = layout_from_dict(stored.body)
    return LayoutOut(
        sorter_id=layout.sorter_id,
        version=stored.version,
        created_at=stored.created_at,
        summary=LayoutSummary.model_validate(docs.layout_summary(layout)),
        layout=stored.body,
    )


@router.put(
    "/{sorter_id}/layout",
    response_model=LayoutOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": LayoutOut, "description": "the same layout as the latest: unchanged"},
        **error_responses(409, *BODY_ERRORS),
    },
    summary="Upload the sorter's layout (layout.json) as its next version",
)
def put_layout(
    sorter_id: SorterId,
    body: LayoutIn,
    principal: SorterKey,
    session: WriterDep,
    sorting: SortingDep,
    response: Response,
) -> LayoutOut:
    """409 when the active plan does not fit the new layout, or a chute with parcels or a
    state (full, disabled) would disappear; nothing is stored then. A fitting layout takes
    over at once: live chute states and containers carry over."""
    layout = docs.parse_layout(body.document())
    if layout.sorter_id != sorter_id:
        message = f"the layout is for sorter {layout.sorter_id!r}, not {sorter_id!r}"
        raise ApiError(422, message, field="sorter_id")
    with sorting.admin_lock(sorter_id):
        runtime = sorting.find(sorter_id)
        assigner = runtime.assigner if runtime is not None else None
        if assigner is None:
            stored, created = docs.store_layout(session, layout, principal.key_id)
            session.commit()
            if runtime is None:
                sorting.install(sorter_id, layout, stored.version)
            else:
                runtime.layout, runtime.layout_version = layout, stored.version
        else:
            assert runtime is not None
            stored, created = _switch_layout(session, sorting, runtime, assigner, layout, principal)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/sorters/{sorter_id}/layout?version={stored.version}"
    return _layout_out(stored)


def _switch_layout(
    session: Session,
    sorting: SortingState,
    runtime: SorterRuntime,
    assigner: Assigner,
    layout: SorterLayout,
    principal: Principal,
) -> tuple[StoredDocument, bool]:
    """Store the layout and carry the live state over to it, or refuse with why (409).

    The database work happens outside the hot lock: the layout row is written first (not
    committed), the assigner switches in place under the lock, then the row and the new
    state commit together; if that commit fails the assigner switches back.
    """
    try:
        PlanTables(assigner.plan, layout)
    except InputError as exc:
        raise ApiError(
            409,
            f"the active plan v{runtime.plan_version} does not fit this layout: {exc.problems[0]}",
            field="layout",
            problems=exc.problems,
        ) from None
    stored, created = docs.store_layout(session, layout, principal.key_id)
    if not created:
        return stored, False
    before, before_version = runtime.layout, runtime.layout_version
    with runtime.lock:  # microseconds: chute arrays re-indexed in place, nothing copied
        try:
            assigner.switch_layout(layout)
        except InputError as exc:
            refused = exc.problems[0].message
        else:
            refused = None
            runtime.layout, runtime.layout_version = layout, stored.version
            runtime.changes += 1
            captured = runtime.capture()
    if refused is not None:
        session.rollback()
        raise Conflict(
            f"live state does not carry over to this layout ({refused}): close or enable "
            "those chutes first",
            field="layout",
        )
    try:
        sorting.write_state(session, runtime, captured)
        session.commit()
    except Exception:
        session.rollback()
        with runtime.lock:
            try:
                assigner.switch_layout(before)
                runtime.layout, runtime.layout_version = before, before_version
            except InputError:
                log.exception(
                    "sorter %s: layout not stored and not switched back", runtime.sorter_id
                )
        raise
    runtime.mark_saved(captured)
    return stored, True


@router.get(
    "/{sorter_id}/layout",
    response_model=LayoutOut,
    responses=error_responses(404),
    summary="The sorter's layout (the latest version, or ?version=)",
)
def get_layout(
    sorter_id: SorterId, _: SorterKey, session: SessionDep, version: VersionQuery = None
) -> LayoutOut:
    return _layout_out(docs.load_layout_version(session, sorter_id, version))


@router.post(
    "/{sorter_id}/plans",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(404, 409, 503, *BODY_ERRORS),
    summary="Optimize a sort plan for a forecast as a job; answers 202 with the job at once",
)
def optimize_plan(
    sorter_id: SorterId,
    body: OptimizeIn,
    principal: SorterKey,
    session: WriterDep,
    sorting: SortingDep,
    jobs: JobsDep,
    response: Response,
) -> JobOut:
    """The job stores the next plan version; it is not activated. `stay_close` needs an
    active plan (409 without one)."""
    forecast = docs.parse_forecast(body.forecast.document())
    layout = docs.latest_layout(session, sorter_id)
    current = None
    if body.stay_close:
        runtime = sorting.get(sorter_id)
        current = runtime.plan_version or None
        if current is None:
            raise Conflict(
                f"sorter {sorter_id} has no active plan to stay close to", field="stay_close"
            )
    with sorting.admin_lock(sorter_id):  # no other request reuses the forecast meanwhile
        stored, created = docs.store_forecast(session, sorter_id, forecast, principal.key_id)
        session.commit()
        params = {
            "sorter_id": sorter_id,
            "layout_version": layout.version,
            "forecast_version": stored.version,
            "current_version": current,
            "time_limit_s": body.time_limit_s,
            "seed": body.seed,
            "move_penalty": body.move_penalty,
        }
        try:
            view = jobs.submit(OPTIMIZE_KIND, params, principal.key_id)
        except Exception:
            if created:  # a refused request leaves the stored forecasts as they were
                docs.delete_forecast(session, sorter_id, stored.version)
                session.commit()
            raise
    response.headers["Location"] = f"/v1/jobs/{view.id}"
    return JobOut.of(view)


def _plan_out(
    sorter_id: str,
    version: int,
    state: str,
    created_at: Any,
    activated_at: Any,
    summary: dict[str, Any],
    plan: dict[str, Any] | None = None,
) -> PlanVersionOut:
    return PlanVersionOut.model_validate(
        {
            **summary,
            "sorter_id": sorter_id,
            "version": version,
            "status": state,
            "created_at": created_at,
            "activated_at": activated_at,
            "plan": plan,
        }
    )


@router.get(
    "/{sorter_id}/plans",
    response_model=PlanVersionList,
    responses=error_responses(404),
    summary="The sorter's plan versions, newest first, with solver reports and checks",
)
def list_plan_versions(
    sorter_id: SorterId, _: SorterKey, session: SessionDep, page: PageDep
) -> PlanVersionList:
    docs.latest_layout(session, sorter_id)  # 404 for an unknown sorter
    items = [
        _plan_out(sorter_id, p.version, p.status, p.created_at, p.activated_at, p.summary)
        for p in docs.list_plans(session, sorter_id, page.limit, page.offset)
    ]
    return PlanVersionList(sorter_id=sorter_id, items=items, limit=page.limit, offset=page.offset)


@router.get(
    "/{sorter_id}/plans/{version}",
    response_model=PlanVersionOut,
    responses=error_responses(404),
    summary="One plan version with its plan.json",
)
def get_plan_version(
    sorter_id: SorterId, version: PlanVersion, _: SorterKey, session: SessionDep
) -> PlanVersionOut:
    stored = docs.plan_document(session, sorter_id, version)
    return _plan_out(
        sorter_id,
        stored.version,
        stored.status,
        stored.created_at,
        stored.activated_at,
        stored.body["summary"],
        stored.body["plan"],
    )


@router.post(
    "/{sorter_id}/plans/{version}/activate",
    response_model=ActivationOut,
    responses=error_responses(404, 409),
    summary="Make a plan version the active one, stored and live, atomically",
)
def activate_plan_version(
    sorter_id: SorterId,
    version: PlanVersion,
    _: SorterKey,
    session: WriterDep,
    sorting: SortingDep,
) -> ActivationOut:
    """Parcels already in containers stay there. 409 when the plan failed the checker or
    does not fit the sorter's current layout (the core says why). Activating the active
    version again changes nothing."""
    runtime = sorting.get(sorter_id)
    with runtime.admin:
        stored = docs.plan_document(session, sorter_id, version)
        check = stored.body["summary"]["check"]
        if not check["ok"]:
            first = check["problems"][0]["message"] if check["problems"] else "failed"
            raise Conflict(
                f"plan v{version} fails the independent checker ({first}); it cannot be activated",
                field="version",
            )
        plan = docs.plan_of(stored)
        try:
            PlanTables(plan, runtime.layout)
        except InputError as exc:
            raise ApiError(
                409,
                f"plan v{version} does not fit the sorter's layout v{runtime.layout_version}: "
                f"{exc.problems[0]}",
                field="version",
                problems=exc.problems,
            ) from None
        previous = get_active(session, docs.PLAN, sorter_id)
        if previous is not None and previous.version == version and runtime.plan_version == version:
            assert previous.activated_at is not None
            return ActivationOut(
                sorter_id=sorter_id,
                version=version,
                plan_id=plan.plan_id,
                activated_at=previous.activated_at,
                previous_version=version,
                held_chutes=[],
            )
        done = activate(session, docs.PLAN, sorter_id, version)
        session.commit()
        carriers = dict(stored.body["carriers"])
        fresh = None
        if runtime.assigner is None:  # built outside the hot lock
            fresh = Assigner(runtime.layout, plan, carriers=carriers)
        with runtime.lock:
            if fresh is not None:
                runtime.assigner, held = fresh, ()
            else:
                assert runtime.assigner is not None
                held = runtime.assigner.activate(plan, carriers)
                runtime.assigner.newly_full.clear()  # held chutes are answered below
            runtime.plan_version = version
            runtime.changes += 1
        sorting.persist_or_defer(runtime)
    return ActivationOut(
        sorter_id=sorter_id,
        version=version,
        plan_id=plan.plan_id,
        activated_at=done.activated_at or utcnow(),
        previous_version=previous.version if previous is not None else None,
        held_chutes=list(held),
    )
