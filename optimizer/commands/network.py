"""`optimizer` subcommands for cross-border planning: generate network, plan, whatif, itinerary."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from fractions import Fraction
from pathlib import Path

from optimizer.errors import InputError
from optimizer.money import format_minor
from optimizer.routing.assemble import BatchPlan
from optimizer.routing.batch import optimise, plan_batch
from optimizer.routing.context import build_timetable, prepare_planning
from optimizer.routing.generator import (
    DEFAULT_START,
    generate_network,
    generate_outcomes,
    generate_shipments,
)
from optimizer.routing.greedy import greedy_from_context
from optimizer.routing.network_json import load_network, save_network
from optimizer.routing.plan_json import itinerary_to_dict, kpis_to_dict, save_plan
from optimizer.routing.scenarios import ScenarioComparison, compare_scenario, load_scenario
from optimizer.routing.scores import RiskPolicy, load_outcomes, save_outcomes, score_lanes
from optimizer.routing.search import find_itinerary
from optimizer.routing.shipments import load_shipments, save_shipments, validate_shipments
from optimizer.timeutil import format_instant

log = logging.getLogger("optimizer.commands.network")


def _progress(fraction: float, message: str) -> None:
    """Progress lines on stderr with -v."""
    log.info("%3.0f%% %s", fraction * 100, message)


def _fraction(text: str) -> Fraction:
    """A decimal or a ratio ("0.75", "3/4"); argparse reports a ValueError as a usage error."""
    try:
        return Fraction(text)
    except ZeroDivisionError:
        raise ValueError(text) from None


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def register(commands: argparse._SubParsersAction, generators: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the parser."""
    gen = generators.add_parser(
        "network",
        help="a cross-border network with shipments and carrier history",
        description="Write network.json, shipments.jsonl and events.jsonl (tracking outcomes).",
    )
    gen.add_argument("--countries", type=_positive_int, default=20, help="destination countries")
    gen.add_argument("--shipments", type=int, default=10_000, help="number of shipments")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", type=Path, required=True, help="output directory")
    gen.add_argument("--exporters", type=_positive_int, default=3, help="export countries (1-4)")
    gen.add_argument(
        "--days", type=_positive_float, default=2.0, help="days over which shipments get ready"
    )
    gen.add_argument(
        "--tightness", type=_positive_float, default=1.0, help=">1 shrinks line-haul capacity"
    )
    gen.add_argument(
        "--start", type=date.fromisoformat, default=DEFAULT_START, help="first ready day"
    )
    gen.set_defaults(func=run_generate)

    plan = commands.add_parser(
        "plan",
        help="plan shipments over a cross-border network under capacity",
        description="Plan every shipment (cheapest on-time itinerary within departure "
        "capacities), print KPIs and write per-shipment itineraries.",
    )
    _planning_inputs(plan)
    plan.add_argument("--out", type=Path, help="write the plan (itineraries + KPIs) as JSON")
    plan.add_argument(
        "--compare-greedy", action="store_true", help="also run the greedy first-come baseline"
    )
    plan.set_defaults(func=run_plan)

    whatif = commands.add_parser(
        "whatif",
        help="compare a what-if scenario with the baseline plan",
        description="Plan the baseline and the scenario and print their KPIs side by side.",
    )
    _planning_inputs(whatif)
    whatif.add_argument("--scenario", type=Path, required=True, help="scenario.json")
    whatif.add_argument("--out", type=Path, help="write the comparison as JSON")
    whatif.set_defaults(func=run_whatif)

    itinerary = commands.add_parser(
        "itinerary",
        help="the cheapest on-time itinerary of one shipment (no capacity limits)",
        description="Plan a single shipment and print its legs and milestones.",
    )
    itinerary.add_argument("--network", type=Path, required=True)
    itinerary.add_argument("--shipments", type=Path, required=True)
    itinerary.add_argument("--shipment", required=True, help="shipment id")
    itinerary.add_argument("--events", type=Path, help="tracking outcomes for carrier scores")
    itinerary.set_defaults(func=run_itinerary)


