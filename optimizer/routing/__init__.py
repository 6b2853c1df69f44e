"""Routing: VRPTW legs, cross-border network, tariffs, itineraries, planning.

The cross-border planning surface, in the order a caller meets it: load a network
and shipments, plan one itinerary or a whole batch under capacity, score carriers,
re-plan after disruptions, compare what-if scenarios, check any plan independently.
Vehicle routing with time windows for pickup and last-mile legs is the `vrp`
subpackage (`from optimizer.routing import vrp; vrp.solve(problem)`): its names
(`check_plan`, `Plan`...) would clash with the network planner's here.
"""

from optimizer.routing import vrp
from optimizer.routing.assemble import BatchPlan
from optimizer.routing.batch import PlanningCancelled, optimise, plan_batch
from optimizer.routing.capacity import CapacityLedger
from optimizer.routing.check import Violation, check_capacities, check_itinerary, check_plan
from optimizer.routing.context import PlanningContext, build_timetable, prepare_planning
from optimizer.routing.generator import generate_network, generate_outcomes, generate_shipments
from optimizer.routing.greedy import greedy_from_context, greedy_plan
from optimizer.routing.itinerary import Itinerary, ItineraryStatus, Leg, Reason
from optimizer.routing.kpis import LaneUse, PlanKpis, compute_kpis
from optimizer.routing.network import (
    CATEGORIES,
    Lane,
    Mode,
    Network,
    Node,
    NodeKind,
    WeeklyDeparture,
)
from optimizer.routing.network_json import (
    load_network,
    network_from_dict,
    network_to_dict,
    save_network,
)
from optimizer.routing.plan_json import (
    itinerary_from_dict,
    itinerary_to_dict,
    load_itineraries,
    plan_to_dict,
    save_plan,
)
from optimizer.routing.policy import PlanningPolicy
from optimizer.routing.replan import (
    CustomsHold,
    DepartureCancelled,
    DepartureDelayed,
    Disruption,
    ParcelLost,
    ReplanResult,
    replan,
)
from optimizer.routing.scenarios import (
    Scenario,
    ScenarioComparison,
    apply_scenario,
    compare_scenario,
    load_scenario,
    scenario_from_dict,
)
from optimizer.routing.schedule import Horizon, expand_departures, horizon_for
from optimizer.routing.scores import (
    LaneScore,
    Outcome,
    RiskPolicy,
    TrackingOutcome,
    load_outcomes,
    outcomes_from_records,
    risk_inputs,
    score_lanes,
)
from optimizer.routing.search import find_itinerary
from optimizer.routing.service import ServiceLevel
from optimizer.routing.shipments import (
    Shipment,
    load_shipments,
    save_shipments,
    shipments_from_records,
    validate_shipments,
)
from optimizer.routing.tariffs import Tariff, ZoneRate, chargeable_grams
from optimizer.routing.timetable import Timetable
from optimizer.routing.tracking import (
    EventKind,
    Position,
    TrackingEvent,
    position_at,
    replan_from,
    update_eta,
)

__all__ = [
    "CATEGORIES",
    "BatchPlan",
    "CapacityLedger",
    "CustomsHold",
    "DepartureCancelled",
    "DepartureDelayed",
    "Disruption",
    "EventKind",
    "Horizon",
    "Itinerary",
    "ItineraryStatus",
    "Lane",
    "LaneScore",
    "LaneUse",
    "Leg",
    "Mode",
    "Network",
    "Node",
    "NodeKind",
    "Outcome",
    "ParcelLost",
    "PlanKpis",
    "PlanningCancelled",
    "PlanningContext",
    "PlanningPolicy",
    "Position",
    "Reason",
    "ReplanResult",
    "RiskPolicy",
    "Scenario",
    "ScenarioComparison",
    "ServiceLevel",
    "Shipment",
    "Tariff",
    "Timetable",
    "TrackingEvent",
    "TrackingOutcome",
    "Violation",
    "WeeklyDeparture",
    "ZoneRate",
    "apply_scenario",
    "build_timetable",
    "chargeable_grams",
    "check_capacities",
    "check_itinerary",
    "check_plan",
    "compare_scenario",
    "compute_kpis",
    "expand_departures",
    "find_itinerary",
    "generate_network",
    "generate_outcomes",
    "generate_shipments",
    "greedy_from_context",
    "greedy_plan",
    "horizon_for",
    "itinerary_from_dict",
    "itinerary_to_dict",
    "load_itineraries",
    "load_network",
    "load_outcomes",
    "load_scenario",
    "load_shipments",
    "network_from_dict",
    "network_to_dict",
    "optimise",
    "outcomes_from_records",
    "plan_batch",
    "plan_to_dict",
    "position_at",
    "prepare_planning",
    "replan",
    "replan_from",
    "risk_inputs",
    "save_network",
    "save_plan",
    "save_shipments",
    "scenario_from_dict",
    "score_lanes",
    "shipments_from_records",
    "update_eta",
    "validate_shipments",
    "vrp",
]
