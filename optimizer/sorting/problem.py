"""The planning problem in zone terms, and the checks that refuse impossible inputs early."""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer.errors import InputError, Problem
from optimizer.sorting.categories import RESTRICTED_CATEGORIES, Category
from optimizer.sorting.forecast import Forecast
from optimizer.sorting.layout import ChuteType, SorterLayout
from optimizer.sorting.objective import PlanWeights
from optimizer.sorting.plan import SortPlan
from optimizer.sorting.volumes import VolumeSplit, split_volumes
from optimizer.sorting.zones import DEFAULT_BANDS, Zone, build_zones


@dataclass(frozen=True)
class DestinationData:
    name: str
    group: int
    volume: float  # parcels/h to its destination chutes
    effective: tuple[float, ...]  # per zone: parcels/h counted against container capacity
    pool_effective: float  # the same, safe for any zone
    mixable: bool
    current: tuple[int, int] | None  # (zone, chutes) when currently dedicated inside one zone
    was_mixed: bool | None  # None when the destination is new or there is no current plan
    current_chutes: tuple[int, ...] = ()


@dataclass(frozen=True)
class RestrictedData:
    """A restricted category's stream: it goes to chutes fitted for it, split evenly."""

    category: Category
    volume: float  # parcels/h
    effective: tuple[float, ...]  # per zone: parcels/h counted against container capacity
    fewest_chutes: int  # the fewest capable chutes that take it without overflowing


@dataclass(frozen=True)
class ZoneData:
    zone: Zone
    chute_capacity_h: float  # parcels/h one chute absorbs at 100 % fill between swaps
    chute_categories: tuple[frozenset[Category], ...]

    @property
    def general(self) -> int:
        return sum(Category.GENERAL in c for c in self.chute_categories)

    def allowing(self, category: Category) -> int:
        return sum(category in c for c in self.chute_categories)


@dataclass(frozen=True)
class PlanningProblem:
    layout: SorterLayout
    forecast: Forecast
    split: VolumeSplit
    weights: PlanWeights
    destinations: tuple[DestinationData, ...]
    groups: tuple[str, ...]
    zones: tuple[ZoneData, ...]
    restricted: dict[Category, RestrictedData]
    # Per hand-over group: the zones its shared chutes may use (all of one container size,
    # the one its mixed parcels fill least), and that size's capacity per chute, parcels/h.
    pool_zones: tuple[tuple[int, ...], ...] = ()
    pool_capacity_h: tuple[float, ...] = ()

    @property
    def max_capacity_h(self) -> float:
        return max(z.chute_capacity_h for z in self.zones)

    @property
    def min_capacity_h(self) -> float:
        return min(z.chute_capacity_h for z in self.zones)


def _kg_per_slot_ratio(zone: Zone) -> float:
    """Parcel slots per kg: a parcel heavier than capacity_kg/capacity_parcels fills more."""
    return zone.capacity_parcels / zone.capacity_kg


def _special_problems(layout: SorterLayout, split: VolumeSplit, max_fill: float) -> list[Problem]:
    problems = []
    per_interval = layout.swap_interval_s / 3600.0
    for kind, volume, label in (
        (ChuteType.OVERSIZE, split.oversize, "oversize parcels"),
        (ChuteType.NO_READ, split.no_read, "no-reads"),
        (ChuteType.EXCEPTION, split.exception, "unknown destinations"),
    ):
        if volume <= 0:
            continue
        chutes = layout.chutes_of_type(kind)
        if not chutes:
            problems.append(
                Problem(
                    "layout.chutes",
                    f"{label} are forecast ({volume:.1f}/h) but the layout has no "
                    f"{kind.value} chute",
                    "missing_chute_type",
                )
            )
            continue
        # Spread evenly over the chutes of that type (as the checker and the assigner do):
        # the smallest container sets the pace.
        share = volume / len(chutes) * per_interval
        smallest = min(
            chutes, key=lambda c: min(c.capacity_parcels, c.capacity_kg / split.special_kg)
        )
        fill = max(
            share / smallest.capacity_parcels, share * split.special_kg / smallest.capacity_kg
        )
        if fill > max_fill * (1 + 1e-9):
            problems.append(
                Problem(
                    "layout.chutes",
                    f"{label} ({volume:.1f}/h) are more than the {kind.value} chutes can take "
                    f"between swaps, split evenly over {len(chutes)} ({smallest.id} would get "
                    f"{fill:.0%} of its container): no plan can keep them from overflowing",
                    "overflow_unavoidable",
                )
            )
    return problems


