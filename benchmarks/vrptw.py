"""Full VRPTW benchmark on the 56 Solomon instances: `make bench-vrptw`.

    python -m benchmarks.vrptw --time-limit 10 [--instances R101,RC101] [--resume]

For each instance it runs, in the same process and one after another, our
engine (the default portfolio), our OR-Tools path alone, plain OR-Tools
defaults, PyVRP on one core and PyVRP on two cores (two seeds, the better plan
kept: the same CPU as our portfolio), each with the same wall-clock budget;
checks every plan with our independent checker; and writes per-instance and
per-family tables.
Distances follow the DIMACS convention (each arc truncated to one decimal),
like the distance-only best-known solutions they are compared with.

Each run is appended to `.benchmarks/vrptw/runs-<limit>s.jsonl` as it ends;
`--resume` reuses those records, so an interrupted run continues where it
stopped. RESULTS.md is rewritten only when every instance has every engine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

from benchmarks.report import machine_line, update_section
from benchmarks.vrptw_data import best_known, instance_paths
from benchmarks.vrptw_references import solve_ortools_defaults, solve_pyvrp, solve_pyvrp_parallel
from benchmarks.vrptw_tables import ENGINES, render
from optimizer.routing.vrp import SolveOptions, read_solomon, solve
from optimizer.routing.vrp.check import check_plan, check_result
from optimizer.routing.vrp.scaling import choose_scaling, to_integers
from optimizer.settings import REPO_ROOT

RUNS_DIR = REPO_ROOT / ".benchmarks" / "vrptw"


def run_engine(engine: str, path: Path, time_limit: float, seed: int) -> dict:
    """One engine on one instance: vehicles, DIMACS distance, checker verdict, wall time."""
    problem = read_solomon(path, convention="dimacs")
    record: dict = {"instance": path.stem, "engine": engine, "time_limit": time_limit}
    started = time.perf_counter()
    if engine in ("ours", "ours-ortools"):
        options = SolveOptions(engine="auto" if engine == "ours" else "ortools")
        result = solve(problem, time_limit, seed, options=options)
        elapsed = time.perf_counter() - started
        report = check_result(problem, result)
        routes = [list(r.stop_ids) for r in result.routes]
        record.update(winner=result.engine, dropped=len(result.unserved))
    else:
        if engine == "ortools-defaults":
            run = solve_ortools_defaults(to_integers(problem, choose_scaling(problem)), time_limit)
        elif engine == "pyvrp-2":
            run = solve_pyvrp_parallel(path, time_limit, seed, processes=2)
        else:
            run = solve_pyvrp(path, time_limit, seed)
        elapsed = time.perf_counter() - started
        ids = [s.id for s in problem.stops]
        routes = [[ids[i] for i in route] for route in run.routes or []]
        report = check_plan(problem, {problem.vehicles[k].id: r for k, r in enumerate(routes)})
        record.update(dropped=run.dropped, note=run.note)
    record.update(
        vehicles=len(routes),
        distance=round(report.distance, 6),
        feasible=report.feasible and bool(routes),
        violations=list(report.violations[:3]),
        time_s=round(elapsed, 3),
        routes=routes,
    )
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vrptw", description=__doc__)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per engine run")
    parser.add_argument("--instances", help="comma-separated subset, e.g. R101,RC101")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="reuse runs already recorded")
    parser.add_argument("--write", action="store_true", help="update RESULTS.md even for a subset")
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    paths = instance_paths(args.instances.split(",") if args.instances else None)
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = RUNS_DIR / f"runs-{args.time_limit:g}s.jsonl"
    records: dict[tuple[str, str], dict] = {}
    if args.resume and log_path.exists():
        for line in log_path.read_text().splitlines():
            record = json.loads(line)
            records[(record["instance"], record["engine"])] = record
    elif log_path.exists():
        log_path.unlink()
    for path in paths:
        for engine in engines:
            if (path.stem, engine) in records:
                continue
            try:
                record = run_engine(engine, path, args.time_limit, args.seed)
            except Exception as exc:  # one broken run must not lose the others
                traceback.print_exc()
                record = {
                    "instance": path.stem,
                    "engine": engine,
                    "time_limit": args.time_limit,
                    "feasible": False,
                    "error": repr(exc),
                    "vehicles": 0,
                    "distance": float("nan"),
                    "time_s": float("nan"),
                    "routes": [],
                }
            records[(path.stem, engine)] = record
            with log_path.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
            print(
                f"{path.stem:6} {engine:17} veh {record['vehicles']:3} dist "
                f"{record['distance']:9.1f} feasible {record['feasible']} "
                f"{record['time_s']:.1f}s {record.get('winner', '')}",
                flush=True,
            )
    command = f"python -m benchmarks.vrptw --time-limit {args.time_limit:g}"
    if args.instances:
        command += f" --instances {args.instances}"
    if args.engines != ",".join(ENGINES):
        command += f" --engines {args.engines}"
    chosen = [records[(p.stem, e)] for p in paths for e in engines if (p.stem, e) in records]
    markdown = render(chosen, best_known(), engines, command, machine_line(), args.time_limit)
    print(markdown)
    complete = len(paths) == 56 and set(engines) == set(ENGINES)
    if complete or args.write:
        update_section("vrptw", markdown)
        print("benchmarks/RESULTS.md updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