def _planning_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--network", type=Path, required=True, help="network.json")
    parser.add_argument("--shipments", type=Path, required=True, help="shipments.jsonl")
    parser.add_argument(
        "--time-limit", type=_positive_float, default=10.0, help="solver seconds (per plan)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--events", type=Path, help="tracking outcomes (events.jsonl) for carrier scores"
    )
    parser.add_argument(
        "--min-score",
        type=_fraction,
        default=None,
        help="with --events: exclude lanes whose carrier score (smoothed on-time rate) is "
        f"below this (default {RiskPolicy().threshold})",
    )
    parser.add_argument("--json", action="store_true", help="print KPIs as JSON")


def run_generate(args: argparse.Namespace) -> int:
    if args.shipments < 0:
        raise InputError("cannot be negative", field="shipments")
    try:
        network = generate_network(
            args.countries,
            seed=args.seed,
            expected_shipments=max(args.shipments, 1),
            days=args.days,
            tightness=args.tightness,
            exporters=args.exporters,
        )
    except ValueError as exc:
        raise InputError(str(exc), field="generate") from None
    shipments = generate_shipments(
        network, args.shipments, seed=args.seed, start=args.start, days=args.days
    )
    args.out.mkdir(parents=True, exist_ok=True)
    save_network(network, args.out / "network.json")
    save_shipments(shipments, args.out / "shipments.jsonl")
    save_outcomes(generate_outcomes(network, seed=args.seed), args.out / "events.jsonl")
    print(
        f"wrote {args.out}/network.json ({len(network.nodes)} nodes, {len(network.lanes)} lanes), "
        f"shipments.jsonl ({len(shipments)}), events.jsonl"
    )
    return 0


def _inputs(args: argparse.Namespace):
    network = load_network(args.network)
    shipments = load_shipments(args.shipments)
    validate_shipments(network, shipments)
    if args.min_score is None:
        policy = RiskPolicy()
    elif args.events is None:
        raise InputError(
            "needs --events: scores come from tracking outcomes (events.jsonl)", field="min_score"
        )
    elif not 0 <= args.min_score <= 1:
        raise InputError("must be between 0 and 1", field="min_score")
    else:
        policy = RiskPolicy(threshold=args.min_score)
    scores = score_lanes(network, load_outcomes(args.events), policy) if args.events else None
    return network, shipments, scores


def _money(minor: float, currency: str) -> str:
    return f"{format_minor(round(minor), currency)} {currency}"


def _print_plan(plan: BatchPlan, title: str) -> None:
    k = plan.kpis
    currency = plan.currency
    print(f"{title}: {plan.method}, status {plan.status}, {plan.solve_seconds:.1f} s")
    print(f"  shipments        {k.shipments}")
    print(f"  on time          {k.on_time} ({k.on_time_rate:.1%})")
    print(f"  late             {k.late}")
    print(f"  unserved         {k.unserved} (no capacity)   unroutable {k.unroutable}")
    print(f"  cost             {_money(k.cost, currency)}")
    print(
        f"    freight {_money(k.freight_cost, currency)}, risk {_money(k.risk_cost, currency)}, "
        f"late penalties {_money(k.late_penalty, currency)}"
    )
    print(f"  mean transit     {k.mean_transit_days:.2f} days")
    lateness = ", ".join(f"{bucket} {count}" for bucket, count in k.lateness.items() if count)
    print(f"  lateness         {lateness}")
    if plan.bound is not None and plan.gap is not None:
        print(f"  model bound      {_money(plan.bound, currency)} (gap {plan.gap:.3%})")
    busiest = sorted(
        (use for use in k.lanes if use.peak is not None), key=lambda use: -(use.peak or 0)
    )[:5]
    if busiest:
        print(
            "  fullest lanes    "
            + "; ".join(
                f"{use.lane} {use.utilisation:.0%} (peak {use.peak:.0%})" for use in busiest
            )
        )


