"""The plan optimizer's CP-SAT model, at zone level.

Deciding destination -> chute directly (600 x 300 booleans) gives CP-SAT a weak bound. Instead
the model chooses, for every destination, how many chutes it gets and in which zone, and for
every hand-over group how many of its low-volume destinations share chutes (always the k
smallest: mixing a larger one instead never helps) and how many shared chutes they fill.
These multiple-choice options make the LP relaxation nearly exact, so CP-SAT proves small gaps
quickly. Chutes inside a zone are interchangeable, so `placement` turns any zone solution into
concrete chutes with exactly the same objective.

All model quantities are integers: loads in 1/LOAD_SCALE parcel/h, costs in 1/COST_SCALE.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.errors import OptimizerError
from optimizer.sorting.categories import Category
from optimizer.sorting.problem import PlanningProblem

LOAD_SCALE = 10
COST_SCALE = 10_000
ROUNDING = 1e-9


@dataclass(frozen=True)
class DedicatedOption:
    destination: int
    zone: int
    chutes: int
    cost: int


@dataclass(frozen=True)
class MixOption:
    group: int
    mixed: int  # how many of the group's mixable destinations (smallest first) share chutes
    pool_chutes: int
    load: int  # their load, scaled
    cost: int


@dataclass(frozen=True)
class RestrictedOption:
    category: Category
    chutes: int
    cost: int


@dataclass(frozen=True)
class ZoneCosts:
    """Per zone, per shared (pool) chute: load levels and cost coefficients, scaled."""

    hard: tuple[int, ...]
    soft: tuple[int, ...]
    firm: tuple[int, ...]
    over_soft: int
    over_firm: int
    distance: tuple[int, ...]

    def pool_cost(self, zone: int, chutes: int, load: int) -> int:
        return (
            self.over_soft * max(0, load - self.soft[zone] * chutes)
            + self.over_firm * max(0, load - self.firm[zone] * chutes)
            + self.distance[zone] * load
        )


@dataclass(frozen=True)
class Options:
    dedicated: dict[int, list[DedicatedOption]]
    mix: dict[int, list[MixOption]]
    restricted: dict[Category, list[RestrictedOption]]
    mix_order: dict[int, list[int]]  # group -> its mixable destinations, smallest first
    pool_loads: dict[int, list[int]]  # group -> each mixable destination's scaled load
    zone_costs: ZoneCosts


@dataclass
class ZoneSolution:
    """Counts per zone; `placement` turns it into chutes."""

    dedicated: dict[int, tuple[int, int]] = field(default_factory=dict)  # dest -> (zone, chutes)
    mixing: dict[int, tuple[int, int]] = field(default_factory=dict)  # group -> (mixed, chutes)
    pools: dict[tuple[int, int], tuple[int, int]] = field(
        default_factory=dict
    )  # (g, z) -> (m, load)
    restricted: dict[Category, int] = field(default_factory=dict)
    restricted_zones: dict[tuple[Category, int], int] = field(default_factory=dict)

    def mixed_destinations(self, options: Options) -> dict[int, list[int]]:
        return {g: options.mix_order[g][:k] for g, (k, _) in self.mixing.items() if k}


def _scaled(value: float) -> int:
    return round(value * COST_SCALE)


def build_options(problem: PlanningProblem) -> Options:
    w = problem.weights
    zones = problem.zones
    dedicated: dict[int, list[DedicatedOption]] = {}
    for j, d in enumerate(problem.destinations):
        options = []
        for z, zone in enumerate(zones):
            cap, load = zone.chute_capacity_h, d.effective[z]
            need = max(1, math.ceil(load / (w.max_fill * cap) - ROUNDING))
            most = max(need, math.ceil(load / (w.soft_fill * cap) - ROUNDING))
            for n in range(need, min(most, zone.general) + 1):
                cost = (
                    w.overload_cost(load, cap, n) + w.distance_per_m * zone.zone.extra_m * d.volume
                )
                keeps = d.current == (z, n)
                if (d.current is not None and not keeps) or d.was_mixed:
                    cost += w.move
                options.append(DedicatedOption(j, z, n, _scaled(cost)))
        dedicated[j] = options

    cap_min = min(z.chute_capacity_h for z in zones)
    cap_max = max(z.chute_capacity_h for z in zones)
    mix: dict[int, list[MixOption]] = {}
    mix_order: dict[int, list[int]] = {}
    pool_loads: dict[int, list[int]] = {}
    for g in range(len(problem.groups)):
        members = sorted(
            (j for j, d in enumerate(problem.destinations) if d.group == g and d.mixable),
            key=lambda j: (problem.destinations[j].pool_effective, problem.destinations[j].name),
        )
        mix_order[g] = members
        loads = [round(problem.destinations[j].pool_effective * LOAD_SCALE) for j in members]
        pool_loads[g] = loads
        options = [MixOption(g, 0, 0, 0, 0)]
        load = volume = moved = 0.0
        for k, j in enumerate(members, start=1):
            d = problem.destinations[j]
            load += loads[k - 1]
            volume += d.volume
            moved += w.move if (d.current is not None or d.was_mixed is False) else 0.0
            low = max(1, math.ceil(load / LOAD_SCALE / (w.max_fill * cap_max) - ROUNDING))
            high = max(
                low, min(k, math.ceil(load / LOAD_SCALE / (w.soft_fill * cap_min) - ROUNDING))
            )
            for m in range(low, high + 1):
                options.append(MixOption(g, k, m, int(load), _scaled(w.mix * volume + moved)))
        mix[g] = options

    restricted: dict[Category, list[RestrictedOption]] = {}
    for category, load in problem.restricted.items():
        capable = sum(z.allowing(category) for z in zones)
        need = max(1, math.ceil(load / (w.max_fill * cap_min) - ROUNDING))
        most = max(need, math.ceil(load / (w.soft_fill * cap_min) - ROUNDING))
        restricted[category] = [
            RestrictedOption(category, r, _scaled(w.overload_cost(load, cap_min, r)))
            for r in range(min(need, capable), min(most, capable) + 1)
        ]

    per_unit = COST_SCALE / LOAD_SCALE
    zone_costs = ZoneCosts(
        hard=tuple(math.floor(w.max_fill * z.chute_capacity_h * LOAD_SCALE) for z in zones),
        soft=tuple(round(w.soft_fill * z.chute_capacity_h * LOAD_SCALE) for z in zones),
        firm=tuple(round(w.firm_fill * z.chute_capacity_h * LOAD_SCALE) for z in zones),
        over_soft=round(w.over_soft * per_unit),
        over_firm=round(w.over_firm * per_unit),
        distance=tuple(round(w.distance_per_m * z.zone.extra_m * per_unit) for z in zones),
    )
    return Options(dedicated, mix, restricted, mix_order, pool_loads, zone_costs)


def evaluate(options: Options, solution: ZoneSolution) -> int:
    """The objective of a zone solution, scaled; the model's objective for the same solution."""
    total = 0
    for j, (z, n) in solution.dedicated.items():
        total += next(o.cost for o in options.dedicated[j] if o.zone == z and o.chutes == n)
    for g, (k, m) in solution.mixing.items():
        total += next(o.cost for o in options.mix[g] if o.mixed == k and o.pool_chutes == m)
    for c, r in solution.restricted.items():
        total += next(o.cost for o in options.restricted[c] if o.chutes == r)
    for (_, z), (m, load) in solution.pools.items():
        total += options.zone_costs.pool_cost(z, m, load)
    return total


