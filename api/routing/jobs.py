"""The routing job kinds: `routing.plan` (a batch plan) and `routing.whatif` (a scenario).

They run in worker processes. Params carry document ids and versions only; the
worker loads the network, the shipment set and the carrier outcomes from the
database, plans with the core, and stores itineraries as rows (`api.routing.plans`)
while KPIs go in the job's result. Progress comes from the core's callback and
cancellation through `should_stop` (the core raises PlanningCancelled).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from api.errors import ApiError
from api.jobs.registry import Progress, register_job_kind
from api.jobs.worker import current_job
from api.routing.documents import DocRef, load_network, load_shipment_set
from api.routing.outcomes import Scoring, scoring
from api.routing.plans import PLAN_KIND, WHATIF_KIND, store_itineraries
from api.routing.present import kpis
from api.routing.problems import with_paths
from api.schemas.planning import PlanParams, ScenarioParams
from api.security.principal import Role
from optimizer.errors import InputError
from optimizer.money import format_minor
from optimizer.routing import (
    Network,
    PlanningCancelled,
    Shipment,
    compare_scenario,
    plan_batch,
    scenario_from_dict,
    validate_shipments,
)

log = logging.getLogger("optimizer.api.routing")
MAX_LANE_CHANGES = 200


def load_inputs(
    params: dict[str, Any],
) -> tuple[DocRef, Network, DocRef, list[Shipment], Scoring]:
    """Network, shipments and carrier scoring named by the params, from the job's database."""
    database = current_job().database
    with database.session() as session:
        try:
            net_ref, network = load_network(
                session, None, params["network_id"], params.get("network_version")
            )
            set_ref, shipments = load_shipment_set(
                session, params["shipment_set_id"], params.get("shipment_set_version")
            )
        except ApiError as exc:  # a document named by the params is missing
            raise InputError(exc.message, field=exc.field or "", code="not_found") from None
        scored = scoring(
            session,
            None,
            net_ref,
            network,
            bool(params.get("carrier_scores", True)),
            float(params.get("min_score", 0.75)),
        )
    check_references(network, shipments)
    return net_ref, network, set_ref, shipments, scored


def check_references(network: Network, shipments: list[Shipment]) -> None:
    """Every shipment's nodes and service level exist in the network (422 naming each)."""
    try:
        validate_shipments(network, shipments)
    except InputError as exc:
        index_of = {s.id: i for i, s in enumerate(shipments)}
        raise with_paths(exc, index_of=index_of) from None


def scenario_document(scenario: dict[str, Any]) -> dict[str, Any]:
    """The scenario as the core reads it: fields a client left out are absent, not null."""
    changes = [
        {key: value for key, value in change.items() if value is not None}
        for change in scenario.get("changes", [])
    ]
    return {"name": scenario.get("name"), "changes": changes}


def _refs(net_ref: DocRef, set_ref: DocRef) -> dict[str, Any]:
    return {"network": net_ref.as_dict(), "shipment_set": set_ref.as_dict()}


def run_plan(
    params: dict[str, Any], progress: Progress, should_stop: Callable[[], bool]
) -> dict[str, Any]:
    """Plan a shipment set under capacity; itineraries are stored as rows, KPIs returned."""
    job = current_job()
    net_ref, network, set_ref, shipments, scored = load_inputs(params)
    try:
        plan = plan_batch(
            network,
            shipments,
            time_limit=float(params["time_limit_s"]),
            seed=int(params.get("seed", 0)),
            scores=scored.scores,
            progress=progress,
            should_stop=should_stop,
        )
    except PlanningCancelled:
        return {"plan_id": job.job_id, "cancelled": True, **_refs(net_ref, set_ref)}
    progress(0.97, "storing itineraries")
    stored = store_itineraries(job.database, job.job_id, shipments, plan.itineraries, plan.currency)
    log.info("plan %s: %d itineraries stored, status %s", job.job_id, stored, plan.status)
    return {
        "plan_id": job.job_id,
        **_refs(net_ref, set_ref),
        "solver_status": str(plan.status),
        "currency": plan.currency,
        "objective": format_minor(plan.objective, plan.currency),
        "model_bound": None if plan.bound is None else round(plan.bound, 2),
        "model_gap": None if plan.gap is None else round(plan.gap, 6),
        "solve_seconds": round(plan.solve_seconds, 3),
        "itineraries": stored,
        "carrier_scores": scored.describe(),
        "kpis": kpis(plan.kpis, plan.currency),
    }


def run_whatif(
    params: dict[str, Any], progress: Progress, should_stop: Callable[[], bool]
) -> dict[str, Any]:
    """Plan the baseline and the scenario with the same settings; KPIs side by side."""
    net_ref, network, set_ref, shipments, scored = load_inputs(params)
    try:
        scenario = scenario_from_dict(scenario_document(params["scenario"]), network)
    except InputError as exc:
        raise with_paths(exc, prefix="scenario") from None
    try:
        comparison = compare_scenario(
            network,
            shipments,
            scenario,
            time_limit=float(params["time_limit_s"]),
            seed=int(params.get("seed", 0)),
            scores=scored.scores,
            progress=progress,
            should_stop=should_stop,
        )
    except PlanningCancelled:
        return {"cancelled": True, **_refs(net_ref, set_ref)}
    except InputError as exc:
        raise with_paths(exc, prefix="scenario") from None
    currency = network.currency
    lanes = sorted(
        comparison.lane_utilisation,
        key=lambda item: (-abs((item[2] or 0.0) - (item[1] or 0.0)), item[0]),
    )
    return {
        **_refs(net_ref, set_ref),
        "scenario": comparison.name,
        "currency": currency,
        "carrier_scores": scored.describe(),
        "kpis": [
            {
                "name": row.name,
                "unit": row.unit,
                "baseline": row.baseline,
                "scenario": row.scenario,
                "delta": row.delta,
            }
            for row in comparison.rows
        ],
        "baseline": {
            "solver_status": str(comparison.baseline.status),
            "kpis": kpis(comparison.baseline.kpis, currency),
        },
        "changed": {
            "solver_status": str(comparison.scenario.status),
            "kpis": kpis(comparison.scenario.kpis, currency),
        },
        "lane_utilisation": [
            {"lane": lane, "baseline": before, "scenario": after}
            for lane, before, after in lanes[:MAX_LANE_CHANGES]
        ],
    }


register_job_kind(
    PLAN_KIND, run_plan, params_model=PlanParams, roles=[Role.PLANNER],
    description="Plan a stored shipment set over a stored network under lane capacities",
)  # fmt: skip
register_job_kind(
    WHATIF_KIND, run_whatif, params_model=ScenarioParams, roles=[Role.PLANNER],
    description="Compare a what-if scenario's KPIs with the baseline plan",
)  # fmt: skip
