"""From zone counts to concrete chutes, keeping the zone model's objective.

Inside a zone chutes are interchangeable for the objective, so any placement that respects
the counts keeps the objective; this one also (1) keeps destinations on their current chutes
where the counts allow (fewer moves), (2) puts the heaviest per-chute loads nearest the
induction points, and (3) packs each group's shared chutes so that every shared chute in a
zone is either at most `soft_fill` full or exactly level with the others, which is what keeps
the model's overload cost exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from optimizer.errors import OptimizerError
from optimizer.sorting.categories import Category
from optimizer.sorting.plan import ChuteShare, DestinationAssignment, SortPlan
from optimizer.sorting.problem import PlanningProblem
from optimizer.sorting.zone_model import LOAD_SCALE, Options, ZoneSolution

MAX_ALTERNATES = 2


@dataclass(frozen=True)
class Placement:
    assignments: tuple[DestinationAssignment, ...]
    restricted: dict[Category, tuple[str, ...]]


def _assign_roles(
    problem: PlanningProblem,
    z: int,
    demand: dict[Category, int],
    previous_role: dict[int, Category],
    wanted: set[int],
) -> dict[Category, list[int]]:
    """Chutes of zone z for each role, by min-cost flow: feasible by Hall, stable where possible.

    `wanted` are the general chutes whose destinations can stay on them: they are kept first.
    """
    zone = problem.zones[z]
    graph = nx.DiGraph()
    total = 0
    for role, count in demand.items():
        if count:
            graph.add_edge("source", ("role", role), capacity=count, weight=0)
            total += count
    for local, cats in enumerate(zone.chute_categories):
        index = zone.zone.chutes[local]
        graph.add_edge(("chute", index), "sink", capacity=1, weight=0)
        for role, count in demand.items():
            if count and role in cats:
                # Keep a chute's current role (first those whose parcels can stay on it);
                # otherwise spare the chutes that can do more.
                if previous_role.get(index) != role:
                    cost = 2 + len(cats)
                else:
                    cost = 0 if role != Category.GENERAL or index in wanted else 1
                graph.add_edge(("role", role), ("chute", index), capacity=1, weight=cost)
    if total == 0:
        return {}
    flow = nx.max_flow_min_cost(graph, "source", "sink")
    result: dict[Category, list[int]] = {role: [] for role in demand}
    for role in demand:
        for node, amount in flow.get(("role", role), {}).items():
            if amount:
                result[role].append(node[1])
    if sum(len(v) for v in result.values()) != total:
        raise OptimizerError(f"zone {z}: chute roles do not fit (zone solution is inconsistent)")
    return result


def _levels(load: int, chutes: int, soft: int) -> list[int]:
    """Per-chute capacity for a shared pool: `soft` each, or exactly level when above it."""
    if load <= soft * chutes:
        return [soft] * chutes
    base, extra = divmod(load, chutes)
    return [base + (1 if i < extra else 0) for i in range(chutes)]


def place(
    problem: PlanningProblem,
    options: Options,
    solution: ZoneSolution,
    current: SortPlan | None = None,
) -> Placement:
    layout = problem.layout
    travel = layout.mean_travel_m
    dests = problem.destinations
    zc = options.zone_costs

    previous_role: dict[int, Category] = {}
    previous_group_chutes: dict[int, set[int]] = {}
    if current is not None:
        for category, ids in current.restricted.items():
            for cid in ids:
                index = layout.chute_index(cid)
                if index is not None:
                    previous_role[index] = category
        group_of = {d.name: d.group for d in dests}
        for a in current.assignments:
            for cid in a.chute_ids:
                index = layout.chute_index(cid)
                if index is not None:
                    previous_role.setdefault(index, Category.GENERAL)
                    if a.destination in group_of:
                        previous_group_chutes.setdefault(group_of[a.destination], set()).add(index)

    previous_volume: dict[int, dict[int, float]] = {}  # group -> chute -> mixed volume on it
    for g, members in solution.mixed_destinations(options).items():
        for j in members:
            bucket = previous_volume.setdefault(g, {})
            for i in dests[j].current_chutes:
                bucket[i] = bucket.get(i, 0.0) + dests[j].volume / len(dests[j].current_chutes)

    by_zone_dedicated: dict[int, list[int]] = {}
    for j, (z, _) in solution.dedicated.items():
        by_zone_dedicated.setdefault(z, []).append(j)
    by_zone_pools: dict[int, list[int]] = {}
    for (g, z), (m, _) in solution.pools.items():
        if m:
            by_zone_pools.setdefault(z, []).append(g)

    chutes_of: dict[int, list[int]] = {}  # dedicated destination -> chutes
    pool_chutes: dict[tuple[int, int], list[int]] = {}
    restricted: dict[Category, list[int]] = {}
    for z in range(len(problem.zones)):
        demand = {
            Category.GENERAL: sum(solution.dedicated[j][1] for j in by_zone_dedicated.get(z, []))
        }
        demand[Category.GENERAL] += sum(solution.pools[(g, z)][0] for g in by_zone_pools.get(z, []))
        for (c, zz), r in solution.restricted_zones.items():
            if zz == z:
                demand[c] = r
        wanted = {
            i
            for j in by_zone_dedicated.get(z, [])
            if dests[j].current == solution.dedicated[j]
            for i in dests[j].current_chutes
        }
        for g in by_zone_pools.get(z, []):
            wanted.update(previous_volume.get(g, {}))
        roles = _assign_roles(problem, z, demand, previous_role, wanted)
        for c, chutes in roles.items():
            if c != Category.GENERAL:
                restricted.setdefault(c, []).extend(chutes)
        free = sorted(roles.get(Category.GENERAL, []), key=lambda i: (travel[i], i))
        free_set = set(free)
        # 1. destinations that keep their zone and chute count keep their chutes
        for j in by_zone_dedicated.get(z, []):
            d = dests[j]
            if d.current == solution.dedicated[j] and set(d.current_chutes) <= free_set:
                chutes_of[j] = list(d.current_chutes)
                free_set -= set(d.current_chutes)
        # 2. shared chutes keep the group's chutes that carried most of its mixed volume before
        for g in by_zone_pools.get(z, []):
            m = solution.pools[(g, z)][0]
            before = previous_volume.get(g, {})
            keep = sorted(
                previous_group_chutes.get(g, set()) & free_set,
                key=lambda i: (-before.get(i, 0.0), travel[i], i),
            )
            pool_chutes[(g, z)] = keep[:m]
            free_set -= set(keep[:m])
        # 3. the heaviest per-chute loads nearest the induction points
        order = sorted(
            (j for j in by_zone_dedicated.get(z, []) if j not in chutes_of),
            key=lambda j: (-dests[j].effective[z] / solution.dedicated[j][1], dests[j].name),
        )
        nearest = [i for i in free if i in free_set]
        for j in order:
            n = solution.dedicated[j][1]
            chutes_of[j], nearest = nearest[:n], nearest[n:]
        for g in sorted(by_zone_pools.get(z, [])):
            m = solution.pools[(g, z)][0]
            need = m - len(pool_chutes[(g, z)])
            pool_chutes[(g, z)] += nearest[:need]
            nearest = nearest[need:]

    shares: dict[int, dict[int, float]] = {}  # destination -> chute -> scaled load placed there
    chute_load: dict[int, float] = {}
    for j, chutes in chutes_of.items():
        z = solution.dedicated[j][0]
        shares[j] = {i: 1.0 / len(chutes) for i in chutes}
        for i in chutes:
            chute_load[i] = chute_load.get(i, 0.0) + dests[j].effective[z] / len(chutes)

    for g, members in solution.mixed_destinations(options).items():
        loads = dict(zip(members, options.pool_loads[g], strict=False))
        bins: list[list[int]] = []  # [chute, zone, room]
        quota: dict[int, int] = {}
        for z in range(len(problem.zones)):
            if (g, z) not in solution.pools or not solution.pools[(g, z)][0]:
                continue
            m, load = solution.pools[(g, z)]
            quota[z] = load
            for chute, room in zip(
                sorted(pool_chutes[(g, z)], key=lambda i: travel[i]),
                _levels(load, m, zc.soft[z]),
                strict=True,
            ):
                bins.append([chute, z, room])
        if not bins:
            raise OptimizerError(
                f"hand-over group {problem.groups[g]}: mixed destinations but no shared chute"
            )
        placed: dict[int, dict[int, int]] = {j: {} for j in members}
        pending: list[tuple[int, int]] = []
        heaviest_first = sorted(members, key=lambda j: (-loads[j], dests[j].name))
        # First every destination that can stay on a chute it had (a move is floor work),
        # then first fit for the others.
        for stay in (True, False):
            left = []
            for j in heaviest_first:
                amount = loads[j]
                candidates = [b for b in bins if b[0] in dests[j].current_chutes] if stay else bins
                target = next(
                    (b for b in candidates if b[2] >= amount and quota[b[1]] >= amount), None
                )
                if target is None:
                    left.append(j)
                    continue
                target[2] -= amount
                quota[target[1]] -= amount
                placed[j][target[0]] = amount
            heaviest_first = left
        pending = [(j, loads[j]) for j in heaviest_first]
        for j, amount in pending:  # split what did not fit whole
            for b in bins:
                part = min(amount, b[2], quota[b[1]])
                if part > 0:
                    b[2] -= part
                    quota[b[1]] -= part
                    placed[j][b[0]] = placed[j].get(b[0], 0) + part
                    amount -= part
                if not amount:
                    break
            if amount:
                raise OptimizerError(f"hand-over group {problem.groups[g]}: shared chutes overfull")
        for j, parts in placed.items():
            total = sum(parts.values())
            shares[j] = {i: (p / total if total else 1.0 / len(parts)) for i, p in parts.items()}
            for i, p in parts.items():
                chute_load[i] = chute_load.get(i, 0.0) + p / LOAD_SCALE

    group_chutes: dict[int, set[int]] = {}
    for j, s in shares.items():
        group_chutes.setdefault(dests[j].group, set()).update(s)
    capacity = {i: z.chute_capacity_h for z in problem.zones for i in z.zone.chutes}
    assignments = []
    for j, d in enumerate(dests):
        own = shares[j]
        others = sorted(
            group_chutes[d.group] - set(own),
            key=lambda i: (chute_load.get(i, 0.0) / capacity[i], travel[i], i),
        )
        assignments.append(
            DestinationAssignment(
                d.name,
                tuple(
                    ChuteShare(layout.chutes[i].id, share)
                    for i, share in sorted(own.items(), key=lambda kv: (travel[kv[0]], kv[0]))
                ),
                tuple(layout.chutes[i].id for i in others[:MAX_ALTERNATES]),
            )
        )
    return Placement(
        tuple(assignments),
        {
            c: tuple(layout.chutes[i].id for i in sorted(ids, key=lambda i: travel[i]))
            for c, ids in restricted.items()
        },
    )
