"""`optimizer` subcommands for sorting: generate sorter, sort-plan, simulate, assign."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, OptimizerError, Problem
from optimizer.sorting import (
    Assigner,
    ChuteEvent,
    Manifest,
    PlanWeights,
    capacity_matching_plan,
    check_plan,
    chute_loads,
    generate_case,
    load_forecast,
    load_layout,
    load_plan,
    naive_plan,
    optimize_plan,
    proportional_plan,
    read_scans,
    save_plan,
    simulate_shift,
    with_alternates,
    write_case,
    write_json,
)
from optimizer.sorting.assigner import parse_chute_event
from optimizer.sorting.jsonio import iter_json_lines, scan_from_line

METHODS = ("optimizer", "naive", "proportional", "capacity-matching")


def register(commands: argparse._SubParsersAction, generators: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the parser."""
    gen = generators.add_parser(
        "sorter",
        help="a sorter layout, a cross-border forecast and an hour of parcel scans",
        description="Write layout.json, forecast.json and parcels.jsonl into --out.",
    )
    gen.add_argument("--chutes", type=int, default=300, help="number of chutes (default 300)")
    gen.add_argument("--destinations", type=int, default=600, help="sort keys (default 600)")
    gen.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    gen.add_argument(
        "--rate", type=float, default=20_000.0, help="parcels per hour (default 20000)"
    )
    gen.add_argument("--hours", type=float, default=1.0, help="hours of scans (default 1)")
    gen.add_argument("--out", required=True, type=Path, help="output directory")
    gen.set_defaults(func=_generate)

    plan = commands.add_parser(
        "sort-plan",
        help="optimize a sort plan for a forecast",
        description="Optimize a sort plan (destination -> chutes) with CP-SAT; write it as JSON.",
    )
    plan.add_argument("--layout", required=True, type=Path, help="sorter layout JSON")
    plan.add_argument("--forecast", required=True, type=Path, help="volume forecast JSON")
    plan.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    plan.add_argument("--out", required=True, type=Path, help="plan JSON to write")
    plan.add_argument("--seed", type=int, default=0, help="solver seed (default 0)")
    plan.add_argument("--workers", type=int, default=2, help="solver threads (default 2)")
    plan.add_argument("--current", type=Path, help="current plan: stay close to it, version + 1")
    plan.add_argument(
        "--move-penalty",
        type=float,
        default=PlanWeights().move,
        help=f"cost of moving one destination off its chutes (default {PlanWeights().move:g})",
    )
    plan.add_argument(
        "--method",
        choices=METHODS,
        default="optimizer",
        help="optimizer (default), or a reference plan: naive, proportional, capacity-matching",
    )
    plan.add_argument(
        "--alternates",
        action="store_true",
        help="give a reference plan alternate chutes as the optimizer does (a fair comparison)",
    )
    plan.set_defaults(func=_sort_plan)

    sim = commands.add_parser(
        "simulate",
        help="simulate a shift under a plan",
        description="Discrete-event simulation of a shift; prints a summary and writes JSON.",
    )
    sim.add_argument("--layout", required=True, type=Path, help="sorter layout JSON")
    sim.add_argument("--plan", required=True, type=Path, help="sort plan JSON")
    sim.add_argument("--parcels", type=Path, help="parcel scans (JSON lines) to replay")
    sim.add_argument("--forecast", type=Path, help="draw Poisson arrivals from this instead")
    sim.add_argument("--hours", type=float, default=1.0, help="shift length with --forecast")
    sim.add_argument("--rate", type=float, help="parcels/h with --forecast (default: its total)")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sim.add_argument("--out", type=Path, help="report JSON (default: <plan>.simulation.json)")
    sim.set_defaults(func=_simulate)

    assign = commands.add_parser(
        "assign",
        help="assign chutes to a stream of parcel scans",
        description=(
            "Read parcel scans (JSON lines) and write one decision per line as each scan "
            'arrives: {"parcel_id", "chute_id", "reason"}. Lines with an "event" key '
            '({"event": "disabled", "chute_id": "C012"}) change chute state in stream order. '
            "A bad line is reported on stderr and skipped; the exit status is then 2."
        ),
    )
    assign.add_argument("--layout", required=True, type=Path, help="sorter layout JSON")
    assign.add_argument("--plan", required=True, type=Path, help="sort plan JSON")
    assign.add_argument(
        "--parcels", required=True, type=Path, help="scans, JSON lines ('-': standard input)"
    )
    assign.add_argument("--out", type=Path, help="decisions file (default: stdout)")
    assign.add_argument("--manifests", type=Path, help="write closed-container manifests here")
    assign.add_argument(
        "--no-auto-swap",
        action="store_true",
        help="keep full containers until a container_closed event (default: swap at once)",
    )
    assign.set_defaults(func=_assign)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _positive(value: float, flag: str) -> None:
    if not value > 0:
        raise InputError("must be > 0", field=flag)


