"""Planning: one itinerary now, batch plans and what-if scenarios as jobs.

`POST /v1/plans` and `POST /v1/scenarios` check their inputs, then answer 202 with
the job at once (follow it at /v1/jobs/{id}, cancel it there); the plan and the
comparison are read back here. A plan, like every job, is visible to the key that
started it (and admins); another key gets 404. `validate_only` checks everything
and starts nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db.models import DocumentRow, JobRow
from api.deps import JobsDep, PageDep, PlannerKey, ServicesDep, SessionDep, WriterDep
from api.errors import BODY_ERRORS, error_responses
from api.jobs.status import JobStatus
from api.jobs.store import list_jobs
from api.routing import jobs as routing_jobs  # importing it registers the job kinds
from api.routing.documents import DocRef, load_network, load_shipment_set, shipment_set_facts
from api.routing.outcomes import scoring
from api.routing.plans import (
    ACTIVATION,
    PLAN_KIND,
    WHATIF_KIND,
    activated_at,
    itinerary_page,
    plan_itinerary,
    require_succeeded,
    visible_job,
)
from api.routing.present import itinerary_out, itinerary_record
from api.routing.problems import one_shipment, with_paths
from api.routing.timetables import timetable_for
from api.routing.tracked import activate_plan
from api.schemas.jobs import JobError, JobOut
from api.schemas.params import JobId, ShipmentIdPath, ValidateOnly
from api.schemas.planning import (
    ActivationOut,
    ComparisonOut,
    DocRefOut,
    ItineraryOut,
    ItineraryPage,
    ItineraryRequest,
    ItineraryStatusName,
    PlanInputs,
    PlanList,
    PlannedItineraryOut,
    PlanOut,
    PlanParams,
    PlanResultOut,
    ScenarioList,
    ScenarioOut,
    ScenarioParams,
    ValidationReport,
)
from api.security.principal import Principal
from api.services import Services
from optimizer.errors import InputError
from optimizer.routing import (
    Network,
    find_itinerary,
    scenario_from_dict,
    shipments_from_records,
)

router = APIRouter(tags=["planning"], responses=error_responses(401, 403, 422))
JOB_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ValidationReport, "description": "validate_only: valid; nothing started"},
    **error_responses(404, 503, *BODY_ERRORS),
}


@router.post(
    "/itineraries",
    response_model=PlannedItineraryOut,
    responses=error_responses(404, *BODY_ERRORS),
    summary="The cheapest on-time itinerary of one shipment now (no capacity limits)",
)
def plan_one_itinerary(
    body: ItineraryRequest, _: PlannerKey, session: SessionDep, services: ServicesDep
) -> PlannedItineraryOut:
    """Unroutable is an answer, not an error: `status` and `reason` say why."""
    ref, network = load_network(session, services.routing, body.network_id, body.network_version)
    try:
        (shipment,) = shipments_from_records([body.shipment.record()], source="shipments")
        routing_jobs.check_references(network, [shipment])
    except InputError as exc:
        raise one_shipment(exc) from None
    scored = scoring(session, services.routing, ref, network, body.carrier_scores, body.min_score)
    timetable = timetable_for(
        services.routing, ref, network, scored, [shipment.ready_at], [shipment.deliver_by]
    )
    itinerary = find_itinerary(timetable, shipment)
    record = itinerary_out(itinerary_record(itinerary, network.currency), network.currency)
    return PlannedItineraryOut(**record, network_id=ref.id, network_version=ref.version)


def check_inputs(
    session: Session, services: Services, body: PlanInputs
) -> tuple[DocRef, DocRef, dict[str, Any], Network]:
    """Resolve both documents (404 naming the field) and check the shipments against the network.

    The set's node and service names are checked first; only when one is unknown are
    its records read, to name every shipment concerned.
    """
    net_ref, network = load_network(
        session, services.routing, body.network_id, body.network_version
    )
    set_ref, summary, references = shipment_set_facts(
        session, body.shipment_set_id, body.shipment_set_version
    )
    nodes, services_used = set(references["nodes"]), set(references["services"])
    if nodes - set(network.node_by_id) or services_used - set(network.service_levels):
        _, shipments = load_shipment_set(session, set_ref.id, set_ref.version)
        routing_jobs.check_references(network, shipments)
    report = {
        "network": f"{net_ref.id}@{net_ref.version}",
        "shipment_set": f"{set_ref.id}@{set_ref.version}",
        "shipments": summary["shipments"],
        "lanes": len(network.lanes),
        "time_limit_s": body.time_limit_s,
    }
    return net_ref, set_ref, report, network


def _submit(
    kind: str,
    body: PlanInputs,
    net_ref: DocRef,
    set_ref: DocRef,
    principal: Principal,
    session: Session,
    jobs: JobsDep,
    response: Response,
    location: str,
) -> JobOut:
    params = body.model_dump(mode="json", exclude_none=True)
    params.update(network_version=net_ref.version, shipment_set_version=set_ref.version)
    session.rollback()  # end this read before the runner's write transaction (SQLite)
    view = jobs.submit(kind, params, principal.key_id)
    response.headers["Location"] = f"{location}/{view.id}"
    return JobOut.of(view)


@router.post(
    "/plans",
    response_model=JobOut | ValidationReport,
    status_code=status.HTTP_202_ACCEPTED,
    responses=JOB_RESPONSES,
    summary="Plan a shipment set under capacity as a job; answers 202 with the job at once",
)
def create_plan(
    body: PlanParams,
    principal: PlannerKey,
    session: SessionDep,
    services: ServicesDep,
    jobs: JobsDep,
    response: Response,
    validate_only: ValidateOnly = False,
) -> JobOut | ValidationReport:
    net_ref, set_ref, summary, _ = check_inputs(session, services, body)
    if validate_only:
        response.status_code = status.HTTP_200_OK
        return ValidationReport(summary=summary)
    return _submit(
        PLAN_KIND, body, net_ref, set_ref, principal, session, jobs, response, "/v1/plans"
    )


def _activations(session: Session, plan_ids: list[str]) -> dict[str, datetime]:
    if not plan_ids:
        return {}
    query = (
        select(DocumentRow.name, func.min(DocumentRow.created_at))
        .where(DocumentRow.kind == ACTIVATION, DocumentRow.name.in_(plan_ids))
        .group_by(DocumentRow.name)
    )
    return {name: when for name, when in session.execute(query)}


def _refs(row: JobRow) -> tuple[DocRefOut, DocRefOut]:
    params = row.params
    return (
        DocRefOut(id=params["network_id"], version=params.get("network_version")),
        DocRefOut(id=params["shipment_set_id"], version=params.get("shipment_set_version")),
    )


def _error(row: JobRow) -> JobError | None:
    return JobError.model_validate(row.error) if row.error else None


def plan_out(row: JobRow, activated: datetime | None) -> PlanOut:
    network, shipment_set = _refs(row)
    result = row.result
    done = row.status == JobStatus.SUCCEEDED.value and result and "kpis" in result
    return PlanOut(
        plan_id=row.id,
        status=row.status,
        progress=row.progress,
        progress_message=row.progress_message,
        network=network,
        shipment_set=shipment_set,
        time_limit_s=float(row.params.get("time_limit_s", 0)),
        seed=int(row.params.get("seed", 0)),
        created_at=row.created_at,
        finished_at=row.finished_at,
        result=PlanResultOut.model_validate(result) if done else None,
        error=_error(row),
        activated_at=activated,
    )


@router.get("/plans", response_model=PlanList, summary="This key's plans, newest first")
def list_plans(
    principal: PlannerKey,
    session: SessionDep,
    page: PageDep,
    status: Annotated[JobStatus | None, Query(description="only plans in this status")] = None,
) -> PlanList:
    rows = list_jobs(
        session,
        owner_key_id=None if principal.is_admin else principal.key_id,
        status=status,
        kind=PLAN_KIND,
        limit=page.limit,
        offset=page.offset,
    )
    activations = _activations(session, [r.id for r in rows])
    return PlanList(
        items=[plan_out(r, activations.get(r.id)) for r in rows],
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/plans/{plan_id}",
    response_model=PlanOut,
    responses=error_responses(404),
    summary="A plan's state, and its KPIs once done",
)
def get_plan(plan_id: JobId, principal: PlannerKey, session: SessionDep) -> PlanOut:
    row = visible_job(session, plan_id, principal, PLAN_KIND, "plan")
    return plan_out(row, activated_at(session, plan_id))


@router.get(
    "/plans/{plan_id}/itineraries",
    response_model=ItineraryPage,
    responses=error_responses(404, 409),
    summary="A page of a finished plan's itineraries, in shipment-set order",
)
def list_plan_itineraries(
    plan_id: JobId,
    principal: PlannerKey,
    session: SessionDep,
    page: PageDep,
    status: Annotated[ItineraryStatusName | None, Query(description="only this status")] = None,
) -> ItineraryPage:
    row = visible_job(session, plan_id, principal, PLAN_KIND, "plan")
    require_succeeded(row, "plan")
    currency = (row.result or {}).get("currency", "")
    total, records = itinerary_page(session, plan_id, status, page.limit, page.offset)
    return ItineraryPage(
        plan_id=plan_id,
        total=total,
        items=[ItineraryOut.model_validate(itinerary_out(r, currency)) for r in records],
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/plans/{plan_id}/itineraries/{shipment_id}",
    response_model=ItineraryOut,
    responses=error_responses(404, 409),
    summary="One shipment's itinerary in a finished plan",
)
def get_plan_itinerary(
    plan_id: JobId, shipment_id: ShipmentIdPath, principal: PlannerKey, session: SessionDep
) -> ItineraryOut:
    row = visible_job(session, plan_id, principal, PLAN_KIND, "plan")
    require_succeeded(row, "plan")
    currency = (row.result or {}).get("currency", "")
    record = plan_itinerary(session, plan_id, shipment_id)
    return ItineraryOut.model_validate(itinerary_out(record, currency))


@router.post(
    "/plans/{plan_id}/activate",
    response_model=ActivationOut,
    responses=error_responses(404, 409),
    summary="Hand a finished plan's itineraries to tracking (carriers then see their legs)",
)
def activate(plan_id: JobId, principal: PlannerKey, session: WriterDep) -> ActivationOut:
    row = visible_job(session, plan_id, principal, PLAN_KIND, "plan")
    summary = activate_plan(session, row, principal.key_id)
    session.commit()
    return ActivationOut.model_validate(summary)


@router.post(
    "/scenarios",
    response_model=JobOut | ValidationReport,
    status_code=status.HTTP_202_ACCEPTED,
    responses=JOB_RESPONSES,
    summary="Compare a what-if scenario with the baseline as a job; answers 202 at once",
)
def create_scenario(
    body: ScenarioParams,
    principal: PlannerKey,
    session: SessionDep,
    services: ServicesDep,
    jobs: JobsDep,
    response: Response,
    validate_only: ValidateOnly = False,
) -> JobOut | ValidationReport:
    net_ref, set_ref, summary, network = check_inputs(session, services, body)
    try:
        scenario = scenario_from_dict(body.scenario.document(), network)
    except InputError as exc:
        raise with_paths(exc, prefix="scenario") from None
    if validate_only:
        response.status_code = status.HTTP_200_OK
        return ValidationReport(summary={**summary, "changes": len(scenario.changes)})
    return _submit(
        WHATIF_KIND, body, net_ref, set_ref, principal, session, jobs, response, "/v1/scenarios"
    )


def scenario_out(row: JobRow) -> ScenarioOut:
    network, shipment_set = _refs(row)
    result = row.result
    done = row.status == JobStatus.SUCCEEDED.value and result and "kpis" in result
    return ScenarioOut(
        scenario_id=row.id,
        name=str(row.params.get("scenario", {}).get("name", "")),
        status=row.status,
        progress=row.progress,
        progress_message=row.progress_message,
        network=network,
        shipment_set=shipment_set,
        created_at=row.created_at,
        finished_at=row.finished_at,
        result=ComparisonOut.model_validate(result) if done else None,
        error=_error(row),
    )


@router.get("/scenarios", response_model=ScenarioList, summary="This key's scenarios, newest first")
def list_scenarios(principal: PlannerKey, session: SessionDep, page: PageDep) -> ScenarioList:
    rows = list_jobs(
        session,
        owner_key_id=None if principal.is_admin else principal.key_id,
        kind=WHATIF_KIND,
        limit=page.limit,
        offset=page.offset,
    )
    return ScenarioList(items=[scenario_out(r) for r in rows], limit=page.limit, offset=page.offset)


@router.get(
    "/scenarios/{scenario_id}",
    response_model=ScenarioOut,
    responses=error_responses(404),
    summary="A scenario's state, and baseline vs scenario KPIs once done",
)
def get_scenario(scenario_id: JobId, principal: PlannerKey, session: SessionDep) -> ScenarioOut:
    return scenario_out(visible_job(session, scenario_id, principal, WHATIF_KIND, "scenario"))
