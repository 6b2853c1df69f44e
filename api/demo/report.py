"""The demo's closing summary, a few lines per area."""

from __future__ import annotations

from typing import Any

from api.demo.run import DemoReport


def summary_lines(report: DemoReport) -> list[str]:
    routing, tracking = report.routing, report.tracking
    kpis = routing.kpis
    lines = [
        "== summary ==",
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
        lines.append(
            f"  {delta['name']:<22} {_value(delta['baseline'], delta['unit']):>12} -> "
            f"{_value(delta['scenario'], delta['unit']):>12}  ({_delta(delta)})"
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


def _value(value: float, unit: str) -> str:
    return f"{value:.1%}" if unit == "ratio" else _num(value)


def _num(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def _delta(delta: dict[str, Any]) -> str:
    value, unit = delta["delta"], delta["unit"]
    sign = "+" if value > 0 else ""
    if unit == "ratio":
        return f"{sign}{value * 100:.1f} points"
    return f"{sign}{_num(value)} {unit}"
