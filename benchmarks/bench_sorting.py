"""Sorting benchmarks: assignment latency, plan optimization gap, simulated shifts vs references.

`make test` runs them in fast mode (fewer rounds and instances, looser latency asserts).
`make bench-sorting` runs the full mode and rewrites the `sorting` section of RESULTS.md:

    BENCH_MODE=full .venv/bin/python -m pytest -q benchmarks/bench_sorting.py

References are measured in the same run, each with and without alternate chutes: the naive
plan (volume-blind round-robin), a volume-proportional heuristic, and the capacity-matching
model of Zhang et al. (2025, arXiv 2510.03472).
"""

from __future__ import annotations

import dataclasses
import gc
import heapq
import math
import os
from collections import Counter

import pytest

from benchmarks.report import machine_line, update_section
from optimizer.sorting import (
    Assigner,
    CheckReport,
    GeneratedCase,
    PlanResult,
    ShiftReport,
    SortPlan,
    capacity_matching_plan,
    check_plan,
    generate_case,
    naive_plan,
    optimize_plan,
    proportional_plan,
    simulate_shift,
    stream_scans,
    with_alternates,
    without_alternates,
)
from optimizer.sorting.assigner import DEFAULT_MAX_TRACKED

TIME_LIMIT_S = 10.0
WORKERS = 2
SEED = 1
LATENCY_TARGET_US = 10.0  # p99 per decision, in process (issue 2)
FAST_LATENCY_SLACK = 2.0  # fast mode runs inside `make test`, often next to other work
COMMAND = "make bench-sorting  (BENCH_MODE=full python -m pytest -q benchmarks/bench_sorting.py)"
ZONE_MODEL = (
    "the zone model: a destination's chutes lie in one zone (a distance band x a container "
    "size); only the smallest destinations of a hand-over share chutes, all of one container "
    "size; travel counted at zone-average distance; restricted and special streams split "
    "evenly over their chutes; weight through the zone's kg-per-parcel-slot ratio and each "
    "destination's mean parcel weight"
)

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


