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
from optimizer.sorting.problem import PlanningProblem, restricted_fits

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
    """A restricted category split evenly over `chutes` chutes.

    `per_chute` lists the zones whose chutes can take that even share without overflowing
    (the hard limit) and the scaled cost of one such chute there.
    """

    category: Category
    chutes: int
    per_chute: dict[int, int]

    def cost(self, zone_counts: dict[int, int]) -> int:
        return sum(self.per_chute[z] * n for z, n in zone_counts.items() if n)

    @property
    def lowest_cost(self) -> int:
        """The cost with every chute in the cheapest allowed zone."""
        return self.chutes * min(self.per_chute.values())


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
    # (group, zone) -> (its shared chutes there in the current plan, scaled cost of dropping one:
    # the move cost of the destinations on it, on average)
    pool_moves: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    def pool_move_cost(self, group: int, zone: int, chutes: int) -> int:
        current, per_chute = self.pool_moves.get((group, zone), (0, 0))
        return per_chute * max(0, current - chutes)


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


def scaled_cost(value: float) -> int:
    return round(value * COST_SCALE)


def build_options(problem: PlanningProblem) -> Options:
    w = problem.weights
    zones = problem.zones
    dedicated: dict[int, list[DedicatedOption]] = {}
    for j, d in enumerate(problem.destinations):
        choices: list[DedicatedOption] = []
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
                choices.append(DedicatedOption(j, z, n, scaled_cost(cost)))
        dedicated[j] = choices

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
        group_options = [MixOption(g, 0, 0, 0, 0)]
        cap = problem.pool_capacity_h[g]
        load = volume = moved = 0.0
        for k, j in enumerate(members, start=1):
            d = problem.destinations[j]
            load += loads[k - 1]
            volume += d.volume
            moved += w.move if (d.current is not None or d.was_mixed is False) else 0.0
            low = max(1, math.ceil(load / LOAD_SCALE / (w.max_fill * cap) - ROUNDING))
            high = max(low, min(k, math.ceil(load / LOAD_SCALE / (w.soft_fill * cap) - ROUNDING)))
            for m in range(low, high + 1):
                cost = scaled_cost(w.mix * volume + moved)
                group_options.append(MixOption(g, k, m, int(load), cost))
        mix[g] = group_options

    restricted: dict[Category, list[RestrictedOption]] = {}
    for category, data in problem.restricted.items():
        capable = sum(z.allowing(category) for z in zones)
        most = max(
            math.ceil(data.effective[z] / (w.soft_fill * zone.chute_capacity_h) - ROUNDING)
            for z, zone in enumerate(zones)
            if zone.allowing(category)
        )
        by_count: list[RestrictedOption] = []
        for r in range(data.fewest_chutes, max(data.fewest_chutes, min(most, capable)) + 1):
            per_chute = {
                z: scaled_cost(w.overload_cost(data.effective[z] / r, zone.chute_capacity_h, 1))
                for z, zone in enumerate(zones)
                if zone.allowing(category) and restricted_fits(data, zone, r, w.max_fill)
            }
            if sum(zones[z].allowing(category) for z in per_chute) >= r:
                by_count.append(RestrictedOption(category, r, per_chute))
        restricted[category] = by_count

    per_unit = COST_SCALE / LOAD_SCALE
    zone_costs = ZoneCosts(
        hard=tuple(math.floor(w.max_fill * z.chute_capacity_h * LOAD_SCALE) for z in zones),
        soft=tuple(round(w.soft_fill * z.chute_capacity_h * LOAD_SCALE) for z in zones),
        firm=tuple(round(w.firm_fill * z.chute_capacity_h * LOAD_SCALE) for z in zones),
        over_soft=round(w.over_soft * per_unit),
        over_firm=round(w.over_firm * per_unit),
        distance=tuple(round(w.distance_per_m * z.zone.extra_m * per_unit) for z in zones),
    )
    return Options(
        dedicated, mix, restricted, mix_order, pool_loads, zone_costs, _pool_moves(problem)
    )


