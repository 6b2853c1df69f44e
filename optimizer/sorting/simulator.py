"""Discrete-event simulation of a sorting shift: how a plan behaves on the floor.

Parcels are scanned at their induction point, assigned a chute by the real-time assigner,
and carried along the loop at loop speed. A parcel with no chute available recirculates: it
comes back to the scanner one loop later (after `max_recirculations` loops it goes to an
exception chute). Operators swap every container on a round every `swap_interval_s`
(staggered so that neighbouring chutes are not closed together); a container that fills up
before its round is an overflow event: the chute is closed until an operator arrives
(`full_response_s`) and swaps it. A swap closes the chute to new parcels, waits for the
parcels already on their way, then takes `swap_duration_s`. Deterministic per seed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.sorting.assigner import Assigner, ChuteEvent
from optimizer.sorting.decision import Reason
from optimizer.sorting.forecast import Forecast
from optimizer.sorting.generator import generate_parcels
from optimizer.sorting.layout import ChuteType, SorterLayout
from optimizer.sorting.plan import SortPlan
from optimizer.sorting.scan import ParcelScan

_ARRIVE, _LAND, _SWAP_DUE, _SWAP_END = 0, 1, 2, 3
_SCHEDULED = -1
MAX_REPORTED = 20


@dataclass(frozen=True)
class ShiftReport:
    """What a shift under a plan looked like. Rates are shares of inducted parcels."""

    plan_id: str
    method: str
    seed: int
    shift_hours: float
    parcels: int
    sorted: int
    throughput_per_hour: float  # parcels dropped into a chute during the shift, per hour
    recirculated_parcels: int  # parcels that needed at least a second loop
    recirculation_rate: float
    extra_loops: int
    overflow_events: int  # containers that filled up before their scheduled swap
    chute_full_parcels: int  # sent to exception after the allowed loops
    containers_closed: int
    mean_time_in_system_s: float
    p95_time_in_system_s: float
    # Destination chutes: parcels received / (container capacity x scheduled swaps in the
    # shift), i.e. load against the capacity the swap round provides; above 100 % a chute
    # needed swaps beyond the round (each one an overflow event).
    utilisation_mean: float
    utilisation_p95: float
    utilisation_max: float
    closed_share_mean: float  # share of the shift a destination chute could not take parcels
    closed_share_max: float
    reasons: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    def summary(self) -> str:
        return (
            f"{self.method} plan {self.plan_id}: {self.parcels} parcels, "
            f"{self.throughput_per_hour:.0f}/h sorted, "
            f"recirculated {self.recirculated_parcels} ({self.recirculation_rate:.2%}), "
            f"overflow events {self.overflow_events}, "
            f"chute load vs scheduled capacity mean {self.utilisation_mean:.0%} / "
            f"max {self.utilisation_max:.0%}"
        )


def _arrival_times(
    scans: Sequence[ParcelScan], hours: float, rng: np.random.Generator
) -> list[float]:
    if scans and all(s.arrival_s is not None for s in scans):
        return [float(s.arrival_s) for s in scans]  # type: ignore[arg-type]
    # No recorded times: Poisson arrivals spread over the shift, in file order.
    return list(np.sort(rng.uniform(0.0, hours * 3600.0, len(scans))))


def _induction_positions(
    layout: SorterLayout, scans: Sequence[ParcelScan], rng: np.random.Generator
) -> list[float]:
    """Where each parcel enters the loop: its recorded induction point, else a random one."""
    induction = {p.id: p.position_m for p in layout.induction_points}
    unknown = [
        Problem(f"parcels[{k}].induction", f"no induction point {s.induction!r} in the layout")
        for k, s in enumerate(scans)
        if s.induction is not None and s.induction not in induction
    ]
    if unknown:
        more = len(unknown) - MAX_REPORTED
        raise InputError(
            unknown[:MAX_REPORTED]
            + ([Problem("parcels", f"... and {more} more")] if more > 0 else [])
        )
    positions = [p.position_m for p in layout.induction_points]
    drawn = rng.integers(0, len(positions), len(scans))
    return [
        positions[int(drawn[k])] if s.induction is None else induction[s.induction]
        for k, s in enumerate(scans)
    ]


def simulate_shift(
    layout: SorterLayout,
    plan: SortPlan,
    parcels: Sequence[ParcelScan] | None = None,
    *,
    forecast: Forecast | None = None,
    hours: float = 1.0,
    rate: float | None = None,
    seed: int = 0,
) -> ShiftReport:
    """Run one shift of `parcels` (or of arrivals drawn from `forecast`) under `plan`."""
    if not hours > 0:
        raise InputError("must be > 0", field="hours")
    if parcels is None:
        if forecast is None:
            raise InputError("give parcels or a forecast to draw them from", field="parcels")
        parcels = generate_parcels(forecast, layout, seed, hours, rate)
    rng = np.random.default_rng(seed)
    assigner = Assigner(layout, plan)
    times = _arrival_times(parcels, hours, rng)
    shift_s = max(hours * 3600.0, max(times, default=0.0))
    start_at = _induction_positions(layout, parcels, rng)

    chutes = layout.chutes
    n = len(chutes)
    loop_s = layout.loop_time_s
    speed, loop_m = layout.speed_m_s, layout.loop_length_m
    interval, swap_s, response_s = (
        layout.swap_interval_s,
        layout.swap_duration_s,
        layout.full_response_s,
    )
    ids = [c.id for c in chutes]
    index_of = {cid: i for i, cid in enumerate(ids)}
    events: list[tuple[float, int, int, int, int]] = []
    seq = 0

    def push(t: float, kind: int, a: int, b: int) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, a, b))

    for k, t in enumerate(times):
        push(t, _ARRIVE, k, 1)
    rank = sorted(range(n), key=lambda i: (chutes[i].position_m, i))
    for r, i in enumerate(rank):  # operators walk the line: neighbours are swapped in turn
        push((r * max(swap_s, 1.0)) % interval, _SWAP_DUE, i, _SCHEDULED)

    in_flight = [0] * n
    draining = [False] * n
    swapping = [False] * n
    closed_since = [-1.0] * n
    closed_total = [0.0] * n
    received = [0] * n
    loops = [0] * len(parcels)
    final_reason: list[Reason | None] = [None] * len(parcels)
    time_in_system: list[float] = []
    overflow = chute_full = closed_containers = extra_loops = sorted_in_shift = 0
    pending = len(parcels)

    def close(i: int, t: float) -> None:
        if closed_since[i] < 0:
            closed_since[i] = t

    def start_swap(i: int, t: float) -> None:
        swapping[i] = True
        draining[i] = False
        push(t + swap_s, _SWAP_END, i, 0)

    while events:
        t, _, kind, a, b = heapq.heappop(events)
        if pending == 0 and t > shift_s:
            break
        if kind == _ARRIVE:
            scan = parcels[a]
            decision = assigner.assign(
                scan.parcel_id,
                scan.destination,
                scan.weight_g,
                scan.length_mm,
                scan.width_mm,
                scan.height_mm,
                scan.category.value,
                b,
            )
            final_reason[a] = decision.reason
            if decision.chute_id is None:
                loops[a] += 1
                extra_loops += 1
                push(t + loop_s, _ARRIVE, a, b + 1)
            else:
                i = index_of[decision.chute_id]
                if decision.reason is Reason.CHUTE_FULL:
                    chute_full += 1
                in_flight[i] += 1
                travel = (chutes[i].position_m - start_at[a]) % loop_m
                push(t + travel / speed, _LAND, a, i)
            if assigner.newly_full:
                for i in assigner.newly_full:
                    overflow += 1
                    close(i, t)
                    push(t + response_s, _SWAP_DUE, i, assigner.chute_status(ids[i])["container"])
                assigner.newly_full.clear()
        elif kind == _LAND:
            i = b
            in_flight[i] -= 1
            received[i] += 1
            pending -= 1
            time_in_system.append(t - times[a])
            if t <= shift_s:
                sorted_in_shift += 1
            if draining[i] and in_flight[i] == 0:
                start_swap(i, t)
        elif kind == _SWAP_DUE:
            i = a
            if b == _SCHEDULED:
                if t <= shift_s:  # the round goes on until the end of the shift
                    push(t + interval, _SWAP_DUE, i, _SCHEDULED)
                status = assigner.chute_status(ids[i])
                if swapping[i] or draining[i] or status["count"] == 0:
                    continue
            else:
                status = assigner.chute_status(ids[i])
                if status["container"] != b or swapping[i] or draining[i]:
                    continue  # already swapped on the round
            assigner.chute_event(ids[i], ChuteEvent.SWAP_STARTED)
            close(i, t)
            if in_flight[i] == 0:
                start_swap(i, t)
            else:
                draining[i] = True
        else:  # _SWAP_END
            i = a
            swapping[i] = False
            assigner.chute_event(ids[i], ChuteEvent.CONTAINER_CLOSED)
            closed_containers += 1
            if closed_since[i] >= 0:
                closed_total[i] += t - closed_since[i]
                closed_since[i] = -1.0

    end = max(shift_s, t if events else shift_s)
    for i in range(n):
        if closed_since[i] >= 0:
            closed_total[i] += end - closed_since[i]

    destination_chutes = {cid for a in plan.assignments for cid in a.chute_ids}
    used = [
        i
        for i in range(n)
        if chutes[i].type == ChuteType.DESTINATION and ids[i] in destination_chutes
    ]
    intervals = max(1.0, shift_s / interval)
    utilisation = sorted(received[i] / (chutes[i].capacity_parcels * intervals) for i in used) or [
        0.0
    ]
    closed_share = [min(1.0, closed_total[i] / shift_s) for i in used] or [0.0]
    recirculated = sum(1 for x in loops if x > 0)
    total = len(parcels)
    stays = sorted(time_in_system) or [0.0]
    reasons: dict[str, int] = {r.value: 0 for r in Reason}
    for last in final_reason:
        if last is not None:
            reasons[last.value] += 1
    return ShiftReport(
        plan_id=plan.plan_id,
        method=plan.method,
        seed=seed,
        shift_hours=shift_s / 3600.0,
        parcels=total,
        sorted=len(time_in_system),
        throughput_per_hour=sorted_in_shift / (shift_s / 3600.0),
        recirculated_parcels=recirculated,
        recirculation_rate=recirculated / total if total else 0.0,
        extra_loops=extra_loops,
        overflow_events=overflow,
        chute_full_parcels=chute_full,
        containers_closed=closed_containers,
        mean_time_in_system_s=sum(stays) / len(stays),
        p95_time_in_system_s=stays[min(len(stays) - 1, math.ceil(0.95 * len(stays)) - 1)],
        utilisation_mean=sum(utilisation) / len(utilisation),
        utilisation_p95=utilisation[
            min(len(utilisation) - 1, math.ceil(0.95 * len(utilisation)) - 1)
        ],
        utilisation_max=utilisation[-1],
        closed_share_mean=sum(closed_share) / len(closed_share),
        closed_share_max=max(closed_share),
        reasons=reasons,
    )
