"""Carriers: the legs handed to a carrier (its own key), outcome history and scorecards (planner).

`GET /v1/carriers/{carrier_id}/legs` is scoped `carrier:ID`. Scorecards are the
core's lane scores from every stored outcome: legs closed by tracking plus
uploaded history; they are what plans use for risk costs and exclusions.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import func, select

from api.db.models import CarrierOutcomeRow, ShipmentLegRow
from api.deps import (
    CarrierKey,
    PageDep,
    PlannerKey,
    ServicesDep,
    SessionDep,
    WriterDep,
    require,
)
from api.errors import BODY_ERRORS, ApiError, error_responses
from api.routing.documents import load_network
from api.routing.events import post_event
from api.routing.outcomes import counts, lane_scores, marker, store_history
from api.routing.problems import with_paths
from api.schemas.carriers import (
    CarrierLegList,
    CarrierLegOut,
    CarrierScorecard,
    LaneScoreOut,
    OutcomesIn,
    OutcomesStored,
    ScorecardList,
)
from api.schemas.params import CarrierId, InstantQuery, VersionQuery, parse_instant
from api.schemas.sorting import ManifestList, ManifestOut
from api.schemas.tracking import CarrierEventsIn, CarrierEventsOut, EventResultOut
from api.security.principal import Principal, Role
from api.sorting.manifests import list_manifests
from optimizer.errors import InputError
from optimizer.money import format_minor
from optimizer.routing import TrackingOutcome

OUTCOMES = ("on_time", "late", "lost", "damaged")
router = APIRouter(prefix="/carriers", tags=["carriers"], responses=error_responses(401, 403, 422))
LegState = Annotated[
    str | None,
    Query(pattern="^(planned|departed|arrived|delivered)$", description="only legs in this state"),
]


ManifestReader = Annotated[
    Principal, Depends(require(Role.CARRIER, Role.PLANNER, scope="carrier:{carrier_id}"))
]


@router.get(
    "/{carrier_id}/manifests",
    response_model=ManifestList,
    summary="Manifests of the sorted containers handed to this carrier, newest first",
)
def list_carrier_manifests(
    carrier_id: CarrierId,
    _: ManifestReader,
    session: SessionDep,
    page: PageDep,
    closed_from: InstantQuery = None,
) -> ManifestList:
    """A container is listed for a carrier only when every parcel in it was sorted to a
    destination chute for a destination of that carrier; mixed or special containers are
    listed for none (planners see them by sorter)."""
    since = parse_instant(closed_from, "closed_from") if closed_from is not None else None
    items = list_manifests(
        session, carrier_id=carrier_id, closed_from=since, limit=page.limit, offset=page.offset
    )
    return ManifestList(
        items=[ManifestOut.model_validate(i) for i in items], limit=page.limit, offset=page.offset
    )


@router.get(
    "/{carrier_id}/legs",
    response_model=CarrierLegList,
    summary="The legs handed to this carrier on tracked shipments, by departure",
)
def list_carrier_legs(
    carrier_id: CarrierId,
    _: CarrierKey,
    session: SessionDep,
    page: PageDep,
    state: LegState = None,
    departs_from: InstantQuery = None,
    departs_before: InstantQuery = None,
) -> CarrierLegList:
    query = select(ShipmentLegRow).where(ShipmentLegRow.carrier_id == carrier_id)
    if state is not None:
        query = query.where(ShipmentLegRow.state == state)
    if departs_from is not None:
        query = query.where(ShipmentLegRow.departure >= parse_instant(departs_from, "departs_from"))
    if departs_before is not None:
        query = query.where(
            ShipmentLegRow.departure < parse_instant(departs_before, "departs_before")
        )
    query = query.order_by(ShipmentLegRow.departure, ShipmentLegRow.shipment_id, ShipmentLegRow.leg)
    rows = session.scalars(query.limit(page.limit).offset(page.offset))
    items = [
        CarrierLegOut.model_validate(
            {
                "shipment_id": row.shipment_id,
                "leg": row.leg,
                "lane": row.lane,
                "mode": row.mode,
                "from": row.origin,
                "to": row.destination,
                "departure": row.departure,
                "arrival": row.arrival,
                "weight_kg": row.weight_g / 1000,
                "state": row.state,
                "departed_at": row.departed_at,
                "arrived_at": row.arrived_at,
                "outcome": row.outcome,
            }
        )
        for row in rows
    ]
    return CarrierLegList(carrier_id=carrier_id, items=items, limit=page.limit, offset=page.offset)


@router.post(
    "/{carrier_id}/events",
    response_model=CarrierEventsOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(404, 409, *BODY_ERRORS),
    summary="Report a batch of events on this carrier's legs, in order, all or nothing",
)
def post_carrier_events(
    carrier_id: CarrierId,
    body: CarrierEventsIn,
    principal: CarrierKey,
    session: WriterDep,
    services: ServicesDep,
) -> CarrierEventsOut:
    """The first event that is refused refuses the batch; its error names `events.<i>`."""
    results = []
    for index, event in enumerate(body.events):
        try:
            posted = post_event(
                session, services.routing, principal, event.shipment_id, event, carrier_id
            )
        except ApiError as exc:
            exc.field = f"events.{index}" + (f".{exc.field}" if exc.field else "")
            exc.message = f"events[{index}]: {exc.message}"
            raise
        except InputError as exc:
            raise with_paths(exc, prefix=f"events.{index}") from None
        results.append(EventResultOut.model_validate(posted, from_attributes=True))
    session.commit()
    for result in results:
        services.metrics.count_tracking_event(result.type, result.replanned)
    return CarrierEventsOut(carrier_id=carrier_id, accepted=len(results), results=results)


@router.post(
    "/outcomes",
    response_model=OutcomesStored,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*BODY_ERRORS),
    summary="Upload past leg outcomes (events.jsonl records) for the scorecards",
)
def upload_outcomes(body: OutcomesIn, _: PlannerKey, session: WriterDep) -> OutcomesStored:
    stored = store_history(
        session,
        [TrackingOutcome(o.carrier, o.lane, o.outcome, o.shipment or "") for o in body.outcomes],  # type: ignore[arg-type]
    )
    session.commit()
    total = session.scalar(select(func.count()).select_from(CarrierOutcomeRow))
    return OutcomesStored(stored=stored, total=int(total or 0))


@router.get(
    "/scorecards",
    response_model=ScorecardList,
    responses=error_responses(404),
    summary="Scores per carrier and lane of a network, from every stored outcome",
)
def list_scorecards(
    _: PlannerKey,
    session: SessionDep,
    services: ServicesDep,
    network_id: Annotated[str, Query(min_length=1, max_length=64, description="whose lanes")],
    network_version: VersionQuery = None,
    min_score: Annotated[float, Query(ge=0, le=1, description="exclusion threshold")] = 0.75,
    carrier: Annotated[str | None, Query(max_length=64, description="only this carrier")] = None,
) -> ScorecardList:
    ref, network = load_network(session, services.routing, network_id, network_version)
    scores, _key = lane_scores(session, services.routing, ref, network, min_score)
    raw: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for carrier_id, _lane, outcome, count in counts(session):
        raw[carrier_id][outcome] += count
    lanes: dict[str, list[LaneScoreOut]] = defaultdict(list)
    for score in scores.values():
        lanes[score.carrier].append(
            LaneScoreOut(
                lane=score.lane,
                events=score.events,
                late_rate=round(float(score.late_rate), 6),
                lost_rate=round(float(score.lost_rate), 6),
                damaged_rate=round(float(score.damaged_rate), 6),
                score=round(float(score.score), 6),
                risk_cost=format_minor(score.risk_cost, network.currency),
                excluded=score.excluded,
            )
        )
    carriers = sorted(lanes) if carrier is None else [carrier]
    return ScorecardList(
        network_id=ref.id,
        network_version=ref.version,
        currency=network.currency,
        min_score=min_score,
        outcomes=marker(session)[0],
        items=[
            CarrierScorecard(
                carrier=c, outcomes=dict(raw[c]), lanes=sorted(lanes[c], key=lambda s: s.lane)
            )
            for c in carriers
        ],
    )