def _pool_moves(problem: PlanningProblem) -> dict[tuple[int, int], tuple[int, int]]:
    """Where each group's shared chutes are now, and what dropping one of them costs.

    The model counts a move when a destination changes between shared and dedicated; a pool
    that shrinks or leaves a zone moves the destinations of the chutes it gives up, which
    the placement cannot avoid: charged here per chute given up.
    """
    zone_of = {i: z for z, zone in enumerate(problem.zones) for i in zone.zone.chutes}
    chutes: dict[tuple[int, int], set[int]] = {}
    served: dict[tuple[int, int], int] = {}
    for d in problem.destinations:
        if not d.was_mixed:
            continue
        for where in {(d.group, zone_of[i]) for i in d.current_chutes if i in zone_of}:
            served[where] = served.get(where, 0) + 1
        for i in d.current_chutes:
            if i in zone_of:
                chutes.setdefault((d.group, zone_of[i]), set()).add(i)
    move = problem.weights.move
    return {
        where: (len(ids), scaled_cost(move * served[where] / len(ids)))
        for where, ids in chutes.items()
        if move > 0
    }


def evaluate(options: Options, solution: ZoneSolution) -> int:
    """The objective of a zone solution, scaled; the model's objective for the same solution."""
    total = 0
    for j, (z, n) in solution.dedicated.items():
        total += next(o.cost for o in options.dedicated[j] if o.zone == z and o.chutes == n)
    for g, (k, m) in solution.mixing.items():
        total += next(o.cost for o in options.mix[g] if o.mixed == k and o.pool_chutes == m)
    for c, r in solution.restricted.items():
        option = next(o for o in options.restricted[c] if o.chutes == r)
        total += option.cost({z: n for (cc, z), n in solution.restricted_zones.items() if cc == c})
    for (_, z), (m, load) in solution.pools.items():
        total += options.zone_costs.pool_cost(z, m, load)
    for g, z in options.pool_moves:
        total += options.pool_move_cost(g, z, solution.pools.get((g, z), (0, 0))[0])
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
        self.objective = round(self.objective_value)
        self._record()

    def on_bound(self, bound: float) -> None:
        self.bound = math.ceil(bound - 1e-6)
        self._record()

    def _record(self) -> None:
        self.trace.append((time.perf_counter() - self.started, self.objective, self.bound))