@dataclass(frozen=True)
class ModelOutcome:
    status: str  # CP-SAT status name
    solution: ZoneSolution | None
    objective: int | None
    bound: int | None
    wall_time_s: float
    variables: int
    trace: tuple[tuple[float, int | None, int | None], ...] = ()  # (s, objective, bound)

    def time_to_gap(self, gap: float) -> float | None:
        """Seconds until the solver had proved a relative gap of at most `gap`."""
        for t, objective, bound in self.trace:
            if (
                objective is not None
                and bound is not None
                and (objective <= 0 or objective - bound <= gap * objective)
            ):
                return t
        return None


class _Progress(cp_model.CpSolverSolutionCallback):
    """Records when the incumbent and the bound improve, for time-to-gap figures."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.perf_counter()
        self.objective: int | None = None
        self.bound: int | None = None
        self.trace: list[tuple[float, int | None, int | None]] = []

    def on_solution_callback(self) -> None:
        self.objective = round(self.ObjectiveValue())
        self._record()

    def on_bound(self, bound: float) -> None:
        self.bound = math.ceil(bound - 1e-6)
        self._record()

    def _record(self) -> None:
        self.trace.append((time.perf_counter() - self.started, self.objective, self.bound))


def solve_zone_model(
    problem: PlanningProblem,
    options: Options,
    time_limit_s: float,
    seed: int,
    workers: int,
    hint: ZoneSolution | None = None,
) -> ModelOutcome:
    """Solve the zone model with CP-SAT (presolve off: it rewrites the options into a weaker LP)."""
    model = cp_model.CpModel()
    zones = problem.zones
    zc = options.zone_costs
    objective = []
    general_use: list[list] = [[] for _ in zones]

    ded_vars: dict[tuple[int, int, int], cp_model.IntVar] = {}
    for j, opts in options.dedicated.items():
        for o in opts:
            var = model.NewBoolVar(f"d{j}_{o.zone}_{o.chutes}")
            ded_vars[(j, o.zone, o.chutes)] = var
            general_use[o.zone].append(o.chutes * var)
            if o.cost:
                objective.append(o.cost * var)

    mix_vars: dict[tuple[int, int, int], cp_model.IntVar] = {}
    pool_vars: dict[tuple[int, int], tuple[cp_model.IntVar, cp_model.IntVar]] = {}
    mixed_rank: dict[int, list] = {}
    for g, opts in options.mix.items():
        literals = []
        for o in opts:
            var = model.NewBoolVar(f"x{g}_{o.mixed}_{o.pool_chutes}")
            mix_vars[(g, o.mixed, o.pool_chutes)] = var
            literals.append(var)
            if o.cost:
                objective.append(o.cost * var)
        model.AddExactlyOne(literals)
        for rank, j in enumerate(options.mix_order[g]):
            mixed_rank[j] = [mix_vars[(g, o.mixed, o.pool_chutes)] for o in opts if o.mixed > rank]
        if len(opts) == 1:
            continue
        max_m = max(o.pool_chutes for o in opts)
        max_load = max(o.load for o in opts)
        ms, loads = [], []
        for z, zone in enumerate(zones):
            m = model.NewIntVar(0, min(max_m, zone.general), f"m{g}_{z}")
            load = model.NewIntVar(0, max_load, f"p{g}_{z}")
            model.Add(load <= zc.hard[z] * m)
            soft = model.NewIntVar(0, max_load, f"s{g}_{z}")
            firm = model.NewIntVar(0, max_load, f"f{g}_{z}")
            model.Add(soft >= load - zc.soft[z] * m)
            model.Add(firm >= load - zc.firm[z] * m)
            objective += [zc.over_soft * soft, zc.over_firm * firm]
            if zc.distance[z]:
                objective.append(zc.distance[z] * load)
            general_use[z].append(m)
            pool_vars[(g, z)] = (m, load)
            ms.append(m)
            loads.append(load)
        model.Add(
            sum(ms) == sum(o.pool_chutes * mix_vars[(g, o.mixed, o.pool_chutes)] for o in opts)
        )
        model.Add(sum(loads) == sum(o.load * mix_vars[(g, o.mixed, o.pool_chutes)] for o in opts))

    for j, opts in options.dedicated.items():
        literals = [ded_vars[(j, o.zone, o.chutes)] for o in opts]
        model.Add(sum(literals) + sum(mixed_rank.get(j, [])) == 1)

    res_vars: dict[tuple[Category, int], cp_model.IntVar] = {}
    res_zone: dict[tuple[Category, int], cp_model.IntVar] = {}
    for c, opts in options.restricted.items():
        literals = []
        for o in opts:
            var = model.NewBoolVar(f"r{c.value}_{o.chutes}")
            res_vars[(c, o.chutes)] = var
            literals.append(var)
            if o.cost:
                objective.append(o.cost * var)
        model.AddExactlyOne(literals)
        per_zone = []
        for z, zone in enumerate(zones):
            capable = zone.allowing(c)
            if capable:
                var = model.NewIntVar(0, capable, f"rz{c.value}_{z}")
                res_zone[(c, z)] = var
                per_zone.append(var)
        model.Add(sum(per_zone) == sum(o.chutes * res_vars[(c, o.chutes)] for o in opts))

    for z, zone in enumerate(zones):
        roles: list[tuple[Category, list]] = [(Category.GENERAL, general_use[z])]
        roles += [(c, [res_zone[(c, z)]]) for c in options.restricted if (c, z) in res_zone]
        for size in range(1, len(roles) + 1):
            for subset in itertools.combinations(roles, size):
                allowed = {c for c, _ in subset}
                room = sum(1 for cats in zone.chute_categories if cats & allowed)
                model.Add(sum(sum(terms) for _, terms in subset) <= room)

    model.Minimize(sum(objective))

    if hint is not None:
        for key, var in ded_vars.items():
            model.AddHint(var, hint.dedicated.get(key[0]) == (key[1], key[2]))
        for (g, k, m), var in mix_vars.items():
            model.AddHint(var, hint.mixing.get(g, (0, 0)) == (k, m))
        for (g, z), (m_var, load_var) in pool_vars.items():
            m, load = hint.pools.get((g, z), (0, 0))
            model.AddHint(m_var, m)
            model.AddHint(load_var, load)
        for (c, r), var in res_vars.items():
            model.AddHint(var, hint.restricted.get(c) == r)
        for key, var in res_zone.items():
            model.AddHint(var, hint.restricted_zones.get(key, 0))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    solver.parameters.cp_model_presolve = False
    progress = _Progress()
    solver.best_bound_callback = progress.on_bound
    started = time.perf_counter()
    status = solver.Solve(model, progress)
    wall = time.perf_counter() - started
    name = solver.StatusName(status)
    variables = len(model.Proto().variables)
    if status == cp_model.MODEL_INVALID:
        raise OptimizerError(f"internal error: invalid zone model ({model.Validate()})")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = int(solver.BestObjectiveBound()) if status == cp_model.UNKNOWN else None
        return ModelOutcome(name, None, None, bound, wall, variables, tuple(progress.trace))

    solution = ZoneSolution()
    for (j, z, n), var in ded_vars.items():
        if solver.BooleanValue(var):
            solution.dedicated[j] = (z, n)
    for (g, k, m), var in mix_vars.items():
        if solver.BooleanValue(var):
            solution.mixing[g] = (k, m)
    for key, (m_var, load_var) in pool_vars.items():
        m, load = solver.Value(m_var), solver.Value(load_var)
        if m or load:
            solution.pools[key] = (m, load)
    for (c, r), var in res_vars.items():
        if solver.BooleanValue(var):
            solution.restricted[c] = r
    for key, var in res_zone.items():
        if solver.Value(var):
            solution.restricted_zones[key] = solver.Value(var)
    return ModelOutcome(
        name,
        solution,
        round(solver.ObjectiveValue()),
        math.ceil(solver.BestObjectiveBound() - 1e-6),
        wall,
        variables,
        tuple(progress.trace),
    )