def build_problem(
    layout: SorterLayout,
    forecast: Forecast,
    weights: PlanWeights | None = None,
    current: SortPlan | None = None,
    bands: int = DEFAULT_BANDS,
) -> PlanningProblem:
    """Zone-level data for the optimizer; raises InputError when no plan can exist."""
    weights = weights or PlanWeights()
    split = split_volumes(forecast)
    problems = _special_problems(layout, split, weights.max_fill)
    zones = build_zones(layout, bands)
    if not zones:
        missing = Problem("layout.chutes", "the layout has no destination chute", "no_chutes")
        raise InputError([*problems, missing])
    interval_h = layout.swap_interval_s / 3600.0
    zone_data = tuple(
        ZoneData(
            z,
            z.capacity_parcels / interval_h,
            tuple(layout.chutes[i].categories for i in z.chutes),
        )
        for z in zones
    )
    max_cap = max(z.chute_capacity_h for z in zone_data)

    restricted: dict[Category, RestrictedData] = {}
    for category in RESTRICTED_CATEGORIES:
        volume = split.restricted.get(category, 0.0)
        if volume <= 0:
            continue
        name = category.value
        capable = sum(z.allowing(category) for z in zone_data)
        if capable == 0:
            problems.append(
                Problem(
                    "layout.chutes",
                    f"{name} parcels are forecast ({volume:.1f}/h) but no chute in the layout "
                    f"is fitted for {name}",
                    "restricted_without_chute",
                )
            )
            continue
        kg = split.restricted_kg[category]
        effective = tuple(volume * max(1.0, kg * _kg_per_slot_ratio(z)) for z in zones)
        fewest, most_h = _restricted_chutes(volume, effective, zone_data, category, weights)
        if fewest is None:
            problems.append(
                Problem(
                    "layout.chutes",
                    f"{name} volume ({volume:.1f}/h) is more than the chutes fitted for {name} "
                    f"({capable}) can take between swaps (at most {most_h:.1f}/h, split evenly): "
                    f"no plan can keep them from overflowing",
                    "overflow_unavoidable",
                )
            )
            continue
        restricted[category] = RestrictedData(category, volume, effective, fewest)

    handovers = sorted({d.handover for d in forecast.destinations})
    group_of = {h: g for g, h in enumerate(handovers)}
    zone_of_chute = {i: z.index for z in zones for i in z.chutes}
    current_plan = _CurrentPlan.of(current)
    effective_of = {
        d.destination: tuple(
            split.general[d.destination]
            * max(1.0, split.general_kg[d.destination] * _kg_per_slot_ratio(z))
            for z in zones
        )
        for d in forecast.destinations
    }
    pool_zones = _pool_zones(forecast, handovers, effective_of, zone_data)
    destinations = []
    for d in forecast.destinations:
        volume = split.general[d.destination]
        effective = effective_of[d.destination]
        pool_zone = pool_zones[group_of[d.handover]][0]
        pool_effective = effective[pool_zone]
        mixable = pool_effective <= weights.mixable_fill * zone_data[pool_zone].chute_capacity_h
        cur, was_mixed, cur_chutes = _current_placement(
            d.destination, current_plan, layout, zone_of_chute
        )
        destinations.append(
            DestinationData(
                d.destination,
                group_of[d.handover],
                volume,
                effective,
                pool_effective,
                mixable,
                cur,
                was_mixed,
                cur_chutes,
            )
        )

    total_effective = sum(min(d.effective) for d in destinations) + sum(
        min(r.effective) for r in restricted.values()
    )
    total_capacity = (
        sum(len(z.zone.chutes) * z.chute_capacity_h for z in zone_data) * weights.max_fill
    )
    if total_effective > total_capacity:
        problems.append(
            Problem(
                "forecast",
                f"forecast volume ({total_effective:.0f} parcels/h to destination chutes) exceeds "
                f"what they can take between swaps ({total_capacity:.0f}/h): no plan can keep "
                f"containers from overflowing",
                "overflow_unavoidable",
            )
        )
    else:
        pool_capacity = [zone_data[zs[0]].chute_capacity_h * weights.max_fill for zs in pool_zones]
        needed = _minimum_chutes(
            destinations, pool_capacity, restricted, max_cap * weights.max_fill
        )
        available = sum(len(z.zone.chutes) for z in zone_data)
        if needed > available:
            problems.append(
                Problem(
                    "forecast.destinations",
                    f"more destinations than chutes can hold even when mixing: the "
                    f"{len(handovers)} hand-over groups and restricted goods need at least "
                    f"{needed} chutes, the layout has {available} destination chutes",
                    "too_many_destinations",
                )
            )
    if problems:
        raise InputError(problems)
    return PlanningProblem(
        layout,
        forecast,
        split,
        weights,
        tuple(destinations),
        tuple(handovers),
        zone_data,
        restricted,
        pool_zones,
        tuple(zone_data[zs[0]].chute_capacity_h for zs in pool_zones),
    )


