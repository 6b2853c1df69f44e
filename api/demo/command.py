"""`optimizer demo`: argument parsing and printing for the end-to-end demo."""

from __future__ import annotations

import argparse

from api.demo.report import summary_lines
from api.demo.run import DemoOptions, run_demo
from optimizer.errors import InputError


def register_demo(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = commands.add_parser(
        "demo",
        help="run the whole product end to end against the API (in process) and print a report",
        description=(
            "Against the API in process, on the configured database (SQLite under var/ by "
            "default): generate a sorter and a cross-border network, optimize and activate a "
            "sort plan, stream an hour of parcels through assignment with chute events, plan "
            "the day's shipments as a job, run a what-if, post carrier tracking events "
            "including an exception, and print a summary. `optimizer demo-sorting` runs the "
            "sorting core alone, without the service."
        ),
    )
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--countries", type=int, default=18, help="network size (default 18)")
    demo.add_argument("--shipments", type=int, default=5_000, help="day's shipments (5000)")
    demo.add_argument(
        "--plan-time-limit", type=float, default=10.0, help="plan job solver seconds (10)"
    )
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise InputError("must be >= 0", field="--seed")
    if not args.plan_time_limit > 0:
        raise InputError("must be > 0", field="--plan-time-limit")
    for flag, value, low in (
        ("--countries", args.countries, 2),
        ("--shipments", args.shipments, 10),
    ):
        if value < low:
            raise InputError(f"must be at least {low}", field=flag)
    options = DemoOptions(
        seed=args.seed,
        countries=args.countries,
        shipments=args.shipments,
        plan_time_limit_s=args.plan_time_limit,
    )
    report = run_demo(options, say=lambda line: print(line, flush=True))
    for line in summary_lines(report):
        print(line)
    return 0
