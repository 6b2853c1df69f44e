"""Zones: destination chutes that are interchangeable for planning.

Chutes of the same capacity at a similar distance from induction are interchangeable, so the
plan optimizer decides how many chutes of each zone a destination gets, not which ones.
A zone is a distance band (equal-count quantiles of the mean travel distance from the
induction points) intersected with a capacity class.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.sorting.categories import Category
from optimizer.sorting.layout import ChuteType, SorterLayout

DEFAULT_BANDS = 6
MIN_CHUTES_PER_BAND = 8


@dataclass(frozen=True)
class Zone:
    index: int
    band: int
    chutes: tuple[int, ...]  # layout indices, nearest first
    capacity_parcels: int
    capacity_kg: float
    distance_m: float  # mean travel distance of the zone's chutes
    extra_m: float  # distance beyond the nearest zone: what the plan pays for

    def allowing(self, layout: SorterLayout, category: Category) -> tuple[int, ...]:
        return tuple(i for i in self.chutes if category in layout.chutes[i].categories)


def build_zones(layout: SorterLayout, bands: int = DEFAULT_BANDS) -> tuple[Zone, ...]:
    travel = layout.mean_travel_m
    candidates = sorted(
        (i for i, c in enumerate(layout.chutes) if c.type == ChuteType.DESTINATION),
        key=lambda i: (travel[i], i),
    )
    if not candidates:
        return ()
    bands = max(1, min(bands, len(candidates) // MIN_CHUTES_PER_BAND))
    raw: list[tuple[int, tuple[int, ...], int, float]] = []
    for band in range(bands):
        members = candidates[
            band * len(candidates) // bands : (band + 1) * len(candidates) // bands
        ]
        classes: dict[tuple[int, float], list[int]] = {}
        for i in members:
            chute = layout.chutes[i]
            classes.setdefault((chute.capacity_parcels, chute.capacity_kg), []).append(i)
        for (parcels, kg), chutes in sorted(classes.items()):
            raw.append((band, tuple(chutes), parcels, kg))
    distances = [sum(travel[i] for i in chutes) / len(chutes) for _, chutes, _, _ in raw]
    nearest = min(distances)
    return tuple(
        Zone(k, band, chutes, parcels, kg, distances[k], distances[k] - nearest)
        for k, (band, chutes, parcels, kg) in enumerate(raw)
    )