def run_plan(args: argparse.Namespace) -> int:
    network, shipments, scores = _inputs(args)
    if args.compare_greedy:
        context = prepare_planning(network, shipments, scores=scores, progress=_progress)
        plan = optimise(context, time_limit=args.time_limit, seed=args.seed, progress=_progress)
        greedy = greedy_from_context(context)
    else:
        plan = plan_batch(
            network,
            shipments,
            time_limit=args.time_limit,
            seed=args.seed,
            scores=scores,
            progress=_progress,
        )
        greedy = None
    if args.out:
        save_plan(plan, args.out)
    if args.json:
        report = {"plan": kpis_to_dict(plan.kpis, plan.currency), "status": str(plan.status)}
        if greedy is not None:
            report["greedy"] = kpis_to_dict(greedy.kpis, greedy.currency)
        print(json.dumps(report, indent=1))
    else:
        _print_plan(plan, "plan")
        if greedy is not None:
            _print_plan(greedy, "greedy first-come")
    if args.out:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _format_value(value: float, unit: str, currency: str) -> str:
    if unit == "money":
        return f"{value:,.2f} {currency}"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "days":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _format_delta(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value * 100:+.1f} pt"
    if unit in ("money", "days"):
        return f"{value:+,.2f}"
    return f"{value:+,.0f}"


def print_comparison(comparison: ScenarioComparison, currency: str) -> None:
    print(f"what-if: {comparison.name}")
    print(f"  {'KPI':<24}{'baseline':>20}{'scenario':>20}{'delta':>14}")
    for row in comparison.rows:
        before = _format_value(row.baseline, row.unit, currency)
        after = _format_value(row.scenario, row.unit, currency)
        print(f"  {row.name:<24}{before:>20}{after:>20}{_format_delta(row.delta, row.unit):>14}")
    changes = [
        (lane, before, after)
        for lane, before, after in comparison.lane_utilisation
        if before is not None or after is not None
    ]
    changes.sort(key=lambda item: -abs((item[2] or 0) - (item[1] or 0)))
    if changes:
        print("  lane utilisation, biggest changes:")
        for lane, old, new in changes[:8]:
            b = "-" if old is None else f"{old:.0%}"
            a = "-" if new is None else f"{new:.0%}"
            print(f"    {lane:<40}{b:>8} -> {a:>5}")


def run_whatif(args: argparse.Namespace) -> int:
    network, shipments, scores = _inputs(args)
    scenario = load_scenario(args.scenario, network)
    comparison = compare_scenario(
        network,
        shipments,
        scenario,
        time_limit=args.time_limit,
        seed=args.seed,
        scores=scores,
        progress=_progress,
    )
    report = {
        "scenario": comparison.name,
        "currency": network.currency,
        "kpis": [
            {
                "name": r.name,
                "unit": r.unit,
                "baseline": r.baseline,
                "scenario": r.scenario,
                "delta": r.delta,
            }
            for r in comparison.rows
        ],
        "lane_utilisation": [
            {"lane": lane, "baseline": before, "scenario": after}
            for lane, before, after in comparison.lane_utilisation
        ],
    }
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_comparison(comparison, network.currency)
    return 0


def run_itinerary(args: argparse.Namespace) -> int:
    network = load_network(args.network)
    shipments = load_shipments(args.shipments)
    shipment = next((s for s in shipments if s.id == args.shipment), None)
    if shipment is None:
        raise InputError(f"no shipment {args.shipment!r} in {args.shipments}", field="shipment")
    validate_shipments(network, [shipment])
    scores = score_lanes(network, load_outcomes(args.events)) if args.events else None
    itinerary = find_itinerary(build_timetable(network, [shipment], scores), shipment)
    record = itinerary_to_dict(itinerary, network.currency)
    print(
        f"{shipment.id}: {record['status']}"
        + (f" ({record['reason']})" if "reason" in record else "")
    )
    for leg in record.get("legs", []):
        print(
            f"  {leg['lane']:<32} {leg['mode']:<9} dep {leg['departure']}  arr {leg['arrival']}"
            f"  ready {leg['ready_at']}  {leg['cost']} {network.currency}"
        )
    if itinerary.legs:
        assert itinerary.delivered_at is not None
        print(
            f"  delivered {format_instant(itinerary.delivered_at)} "
            f"(due {format_instant(shipment.deliver_by)}), freight {record['freight_cost']} "
            f"{network.currency}"
        )
    return 0
