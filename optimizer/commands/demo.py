"""`optimizer demo-sorting`: the sorting core alone on generated, real-sized data.

The whole product (`optimizer demo`) runs against the service and lives in `api.demo`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from optimizer.errors import InputError
from optimizer.sorting import run_sorting_demo


def register(commands: argparse._SubParsersAction, generators: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the parser."""
    demo = commands.add_parser(
        "demo-sorting",
        help="run the sorting core alone (no service) on generated data and print a report",
        description=(
            "Sorting: generate a 300-chute sorter, 600 destinations and an hour of scans "
            "(20,000 parcels), optimize a plan, simulate the shift against the naive plan, "
            "stream every scan through the real-time assigner."
        ),
    )
    demo.add_argument("--out", type=Path, default=Path("demo-out"), help="output directory")
    demo.add_argument("--time-limit", type=float, default=10.0, help="optimizer seconds")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--chutes", type=int, default=300, help="chutes (default 300)")
    demo.add_argument("--destinations", type=int, default=600, help="sort keys (default 600)")
    demo.add_argument("--rate", type=float, default=20_000.0, help="parcels/h (default 20000)")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    for flag, value in (("--time-limit", args.time_limit), ("--rate", args.rate)):
        if not value > 0:
            raise InputError("must be > 0", field=flag)
    started = time.perf_counter()
    print("== sorting ==", flush=True)
    report = run_sorting_demo(
        args.out,
        chutes=args.chutes,
        destinations=args.destinations,
        seed=args.seed,
        time_limit_s=args.time_limit,
        rate=args.rate,
    )
    for line in report.lines():
        print(line)
    print(f"files in {args.out}/ (layout, forecast, parcels, plans, simulation, decisions)")
    print(f"demo done in {time.perf_counter() - started:.1f} s")
    return 0