def _output_file(path: Path | None, flag: str) -> None:
    """Refuse a directory as an output file before any work is done."""
    if path is not None and path.is_dir():
        raise InputError(f"{path} is a directory, not a file", field=flag)


def _generate(args: argparse.Namespace) -> int:
    _positive(args.rate, "--rate")
    _positive(args.hours, "--hours")
    try:
        case = generate_case(args.chutes, args.destinations, args.seed, args.rate, args.hours)
    except InputError as exc:  # name the flags, not the generator's parameters
        raise InputError(
            [dataclasses.replace(p, field=f"--{p.field}") for p in exc.problems]
        ) from None
    files = write_case(case, args.out)
    print(
        f"wrote {files.layout} ({len(case.layout.chutes)} chutes), {files.forecast} "
        f"({len(case.forecast.destinations)} destinations, "
        f"{case.forecast.total_parcels_per_hour:.0f} parcels/h), {files.parcels} "
        f"({len(case.parcels)} scans)"
    )
    return 0


def _sort_plan(args: argparse.Namespace) -> int:
    _positive(args.time_limit, "--time-limit")
    _output_file(args.out, "--out")
    if args.workers < 1:
        raise InputError("must be >= 1", field="--workers")
    if args.move_penalty < 0:
        raise InputError("must be >= 0", field="--move-penalty")
    layout = load_layout(args.layout)
    forecast = load_forecast(args.forecast)
    current = load_plan(args.current) if args.current else None
    version = current.version + 1 if current else 1
    if args.method == "naive":
        plan, summary = (
            naive_plan(layout, forecast, version),
            "naive plan (round-robin, volume-blind)",
        )
    elif args.method == "proportional":
        plan, summary = (
            proportional_plan(layout, forecast, version),
            "proportional plan (chutes by volume, small destinations sharing; container-blind)",
        )
    else:
        if args.method == "capacity-matching":
            result = capacity_matching_plan(
                layout,
                forecast,
                time_limit_s=args.time_limit,
                seed=args.seed,
                workers=args.workers,
                version=version,
            )
        else:
            result = optimize_plan(
                layout,
                forecast,
                time_limit_s=args.time_limit,
                seed=args.seed,
                workers=args.workers,
                current=current,
                weights=PlanWeights(move=args.move_penalty),
                version=version,
            )
        if result.plan is None:
            raise OptimizerError(f"no plan found within {args.time_limit:g} s; raise --time-limit")
        plan = result.plan
        gap = "n/a" if result.gap is None else f"{result.gap:.2%}"
        summary = (
            f"{args.method}: {result.status.value}, objective {result.objective:.2f}, "
            f"bound {_number(result.bound)}, gap {gap}, {result.solve_time_s:.2f} s"
        )
        if result.moves is not None:
            among = result.stats.get("moves_among_shared_chutes", 0)
            summary += f", {result.moves} destinations moved ({among:.0f} among shared chutes)"
    if args.alternates and args.method != "optimizer":
        plan = with_alternates(plan, layout, forecast)
        summary += ", with alternates"
    loads = chute_loads(plan, layout, forecast)
    save_plan(plan, args.out, loads)
    report = check_plan(plan, layout, forecast)
    used = {c for a in plan.assignments for c in a.chute_ids}
    print(f"plan {plan.plan_id} -> {args.out}")
    print(summary)
    print(
        f"{len(plan.assignments)} destinations on {len(used)} chutes "
        f"({len(plan.mixed_destinations())} sharing a chute), "
        f"highest expected fill {report.max_fill:.0%}"
    )
    if report.ok:
        print("check: ok (capacities, chute types, categories, coverage, shares, mixing)")
        return 0
    print(f"check: {len(report.problems)} problems", file=sys.stderr)
    for p in report.problems[:20]:
        print(f"  {p}", file=sys.stderr)
    if args.method != "optimizer":
        print(f"({args.method} is a reference plan, written for comparison)", file=sys.stderr)
        return 0
    print(f"error: the plan fails the checker; {args.out} is for inspection only", file=sys.stderr)
    return 1


