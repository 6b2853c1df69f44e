"""A greedy zone solution: the CP-SAT hint, and the fallback when the solver finds nothing.

Start from the fewest chutes (every low-volume destination mixed, everything at its minimum
chute count), then spend the spare chutes where they save the most cost per chute (un-mixing
a destination, one more chute for a heavy one or for a shared pool), then put heavy
destinations in the nearest zones.
"""

from __future__ import annotations

import logging

from optimizer.sorting.categories import Category
from optimizer.sorting.problem import PlanningProblem
from optimizer.sorting.zone_model import LOAD_SCALE, Options, ZoneSolution, scaled_cost

log = logging.getLogger("optimizer.sorting.warm_start")


class _Greedy:
    def __init__(self, problem: PlanningProblem, options: Options):
        self.problem = problem
        self.options = options
        self.cap = problem.max_capacity_h
        self.k = {g: 0 for g in options.mix}
        self.m = {g: 0 for g in options.mix}
        self.n: dict[int, int] = {}
        self.chute_counts = {
            j: sorted({o.chutes for o in opts}) for j, opts in options.dedicated.items()
        }

    # cost of each choice, with zone-independent terms only (zones are decided afterwards)
    def dedicated_cost(self, j: int, n: int) -> int:
        costs = [o.cost for o in self.options.dedicated[j] if o.chutes == n]
        return min(costs) if costs else 10**15

    def group_cost(self, g: int, k: int, m: int) -> int:
        option = next((o for o in self.options.mix[g] if o.mixed == k and o.pool_chutes == m), None)
        if option is None:
            return 10**15
        w = self.problem.weights
        cap = self.problem.pool_capacity_h[g]
        pool = scaled_cost(w.overload_cost(option.load / LOAD_SCALE, cap, m)) if m else 0
        return option.cost + pool

    def pool_range(self, g: int, k: int) -> list[int]:
        return sorted(o.pool_chutes for o in self.options.mix[g] if o.mixed == k)

    def mixed_set(self, g: int) -> set[int]:
        return set(self.options.mix_order[g][: self.k[g]])

    def used(self) -> int:
        return sum(self.n.values()) + sum(self.m.values())


def greedy_zone_solution(problem: PlanningProblem, options: Options) -> ZoneSolution | None:
    state = _Greedy(problem, options)
    total_chutes = sum(len(z.zone.chutes) for z in problem.zones)
    restricted = _place_restricted(problem, options)
    if restricted is None:
        log.info("greedy: restricted goods do not fit their chutes")
        return None
    budget = total_chutes - sum(restricted[0].restricted.values())

    for g in options.mix:
        k = len(options.mix_order[g])
        state.k[g] = k
        state.m[g] = state.pool_range(g, k)[0] if k else 0
    for j in options.dedicated:
        state.n[j] = state.chute_counts[j][0] if state.chute_counts[j] else 0
    for g in options.mix:
        for j in state.mixed_set(g):
            state.n.pop(j, None)
    if state.used() > budget or any(not state.chute_counts[j] for j in state.n):
        log.info("greedy: even the fewest chutes do not fit")
        return None

    while True:
        spare = budget - state.used()
        best: tuple[float, str, int, int, int] | None = None
        for j, n in state.n.items():
            counts = state.chute_counts[j]
            if n != counts[-1] and spare >= 1:
                gain = state.dedicated_cost(j, n) - state.dedicated_cost(j, n + 1)
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, "more", j, n + 1, 0)
        for g in options.mix:
            k, m = state.k[g], state.m[g]
            now = state.group_cost(g, k, m)
            if m and m + 1 in state.pool_range(g, k) and spare >= 1:
                gain = now - state.group_cost(g, k, m + 1)
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, "pool", g, k, m + 1)
            if k:
                j = options.mix_order[g][k - 1]
                if not state.chute_counts[j]:
                    continue
                for m2 in state.pool_range(g, k - 1) or [0]:
                    delta = 1 + m2 - m
                    if delta > spare:
                        continue
                    gain = now - state.group_cost(g, k - 1, m2) - state.dedicated_cost(j, 1)
                    score = gain / max(1, delta) if delta > 0 else gain * 10**6
                    if gain > 0 and (best is None or score > best[0]):
                        best = (score, "unmix", g, k - 1, m2)
        if best is None:
            break
        _, kind, a, b, c = best
        if kind == "more":
            state.n[a] = b
        elif kind == "pool":
            state.m[a] = c
        else:
            j = options.mix_order[a][b]
            state.k[a], state.m[a] = b, c
            state.n[j] = state.chute_counts[j][0]
    return _place_in_zones(problem, options, state, restricted)


