"""The sort centre's hour: a layout, a plan job, activation, and every parcel asked for a chute.

The WCS side is emulated the way a floor runs: a container that reaches its capacity is
swapped by an operator `full_response_s` later and closed `swap_duration_s` after that
(its manifest goes to the carrier), and one busy chute jams for ten minutes.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from api.demo.client import DemoClient, Say
from optimizer.sorting import forecast_to_dict, generate_case, layout_to_dict, scan_to_dict
from optimizer.sorting.layout import SorterLayout

JAM = (1200.0, 1800.0)  # seconds into the hour: the busiest chute is disabled, then enabled


@dataclass
class SortingReport:
    sorter_id: str
    chutes: int
    destinations: int
    parcels: int = 0
    plan_version: int = 0
    solve: dict[str, Any] = field(default_factory=dict)
    check_ok: bool = False
    max_fill: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)
    latencies_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    wall_s: float = 0.0
    chute_events: Counter[str] = field(default_factory=Counter)
    manifests: int = 0
    manifest_parcels: int = 0
    carrier: str = ""
    carrier_manifests: int = 0
    carried_over: int = 0  # containers left by an earlier run, closed before the hour

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies_s, q) * 1000) if self.latencies_s.size else 0.0

    @property
    def recirculation_rate(self) -> float:
        return self.reasons["recirculate"] / max(1, self.parcels)


def run_the_sorter(
    admin: DemoClient,
    *,
    chutes: int,
    destinations: int,
    rate: float,
    time_limit_s: float,
    seed: int,
    say: Say,
) -> SortingReport:
    """Upload, optimize as a job, activate, then one POST per parcel with chute events,
    all with a WCS key scoped to this sorter."""
    case = generate_case(chutes, destinations, seed, rate)
    layout = case.layout
    sorter = layout.sorter_id
    wcs = admin.scoped("wcs", f"sorter:{sorter}")
    report = SortingReport(sorter, len(layout.chutes), len(case.forecast.destinations))
    say(
        f"  sorter {sorter}: {report.chutes} chutes, {report.destinations} destinations, "
        f"{len(case.parcels):,} parcels in the hour"
    )
    base = f"/sorters/{sorter}"
    wcs.call("PUT", f"{base}/layout", (200, 201), json=layout_to_dict(layout))
    job = wcs.call(
        "POST",
        f"{base}/plans",
        202,
        json={
            "forecast": forecast_to_dict(case.forecast),
            "time_limit_s": time_limit_s,
            "seed": seed,
        },
    )
    done = wcs.wait(f"/jobs/{job['id']}", say, "sort plan job")
    report.plan_version = int(done["result"]["version"])
    stored = wcs.call("GET", f"{base}/plans/{report.plan_version}")
    report.solve = stored["solve"] or {}
    report.check_ok, report.max_fill = stored["check"]["ok"], stored["check"]["max_fill"]
    wcs.call("POST", f"{base}/plans/{report.plan_version}/activate")
    report.carried_over = _start_clean(wcs, base)
    say(f"  plan version {report.plan_version} active; streaming parcels one request each")
    _stream(wcs, base, layout, case.parcels, report, wave=f"W{report.plan_version}")
    _carrier_view(admin, base, report)
    return report


def _stream(
    wcs: DemoClient,
    base: str,
    layout: SorterLayout,
    parcels: list[Any],
    report: SortingReport,
    *,
    wave: str,
) -> None:
    """Every parcel id carries the wave: a rerun on the same database (same seed, same
    generated ids) must not look like the WCS re-sending the first run's requests. An
    answer saying `container_full` sends the operator: swap, then close."""
    in_container: Counter[str] = Counter()  # parcels per chute since its container opened
    due: list[tuple[float, int, str, str]] = []  # (at, order, chute, event)
    order = 0
    jammed = ""
    latencies = np.empty(len(parcels))
    started = time.perf_counter()
    for n, parcel in enumerate(parcels):
        now = parcel.arrival_s or 0.0
        while due and due[0][0] <= now:
            _, _, chute, event = heapq.heappop(due)
            _chute_event(wcs, base, chute, event, report)
            if event == "container_closed":
                in_container[chute] = 0
        if not jammed and now >= JAM[0]:
            jammed = max(layout.chutes, key=lambda c: (in_container[c.id], c.id)).id
            _chute_event(wcs, base, jammed, "disabled", report)
            heapq.heappush(due, (JAM[1], order, jammed, "enabled"))
            order += 1
        body = scan_to_dict(parcel)
        body["parcel_id"] = f"{parcel.parcel_id}-{wave}"
        t0 = time.perf_counter()
        decision = wcs.call("POST", f"{base}/assignments", json=body)
        latencies[n] = time.perf_counter() - t0
        report.reasons[decision["reason"]] += 1
        chute = decision["chute_id"]
        if chute is None:
            continue
        in_container[chute] += 1
        if decision["container_full"]:
            start = now + layout.full_response_s
            heapq.heappush(due, (start, order, chute, "swap_started"))
            heapq.heappush(
                due, (start + layout.swap_duration_s, order + 1, chute, "container_closed")
            )
            order += 2
    report.wall_s = time.perf_counter() - started
    report.parcels = len(parcels)
    report.latencies_s = latencies


def _start_clean(wcs: DemoClient, base: str) -> int:
    """Close what an earlier run left in the containers and re-enable its jammed chute, so
    the hour starts from empty containers as the emulated floor assumes."""
    closed = 0
    for chute in wcs.call("GET", f"{base}/chutes")["items"]:
        events = []
        if chute["count"] > 0 or chute["state"] != "open":
            events.append("container_closed")
            closed += chute["count"] > 0
        if chute["disabled"]:
            events.append("enabled")
        for event in events:
            wcs.call("POST", f"{base}/chutes/{chute['chute_id']}/events", json={"event": event})
    return closed


def _chute_event(wcs: DemoClient, base: str, chute: str, event: str, report: SortingReport) -> None:
    answer = wcs.call("POST", f"{base}/chutes/{chute}/events", json={"event": event})
    report.chute_events[event] += 1
    manifest = answer.get("manifest")
    if manifest:
        report.manifests += 1
        report.manifest_parcels += manifest["count"]
        if not report.carrier and manifest.get("carrier_id"):
            report.carrier = manifest["carrier_id"]


def _carrier_view(admin: DemoClient, base: str, report: SortingReport) -> None:
    """A carrier-scoped key lists the containers handed to that carrier, and nothing else."""
    if not report.carrier:
        return
    carrier = admin.scoped("carrier", f"carrier:{report.carrier}")
    page = carrier.call("GET", f"/carriers/{report.carrier}/manifests", params={"limit": 500})
    report.carrier_manifests = len(page["items"])