def _simulate(args: argparse.Namespace) -> int:
    _positive(args.hours, "--hours")
    if args.rate is not None:
        _positive(args.rate, "--rate")
    if args.parcels is None and args.forecast is None:
        raise InputError("give --parcels (scans to replay) or --forecast", field="--parcels")
    _output_file(args.out, "--out")
    layout = load_layout(args.layout)
    plan = load_plan(args.plan)
    parcels = read_scans(args.parcels) if args.parcels else None
    forecast = load_forecast(args.forecast) if args.forecast and parcels is None else None
    report = simulate_shift(
        layout, plan, parcels, forecast=forecast, hours=args.hours, rate=args.rate, seed=args.seed
    )
    out = args.out or args.plan.with_suffix(".simulation.json")
    write_json(report.to_dict(), out)
    print(report.summary())
    print(
        f"time in system mean {report.mean_time_in_system_s:.0f} s, "
        f"p95 {report.p95_time_in_system_s:.0f} s; chutes closed {report.closed_share_mean:.1%} "
        f"of the shift on average; {report.containers_closed} containers closed"
    )
    print(f"report -> {out}")
    return 0


def _event_problems(item: dict[str, Any], where: str, assigner: Assigner) -> list[Problem]:
    problems = []
    try:
        parse_chute_event(item.get("event"), f"{where}.event")
    except InputError as exc:
        problems += exc.problems
    chute_id = item.get("chute_id")
    if not isinstance(chute_id, str) or assigner.layout.chute_index(chute_id) is None:
        problems.append(Problem(f"{where}.chute_id", f"no chute {chute_id!r} in the layout"))
    return problems


def _json_line(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":")) + "\n"


def _assign(args: argparse.Namespace) -> int:
    """Answer scans as they come: one decision written (and flushed) per scan line.

    A bad line is reported on stderr with its line number and field and does not stop the
    stream; the exit status is 2 at the end if any line was refused.
    """
    _output_file(args.out, "--out")
    _output_file(args.manifests, "--manifests")
    layout = load_layout(args.layout)
    assigner = Assigner(layout, load_plan(args.plan))
    from_stdin = str(args.parcels) == "-"
    name = "stdin" if from_stdin else args.parcels.name
    refused = closed = 0
    with ExitStack() as files:
        source = sys.stdin.buffer if from_stdin else files.enter_context(open(args.parcels, "rb"))
        out = files.enter_context(open(args.out, "w", encoding="utf-8")) if args.out else sys.stdout
        manifests = (
            files.enter_context(open(args.manifests, "w", encoding="utf-8"))
            if args.manifests
            else None
        )

        def hand_over(manifest: Manifest | None) -> None:
            nonlocal closed
            if manifest is not None:
                closed += 1
                if manifests is not None:
                    manifests.write(_json_line(manifest.to_dict()))
                    manifests.flush()

        for number, item, problem in iter_json_lines(source, name):
            where = f"{name}:{number}"
            try:
                if problem is not None:
                    raise InputError([problem])
                if isinstance(item, dict) and "event" in item:
                    problems = _event_problems(item, where, assigner)
                    if problems:
                        raise InputError(problems)
                    hand_over(assigner.chute_event(item["chute_id"], item["event"]))
                    continue
                decision = assigner.assign_scan(scan_from_line(item, where))
            except InputError as exc:
                refused += 1
                for p in exc.problems:
                    print(f"error: {p}", file=sys.stderr, flush=True)
                continue
            out.write(_json_line(decision.to_dict()))
            out.flush()
            if assigner.newly_full:
                full = [layout.chutes[i].id for i in assigner.newly_full]
                assigner.newly_full.clear()
                if not args.no_auto_swap:
                    for chute_id in full:
                        hand_over(assigner.chute_event(chute_id, ChuteEvent.CONTAINER_CLOSED))
    counts = ", ".join(f"{k.value} {v}" for k, v in assigner.reason_counts.items() if v)
    print(f"{assigner.decisions} decisions ({counts}); {closed} containers closed", file=sys.stderr)
    if refused:
        print(f"error: {refused} lines refused (listed above)", file=sys.stderr)
        return 2
    return 0
