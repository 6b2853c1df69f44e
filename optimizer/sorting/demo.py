"""The sorting job end to end on generated, real-sized data; the `optimizer demo` core.

Kept free of printing so that later demos (the API) can call it and show its report.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import OptimizerError
from optimizer.sorting.alternates import with_alternates
from optimizer.sorting.assigner import Assigner
from optimizer.sorting.baselines import naive_plan
from optimizer.sorting.check import CheckReport, check_plan
from optimizer.sorting.generator import CaseFiles, generate_case, write_case
from optimizer.sorting.jsonio import save_plan, write_json
from optimizer.sorting.optimize import PlanResult, optimize_plan
from optimizer.sorting.simulator import ShiftReport, simulate_shift
from optimizer.sorting.stream import StreamResult, stream_scans
from optimizer.sorting.volumes import chute_loads


@dataclass(frozen=True)
class SortingDemoReport:
    files: CaseFiles
    plan_file: Path
    naive_plan_file: Path
    chutes: int
    destinations: int
    parcels: int
    generate_s: float
    result: PlanResult
    check: CheckReport
    optimized: ShiftReport
    naive: ShiftReport
    stream: StreamResult

    def reason_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self.stream.decisions:
            counts[d.reason.value] = counts.get(d.reason.value, 0) + 1
        return counts

    @staticmethod
    def _shift_line(name: str, shift: ShiftReport) -> str:
        return (
            f"shift, {name + ':':<10} recirculated {shift.recirculated_parcels} "
            f"({shift.recirculation_rate:.2%}), overflow events {shift.overflow_events}, "
            f"highest chute load {shift.utilisation_max:.0%} of its scheduled capacity"
        )

    def lines(self) -> list[str]:
        r, s = self.result, self.stream
        gap = "n/a" if r.gap is None else f"{r.gap:.2%}"
        bound = "n/a" if r.bound is None else f"{r.bound:.1f}"
        fewer = 1.0 - self.optimized.recirculated_parcels / max(1, self.naive.recirculated_parcels)
        reasons = ", ".join(
            f"{k} {v}" for k, v in sorted(self.reason_counts().items(), key=lambda kv: -kv[1])
        )
        return [
            f"case: {self.chutes} chutes, {self.destinations} destinations, {self.parcels} parcels "
            f"(1 h at {self.parcels}/h), generated in {self.generate_s:.1f} s, written to "
            f"{self.files.layout.parent}",
            f"plan: {r.status.value}, objective {r.objective:.1f}, bound {bound}, gap {gap}, "
            f"{r.solve_time_s:.1f} s (limit {r.time_limit_s:g} s, {r.workers} workers); "
            f"checker: {'ok' if self.check.ok else f'{len(self.check.problems)} problems'}, "
            f"highest expected fill {self.check.max_fill:.0%}; "
            f"{self.plan_file.name}, naive reference {self.naive_plan_file.name}",
            self._shift_line("optimized", self.optimized),
            self._shift_line("naive", self.naive),
            f"  -> {abs(fewer):.0%} {'fewer' if fewer >= 0 else 'more'} parcels needing a second "
            f"loop than the naive plan (both with alternate chutes), overflow events "
            f"{self.optimized.overflow_events} against {self.naive.overflow_events}",
            f"assignment: {len(s.decisions)} decisions, p50 {s.percentile_us(0.5):.1f} us, "
            f"p99 {s.percentile_us(0.99):.1f} us, {s.throughput_per_s:,.0f} decisions/s",
            f"reasons: {reasons}",
        ]


def run_sorting_demo(
    out_dir: str | Path,
    *,
    chutes: int = 300,
    destinations: int = 600,
    seed: int = 1,
    time_limit_s: float = 10.0,
    workers: int = 2,
    rate: float = 20_000.0,
) -> SortingDemoReport:
    """Generate a case, optimize a plan, simulate it against the naive plan, stream the scans."""
    out = Path(out_dir)
    started = time.perf_counter()
    case = generate_case(chutes, destinations, seed, rate)
    files = write_case(case, out)
    generate_s = time.perf_counter() - started

    result = optimize_plan(
        case.layout, case.forecast, time_limit_s=time_limit_s, seed=seed, workers=workers
    )
    if result.plan is None:
        raise OptimizerError(f"no plan found within {time_limit_s:g} s; raise the time limit")
    plan_file = out / "plan.json"
    save_plan(result.plan, plan_file, chute_loads(result.plan, case.layout, case.forecast))
    # the reference gets alternate chutes as the optimized plan does: a like-for-like shift
    naive = with_alternates(naive_plan(case.layout, case.forecast), case.layout, case.forecast)
    naive_file = out / "plan-naive.json"
    save_plan(naive, naive_file, chute_loads(naive, case.layout, case.forecast))
    check = check_plan(result.plan, case.layout, case.forecast)

    optimized_shift = simulate_shift(case.layout, result.plan, case.parcels, seed=seed)
    naive_shift = simulate_shift(case.layout, naive, case.parcels, seed=seed)
    write_json(
        {"optimized": optimized_shift.to_dict(), "naive": naive_shift.to_dict()},
        out / "simulation.json",
    )

    stream = stream_scans(Assigner(case.layout, result.plan), case.parcels, timed=True)
    with open(out / "decisions.jsonl", "w", encoding="utf-8") as handle:
        for d in stream.decisions:
            handle.write(json.dumps(d.to_dict(), separators=(",", ":")) + "\n")
    return SortingDemoReport(
        files,
        plan_file,
        naive_file,
        chutes,
        destinations,
        len(case.parcels),
        generate_s,
        result,
        check,
        optimized_shift,
        naive_shift,
        stream,
    )