def _pool_zones(
    forecast: Forecast,
    handovers: list[str],
    effective_of: dict[str, tuple[float, ...]],
    zones: tuple[ZoneData, ...],
) -> tuple[tuple[int, ...], ...]:
    """Per group, the zones of the container size its parcels fill least, per chute.

    Heavy parcels fill a sack by weight long before a gaylord: a group whose shared chutes
    all have one size has an exact load, whatever zones of that size they are in.
    """
    sizes: dict[tuple[int, float], list[int]] = {}
    for z, zone in enumerate(zones):
        sizes.setdefault((zone.zone.capacity_parcels, zone.zone.capacity_kg), []).append(z)
    members: dict[str, list[str]] = {}
    for d in forecast.destinations:
        members.setdefault(d.handover, []).append(d.destination)
    result = []
    for h in handovers:

        def containers(size: tuple[int, float], names: list[str] = members[h]) -> tuple:
            z = sizes[size][0]
            load = sum(effective_of[n][z] for n in names)
            room = sum(zones[x].general for x in sizes[size])
            return (load / zones[z].chute_capacity_h, -room)

        best = min(sizes, key=containers)
        result.append(tuple(sizes[best]))
    return tuple(result)


@dataclass(frozen=True)
class _CurrentPlan:
    assignments: dict[str, tuple[str, ...]]  # destination -> chute ids
    users: dict[str, int]  # chute id -> number of destinations on it

    @classmethod
    def of(cls, plan: SortPlan | None) -> _CurrentPlan:
        assignments = {a.destination: a.chute_ids for a in plan.assignments} if plan else {}
        users: dict[str, int] = {}
        for ids in assignments.values():
            for c in ids:
                users[c] = users.get(c, 0) + 1
        return cls(assignments, users)


def _current_placement(
    name: str, current: _CurrentPlan, layout: SorterLayout, zone_of_chute: dict[int, int]
) -> tuple[tuple[int, int] | None, bool | None, tuple[int, ...]]:
    """(zone, chutes) if dedicated inside one zone now, whether mixed now, current chutes."""
    ids = current.assignments.get(name)
    if ids is None:
        return None, None, ()
    was_mixed = any(current.users[c] > 1 for c in ids)
    indices = [layout.chute_index(c) for c in ids]
    chutes = tuple(i for i in indices if i is not None)
    if len(chutes) != len(indices):
        return None, was_mixed, ()
    zones_used = {zone_of_chute.get(i) for i in chutes}
    zone = zones_used.pop() if len(zones_used) == 1 else None
    if was_mixed or zone is None:
        return None, was_mixed, chutes
    return (zone, len(chutes)), was_mixed, chutes


def _restricted_chutes(
    volume: float,
    effective: tuple[float, ...],
    zones: tuple[ZoneData, ...],
    category: Category,
    weights: PlanWeights,
) -> tuple[int | None, float]:
    """The fewest capable chutes that take a restricted stream split evenly, or None; and the
    most the capable chutes can take (parcels/h of this stream).

    With the stream split over r chutes, each must absorb volume / r: the r chutes that can
    absorb the most, the r-th of them sets the pace.
    """
    per_chute = sorted(
        (
            weights.max_fill * zone.chute_capacity_h * volume / effective[z]
            for z, zone in enumerate(zones)
            for _ in range(zone.allowing(category))
        ),
        reverse=True,
    )
    most = max(r * c for r, c in enumerate(per_chute, start=1))
    for r, c in enumerate(per_chute, start=1):
        if volume <= r * c * (1 + 1e-9):
            return r, most
    return None, most


def restricted_fits(data: RestrictedData, zone: ZoneData, chutes: int, max_fill: float) -> bool:
    """Whether a chute of `zone` takes its even share when the stream is split over `chutes`."""
    return data.effective[zone.zone.index] / chutes <= max_fill * zone.chute_capacity_h * (1 + 1e-9)


def _minimum_chutes(
    destinations: list[DestinationData],
    pool_capacity_h: list[float],
    restricted: dict[Category, RestrictedData],
    capacity_h: float,
) -> int:
    """Chutes needed with every mixable destination of a hand-over group sharing chutes."""
    groups = len(pool_capacity_h)
    pooled = [0.0] * groups
    has_pool = [False] * groups
    needed = sum(r.fewest_chutes for r in restricted.values())
    for d in destinations:
        if d.mixable:
            pooled[d.group] += d.pool_effective
            has_pool[d.group] = True
        else:
            needed += max(1, math.ceil(min(d.effective) / capacity_h - 1e-9))
    needed += sum(
        max(1, math.ceil(p / c - 1e-9))
        for p, c, h in zip(pooled, pool_capacity_h, has_pool, strict=True)
        if h
    )
    return needed
