"""Vehicle routing with time windows: model, solver portfolio, checker, Solomon reader."""

from optimizer.routing.vrp.check import CheckReport, check_plan, check_result
from optimizer.routing.vrp.model import (
    INF,
    UNLIMITED,
    Depot,
    Load,
    PickupDelivery,
    RoutingProblem,
    Stop,
    TimeWindow,
    TravelMatrix,
    Vehicle,
)
from optimizer.routing.vrp.ortools_engine import OrToolsParams
from optimizer.routing.vrp.result import Plan, Route, RoutingResult, Skipped, SkipReason, Visit
from optimizer.routing.vrp.scaling import Scaling, choose_scaling
from optimizer.routing.vrp.serialize import (
    plan_from_dict,
    problem_from_dict,
    problem_to_dict,
    result_to_dict,
)
from optimizer.routing.vrp.solomon import parse_solomon, read_solomon
from optimizer.routing.vrp.solve import SolveOptions, solve
from optimizer.routing.vrp.validate import ValidationReport, validate

__all__ = [
    "INF",
    "UNLIMITED",
    "CheckReport",
    "Depot",
    "Load",
    "OrToolsParams",
    "PickupDelivery",
    "Plan",
    "Route",
    "RoutingProblem",
    "RoutingResult",
    "Scaling",
    "SkipReason",
    "Skipped",
    "SolveOptions",
    "Stop",
    "TimeWindow",
    "TravelMatrix",
    "ValidationReport",
    "Vehicle",
    "Visit",
    "check_plan",
    "check_result",
    "choose_scaling",
    "parse_solomon",
    "plan_from_dict",
    "problem_from_dict",
    "problem_to_dict",
    "read_solomon",
    "result_to_dict",
    "solve",
    "validate",
]