def percentile_us(ordered: list[int], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def latency_limit(mode: str) -> float:
    return LATENCY_TARGET_US * (1.0 if mode == "full" else FAST_LATENCY_SLACK)


@pytest.fixture(scope="module")
def results(mode):
    """Collects every figure; in full mode writes them to RESULTS.md when the module ends."""
    collected: dict[str, object] = {}
    yield collected
    needed = {"latency", "events", "eviction", "optimization", "shift_a", "shift_b"}
    if mode == "full" and needed <= set(collected):
        update_section("sorting", render(collected))


# ---------------------------------------------------------------- plan optimization


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


# ---------------------------------------------------------------- real-time assignment


def test_assignment_latency(benchmark, mode, results):
    """Per-decision latency in process and 20,000-scan stream throughput, 300 x 600."""
    c = case(300, 600)
    plan = optimized(300, 600).plan
    rounds = 5 if mode == "full" else 2
    latencies: list[int] = []
    for _ in range(rounds):
        latencies += stream_scans(Assigner(c.layout, plan), c.parcels, timed=True).latencies_ns
    latencies.sort()

    def run() -> None:
        stream_scans(Assigner(c.layout, plan), c.parcels)

    benchmark.pedantic(run, rounds=rounds, iterations=1)
    stream_s = benchmark.stats.stats.median
    results["latency"] = {
        "scans": len(c.parcels),
        "p50_us": percentile_us(latencies, 0.5),
        "p99_us": percentile_us(latencies, 0.99),
        "p999_us": percentile_us(latencies, 0.999),
        "stream_s": stream_s,
        "per_s": len(c.parcels) / stream_s,
        "gc": gc.isenabled(),
    }
    assert results["latency"]["p99_us"] < latency_limit(mode)


_SCAN, _CLOSE, _DISABLE, _ENABLE = 0, 1, 2, 3


def run_with_chute_events(
    c: GeneratedCase, plan: SortPlan, out_of_service: tuple[str, ...]
) -> tuple[list[int], Counter[str]]:
    """The stream as a busy shift brings it, with every decision timed.

    Nobody swaps a container until it is full, and then only `full_response_s` later (so
    chutes stay closed and parcels go to alternates or round the loop); `out_of_service`
    chutes are disabled from minute 10 to minute 25; every parcel told to recirculate is
    scanned again one loop later with the next scan number.
    """
    layout = c.layout
    assigner = Assigner(layout, plan)
    ids = [ch.id for ch in layout.chutes]
    events: list[tuple[float, int, int, object]] = []
    for k, s in enumerate(c.parcels):
        events.append((s.arrival_s or 0.0, k, _SCAN, (s, 1)))
    for n, chute in enumerate(out_of_service):
        events.append((600.0, -1 - n, _DISABLE, chute))
        events.append((1500.0, -1 - n, _ENABLE, chute))
    heapq.heapify(events)
    order = len(c.parcels)
    latencies: list[int] = []
    reasons: Counter[str] = Counter()
    clock = __import__("time").perf_counter_ns
    assign = assigner.assign
    while events:
        t, _, kind, payload = heapq.heappop(events)
        if kind == _SCAN:
            s, scan = payload  # type: ignore[misc]
            t0 = clock()
            decision = assign(
                s.parcel_id,
                s.destination,
                s.weight_g,
                s.length_mm,
                s.width_mm,
                s.height_mm,
                s.category.value,
                scan,
            )
            latencies.append(clock() - t0)
            reasons[decision.reason.value] += 1
            if decision.chute_id is None:
                order += 1
                heapq.heappush(events, (t + layout.loop_time_s, order, _SCAN, (s, scan + 1)))
            for i in assigner.newly_full:
                order += 1
                heapq.heappush(events, (t + layout.full_response_s, order, _CLOSE, ids[i]))
            assigner.newly_full.clear()
        elif kind == _CLOSE:
            assigner.chute_event(payload, "container_closed")  # type: ignore[arg-type]
        elif kind == _DISABLE:
            assigner.chute_event(payload, "disabled")  # type: ignore[arg-type]
        else:
            assigner.chute_event(payload, "enabled")  # type: ignore[arg-type]
    return latencies, reasons


def test_assignment_latency_with_chute_events(benchmark, mode, results):
    """Latency when chutes fill up, wait for an operator and go out of service: every path."""
    c = case(300, 600)
    plan = optimized(300, 600).plan
    heaviest = max(plan.assignments, key=lambda a: len(a.chutes))
    out_of_service = (*heaviest.chute_ids, *heaviest.alternates)
    rounds = 3 if mode == "full" else 1
    latencies: list[int] = []
    reasons: Counter[str] = Counter()
    for _ in range(rounds):
        more, reasons = run_with_chute_events(c, plan, out_of_service)
        latencies += more
    benchmark.pedantic(
        run_with_chute_events, args=(c, plan, out_of_service), rounds=1, iterations=1
    )
    latencies.sort()
    results["events"] = {
        "decisions": len(latencies) // rounds,
        "reasons": dict(reasons.most_common()),
        "out_of_service": len(out_of_service),
        "p50_us": percentile_us(latencies, 0.5),
        "p99_us": percentile_us(latencies, 0.99),
        "p999_us": percentile_us(latencies, 0.999),
    }
    assert {"planned", "alternate", "recirculate"} <= set(reasons)
    assert results["events"]["p99_us"] < latency_limit(mode)


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
        "p50_us": percentile_us(tail, 0.5),
        "p99_us": percentile_us(tail, 0.99),
    }
    assert results["eviction"]["p99_us"] < latency_limit(mode)


# ---------------------------------------------------------------- simulated shifts


@dataclasses.dataclass(frozen=True)
class PlanRun:
    name: str
    alternates: bool
    shift: ShiftReport
    check: CheckReport


def compare(c: GeneratedCase, plans: dict[str, SortPlan]) -> list[PlanRun]:
    """Every plan with and without alternates, on the same hour of scans."""
    runs = []
    for name, plan in plans.items():
        for alternates in (True, False):
            variant = (
                with_alternates(plan, c.layout, c.forecast)
                if alternates and name != "optimized"
                else plan
                if alternates
                else without_alternates(plan)
            )
            runs.append(
                PlanRun(
                    name,
                    alternates,
                    simulate_shift(c.layout, variant, c.parcels, seed=SEED),
                    check_plan(variant, c.layout, c.forecast),
                )
            )
    return runs


