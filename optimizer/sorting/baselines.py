"""Reference plans the optimizer is measured against.

* `naive_plan`: what a static, volume-blind plan looks like: every hand-over group gets
  chutes in proportion to its number of destinations, dealt round-robin in layout order.
* `proportional_plan`: what a planner builds in a spreadsheet: chutes in proportion to
  volume, small destinations of a hand-over sharing chutes (first fit to `soft_fill`),
  the heaviest loads per chute nearest the induction points. Volume-aware, container-blind.
* `capacity_matching_plan`: the published capacity-matching model (Zhang et al. 2025,
  arXiv 2510.03472): each chute serves one destination; destination j gets between 1 and
  ceil(max(1, 1.5 x chutes x volume share of j)) chutes; minimise the sum over destinations
  of |chute capacity assigned - forecast volume|. A chute's capacity is what its container
  takes per hour at one swap per interval.

Both reserve restricted-goods chutes the same way (enough for `soft_fill`, farthest first),
so that comparisons measure how destinations are assigned.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from ortools.sat.python import cp_model

from optimizer.errors import InputError
from optimizer.sorting.categories import Category
from optimizer.sorting.forecast import Forecast
from optimizer.sorting.layout import ChuteType, SorterLayout
from optimizer.sorting.objective import PlanWeights
from optimizer.sorting.optimize import PlanResult
from optimizer.sorting.plan import ChuteShare, DestinationAssignment, SortPlan
from optimizer.sorting.volumes import split_volumes
from optimizer.status import SolveStatus

CAPACITY_SCALE = 10


def reserve_restricted(
    layout: SorterLayout, forecast: Forecast, soft_fill: float = PlanWeights().soft_fill
) -> dict[Category, tuple[str, ...]]:
    """Chutes for each forecast restricted category: enough to stay under `soft_fill`."""
    split = split_volumes(forecast)
    travel = layout.mean_travel_m
    interval_h = layout.swap_interval_s / 3600.0
    taken: set[int] = set()
    result: dict[Category, tuple[str, ...]] = {}
    for category, volume in sorted(split.restricted.items(), key=lambda kv: kv[0].value):
        capable = sorted(
            (
                i
                for i, c in enumerate(layout.chutes)
                if c.type == ChuteType.DESTINATION and category in c.categories and i not in taken
            ),
            key=lambda i: (-travel[i], i),
        )
        if not capable:
            raise InputError(
                f"{category.value} parcels are forecast but no chute may take them",
                field=f"forecast.category_mix.{category.value}",
                code="restricted_without_chute",
            )
        cap = layout.chutes[capable[0]].capacity_parcels / interval_h
        count = min(len(capable), max(1, math.ceil(volume / (soft_fill * cap))))
        taken.update(capable[:count])
        result[category] = tuple(layout.chutes[i].id for i in capable[:count])
    return result


def _general_chutes(layout: SorterLayout, reserved: dict[Category, tuple[str, ...]]) -> list[int]:
    used = {cid for ids in reserved.values() for cid in ids}
    return [
        i
        for i, c in enumerate(layout.chutes)
        if c.type == ChuteType.DESTINATION and Category.GENERAL in c.categories and c.id not in used
    ]


def _plan(
    layout: SorterLayout,
    assignments: list[DestinationAssignment],
    restricted: dict[Category, tuple[str, ...]],
    method: str,
    version: int,
    solve: dict | None = None,
) -> SortPlan:
    return SortPlan(
        sorter_id=layout.sorter_id,
        version=version,
        assignments=tuple(assignments),
        no_read=tuple(c.id for c in layout.chutes_of_type(ChuteType.NO_READ)),
        reject=tuple(c.id for c in layout.chutes_of_type(ChuteType.REJECT)),
        exception=tuple(c.id for c in layout.chutes_of_type(ChuteType.EXCEPTION)),
        oversize=tuple(c.id for c in layout.chutes_of_type(ChuteType.OVERSIZE)),
        restricted=restricted,
        method=method,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        solve=solve,
    )


def naive_plan(layout: SorterLayout, forecast: Forecast, version: int = 1) -> SortPlan:
    """Round-robin, volume-blind: chutes per hand-over group by its number of destinations."""
    restricted = reserve_restricted(layout, forecast)
    chutes = _general_chutes(layout, restricted)
    groups: dict[str, list[str]] = {}
    for d in forecast.destinations:
        groups.setdefault(d.handover, []).append(d.destination)
    if len(groups) > len(chutes):
        raise InputError(
            f"{len(groups)} hand-over groups but only {len(chutes)} destination chutes",
            field="forecast.destinations",
            code="too_many_destinations",
        )
    names = sorted(groups)
    total = sum(len(v) for v in groups.values())
    spare = len(chutes) - len(names)
    exact = {g: spare * len(groups[g]) / total for g in names}
    counts = {g: 1 + math.floor(exact[g]) for g in names}
    leftover = len(chutes) - sum(counts.values())
    for g in sorted(names, key=lambda g: (-(exact[g] - math.floor(exact[g])), g))[:leftover]:
        counts[g] += 1
    assignments: list[DestinationAssignment] = []
    position = 0
    for g in names:
        own = [layout.chutes[i].id for i in chutes[position : position + counts[g]]]
        position += counts[g]
        members = sorted(groups[g])
        served: dict[str, list[str]] = {m: [] for m in members}
        for k in range(max(len(own), len(members))):
            chute = own[k % len(own)]
            member = members[k % len(members)]
            if chute not in served[member]:
                served[member].append(chute)
        for m in members:
            ids = served[m]
            assignments.append(
                DestinationAssignment(m, tuple(ChuteShare(c, 1.0 / len(ids)) for c in ids))
            )
    return _plan(layout, assignments, restricted, "naive", version)


def proportional_plan(
    layout: SorterLayout,
    forecast: Forecast,
    version: int = 1,
    soft_fill: float = PlanWeights().soft_fill,
) -> SortPlan:
    """Volume-proportional heuristic: a sensible hand-made plan to measure the optimizer by.

    A destination smaller than `soft_fill` of an average container per swap interval shares
    chutes with others of its hand-over (first fit decreasing, up to that fill); the other
    destinations split the remaining chutes in proportion to their volume (at least one each,
    largest remainders); the heaviest loads per chute get the chutes nearest the induction
    points. Alternates are not added (see `alternates.with_alternates`).
    """
    restricted = reserve_restricted(layout, forecast, soft_fill)
    travel = layout.mean_travel_m
    chutes = sorted(_general_chutes(layout, restricted), key=lambda i: (travel[i], i))
    if not chutes:
        raise InputError("no destination chute for general goods", field="layout.chutes")
    split = split_volumes(forecast)
    interval_h = layout.swap_interval_s / 3600.0
    room = soft_fill * sum(layout.chutes[i].capacity_parcels for i in chutes) / len(chutes)
    room /= interval_h  # parcels/h one shared chute takes at `soft_fill`
    handover = {d.destination: d.handover for d in forecast.destinations}
    small = sorted(
        (d.destination for d in forecast.destinations if split.general[d.destination] < room),
        key=lambda n: (-split.general[n], n),
    )
    bins: list[tuple[str, list[str], float]] = []  # hand-over, members, load
    for name in small:
        volume = split.general[name]
        target = next((b for b in bins if b[0] == handover[name] and b[2] + volume <= room), None)
        if target is None:
            bins.append((handover[name], [name], volume))
        else:
            target[1].append(name)
            bins[bins.index(target)] = (target[0], target[1], target[2] + volume)
    large = [d.destination for d in forecast.destinations if d.destination not in set(small)]
    spare = len(chutes) - len(bins) - len(large)
    if spare < 0:
        raise InputError(
            f"{len(bins) + len(large)} chutes needed even with small destinations sharing, "
            f"{len(chutes)} available",
            field="forecast.destinations",
            code="too_many_destinations",
        )
    available = len(chutes) - len(bins)
    volume = sum(split.general[n] for n in large) or 1.0
    exact = {n: available * split.general[n] / volume for n in large}
    counts = {n: max(1, math.floor(exact[n])) for n in large}
    while sum(counts.values()) < available:  # largest remainders first
        counts[max(large, key=lambda n: (exact[n] - counts[n], n))] += 1
    while sum(counts.values()) > available:  # the minimum of one chute overdrew
        counts[min((n for n in large if counts[n] > 1), key=lambda n: exact[n] - counts[n])] -= 1
    items = [(split.general[n] / counts[n], n, counts[n], [n]) for n in large]
    items += [(load, f"~{k}", 1, members) for k, (_, members, load) in enumerate(bins)]
    served: dict[str, list[str]] = {}
    position = 0
    for _, _, count, members in sorted(items, key=lambda x: (-x[0], x[1])):
        ids = [layout.chutes[i].id for i in chutes[position : position + count]]
        position += count
        for member in members:
            served[member] = ids
    assignments = [
        DestinationAssignment(
            d.destination,
            tuple(ChuteShare(c, 1.0 / len(served[d.destination])) for c in served[d.destination]),
        )
        for d in forecast.destinations
    ]
    return _plan(layout, assignments, restricted, "proportional", version)


def capacity_matching_plan(
    layout: SorterLayout,
    forecast: Forecast,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    version: int = 1,
) -> PlanResult:
    """Zhang et al. (2025)'s capacity-matching model, solved with CP-SAT on chute counts.

    Chutes of equal capacity are interchangeable, so counts per capacity class are
    equivalent to the paper's per-chute binaries. Destinations are then laid out by
    volume, nearest chutes first.
    """
    started = time.perf_counter()
    restricted = reserve_restricted(layout, forecast)
    chutes = _general_chutes(layout, restricted)
    split = split_volumes(forecast)
    names = [d.destination for d in forecast.destinations]
    if len(names) > len(chutes):
        raise InputError(
            f"the capacity-matching model gives every destination its own chute: "
            f"{len(names)} destinations but {len(chutes)} chutes",
            field="forecast.destinations",
            code="too_many_destinations",
        )
    interval_h = layout.swap_interval_s / 3600.0
    classes: dict[int, list[int]] = {}
    for i in chutes:
        classes.setdefault(layout.chutes[i].capacity_parcels, []).append(i)
    total = sum(split.general.values()) or 1.0
    model = cp_model.CpModel()
    counts: dict[tuple[str, int], cp_model.IntVar] = {}
    deviation = []
    for name in names:
        volume = split.general[name]
        upper = math.ceil(max(1.0, 1.5 * len(chutes) * volume / total))
        per_class = []
        for cap, members in classes.items():
            var = model.new_int_var(0, min(upper, len(members)), f"n_{name}_{cap}")
            counts[(name, cap)] = var
            per_class.append((var, round(cap / interval_h * CAPACITY_SCALE)))
        model.add(sum(v for v, _ in per_class) >= 1)
        model.add(sum(v for v, _ in per_class) <= upper)
        assigned = sum(v * c for v, c in per_class)
        dev = model.new_int_var(0, 10**9, f"dev_{name}")
        model.add_abs_equality(dev, assigned - round(volume * CAPACITY_SCALE))
        deviation.append(dev)
    for cap, members in classes.items():
        model.add(sum(counts[(name, cap)] for name in names) <= len(members))
    model.minimize(sum(deviation))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    elapsed = time.perf_counter() - started
    if status == cp_model.INFEASIBLE:
        raise InputError("the capacity-matching model has no solution", field="forecast")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return PlanResult(
            None, SolveStatus.TIMEOUT, None, None, None, elapsed, seed, time_limit_s, workers
        )
    travel = layout.mean_travel_m
    free = {cap: sorted(members, key=lambda i: (travel[i], i)) for cap, members in classes.items()}
    assignments = []
    for name in sorted(names, key=lambda n: -split.general[n]):
        ids = []
        for cap in classes:
            n = solver.value(counts[(name, cap)])
            ids += [layout.chutes[i].id for i in free[cap][:n]]
            free[cap] = free[cap][n:]
        assignments.append(
            DestinationAssignment(name, tuple(ChuteShare(c, 1.0 / len(ids)) for c in ids))
        )
    objective = solver.objective_value / CAPACITY_SCALE
    bound = solver.best_objective_bound / CAPACITY_SCALE
    result_status = SolveStatus.OPTIMAL if status == cp_model.OPTIMAL else SolveStatus.FEASIBLE
    gap = 0.0 if objective <= 0 else max(0.0, (objective - bound) / objective)
    report = {
        "status": result_status.value,
        "objective": round(objective, 3),
        "bound": round(bound, 3),
        "gap": round(gap, 6),
        "solve_time_s": round(elapsed, 3),
        "seed": seed,
    }
    plan = _plan(layout, assignments, restricted, "capacity-matching", version, report)
    return PlanResult(
        plan, result_status, objective, bound, gap, elapsed, seed, time_limit_s, workers
    )
