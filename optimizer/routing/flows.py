"""Aggregating alike shipments into flows, so the batch model grows with lanes, not parcels.

Shipments are alike when they share origin, destination, ready-time bucket, service
level, category class, delivery day and weight class:
- the ready bucket is the cut-off epoch at the origin (how many departure cut-offs
  out of it the shipment has already missed), so every member makes the same
  departures and every timed path is identical for all of them;
- the category class is the set of lanes that accept every member (category, weight
  under each lane's limit, minus lanes excluded for their carrier score);
- the delivery day is the UTC day of `deliver_by`, so members share a deadline day;
- the weight class is one of a few wide classes (`PlanningPolicy.weight_classes_g`),
  so the model can still tell light parcels from heavy ones on kg-tight departures.
Within a class, weight, dimensions and exact deadline are not part of the key, so a
flow's members may differ in price. The model loads a unit with the flow's mean
weight and prices it at the mean cost; `assemble.distribute` then deals members to
the chosen candidates by their own exact costs, and the candidates include every
member's own cheapest path.
A flow travels on the departures its latest-ready member makes, so every
member can take every candidate of its flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.routing.shipments import Shipment
from optimizer.routing.timetable import Timetable
from optimizer.timeutil import MINUTES_PER_DAY

NO_TIME = np.iinfo(np.int64).min


@dataclass
class ShipmentArrays:
    """Column view of the shipments, in input order."""

    weight_g: np.ndarray
    dims_mm: np.ndarray  # (n, 3); zeros where no dimensions were given
    ready: np.ndarray
    deliver_by: np.ndarray
    deliver_from: np.ndarray  # NO_TIME where the window has no start
    origin: np.ndarray
    destination: np.ndarray
    service: np.ndarray  # index into `services`
    category: np.ndarray  # index into `categories`
    services: list[str]
    categories: list[str]
    penalty_per_day: np.ndarray  # per service index

    @classmethod
    def build(cls, shipments: Sequence[Shipment], timetable: Timetable) -> ShipmentArrays:
        levels = timetable.network.service_levels
        services = sorted(levels)
        categories = sorted({s.category for s in shipments})
        service_index = {name: i for i, name in enumerate(services)}
        category_index = {name: i for i, name in enumerate(categories)}
        node_index = timetable.node_index
        return cls(
            weight_g=np.fromiter((s.weight_g for s in shipments), np.int64, len(shipments)),
            dims_mm=np.array([s.dims_mm or (0, 0, 0) for s in shipments], dtype=np.int64).reshape(
                -1, 3
            ),
            ready=np.fromiter((s.ready_at for s in shipments), np.int64, len(shipments)),
            deliver_by=np.fromiter((s.deliver_by for s in shipments), np.int64, len(shipments)),
            deliver_from=np.fromiter(
                (NO_TIME if s.deliver_from is None else s.deliver_from for s in shipments),
                np.int64,
                len(shipments),
            ),
            origin=np.fromiter((node_index[s.origin] for s in shipments), np.int64, len(shipments)),
            destination=np.fromiter(
                (node_index[s.destination] for s in shipments), np.int64, len(shipments)
            ),
            service=np.fromiter(
                (service_index[s.service] for s in shipments), np.int64, len(shipments)
            ),
            category=np.fromiter(
                (category_index[s.category] for s in shipments), np.int64, len(shipments)
            ),
            services=services,
            categories=categories,
            penalty_per_day=np.array(
                [levels[name].late_penalty_per_day for name in services], dtype=np.int64
            ),
        )


@dataclass
class Flows:
    """Flows as slices of `members` (shipment indices): flow f is members[starts[f]:starts[f+1]]."""

    members: np.ndarray
    starts: np.ndarray
    origin: np.ndarray
    destination: np.ndarray
    service: np.ndarray
    eligibility: np.ndarray  # index into `masks`
    ready: np.ndarray  # latest member ready time
    group: np.ndarray  # route group: (origin, destination, eligibility)
    groups: list[tuple[int, int, int]]
    masks: list[np.ndarray]  # lanes usable by an eligibility class

    def __len__(self) -> int:
        return len(self.starts) - 1

    def size(self, flow: int) -> int:
        return int(self.starts[flow + 1] - self.starts[flow])

    def members_of(self, flow: int) -> np.ndarray:
        return self.members[self.starts[flow] : self.starts[flow + 1]]

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.starts)

    def unit_weights(self, weight_g: np.ndarray) -> np.ndarray:
        """Each flow's mean member weight, rounded up: what one unit loads in the model."""
        if not len(self):
            return np.zeros(0, np.int64)
        totals = np.add.reduceat(weight_g[self.members], self.starts[:-1])
        return -(-totals // np.maximum(self.sizes, 1))


def eligibility_classes(
    arrays: ShipmentArrays, timetable: Timetable
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per shipment, the index of its lane mask; masks are shared by identical lane sets."""
    lanes = timetable.lanes
    limits = sorted({lane.max_parcel_g for lane in lanes if lane.max_parcel_g is not None})
    # Weight class c holds weights in (limits[c-1], limits[c]]; the last class is above all.
    weight_class = np.searchsorted(np.asarray(limits, dtype=np.int64), arrays.weight_g, side="left")
    combos = weight_class * len(arrays.categories) + arrays.category
    masks: list[np.ndarray] = []
    mask_ids: dict[bytes, int] = {}
    combo_to_mask: dict[int, int] = {}
    allowed = ~timetable.lane_excluded
    for combo in np.unique(combos):
        wclass, category = divmod(int(combo), len(arrays.categories))
        name = arrays.categories[category]
        heaviest = limits[wclass] if wclass < len(limits) else None
        mask = allowed & np.array(
            [
                name in lane.categories
                and (
                    lane.max_parcel_g is None
                    or (heaviest is not None and heaviest <= lane.max_parcel_g)
                )
                for lane in lanes
            ],
            dtype=bool,
        )
        key = mask.tobytes()
        if key not in mask_ids:
            mask_ids[key] = len(masks)
            masks.append(mask)
        combo_to_mask[int(combo)] = mask_ids[key]
    lookup = np.vectorize(combo_to_mask.__getitem__, otypes=[np.int64])
    return (lookup(combos) if len(combos) else np.zeros(0, np.int64)), masks


def cutoff_epochs(arrays: ShipmentArrays, timetable: Timetable) -> np.ndarray:
    """How many departure cut-offs at its origin each shipment has already missed.

    Shipments of one origin with the same count make exactly the same departures on
    every lane out of it, hence every timed path is identical for them.
    """
    epochs = np.zeros(len(arrays.ready), dtype=np.int64)
    for origin in np.unique(arrays.origin).tolist():
        cutoffs = [timetable.latest_ready_array[lane] for lane in timetable.out_lanes[origin]]
        merged = np.unique(np.concatenate(cutoffs)) if cutoffs else np.zeros(0, np.int64)
        here = arrays.origin == origin
        epochs[here] = np.searchsorted(merged, arrays.ready[here], side="left")
    return epochs


def build_flows(
    arrays: ShipmentArrays, timetable: Timetable, weight_classes_g: Sequence[int] = (1000, 5000)
) -> Flows:
    """Group shipments into flows (see module doc)."""
    eligibility, masks = eligibility_classes(arrays, timetable)
    bucket = cutoff_epochs(arrays, timetable)
    due_day = (arrays.deliver_by - timetable.horizon.start) // MINUTES_PER_DAY
    bounds = np.asarray(weight_classes_g, dtype=np.int64)
    weight_class = np.searchsorted(bounds, arrays.weight_g, side="left")
    keys = np.stack(
        [
            arrays.origin,
            arrays.destination,
            bucket,
            arrays.service,
            eligibility,
            due_day,
            weight_class,
        ],
        axis=1,
    )
    order = np.lexsort(keys.T[::-1])
    sorted_keys = keys[order]
    if len(order):
        change = np.any(sorted_keys[1:] != sorted_keys[:-1], axis=1)
        starts = np.concatenate([[0], np.nonzero(change)[0] + 1, [len(order)]])
    else:
        starts = np.zeros(1, dtype=np.int64)
    first = order[starts[:-1]] if len(order) else np.zeros(0, np.int64)
    ready = (
        np.maximum.reduceat(arrays.ready[order], starts[:-1])
        if len(order)
        else np.zeros(0, np.int64)
    )
    route_keys = np.stack(
        [arrays.origin[first], arrays.destination[first], eligibility[first]], axis=1
    )
    unique_routes, group = (
        np.unique(route_keys, axis=0, return_inverse=True)
        if len(first)
        else (np.zeros((0, 3), np.int64), np.zeros(0, np.int64))
    )
    return Flows(
        members=order.astype(np.int64),
        starts=starts.astype(np.int64),
        origin=arrays.origin[first],
        destination=arrays.destination[first],
        service=arrays.service[first],
        eligibility=eligibility[first],
        ready=ready,
        group=group.reshape(-1).astype(np.int64),
        groups=[(int(row[0]), int(row[1]), int(row[2])) for row in unique_routes],
        masks=masks,
    )
