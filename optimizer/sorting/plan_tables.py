"""A plan turned into lookup tables for the real-time assigner, checked against the sorter.

Activation refuses a plan that cannot be run safely on this layout: chutes it does not have,
a destination sent to a no-read or reject chute, restricted goods on a chute not fitted for
them, a chute given two roles. (Capacities and hand-over compatibility need the forecast:
that is the checker's job, `check.py`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.errors import InputError, Problem
from optimizer.sorting.categories import Category
from optimizer.sorting.layout import Chute, ChuteType, SorterLayout
from optimizer.sorting.plan import SortPlan

SPECIAL_ROLES = ("no_read", "exception", "reject", "oversize")

# What a chute does under a plan: the destinations it serves, or a restricted category, or a
# special role. A chute whose role changes between two plans must get an empty container.
ChuteRole = tuple[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class _Destination:
    chutes: tuple[int, ...]
    alternates: tuple[int, ...]
    quick_dim: float  # a parcel no larger than this in every dimension fits all its chutes
    quick_weight: float  # ... and no heavier than this
    all_limits: tuple[float, float, float, float]  # sorted dimensions + weight fitting all
    uniform: bool  # all its chutes have the same limits: fitting one means fitting all


def sorted_limits(chute: Chute) -> tuple[float, float, float, float]:
    """A chute's size limits, largest first, and its weight limit."""
    a, b, c = sorted((chute.max_length_mm, chute.max_width_mm, chute.max_height_mm), reverse=True)
    return (a, b, c, chute.max_weight_g)


def chute_roles(plan: SortPlan) -> dict[str, ChuteRole]:
    """Chute id -> its role under `plan` (alternates do not give a chute a role)."""
    served: dict[str, set[str]] = {}
    for a in plan.assignments:
        for cid in a.chute_ids:
            served.setdefault(cid, set()).add(a.destination)
    roles: dict[str, ChuteRole] = {
        cid: ("destination", frozenset(names)) for cid, names in served.items()
    }
    for category, ids in plan.restricted.items():
        for cid in ids:
            roles[cid] = ("restricted", frozenset({category.value}))
    for role in SPECIAL_ROLES:
        for cid in getattr(plan, role):
            roles[cid] = (role, frozenset())
    return roles


def structure_problems(plan: SortPlan, layout: SorterLayout) -> list[Problem]:
    """Every way `plan` does not fit the chutes of `layout` (types, roles, categories)."""
    if plan.sorter_id != layout.sorter_id:
        return [
            Problem(
                "plan.sorter_id", f"plan is for sorter {plan.sorter_id}, not {layout.sorter_id}"
            )
        ]
    chutes = {c.id: c for c in layout.chutes}
    problems: list[Problem] = []
    uses: dict[str, list[str]] = {}

    def use(cid: str, role: str, where: str) -> Chute | None:
        uses.setdefault(cid, []).append(role)
        chute = chutes.get(cid)
        if chute is None:
            problems.append(Problem(where, f"chute {cid} is not in the layout", "unknown_chute"))
        return chute

    for i, a in enumerate(plan.assignments):
        for kind, ids in (("chutes", a.chute_ids), ("alternates", a.alternates)):
            for cid in ids:
                where = f"plan.assignments[{i}].{kind}"
                chute = use(cid, "destination", where)
                if chute is not None and (
                    chute.type != ChuteType.DESTINATION or Category.GENERAL not in chute.categories
                ):
                    problems.append(
                        Problem(
                            where,
                            f"{a.destination}: chute {cid} is a {chute.type.value} chute for "
                            f"{', '.join(sorted(c.value for c in chute.categories))}, not a "
                            f"destination chute for general goods",
                            "chute_type",
                        )
                    )
    for category, ids in plan.restricted.items():
        where = f"plan.restricted.{category.value}"
        for cid in ids:
            chute = use(cid, f"restricted {category.value}", where)
            if chute is not None and chute.type != ChuteType.DESTINATION:
                problems.append(
                    Problem(where, f"chute {cid} is a {chute.type.value} chute", "chute_type")
                )
            elif chute is not None and category not in chute.categories:
                problems.append(
                    Problem(where, f"chute {cid} is not fitted for {category.value}", "category")
                )
    for role in SPECIAL_ROLES:
        where = f"plan.special.{role}"
        for cid in getattr(plan, role):
            chute = use(cid, role, where)
            if chute is not None and chute.type != ChuteType(role):
                problems.append(
                    Problem(where, f"chute {cid} is a {chute.type.value} chute", "chute_type")
                )
    for cid, roles in uses.items():
        distinct = sorted(set(roles))
        if len(distinct) > 1:
            problems.append(
                Problem(
                    "plan", f"chute {cid} has several roles: {', '.join(distinct)}", "role_conflict"
                )
            )
    return problems


class PlanTables:
    """Immutable lookup tables for one plan on one layout, built once at activation.

    Raises InputError, listing every problem, when the plan does not fit the layout.
    """

    def __init__(self, plan: SortPlan, layout: SorterLayout):
        problems = structure_problems(plan, layout)
        if problems:
            raise InputError(problems)
        index = {c.id: i for i, c in enumerate(layout.chutes)}.__getitem__
        self.plan = plan
        self.roles = chute_roles(plan)
        self.destinations: dict[str, _Destination] = {}
        for a in plan.assignments:
            chutes = tuple(index(c) for c in a.chute_ids)
            limits = [sorted_limits(layout.chutes[i]) for i in chutes]
            self.destinations[a.destination] = _Destination(
                chutes,
                tuple(index(c) for c in a.alternates),
                min(x[2] for x in limits),
                min(x[3] for x in limits),
                tuple(min(x[k] for x in limits) for k in range(4)),  # type: ignore[arg-type]
                len(set(limits)) == 1,
            )
        self.restricted = {
            c.value: tuple(index(x) for x in ids) for c, ids in plan.restricted.items()
        }
        self.no_read = tuple(index(x) for x in plan.no_read)
        self.exception = tuple(index(x) for x in plan.exception)
        self.reject = tuple(index(x) for x in plan.reject)
        self.oversize = tuple(index(x) for x in plan.oversize)