def pick(runs: list[PlanRun], name: str, alternates: bool = True) -> PlanRun:
    return next(r for r in runs if r.name == name and r.alternates == alternates)


def assert_optimized_leads(runs: list[PlanRun]) -> None:
    for alternates in (True, False):
        ours = pick(runs, "optimized", alternates)
        assert ours.check.ok
        naive = pick(runs, "naive", alternates)
        assert ours.shift.recirculated_parcels <= 0.4 * naive.shift.recirculated_parcels
        for other in runs:
            if other.alternates == alternates:
                assert ours.shift.overflow_events <= other.shift.overflow_events


def test_shift_vs_references_300x200(benchmark, mode, results):
    """(a) 300 x 200: optimized vs naive, proportional and capacity matching, same hour."""
    c = case(300, 200)
    zhang = capacity_matching_plan(
        c.layout, c.forecast, time_limit_s=TIME_LIMIT_S, seed=SEED, workers=WORKERS
    )
    plans = {
        "optimized": optimized(300, 200).plan,
        "naive": naive_plan(c.layout, c.forecast),
        "proportional": proportional_plan(c.layout, c.forecast),
        "capacity matching": zhang.plan,
    }
    runs = benchmark.pedantic(compare, args=(c, plans), rounds=1, iterations=1)
    results["shift_a"] = {"runs": runs, "zhang": zhang}
    assert_optimized_leads(runs)


def test_shift_vs_references_300x600(benchmark, mode, results):
    """(b) 300 x 600, low-volume destinations sharing chutes: vs naive and proportional."""
    c = case(300, 600)
    plans = {
        "optimized": optimized(300, 600).plan,
        "naive": naive_plan(c.layout, c.forecast),
        "proportional": proportional_plan(c.layout, c.forecast),
    }
    runs = benchmark.pedantic(compare, args=(c, plans), rounds=1, iterations=1)
    results["shift_b"] = {"runs": runs}
    assert_optimized_leads(runs)


# ---------------------------------------------------------------- RESULTS.md


def _fewer(ours: int, theirs: int) -> str:
    if theirs == 0:
        return "n/a"
    return f"{1 - ours / theirs:.0%} fewer"


