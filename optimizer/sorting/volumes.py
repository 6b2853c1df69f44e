"""Where the forecast volume goes: destination chutes, restricted, oversize, no-read, exception.

The split (documented in the README, "Forecast format"):
restricted parcels go to their category's chutes whatever their label; of the rest, a
`no_read_share` cannot be read; of the readable, `size_mix.oversize` go to oversize chutes;
the remainder is the destination's own volume. Unknown sort keys go to exception chutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.sorting.categories import RESTRICTED_CATEGORIES, Category
from optimizer.sorting.forecast import Forecast
from optimizer.sorting.layout import ChuteType, SorterLayout
from optimizer.sorting.plan import SortPlan


@dataclass(frozen=True)
class VolumeSplit:
    """Parcels per hour by where they must go, and the mean weight (kg) of each stream."""

    general: dict[str, float]
    general_kg: dict[str, float]
    restricted: dict[Category, float]
    restricted_kg: dict[Category, float]
    oversize: float
    no_read: float
    exception: float
    special_kg: float


def split_volumes(forecast: Forecast) -> VolumeSplit:
    general: dict[str, float] = {}
    general_kg: dict[str, float] = {}
    restricted = dict.fromkeys(RESTRICTED_CATEGORIES, 0.0)
    restricted_weight = dict.fromkeys(RESTRICTED_CATEGORIES, 0.0)
    oversize = no_read = 0.0
    for d in forecast.destinations:
        kg = d.mean_weight_g / 1000.0
        for c in RESTRICTED_CATEGORIES:
            volume = d.parcels_per_hour * d.category_share(c)
            restricted[c] += volume
            restricted_weight[c] += volume * kg
        unrestricted = d.parcels_per_hour * (1.0 - d.restricted_share)
        no_read += unrestricted * forecast.no_read_share
        readable = unrestricted * (1.0 - forecast.no_read_share)
        oversize += readable * d.oversize_share
        general[d.destination] = readable * (1.0 - d.oversize_share)
        general_kg[d.destination] = kg
    total = forecast.total_parcels_per_hour
    mean_kg = sum(d.parcels_per_hour * d.mean_weight_g for d in forecast.destinations)
    mean_kg = mean_kg / total / 1000.0 if total > 0 else 0.5
    return VolumeSplit(
        general=general,
        general_kg=general_kg,
        restricted={c: v for c, v in restricted.items() if v > 0},
        restricted_kg={
            c: restricted_weight[c] / restricted[c]
            for c in RESTRICTED_CATEGORIES
            if restricted[c] > 0
        },
        oversize=oversize,
        no_read=no_read,
        exception=forecast.unknown_share * total,
        special_kg=mean_kg,
    )


def chute_loads(
    plan: SortPlan, layout: SorterLayout, forecast: Forecast
) -> list[dict[str, object]]:
    """Expected parcels per hour and container fill per swap interval of every used chute.

    Destination volume follows the plan's shares; restricted and special streams are spread
    evenly over their chutes (the assigner fills the least-filled one first).
    """
    split = split_volumes(forecast)
    parcels: dict[str, float] = {}
    kg: dict[str, float] = {}

    def add(chute_id: str, volume: float, mean_kg: float) -> None:
        parcels[chute_id] = parcels.get(chute_id, 0.0) + volume
        kg[chute_id] = kg.get(chute_id, 0.0) + volume * mean_kg

    for a in plan.assignments:
        volume = split.general.get(a.destination, 0.0)
        for share in a.chutes:
            add(share.chute_id, volume * share.share, split.general_kg.get(a.destination, 0.5))
    for category, ids in plan.restricted.items():
        for chute_id in ids:
            add(
                chute_id,
                split.restricted.get(category, 0.0) / len(ids),
                split.restricted_kg.get(category, 0.5),
            )
    for ids, volume in (
        (plan.no_read, split.no_read),
        (plan.oversize, split.oversize),
        (plan.exception, split.exception),
    ):
        for chute_id in ids:
            add(chute_id, volume / len(ids), split.special_kg)
    per_interval = layout.swap_interval_s / 3600.0
    rows = []
    for chute in layout.chutes:
        if chute.id not in parcels:
            if chute.type == ChuteType.DESTINATION:
                rows.append({"chute_id": chute.id, "parcels_per_hour": 0.0, "expected_fill": 0.0})
            continue
        fill = max(
            parcels[chute.id] * per_interval / chute.capacity_parcels,
            kg[chute.id] * per_interval / chute.capacity_kg,
        )
        rows.append(
            {
                "chute_id": chute.id,
                "parcels_per_hour": round(parcels[chute.id], 2),
                "expected_fill": round(fill, 4),
            }
        )
    return rows
