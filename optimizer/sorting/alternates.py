"""Alternate chutes for any plan, so that reference plans are compared on equal terms.

The optimizer gives each destination up to two alternates: chutes of other destinations of
the same hand-over, used only when all of the destination's own chutes are closed. A plan
without them recirculates every parcel that meets a full or swapping chute; comparing it
with one that has them measures the alternates, not the assignment.
"""

from __future__ import annotations

import dataclasses
from typing import cast

from optimizer.sorting.forecast import Forecast
from optimizer.sorting.layout import SorterLayout
from optimizer.sorting.plan import SortPlan
from optimizer.sorting.volumes import chute_loads

MAX_ALTERNATES = 2


def with_alternates(
    plan: SortPlan, layout: SorterLayout, forecast: Forecast, per_destination: int = MAX_ALTERNATES
) -> SortPlan:
    """`plan` with up to `per_destination` alternates per destination: chutes serving other
    destinations of its hand-over, the least loaded first (then the nearest)."""
    handover = {name: d.handover for name, d in forecast.by_destination().items()}
    fill = {
        str(row["chute_id"]): cast(float, row["expected_fill"])
        for row in chute_loads(plan, layout, forecast)
    }
    travel = {c.id: t for c, t in zip(layout.chutes, layout.mean_travel_m, strict=True)}
    group_chutes: dict[str, set[str]] = {}
    for a in plan.assignments:
        group_chutes.setdefault(handover.get(a.destination, a.destination), set()).update(
            a.chute_ids
        )
    assignments = []
    for a in plan.assignments:
        others = group_chutes[handover.get(a.destination, a.destination)] - set(a.chute_ids)
        ranked = sorted(others, key=lambda c: (fill.get(c, 0.0), travel[c], c))
        assignments.append(dataclasses.replace(a, alternates=tuple(ranked[:per_destination])))
    return dataclasses.replace(plan, assignments=tuple(assignments))


def without_alternates(plan: SortPlan) -> SortPlan:
    """`plan` with no alternate chutes: a full chute sends its parcels round the loop."""
    return dataclasses.replace(
        plan, assignments=tuple(dataclasses.replace(a, alternates=()) for a in plan.assignments)
    )