class _ZoneModel:
    """The CP-SAT model of one planning problem: variables by option, built from arrays."""

    def __init__(self, problem: PlanningProblem, options: Options):
        self.problem = problem
        self.options = options
        self.model = cp_model.CpModel()
        self.objective: list[cp_model.LinearExprT] = []
        self.general_use: list[list[cp_model.LinearExprT]] = [[] for _ in problem.zones]
        self.dedicated: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.mix: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.pools: dict[tuple[int, int], tuple[cp_model.IntVar, cp_model.IntVar]] = {}
        # (g, z) -> load above the soft and firm levels, current shared chutes given up
        self.pool_excess: dict[tuple[int, int], tuple[cp_model.IntVar, ...]] = {}
        self.restricted: dict[tuple[Category, int], cp_model.IntVar] = {}
        self.restricted_option_zone: dict[tuple[Category, int, int], cp_model.IntVar] = {}
        self.restricted_zone: dict[tuple[Category, int], cp_model.IntVar] = {}
        mixed_by: dict[int, list[cp_model.IntVar]] = {}
        for g in options.mix:
            self._add_group(g, mixed_by)
        for j in options.dedicated:
            self._add_destination(j, mixed_by.get(j, []))
        for category in options.restricted:
            self._add_restricted(category)
        for z in range(len(problem.zones)):
            self._add_zone_capacity(z)
        self.model.minimize(sum(self.objective))

    def _add_destination(self, j: int, mixed: list[cp_model.IntVar]) -> None:
        literals = []
        for o in self.options.dedicated[j]:
            var = self.model.new_bool_var(f"d{j}_{o.zone}_{o.chutes}")
            self.dedicated[(j, o.zone, o.chutes)] = var
            self.general_use[o.zone].append(o.chutes * var)
            literals.append(var)
            if o.cost:
                self.objective.append(o.cost * var)
        # dedicated somewhere, or one of the mixed smallest of its group
        self.model.add(sum(literals) + sum(mixed) == 1)

    def _add_group(self, g: int, mixed_by: dict[int, list[cp_model.IntVar]]) -> None:
        model, zc, zones = self.model, self.options.zone_costs, self.problem.zones
        choices = self.options.mix[g]
        literals = []
        for o in choices:
            var = model.new_bool_var(f"x{g}_{o.mixed}_{o.pool_chutes}")
            self.mix[(g, o.mixed, o.pool_chutes)] = var
            literals.append(var)
            if o.cost:
                self.objective.append(o.cost * var)
        model.add_exactly_one(literals)
        for rank, j in enumerate(self.options.mix_order[g]):
            mixed_by[j] = [lit for o, lit in zip(choices, literals, strict=True) if o.mixed > rank]
        if len(choices) == 1:
            for z in range(len(zones)):  # no pool any more: all its current chutes given up
                if (g, z) in self.options.pool_moves:
                    self.objective.append(self.options.pool_move_cost(g, z, 0))
            return
        max_chutes = max(o.pool_chutes for o in choices)
        max_load = max(o.load for o in choices)
        chutes_per_zone, load_per_zone = [], []
        allowed = self.problem.pool_zones[g]
        for z in range(len(zones)):
            if z not in allowed and (g, z) in self.options.pool_moves:
                self.objective.append(self.options.pool_move_cost(g, z, 0))
        for z in allowed:
            zone = zones[z]
            chutes = model.new_int_var(0, min(max_chutes, zone.general), f"m{g}_{z}")
            load = model.new_int_var(0, max_load, f"p{g}_{z}")
            soft = model.new_int_var(0, max_load, f"s{g}_{z}")
            firm = model.new_int_var(0, max_load, f"f{g}_{z}")
            model.add(load <= zc.hard[z] * chutes)
            model.add(soft >= load - zc.soft[z] * chutes)
            model.add(firm >= load - zc.firm[z] * chutes)
            self.objective += [zc.over_soft * soft, zc.over_firm * firm]
            if zc.distance[z]:
                self.objective.append(zc.distance[z] * load)
            self.general_use[z].append(chutes)
            self.pools[(g, z)] = (chutes, load)
            self.pool_excess[(g, z)] = (soft, firm)
            current, per_chute = self.options.pool_moves.get((g, z), (0, 0))
            if current and per_chute:
                dropped = model.new_int_var(0, current, f"q{g}_{z}")
                model.add(dropped >= current - chutes)
                self.objective.append(per_chute * dropped)
                self.pool_excess[(g, z)] = (soft, firm, dropped)
            chutes_per_zone.append(chutes)
            load_per_zone.append(load)
        model.add(
            sum(chutes_per_zone)
            == sum(o.pool_chutes * v for o, v in zip(choices, literals, strict=True))
        )
        model.add(
            sum(load_per_zone) == sum(o.load * v for o, v in zip(choices, literals, strict=True))
        )

    def _add_restricted(self, category: Category) -> None:
        """One option (number of chutes) per category; its chutes only in zones that take an
        even share without overflowing, each costed for its zone."""
        model, zones, name = self.model, self.problem.zones, category.value
        literals = []
        in_zone: dict[int, list[cp_model.IntVar]] = {}
        for o in self.options.restricted[category]:
            chosen = model.new_bool_var(f"r{name}_{o.chutes}")
            self.restricted[(category, o.chutes)] = chosen
            literals.append(chosen)
            counts = []
            for z, cost in o.per_chute.items():
                count = model.new_int_var(0, zones[z].allowing(category), f"r{name}_{o.chutes}_{z}")
                self.restricted_option_zone[(category, o.chutes, z)] = count
                in_zone.setdefault(z, []).append(count)
                counts.append(count)
                if cost:
                    self.objective.append(cost * count)
            model.add(sum(counts) == o.chutes * chosen)
        model.add_exactly_one(literals)
        for z, counts in in_zone.items():
            total = model.new_int_var(0, zones[z].allowing(category), f"rz{name}_{z}")
            model.add(total == sum(counts))
            self.restricted_zone[(category, z)] = total

    def _add_zone_capacity(self, z: int) -> None:
        """Hall's condition: every set of roles fits the chutes able to play one of them."""
        zone = self.problem.zones[z]
        roles: list[tuple[Category, list[cp_model.LinearExprT]]] = [
            (Category.GENERAL, self.general_use[z])
        ]
        roles += [
            (c, [self.restricted_zone[(c, z)]])
            for c in self.options.restricted
            if (c, z) in self.restricted_zone
        ]
        for size in range(1, len(roles) + 1):
            for subset in itertools.combinations(roles, size):
                allowed = {c for c, _ in subset}
                room = sum(1 for cats in zone.chute_categories if cats & allowed)
                self.model.add(sum(sum(terms) for _, terms in subset) <= room)

    def add_hint(self, hint: ZoneSolution) -> None:
        model = self.model
        for (j, z, n), var in self.dedicated.items():
            model.add_hint(var, hint.dedicated.get(j) == (z, n))
        for (g, k, m), var in self.mix.items():
            model.add_hint(var, hint.mixing.get(g, (0, 0)) == (k, m))
        zc = self.options.zone_costs
        for pool, (chutes, load) in self.pools.items():
            m, hinted_load = hint.pools.get(pool, (0, 0))
            model.add_hint(chutes, m)
            model.add_hint(load, hinted_load)
            z = pool[1]
            excess = self.pool_excess[pool]  # a complete hint is taken as a first solution
            model.add_hint(excess[0], max(0, hinted_load - zc.soft[z] * m))
            model.add_hint(excess[1], max(0, hinted_load - zc.firm[z] * m))
            if len(excess) > 2:
                model.add_hint(excess[2], max(0, self.options.pool_moves[pool][0] - m))
        for (c, r), var in self.restricted.items():
            model.add_hint(var, hint.restricted.get(c) == r)
        for (c, r, z), var in self.restricted_option_zone.items():
            chosen = hint.restricted.get(c) == r
            model.add_hint(var, hint.restricted_zones.get((c, z), 0) if chosen else 0)
        for where, var in self.restricted_zone.items():
            model.add_hint(var, hint.restricted_zones.get(where, 0))

    def solution(self, solver: cp_model.CpSolver) -> ZoneSolution:
        found = ZoneSolution()
        for (j, z, n), var in self.dedicated.items():
            if solver.boolean_value(var):
                found.dedicated[j] = (z, n)
        for (g, k, m), var in self.mix.items():
            if solver.boolean_value(var):
                found.mixing[g] = (k, m)
        for pool, (chutes, load) in self.pools.items():
            pair = (int(solver.value(chutes)), int(solver.value(load)))
            if pair != (0, 0):
                found.pools[pool] = pair
        for (c, r), var in self.restricted.items():
            if solver.boolean_value(var):
                found.restricted[c] = r
        for where, var in self.restricted_zone.items():
            if solver.value(var):
                found.restricted_zones[where] = int(solver.value(var))
        return found


def solve_zone_model(
    problem: PlanningProblem,
    options: Options,
    time_limit_s: float,
    seed: int,
    workers: int,
    hint: ZoneSolution | None = None,
) -> ModelOutcome:
    """Solve the zone model with CP-SAT (presolve off: it rewrites the options into a weaker LP)."""
    built = _ZoneModel(problem, options)
    if hint is not None:
        built.add_hint(hint)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    solver.parameters.cp_model_presolve = False
    progress = _Progress()
    solver.best_bound_callback = progress.on_bound
    started = time.perf_counter()
    status = solver.solve(built.model, progress)
    wall = time.perf_counter() - started
    name = solver.status_name(status)
    variables = len(built.model.proto.variables)
    trace = tuple(progress.trace)
    if status == cp_model.MODEL_INVALID:
        raise OptimizerError(f"internal error: invalid zone model ({built.model.validate()})")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = int(solver.best_objective_bound) if status == cp_model.UNKNOWN else None
        return ModelOutcome(name, None, None, bound, wall, variables, trace)
    return ModelOutcome(
        name,
        built.solution(solver),
        round(solver.objective_value),
        math.ceil(solver.best_objective_bound - 1e-6),
        wall,
        variables,
        trace,
    )
