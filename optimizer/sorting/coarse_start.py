"""A warm start for sorters with several container sizes: capacity classes first, then bands.

With gaylords and sacks side by side the greedy warm start decides chute counts as if every
chute were of the best class and comes out far from the optimum. The zone model with one
distance band (a zone per capacity class) is small and solves fast; its solution, spread
over the distance bands (heaviest loads per chute nearest, within their class), is a far
better first solution for the full model.
"""

from __future__ import annotations

from optimizer.sorting.categories import Category
from optimizer.sorting.problem import PlanningProblem
from optimizer.sorting.zone_model import LOAD_SCALE, Options, ZoneSolution


def _class_of(problem: PlanningProblem, z: int) -> tuple[int, float]:
    zone = problem.zones[z].zone
    return (zone.capacity_parcels, zone.capacity_kg)


def spread_over_bands(
    problem: PlanningProblem,
    options: Options,
    coarse: PlanningProblem,
    solution: ZoneSolution,
) -> ZoneSolution | None:
    """The coarse (one band) `solution` as a solution of `problem`, or None if it does not fit."""
    zones = problem.zones
    of_class: dict[tuple[int, float], list[int]] = {}
    for z in sorted(range(len(zones)), key=lambda z: zones[z].zone.distance_m):
        of_class.setdefault(_class_of(problem, z), []).append(z)
    free = [list(range(len(zone.chute_categories))) for zone in zones]
    result = ZoneSolution(mixing=dict(solution.mixing))

    # Restricted goods: the same number of chutes of each class, farthest bands first.
    for (category, cz), count in solution.restricted_zones.items():
        r = solution.restricted[category]
        option = next((o for o in options.restricted[category] if o.chutes == r), None)
        if option is None:
            return None
        result.restricted[category] = r
        left = count
        for z in reversed(of_class.get(_class_of(coarse, cz), [])):
            if z not in option.per_chute:
                continue
            cats = zones[z].chute_categories
            chosen = sorted((i for i in free[z] if category in cats[i]), key=lambda i: len(cats[i]))
            chosen = chosen[:left]
            for i in chosen:
                free[z].remove(i)
            if chosen:
                where = (category, z)
                result.restricted_zones[where] = result.restricted_zones.get(where, 0) + len(chosen)
            left -= len(chosen)
            if not left:
                break
        if left:
            return None
    general_free = [
        sum(Category.GENERAL in zones[z].chute_categories[i] for i in free[z])
        for z in range(len(zones))
    ]

    # Destinations and shared pools: heaviest load per chute first, nearest band of its class.
    items: list[tuple[float, int, int, int, int, int]] = []  # load/chute, kind, key, class zone
    for j, (cz, n) in solution.dedicated.items():
        items.append((problem.destinations[j].volume / n, 0, j, cz, n, 0))
    for (g, cz), (m, load) in solution.pools.items():
        if m:
            items.append((load / LOAD_SCALE / m, 1, g, cz, m, load))
    zc = options.zone_costs
    for _, kind, key, cz, count, load in sorted(items, key=lambda x: (-x[0], x[1], x[2], x[3])):
        candidates = of_class.get(_class_of(coarse, cz), [])
        if kind == 0:
            exists = {o.zone for o in options.dedicated[key] if o.chutes == count}
            target = next((z for z in candidates if z in exists and general_free[z] >= count), None)
            if target is None:
                return None
            general_free[target] -= count
            result.dedicated[key] = (target, count)
            continue
        taken: list[tuple[int, int]] = []
        left = count
        for z in candidates:
            take = min(left, general_free[z])
            if take:
                taken.append((z, take))
                general_free[z] -= take
                left -= take
            if not left:
                break
        if left:
            return None
        capacity = sum(zc.hard[z] * c for z, c in taken)
        remaining = load
        for index, (z, c) in enumerate(taken):
            part = remaining if index == len(taken) - 1 else load * zc.hard[z] * c // capacity
            part = min(part, remaining)
            if part > zc.hard[z] * c:
                return None
            m0, l0 = result.pools.get((key, z), (0, 0))
            result.pools[(key, z)] = (m0 + c, l0 + part)
            remaining -= part
    return result
