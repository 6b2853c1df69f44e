"""`optimizer vrptw` (a Solomon-format instance) and `optimizer vrp` (a JSON problem)."""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.routing.vrp import (
    Plan,
    RoutingProblem,
    RoutingResult,
    SolveOptions,
    ValidationReport,
    read_solomon,
    solve,
    validate,
)
from optimizer.routing.vrp.serialize import plan_from_dict, problem_from_dict, result_to_dict
from optimizer.routing.vrp.solve import ENGINES, SEED_MAX
from optimizer.status import SolveStatus


def register(commands: argparse._SubParsersAction, generators: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the parser."""
    parser = commands.add_parser(
        "vrptw",
        help="solve a Solomon VRPTW instance",
        description=(
            "Route a fleet through the customers of a Solomon-format instance within their "
            "time windows and vehicle capacity, minimising total distance."
        ),
    )
    parser.add_argument("instance", metavar="INSTANCE", help="Solomon-format instance file")
    parser.add_argument(
        "--time-limit", type=_positive_float, required=True, metavar="S", help="seconds"
    )
    parser.add_argument("--seed", type=_seed, default=0, metavar="N")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--dimacs",
        action="store_true",
        help="optimise with distances truncated to one decimal (the convention of the "
        "distance-only best-known solutions); 'distance' is still reported in plain Euclidean",
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help="only report every customer no vehicle can serve, and why; do not solve",
    )
    parser.add_argument("--engine", choices=ENGINES, default="auto")
    parser.add_argument(
        "--workers", type=_non_negative_int, default=0, metavar="N", help="0 = up to 2 cores"
    )
    parser.add_argument(
        "--max-iterations",
        type=_positive_int,
        default=None,
        metavar="N",
        help="bound the search work, for runs reproducible with the same seed",
    )
    parser.add_argument(
        "--warm-start",
        metavar="FILE",
        help="a previous --json output; the new plan is never worse than it",
    )
    parser.set_defaults(func=run)
    register_vrp(commands)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _seed(text: str) -> int:
    value = _non_negative_int(text)
    if value > SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be at most {SEED_MAX}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _warm_plan(path: str, problem: RoutingProblem) -> tuple[Plan, list[str]]:
    """Routes of an earlier `--json` output, given to the vehicles in order, and notes.

    Routes beyond today's fleet (a vehicle fewer) are left out, and their customers
    planned afresh; ids the instance no longer has are dropped by `solve` with a note.
    """
    data = _read_json(path, "--warm-start")
    routes = data.get("routes") if isinstance(data, dict) else None
    if not isinstance(routes, list):
        raise InputError(
            f"{path} has no 'routes' list (expected an earlier --json output)",
            field="--warm-start",
        )
    problems = []
    for k, route in enumerate(routes):
        if not isinstance(route, list) or not all(
            isinstance(c, str | int) and not isinstance(c, bool) for c in route
        ):
            problems.append(Problem(f"--warm-start: routes[{k}]", "must be a list of customer ids"))
    if problems:
        raise InputError(problems)
    notes = []
    if len(routes) > len(problem.vehicles):
        extra = len(routes) - len(problem.vehicles)
        notes.append(
            f"the previous plan has {len(routes)} routes for {len(problem.vehicles)} vehicles; "
            f"the customers of the last {extra} are planned afresh"
        )
    plan = Plan(
        tuple(
            (vehicle.id, tuple(str(stop) for stop in route))
            for vehicle, route in zip(problem.vehicles, routes, strict=False)
        )
    )
    return plan, notes


def euclidean_distance(problem: RoutingProblem, result: RoutingResult) -> float:
    """Plain Euclidean length of the routes from the coordinates, whatever matrix was optimised."""
    assert problem.coordinates is not None
    coords = problem.coordinates
    total = 0.0
    for route in result.routes:
        locations = [problem.depot(route.start_depot).location]
        locations += [problem.stop(s).location for s in route.stop_ids]
        locations.append(problem.depot(route.end_depot).location)
        total += math.fsum(
            math.dist(coords[a], coords[b]) for a, b in itertools.pairwise(locations)
        )
    return total


def _customer_id(stop_id: str) -> int | str:
    return int(stop_id) if stop_id.isdigit() else stop_id


def run(args: argparse.Namespace) -> int:
    convention = "dimacs" if args.dimacs else "euclidean"
    problem = read_solomon(args.instance, convention=convention)
    if args.validate:
        return _report_validation(args, problem)
    warm, warm_notes = _warm_plan(args.warm_start, problem) if args.warm_start else (None, [])
    for note in warm_notes:
        print(f"note: {note}", file=sys.stderr)
    options = SolveOptions(
        engine=args.engine, workers=args.workers, max_iterations=args.max_iterations
    )
    result = solve(problem, args.time_limit, args.seed, warm_start=warm, options=options)
    distance = euclidean_distance(problem, result)
    routes = [[_customer_id(s) for s in route.stop_ids] for route in result.routes]
    if args.json:
        print(
            json.dumps(
                {
                    "instance": problem.name,
                    "status": str(result.status),
                    "vehicles": result.vehicles,
                    "distance": distance,
                    "routes": routes,
                    "solve_time_s": result.solve_time_s,
                }
            )
        )
    else:
        print(
            f"{problem.name}: {result.status}, {result.vehicles} vehicles, distance "
            f"{distance:.2f}, {result.solve_time_s:.2f}s ({result.engine})"
        )
        for route, stops in zip(result.routes, routes, strict=True):
            print(f"  {route.vehicle_id}: {' '.join(str(s) for s in stops)}")
        for note in result.notes:
            print(f"  note: {note}", file=sys.stderr)
    return 0 if result.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL) else 1


def _report_validation(args: argparse.Namespace, problem: RoutingProblem) -> int:
    report = validate(problem)
    if args.json:
        problems = [
            {"field": p.field, "message": p.message, "code": p.code} for p in report.problems
        ]
        print(json.dumps({"instance": problem.name, "valid": report.ok, "problems": problems}))
    elif report.ok:
        print(f"{problem.name}: valid ({len(problem.stops)} customers)")
    else:
        for problem_found in report.problems:
            print(f"error: {problem_found}", file=sys.stderr)
    return 0 if report.ok else 2


def register_vrp(commands: argparse._SubParsersAction) -> None:
    """`optimizer vrp PROBLEM.json`: the full model (pairs, soft windows, ...) from a JSON file."""
    parser = commands.add_parser(
        "vrp",
        help="solve a routing problem given as JSON (full model)",
        description=(
            "Solve a vehicle routing problem in the JSON format of "
            "optimizer.routing.vrp.serialize (depots, vehicles, stops, pairs, locations or "
            "matrix) and print the full result as JSON."
        ),
    )
    parser.add_argument("problem", metavar="PROBLEM", help="problem JSON file")
    parser.add_argument(
        "--time-limit", type=_positive_float, required=True, metavar="S", help="seconds"
    )
    parser.add_argument("--seed", type=_seed, default=0, metavar="N")
    parser.add_argument("--validate", action="store_true", help="only validate, do not solve")
    parser.add_argument("--engine", choices=ENGINES, default="auto")
    parser.add_argument("--workers", type=_non_negative_int, default=0, metavar="N")
    parser.add_argument("--max-iterations", type=_positive_int, default=None, metavar="N")
    parser.add_argument(
        "--warm-start", metavar="FILE", help="an earlier result of this command, or a plan"
    )
    parser.set_defaults(func=run_vrp)


def _read_json(path: str, field: str):
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field=field) from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}", field=field) from None


def _no_constant(name: str) -> float:
    """NaN and Infinity are not JSON; Python's reader would take them as numbers."""
    raise ValueError(f"{name} is not a JSON value (write null for unlimited)")


def run_vrp(args: argparse.Namespace) -> int:
    problem = problem_from_dict(_read_json(args.problem, "PROBLEM"))
    if args.validate:
        report = validate(problem)
        problems = [
            {"field": p.field, "message": p.message, "code": p.code} for p in report.problems
        ]
        print(json.dumps({"valid": report.ok, "problems": problems, **_unreachable(report)}))
        return 0 if report.ok else 2
    warm = plan_from_dict(_read_json(args.warm_start, "--warm-start")) if args.warm_start else None
    options = SolveOptions(
        engine=args.engine, workers=args.workers, max_iterations=args.max_iterations
    )
    result = solve(problem, args.time_limit, args.seed, warm_start=warm, options=options)
    print(json.dumps(result_to_dict(result)))
    return 0 if result.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL) else 1


def _unreachable(report: ValidationReport) -> dict:
    return {"unreachable": dict(report.unreachable)}