def _shift_table(runs: list[PlanRun]) -> list[str]:
    lines = [
        "| plan | alternates | needing a 2nd loop | rate | overflow events | extra loops "
        "| mean time in system | highest chute load / scheduled capacity "
        "| checker: highest expected fill |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        s = r.shift
        verdict = "ok" if r.check.ok else f"{len(r.check.problems)} problems"
        lines.append(
            f"| {r.name} | {'yes' if r.alternates else 'no'} | {s.recirculated_parcels} "
            f"| {s.recirculation_rate:.2%} | {s.overflow_events} | {s.extra_loops} "
            f"| {s.mean_time_in_system_s:.0f} s | {s.utilisation_max:.0%} "
            f"| {r.check.max_fill:.0%} ({verdict}) |"
        )
    return lines


def _versus(runs: list[PlanRun]) -> str:
    parts = []
    for alternates in (True, False):
        ours = pick(runs, "optimized", alternates).shift.recirculated_parcels
        others = ", ".join(
            f"{r.name} {_fewer(ours, r.shift.recirculated_parcels)}"
            for r in runs
            if r.name != "optimized" and r.alternates == alternates
        )
        parts.append(f"{'with' if alternates else 'without'} alternates: {others}")
    return "Parcels needing a second loop, optimized against: " + "; ".join(parts) + "."


def render(results: dict) -> str:
    lat, ev, cap = results["latency"], results["events"], results["eviction"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    reasons = ", ".join(f"{k} {v:,}" for k, v in ev["reasons"].items())
    out = [
        f"Command: `{COMMAND}`",
        f"Machine: {machine_line()}; load average at the end of the run {load:.1f}.",
        "",
        "### Real-time assignment (300 chutes x 600 destinations, in process)",
        "",
        "Every decision timed with `perf_counter_ns` around `Assigner.assign`, garbage "
        "collector on. Target: p99 under 10 µs per decision.",
        "",
        "| stream | decisions | median | p99 | p99.9 |",
        "|---|---:|---:|---:|---:|",
        f"| generated hour, containers swapped as soon as full | {lat['scans']:,} "
        f"| {lat['p50_us']:.1f} µs | {lat['p99_us']:.1f} µs | {lat['p999_us']:.1f} µs |",
        f"| same hour with chute events (below) | {ev['decisions']:,} | {ev['p50_us']:.1f} µs "
        f"| {ev['p99_us']:.1f} µs | {ev['p999_us']:.1f} µs |",
        f"| past the idempotency cap ({cap['cap']:,} parcels, each decision evicts the oldest)"
        f" | {cap['decisions'] - cap['cap']:,} | {cap['p50_us']:.1f} µs | {cap['p99_us']:.1f} µs "
        "| |",
        "",
        f"Stream throughput: {lat['scans']:,} scans in {lat['stream_s'] * 1000:.0f} ms "
        f"({lat['per_s']:,.0f} decisions/s). With chute events: a full container is swapped "
        "only when an operator gets there (120 s later), the "
        f"{ev['out_of_service']} chutes and alternates of the largest destination are out of "
        "service from minute 10 to 25, and every recirculated parcel is scanned again one loop "
        f"later; decisions by reason: {reasons}.",
        "",
        f"### Plan optimization (CP-SAT zone model, {WORKERS} workers, {TIME_LIMIT_S:g} s limit)",
        "",
        "Objective and bound in cost units per hour (see `PlanWeights`). The gap, and "
        "'optimal', are proven for " + ZONE_MODEL + "; a plan outside these restrictions "
        "could cost less, and no bound is claimed for it. Placement turns the zone solution "
        "into concrete chutes at the same cost. The warm start is the better of the greedy "
        "and the capacity-class models (one band, then two) spread over the bands.",
        "",
        "| instance | seed | status (zone model) | objective | bound | gap (zone model) "
        "| solve time | time to 2 % gap | warm start | destinations sharing a chute |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, seed, r in results["optimization"]:
        to_gap = r.stats.get("time_to_gap_2pct_s")
        warm = "-" if r.warm_start_objective is None else f"{r.warm_start_objective:.1f}"
        out.append(
            f"| {name} | {seed} | {r.status.value} | {r.objective:.1f} "
            f"| {'-' if r.bound is None else f'{r.bound:.1f}'} "
            f"| {'-' if r.gap is None else f'{r.gap:.2%}'} | {r.solve_time_s:.1f} s "
            f"| {'-' if to_gap is None else f'{to_gap:.1f} s'} | {warm} "
            f"| {r.stats.get('mixed_destinations', 0):.0f} |"
        )
    a, zhang, b = results["shift_a"]["runs"], results["shift_a"]["zhang"], results["shift_b"]
    out += [
        "",
        "### Simulated shift: recirculation and overflow against references",
        "",
        "One hour of the same generated scans (20,000 parcels/h) for every plan, each plan with "
        "and without alternate chutes (up to two chutes of the same hand-over, least loaded "
        "first, used only when all of a destination's own chutes are closed; the optimizer "
        "gives them, the references get them from `with_alternates`). Containers are swapped "
        "on a 30-minute round, or when full after a 120 s operator response (an overflow "
        "event); a parcel with no open chute goes round the loop again (at most 3 times). "
        "References: `naive` (chutes per hand-over by its number of destinations, dealt "
        "round-robin: volume-blind), `proportional` (chutes in proportion to volume, small "
        "destinations of a hand-over sharing chutes up to 60 %, heaviest nearest: "
        "container-size blind), `capacity matching` (Zhang et al. 2025: one destination per "
        "chute, counts matching capacity to volume). Chute load is parcels received over "
        "container capacity x scheduled swaps (above 100 %: extra swaps were needed); the "
        "checker's expected fill is per swap interval, from the forecast.",
        "",
        "**(a) 300 chutes x 200 destinations** (capacity matching solved "
        f"{zhang.status.value}, {zhang.solve_time_s:.2f} s)",
        "",
        *_shift_table(a),
        "",
        _versus(a),
        "",
        "**(b) 300 chutes x 600 destinations** (low-volume destinations must share chutes; "
        "capacity matching needs a chute per destination and has no answer)",
        "",
        *_shift_table(b["runs"]),
        "",
        _versus(b["runs"])
        + " Target: at least 60 % fewer than the naive plan, as published deployments report.",
    ]
    return "\n".join(out)