def _place_restricted(
    problem: PlanningProblem, options: Options
) -> tuple[ZoneSolution, list[list[int]]] | None:
    """Restricted goods first: per category the cheapest option that can be placed, in the
    farthest allowed zones, on chutes with the fewest other uses; and the chutes left free."""
    zones = problem.zones
    free = [list(range(len(z.chute_categories))) for z in zones]
    solution = ZoneSolution()
    scarcest_first = sorted(options.restricted, key=lambda c: sum(z.allowing(c) for z in zones))
    for category in scarcest_first:
        for option in sorted(options.restricted[category], key=lambda o: (o.lowest_cost, o.chutes)):
            taken: dict[int, list[int]] = {}
            left = option.chutes
            for z in sorted(option.per_chute, key=lambda z: (option.per_chute[z], -z)):
                cats = zones[z].chute_categories
                capable = sorted(
                    (i for i in free[z] if category in cats[i]), key=lambda i: len(cats[i])
                )
                taken[z] = capable[:left]
                left -= len(taken[z])
                if not left:
                    break
            if left:
                continue
            for z, chosen in taken.items():
                for i in chosen:
                    free[z].remove(i)
                if chosen:
                    solution.restricted_zones[(category, z)] = len(chosen)
            solution.restricted[category] = option.chutes
            break
        else:
            return None
    return solution, free


def _place_in_zones(
    problem: PlanningProblem,
    options: Options,
    state: _Greedy,
    restricted: tuple[ZoneSolution, list[list[int]]],
) -> ZoneSolution | None:
    zones = problem.zones
    solution, free = restricted
    general_free = [
        sum(Category.GENERAL in zones[z].chute_categories[i] for i in free[z])
        for z in range(len(zones))
    ]
    zc = options.zone_costs
    pool_load = {
        g: next(o.load for o in options.mix[g] if o.mixed == k and o.pool_chutes == state.m[g])
        for g, k in state.k.items()
        if k
    }
    # Heaviest per-chute loads first, nearest zones first (rearrangement: least travel).
    items = [(problem.destinations[j].volume / state.n[j], 0, j) for j in state.n]
    items += [(pool_load[g] / LOAD_SCALE / state.m[g], 1, g) for g in pool_load]
    for _, kind, key in sorted(items, key=lambda item: (-item[0], item[1], item[2])):
        if kind == 0:
            j, n = key, state.n[key]
            fits = [o for o in options.dedicated[j] if o.chutes == n and general_free[o.zone] >= n]
            if not fits:
                return None
            best = min(fits, key=lambda o: (o.cost, o.zone))
            general_free[best.zone] -= n
            solution.dedicated[j] = (best.zone, n)
            continue
        g, m, load = key, state.m[key], pool_load[key]
        taken: list[tuple[int, int]] = []
        left = m
        for z in problem.pool_zones[g]:
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
        if load > capacity:
            return None
        remaining = load
        for index, (z, c) in enumerate(taken):
            last = index == len(taken) - 1
            part = remaining if last else min(remaining, load * zc.hard[z] * c // capacity)
            if part > zc.hard[z] * c:
                return None
            solution.pools[(g, z)] = (c, part)
            remaining -= part
    for g in options.mix:
        solution.mixing[g] = (state.k[g], state.m[g])
    return solution
