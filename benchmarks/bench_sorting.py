"""Sorting benchmarks: assignment latency, plan optimization gap, simulated shifts vs references.

`make test` runs them in fast mode (fewer rounds, one instance per case, loose asserts).
`make bench-sorting` runs the full mode and rewrites the `sorting` section of RESULTS.md:

    BENCH_MODE=full .venv/bin/python -m pytest -q benchmarks/bench_sorting.py

References are measured in the same run: the naive plan (volume-blind round-robin) and the
capacity-matching model of Zhang et al. (2025, arXiv 2510.03472).
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os

import pytest

from benchmarks.report import machine_line, update_section
from optimizer.sorting import (
    Assigner,
    GeneratedCase,
    PlanResult,
    ShiftReport,
    SortPlan,
    capacity_matching_plan,
    check_plan,
    generate_case,
    naive_plan,
    optimize_plan,
    simulate_shift,
    stream_scans,
)
from optimizer.sorting.assigner import DEFAULT_MAX_TRACKED

TIME_LIMIT_S = 10.0
LATENCY_TARGET_US = 10.0  # p99 per decision, in process
WORKERS = 2
SEED = 1
COMMAND = "make bench-sorting  (BENCH_MODE=full python -m pytest -q benchmarks/bench_sorting.py)"

_cases: dict[tuple[int, int, int], GeneratedCase] = {}
_plans: dict[tuple[int, int, int], PlanResult] = {}


def case(chutes: int, destinations: int, seed: int = SEED) -> GeneratedCase:
    key = (chutes, destinations, seed)
    if key not in _cases:
        _cases[key] = generate_case(chutes, destinations, seed)
    return _cases[key]


def optimized(chutes: int, destinations: int, seed: int = SEED) -> PlanResult:
    key = (chutes, destinations, seed)
    if key not in _plans:
        c = case(chutes, destinations, seed)
        _plans[key] = optimize_plan(
            c.layout, c.forecast, time_limit_s=TIME_LIMIT_S, seed=seed, workers=WORKERS
        )
    return _plans[key]


@pytest.fixture(scope="module")
def results(mode):
    """Collects every figure; in full mode writes them to RESULTS.md when the module ends."""
    collected: dict[str, object] = {}
    yield collected
    if mode == "full" and {"latency", "optimization", "shift_a", "shift_b"} <= set(collected):
        update_section("sorting", render(collected))


def test_plan_optimization(benchmark, mode, results):
    """Plan optimization time and proven gap, 300 chutes x 600 destinations (+ 300 x 200)."""
    seeds = (1, 2, 3) if mode == "full" else (1,)
    rows = []
    for seed in seeds:
        c = case(300, 600, seed)
        _plans.pop((300, 600, seed), None)
        if seed == SEED:  # the timed solve; the others are timed by the result itself
            benchmark.pedantic(optimized, args=(300, 600, seed), rounds=1, iterations=1)
        result = optimized(300, 600, seed)
        rows.append(("300 x 600", seed, result))
        assert check_plan(result.plan, c.layout, c.forecast).ok
    rows.append(("300 x 200", SEED, optimized(300, 200)))
    results["optimization"] = rows
    for _, _, result in rows:
        assert result.gap is not None
        assert result.gap < (0.02 if mode == "full" else 0.10)


def test_assignment_latency(benchmark, mode, results):
    """Per-decision latency in process and 20,000-scan stream throughput, 300 x 600."""
    c = case(300, 600)
    plan = optimized(300, 600).plan
    rounds = 5 if mode == "full" else 2
    latencies: list[int] = []
    for _ in range(rounds):
        latencies += stream_scans(Assigner(c.layout, plan), c.parcels, timed=True).latencies_ns
    latencies.sort()
    p50 = latencies[len(latencies) // 2] / 1000
    p99 = latencies[int(0.99 * len(latencies))] / 1000

    def run() -> None:
        stream_scans(Assigner(c.layout, plan), c.parcels)

    benchmark.pedantic(run, rounds=rounds, iterations=1)
    stream_s = benchmark.stats.stats.median
    results["latency"] = {
        "scans": len(c.parcels),
        "p50_us": p50,
        "p99_us": p99,
        "p999_us": latencies[int(0.999 * len(latencies))] / 1000,
        "stream_s": stream_s,
        "per_s": len(c.parcels) / stream_s,
        "gc": gc.isenabled(),
    }
    assert p99 < (20.0 if mode == "full" else 50.0)


def run_past_the_cap(c: GeneratedCase, plan: SortPlan, cap: int, passes: int) -> list[int]:
    """Latencies of `passes` x the scan stream (fresh parcel ids each pass) with `cap` records."""
    assigner = Assigner(c.layout, plan, max_tracked_parcels=cap)
    latencies: list[int] = []
    for k in range(passes):
        renamed = [dataclasses.replace(s, parcel_id=f"{s.parcel_id}-{k}") for s in c.parcels]
        latencies += stream_scans(assigner, renamed, timed=True).latencies_ns
    return latencies


def test_assignment_latency_past_the_tracking_cap(benchmark, mode, results):
    """Decisions after the idempotency records reached their cap (oldest evicted each time)."""
    c = case(300, 600)
    plan = optimized(300, 600).plan
    # full: the default cap of a million parcels, run to 1.3 million decisions
    cap = DEFAULT_MAX_TRACKED if mode == "full" else 20_000
    passes = math.ceil(1.3 * cap / len(c.parcels))
    latencies = benchmark.pedantic(
        run_past_the_cap, args=(c, plan, cap, passes), rounds=1, iterations=1
    )
    tail = sorted(latencies[cap:])  # every one of these evicted the oldest record
    results["eviction"] = {
        "cap": cap,
        "decisions": len(latencies),
        "p50_us": tail[len(tail) // 2] / 1000,
        "p99_us": tail[int(0.99 * len(tail))] / 1000,
    }
    assert results["eviction"]["p99_us"] < LATENCY_TARGET_US * (1 if mode == "full" else 2)


def shifts(c: GeneratedCase, plans: dict[str, SortPlan]) -> dict[str, ShiftReport]:
    return {
        name: simulate_shift(c.layout, plan, c.parcels, seed=SEED) for name, plan in plans.items()
    }


def test_shift_vs_references_300x200(benchmark, mode, results):
    """(a) 300 x 200: optimized vs naive vs capacity matching on the same simulated hour."""
    c = case(300, 200)
    zhang = capacity_matching_plan(
        c.layout, c.forecast, time_limit_s=TIME_LIMIT_S, seed=SEED, workers=WORKERS
    )
    plans = {
        "optimized": optimized(300, 200).plan,
        "naive": naive_plan(c.layout, c.forecast),
        "capacity matching": zhang.plan,
    }
    reports = benchmark.pedantic(shifts, args=(c, plans), rounds=1, iterations=1)
    results["shift_a"] = {"reports": reports, "zhang": zhang}
    best = reports["optimized"].recirculated_parcels
    assert best < reports["naive"].recirculated_parcels
    assert best < reports["capacity matching"].recirculated_parcels
    if mode == "full":
        assert best <= 0.4 * reports["naive"].recirculated_parcels


def test_shift_vs_naive_300x600(benchmark, mode, results):
    """(b) 300 x 600, low-volume destinations sharing chutes: optimized vs naive."""
    c = case(300, 600)
    plans = {"optimized": optimized(300, 600).plan, "naive": naive_plan(c.layout, c.forecast)}
    reports = benchmark.pedantic(shifts, args=(c, plans), rounds=1, iterations=1)
    results["shift_b"] = {"reports": reports}
    assert reports["optimized"].recirculated_parcels <= 0.4 * reports["naive"].recirculated_parcels


# ---------------------------------------------------------------- RESULTS.md


def _fewer(ours: int, theirs: int) -> str:
    if theirs == 0:
        return "n/a"
    return f"{1 - ours / theirs:.0%} fewer ({theirs / max(ours, 1):.0f}x)"


def _shift_table(reports: dict[str, ShiftReport]) -> list[str]:
    lines = [
        "| plan | parcels | needing a 2nd loop | rate | overflow events | extra loops "
        "| mean time in system | max chute utilisation |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in reports.items():
        lines.append(
            f"| {name} | {r.parcels} | {r.recirculated_parcels} | {r.recirculation_rate:.2%} "
            f"| {r.overflow_events} | {r.extra_loops} | {r.mean_time_in_system_s:.0f} s "
            f"| {r.utilisation_max:.0%} |"
        )
    return lines


def render(results: dict) -> str:
    lat = results["latency"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out = [
        f"Command: `{COMMAND}`",
        f"Machine: {machine_line()}; load average at the end of the run {load:.1f}.",
        "",
        "### Real-time assignment (300 chutes x 600 destinations, in process)",
        "",
        f"Every decision of {lat['scans']:,} generated scans (one hour at 20,000/h) timed with "
        "`perf_counter_ns` around `Assigner.assign`, garbage collector on, containers swapped "
        "as soon as they are full.",
        "",
        "| metric | value | target |",
        "|---|---:|---:|",
        f"| median per decision | {lat['p50_us']:.1f} µs | |",
        f"| p99 per decision | {lat['p99_us']:.1f} µs | < 10 µs |",
        f"| p99.9 per decision | {lat['p999_us']:.1f} µs | |",
        f"| stream of {lat['scans']:,} scans | {lat['stream_s'] * 1000:.0f} ms "
        f"({lat['per_s']:,.0f} decisions/s) | |",
        "",
        f"### Plan optimization (CP-SAT zone model, {WORKERS} workers, {TIME_LIMIT_S:g} s limit)",
        "",
        "Objective and bound in cost units per hour (see `PlanWeights`); gap = (objective - "
        "bound) / objective as proven by CP-SAT; the greedy warm start is the hint it starts from.",
        "",
        "| instance | seed | status | objective | bound | gap | solve time | time to 2 % gap "
        "| greedy warm start | mixed destinations |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, seed, r in results["optimization"]:
        to_gap = r.stats.get("time_to_gap_2pct_s")
        out.append(
            f"| {name} | {seed} | {r.status.value} | {r.objective:.1f} "
            f"| {'-' if r.bound is None else f'{r.bound:.1f}'} "
            f"| {'-' if r.gap is None else f'{r.gap:.2%}'} | {r.solve_time_s:.1f} s "
            f"| {'-' if to_gap is None else f'{to_gap:.1f} s'} | {r.warm_start_objective:.1f} "
            f"| {r.stats.get('mixed_destinations', 0):.0f} |"
        )
    a = results["shift_a"]["reports"]
    zhang = results["shift_a"]["zhang"]
    b = results["shift_b"]["reports"]
    ours_a, ours_b = a["optimized"].recirculated_parcels, b["optimized"].recirculated_parcels
    out += [
        "",
        "### Simulated shift: recirculation and overflow against references",
        "",
        "One hour of the same generated scans (20,000 parcels/h, Poisson) for every plan; "
        "containers swapped on a 30-minute round, or when full after a 120 s operator response; "
        "a parcel with no open chute goes round the loop again (at most 3 times).",
        "",
        "**(a) 300 chutes x 200 destinations** (capacity matching solved "
        f"{zhang.status.value}, {zhang.solve_time_s:.2f} s)",
        "",
        *_shift_table(a),
        "",
        f"Optimized vs naive: {_fewer(ours_a, a['naive'].recirculated_parcels)} parcels needing a "
        f"second loop; vs capacity matching: "
        f"{_fewer(ours_a, a['capacity matching'].recirculated_parcels)}.",
        "",
        "**(b) 300 chutes x 600 destinations** (low-volume destinations share chutes)",
        "",
        *_shift_table(b),
        "",
        f"Optimized vs naive: {_fewer(ours_b, b['naive'].recirculated_parcels)} parcels needing a "
        "second loop (target: at least 60 % fewer, as published deployments report).",
    ]
    return "\n".join(out)
