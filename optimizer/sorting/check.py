"""Independent feasibility checker for sort plans.

Shares no code with the optimizer, the baselines or `volumes`: it re-derives the expected
load of every chute from the forecast (following the split documented in the README) and
checks the plan against the layout. Used by the tests on every plan a solver returns, and
meant for an API's validate mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.errors import Problem
from optimizer.sorting.categories import Category
from optimizer.sorting.forecast import Forecast
from optimizer.sorting.layout import ChuteType, SorterLayout
from optimizer.sorting.plan import SortPlan

SHARE_TOLERANCE = 1e-4
FILL_TOLERANCE = 1e-6
_RESTRICTED = (Category.BATTERY, Category.LIQUID, Category.COSMETICS, Category.FOOD)


@dataclass(frozen=True)
class CheckReport:
    problems: tuple[Problem, ...]
    fills: dict[str, float] = field(default_factory=dict)  # expected fill per swap interval

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def max_fill(self) -> float:
        return max(self.fills.values(), default=0.0)

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}


def check_plan(
    plan: SortPlan, layout: SorterLayout, forecast: Forecast, max_fill: float = 1.0
) -> CheckReport:
    """Every violation of capacity, chute type, category, coverage, shares and compatibility."""
    problems: list[Problem] = []

    def fail(where: str, message: str, code: str) -> None:
        problems.append(Problem(where, message, code))

    chutes = {c.id: c for c in layout.chutes}
    if plan.sorter_id != layout.sorter_id:
        fail(
            "plan.sorter_id",
            f"plan is for {plan.sorter_id}, layout is {layout.sorter_id}",
            "sorter",
        )

    # Who uses each chute, in which role.
    roles: dict[str, set[str]] = {}
    for role in ("no_read", "reject", "exception", "oversize"):
        expected = ChuteType(role)
        for cid in getattr(plan, role):
            roles.setdefault(cid, set()).add(role)
            if cid in chutes and chutes[cid].type != expected:
                fail(
                    f"plan.special.{role}",
                    f"chute {cid} is a {chutes[cid].type.value} chute",
                    "chute_type",
                )
    for category, ids in plan.restricted.items():
        for cid in ids:
            roles.setdefault(cid, set()).add(f"restricted:{category.value}")
            if cid in chutes:
                chute = chutes[cid]
                if chute.type != ChuteType.DESTINATION:
                    fail(
                        f"plan.restricted.{category.value}",
                        f"chute {cid} is a {chute.type.value} chute",
                        "chute_type",
                    )
                if category not in chute.categories:
                    fail(
                        f"plan.restricted.{category.value}",
                        f"chute {cid} may not take {category.value}",
                        "category",
                    )
    on_chute: dict[str, list[str]] = {}
    for a in plan.assignments:
        for cid in a.chute_ids:
            on_chute.setdefault(cid, []).append(a.destination)
            roles.setdefault(cid, set()).add("destination")
    for cid, used in sorted(roles.items()):
        if cid not in chutes:
            fail("plan", f"chute {cid} is not in the layout", "unknown_chute")
        elif len(used) > 1:
            fail(
                "plan", f"chute {cid} has several roles: {', '.join(sorted(used))}", "role_conflict"
            )

    # Destinations: coverage, chute types, shares, compatibility of shared chutes.
    handover = {d.destination: d.handover for d in forecast.destinations}
    planned = {a.destination: a for a in plan.assignments}
    for name in handover:
        if name not in planned:
            fail("plan.assignments", f"forecast destination {name} has no chute", "uncovered")
    for i, a in enumerate(plan.assignments):
        where = f"plan.assignments[{i}]"
        total = sum(s.share for s in a.chutes)
        if abs(total - 1.0) > SHARE_TOLERANCE or any(s.share <= 0 for s in a.chutes):
            fail(
                where,
                f"{a.destination}: shares must be positive and sum to 1 (sum {total:.4f})",
                "shares",
            )
        for cid in (*a.chute_ids, *a.alternates):
            target = chutes.get(cid)
            if target is None:
                continue
            if target.type != ChuteType.DESTINATION or Category.GENERAL not in target.categories:
                fail(where, f"{a.destination}: chute {cid} cannot take general goods", "chute_type")
        for cid in a.alternates:
            other = roles.get(cid, set()) - {"destination"}
            if other:
                fail(
                    where,
                    f"{a.destination}: alternate chute {cid} is a {', '.join(sorted(other))} chute",
                    "role_conflict",
                )
        mates = {m for cid in a.alternates for m in on_chute.get(cid, [])}
        for mate in mates:
            if handover.get(mate) != handover.get(a.destination):
                fail(
                    where,
                    f"{a.destination}: alternate chute serves {mate}, another hand-over",
                    "mixing",
                )
    for cid, names in sorted(on_chute.items()):
        groups = {handover.get(n) for n in names}
        if len(names) > 1 and (len(groups) > 1 or None in groups):
            fail(
                "plan",
                f"chute {cid} mixes destinations of different hand-overs: {sorted(names)}",
                "mixing",
            )

    # Expected load of every chute per swap interval, derived here from the forecast.
    parcels: dict[str, float] = {}
    grams: dict[str, float] = {}
    restricted_total = dict.fromkeys(_RESTRICTED, 0.0)
    restricted_grams = dict.fromkeys(_RESTRICTED, 0.0)
    no_read = oversize = 0.0
    all_grams = sum(d.parcels_per_hour * d.mean_weight_g for d in forecast.destinations)
    total = sum(d.parcels_per_hour for d in forecast.destinations)
    mean_grams = all_grams / total if total else 500.0
    for d in forecast.destinations:
        shares = {c: float(d.category_mix.get(c, 0.0)) for c in _RESTRICTED}
        for c, s in shares.items():
            restricted_total[c] += d.parcels_per_hour * s
            restricted_grams[c] += d.parcels_per_hour * s * d.mean_weight_g
        plain = d.parcels_per_hour * (1.0 - sum(shares.values()))
        no_read += plain * forecast.no_read_share
        readable = plain - plain * forecast.no_read_share
        big = readable * float(d.size_mix.get("oversize", 0.0))
        oversize += big
        assignment = planned.get(d.destination)
        if assignment is None:
            continue
        for part in assignment.chutes:
            volume = (readable - big) * part.share
            parcels[part.chute_id] = parcels.get(part.chute_id, 0.0) + volume
            grams[part.chute_id] = grams.get(part.chute_id, 0.0) + volume * d.mean_weight_g
    for c in _RESTRICTED:
        ids = plan.restricted.get(c, ())
        if restricted_total[c] > 0 and not ids:
            fail(
                f"plan.restricted.{c.value}",
                f"{c.value} parcels are forecast but no chute takes them",
                "restricted",
            )
        for cid in ids:
            parcels[cid] = parcels.get(cid, 0.0) + restricted_total[c] / len(ids)
            grams[cid] = grams.get(cid, 0.0) + restricted_grams[c] / len(ids)
    for role, volume in (
        ("no_read", no_read),
        ("oversize", oversize),
        ("exception", forecast.unknown_share * total),
    ):
        ids = getattr(plan, role)
        if volume > 0 and not ids:
            fail(
                f"plan.special.{role}",
                f"{role} parcels are forecast but no chute takes them",
                "special",
            )
        for cid in ids:
            parcels[cid] = parcels.get(cid, 0.0) + volume / len(ids)
            grams[cid] = grams.get(cid, 0.0) + volume * mean_grams / len(ids)
    interval_h = layout.swap_interval_s / 3600.0
    fills: dict[str, float] = {}
    for cid, volume in parcels.items():
        container = chutes.get(cid)
        if container is None:
            continue
        fill = max(
            volume * interval_h / container.capacity_parcels,
            grams[cid] / 1000.0 * interval_h / container.capacity_kg,
        )
        fills[cid] = fill
        if fill > max_fill + FILL_TOLERANCE:
            fail(
                "plan", f"chute {cid} expects {fill:.0%} of its container between swaps", "capacity"
            )
    return CheckReport(tuple(problems), fills)
