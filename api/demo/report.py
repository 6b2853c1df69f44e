"""The demo's closing summary, a few lines per area."""

from __future__ import annotations

from api.demo.run import DemoReport
from api.demo.sorting import SortingReport


def summary_lines(report: DemoReport) -> list[str]:
    routing, tracking = report.routing, report.tracking
    kpis = routing.kpis
    lines = ["== summary ==", *_sorting_lines(report.sorting)]
    lines += [
        f"routing: {routing.shipments:,} shipments on {routing.lanes} lanes "
        f"({routing.countries} countries); plan {routing.plan_id} {routing.solver_status} "
        f"in {routing.solve_seconds:.1f} s",
        f"  cost {kpis['cost']} {routing.currency} (freight {kpis['freight_cost']}, "
        f"risk {kpis['risk_cost']}, late penalties {kpis['late_penalty']})",
        f"  on time {kpis['on_time_rate']:.1%} ({kpis['on_time']:,}), late {kpis['late']:,}, "
        f"unserved {kpis['unserved']:,}, unroutable {kpis['unroutable']:,}; "
        f"{routing.tracked:,} handed to tracking",
        f"what-if '{routing.scenario_name}':",
    ]
    for delta in routing.scenario_deltas:
        unit = routing.currency if delta["unit"] == "money" else delta["unit"]
        lines.append(
            f"  {delta['name']:<22} {_value(delta['baseline'], unit):>12} -> "
            f"{_value(delta['scenario'], unit):>12}  ({_delta(delta['delta'], unit)})"
        )
    lines += [
        f"tracking: carrier {tracking.carrier} sees {tracking.carrier_legs} legs; a departure on "
        f"time keeps {tracking.on_time_shipment} due {tracking.on_time_eta}; its event on another "
        f"carrier's leg -> HTTP {tracking.foreign_event_status or 'n/a'}",
        f"  exception: {tracking.exception_shipment} {tracking.exception}: ETA "
        f"{tracking.eta_before} -> {tracking.eta_after}, "
        f"{'re-planned' if tracking.replanned else 'not re-planned'}, now {tracking.status_after}",
        "  legs before: " + " | ".join(tracking.legs_before),
        "  legs after:  " + " | ".join(tracking.legs_after),
        f"database: {report.database}",
        f"development key ({'issued now' if report.key.issued_now else 'kept'}): "
        f"{report.key.secret}",
        f"demo done in {report.seconds:.1f} s; `make serve` serves the same data",
    ]
    return lines


def _sorting_lines(sorting: SortingReport) -> list[str]:
    solve = sorting.solve
    gap = "n/a" if solve.get("gap") is None else f"{solve['gap']:.2%}"
    reasons = ", ".join(f"{k} {v:,}" for k, v in sorting.reasons.most_common())
    events = ", ".join(f"{k} {v}" for k, v in sorted(sorting.chute_events.items()))
    rate = sorting.parcels / sorting.wall_s if sorting.wall_s else 0.0
    return [
        f"sorting: sorter {sorting.sorter_id}, {sorting.chutes} chutes, {sorting.destinations} "
        f"destinations; plan v{sorting.plan_version} {solve.get('status', '?')} (gap {gap}, "
        f"{solve.get('solve_time_s', 0):.1f} s), checker {'ok' if sorting.check_ok else 'FAILED'}, "
        f"highest expected fill {sorting.max_fill:.0%}",
        f"  {sorting.parcels:,} parcels, one POST each: p50 {sorting.percentile_ms(50):.2f} ms, "
        f"p99 {sorting.percentile_ms(99):.2f} ms per request in process ({rate:,.0f}/s)",
        f"  recirculated {sorting.reasons['recirculate']:,} ({sorting.recirculation_rate:.2%}); "
        f"{reasons}",
        f"  chute events: {events}; {sorting.manifests} containers closed into manifests "
        f"({sorting.manifest_parcels:,} parcels); carrier {sorting.carrier or '-'} lists "
        f"{sorting.carrier_manifests} of them with its own key",
    ]


def _value(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value:.1%}"
    return f"{value:,.0f}" if unit == "count" else _num(value)


def _num(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def _delta(value: float, unit: str) -> str:
    """`unit` is "ratio", "count", "days" or a currency code."""
    sign = "+" if value > 0 else ""
    if unit == "ratio":
        return f"{sign}{value * 100:.1f} points"
    return f"{sign}{_value(value, unit)} {unit}"
