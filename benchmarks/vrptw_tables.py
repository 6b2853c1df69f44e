"""Markdown tables for the VRPTW benchmark: summary, per family, per instance."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from benchmarks.vrptw_data import FAMILIES, BestKnown, family

ENGINES = ("ours", "ours-ortools", "ortools-defaults", "pyvrp", "pyvrp-2")
LABELS = {
    "ours": "ours (portfolio)",
    "ours-ortools": "ours, OR-Tools path only",
    "ortools-defaults": "plain OR-Tools defaults",
    "pyvrp": "PyVRP 0.14.1",
    "pyvrp-2": "PyVRP 0.14.1, 2 seeds",
}
CORES = {
    "ours": "2 processes: PyVRP, and OR-Tools then PyVRP",
    "ours-ortools": "2 processes: two OR-Tools constructions",
    "ortools-defaults": "1",
    "pyvrp": "1",
    "pyvrp-2": "2 processes: two seeds, the better plan kept",
}
AT_BKS = 0.005  # percent: the DIMACS distances have one decimal


def gap(record: Mapping, bks: Mapping[str, BestKnown]) -> float | None:
    """Percent above the best-known distance; None unless the plan is complete and feasible."""
    known = bks.get(record["instance"])
    if known is None or not record.get("feasible") or record.get("dropped"):
        return None
    return 100.0 * (round(record["distance"], 1) - known.distance) / known.distance


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def _cell(record: Mapping | None, bks: Mapping[str, BestKnown]) -> str:
    if record is None:
        return "–"
    if "error" in record:
        return "error"
    value = gap(record, bks)
    if value is None:
        dropped = record.get("dropped", 0)
        state = f"{dropped} dropped" if dropped else "infeasible"
        return (
            f"{record['vehicles']} · {record['distance']:.1f} · {state} · {record['time_s']:.1f}s"
        )
    return (
        f"{record['vehicles']} · {record['distance']:.1f} · {value:+.2f}% · {record['time_s']:.1f}s"
    )


def render(
    records: Sequence[Mapping],
    bks: Mapping[str, BestKnown],
    engines: Sequence[str],
    command: str,
    machine: str,
    time_limit: float,
) -> str:
    by_key = {(r["instance"], r["engine"]): r for r in records}
    instances = sorted({r["instance"] for r in records}, key=lambda n: (family(n), n))
    lines = [
        f"Command: `{command}` (`make bench-vrptw` runs all 56 instances at 10 s).",
        f"Machine: {machine}. Every engine gets the same wall-clock budget of "
        f"{time_limit:g} s per instance, run one after another in one process.",
        "",
        "Distances use the DIMACS convention (each arc truncated to one decimal, also for "
        "travel times) and the gap is to the distance-only best-known solutions "
        "(`solomon_bks_distance_only.csv`). Vehicles are compared with `solomon_bks.csv`, whose "
        "objective minimises vehicles first: a distance-only plan often needs more vehicles. "
        "Every plan is verified by our independent checker (`optimizer/routing/vrp/check.py`).",
        "",
        "| engine | cores | feasible plans | mean gap | median gap | worst gap | at BKS "
        "| vehicles (BKS) | mean time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    bks_vehicles = sum(bks[n].vehicles for n in instances if n in bks)
    for engine in engines:
        rows = [by_key[(n, engine)] for n in instances if (n, engine) in by_key]
        gaps = [g for g in (gap(r, bks) for r in rows) if g is not None]
        vehicles = sum(r["vehicles"] for r in rows)
        times = [r["time_s"] for r in rows if not math.isnan(r.get("time_s", math.nan))]
        at_bks = sum(1 for g in gaps if g <= AT_BKS)
        lines.append(
            f"| {LABELS[engine]} | {CORES[engine]} | {len(gaps)}/{len(rows)} | "
            f"{_mean(gaps):.2f}% | {statistics.median(gaps) if gaps else math.nan:.2f}% | "
            f"{max(gaps, default=math.nan):.2f}% | {at_bks} | {vehicles} ({bks_vehicles}) | "
            f"{_mean(times):.1f} s |"
        )
    if "ours" in engines:
        winners = [by_key[(n, "ours")].get("winner") for n in instances if (n, "ours") in by_key]
        counts = {w: winners.count(w) for w in sorted({w for w in winners if w})}
        shown = ", ".join(f"{w}: {c}" for w, c in counts.items())
        lines += ["", f"Plan kept by our portfolio, by engine: {shown}."]

    lines += ["", "### Per family (means)", ""]
    header = "| family | n | BKS vehicles |" + "".join(
        f" {LABELS[e]}: veh · gap · time |" for e in engines
    )
    lines += [header, "|---|---|---|" + "---|" * len(engines)]
    for fam in FAMILIES:
        members = [n for n in instances if family(n) == fam]
        if not members:
            continue
        known_vehicles = _mean([bks[n].vehicles for n in members if n in bks])
        row = f"| {fam} | {len(members)} | {known_vehicles:.1f} |"
        for engine in engines:
            rows = [by_key[(n, engine)] for n in members if (n, engine) in by_key]
            gaps = [g for g in (gap(r, bks) for r in rows) if g is not None]
            incomplete = len(rows) - len(gaps)
            note = f" ({incomplete} incomplete)" if incomplete else ""
            row += (
                f" {_mean([r['vehicles'] for r in rows]):.1f} · {_mean(gaps):.2f}%{note} · "
                f"{_mean([r['time_s'] for r in rows]):.1f}s |"
            )
        lines.append(row)

    lines += [
        "",
        "### Per instance",
        "",
        "Each cell: vehicles · DIMACS distance · gap to BKS · wall time.",
        "",
        "| instance | BKS distance | BKS vehicles |" + "".join(f" {LABELS[e]} |" for e in engines),
        "|---|---|---|" + "---|" * len(engines),
    ]
    for name in instances:
        known = bks.get(name)
        row = (
            f"| {name} | {known.distance:.1f} | {known.vehicles} |"
            if known
            else f"| {name} | ? | ? |"
        )
        row += "".join(f" {_cell(by_key.get((name, e)), bks)} |" for e in engines)
        lines.append(row)
    return "\n".join(lines) + "\n"
