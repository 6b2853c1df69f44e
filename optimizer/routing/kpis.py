"""Plan KPIs: cost, service, lateness distribution and lane utilisation.

Utilisation of a lane is its load over the capacity of the departures that carry
anything (the load factor of the departures it actually runs for this plan);
`peak` is the fullest single departure. Lanes without a kg capacity report None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from optimizer.routing.itinerary import Itinerary, ItineraryStatus
from optimizer.routing.network import Network
from optimizer.routing.shipments import Shipment
from optimizer.timeutil import MINUTES_PER_DAY

LATENESS_BUCKETS = ("on_time", "1d", "2d", "3d", "4-7d", "8d+", "unserved", "unroutable")


@dataclass(frozen=True)
class LaneUse:
    """Load of one lane summed over the departures the plan uses."""

    lane: str
    departures_used: int
    kg: float
    parcels: int
    utilisation: float | None
    peak: float | None


@dataclass(frozen=True)
class PlanKpis:
    """What a planner compares between two plans (money in plan-currency minor units)."""

    shipments: int
    on_time: int
    late: int
    unserved: int
    unroutable: int
    freight_cost: int
    risk_cost: int
    late_penalty: int
    mean_transit_days: float
    lateness: Mapping[str, int] = field(default_factory=dict)
    lanes: tuple[LaneUse, ...] = ()

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.shipments if self.shipments else 1.0

    @property
    def cost(self) -> int:
        """Freight + risk + late penalties (overflow penalties are not money spent)."""
        return self.freight_cost + self.risk_cost + self.late_penalty

    @property
    def mean_lane_utilisation(self) -> float | None:
        values = [lane.utilisation for lane in self.lanes if lane.utilisation is not None]
        return sum(values) / len(values) if values else None


def _bucket(itinerary: Itinerary) -> str:
    if itinerary.status == ItineraryStatus.UNSERVED:
        return "unserved"
    if itinerary.status == ItineraryStatus.UNROUTABLE:
        return "unroutable"
    days = -(-itinerary.late_minutes // MINUTES_PER_DAY)
    if days == 0:
        return "on_time"
    if days <= 3:
        return f"{days}d"
    return "4-7d" if days <= 7 else "8d+"


def compute_kpis(
    network: Network, shipments: Sequence[Shipment], itineraries: Sequence[Itinerary]
) -> PlanKpis:
    """KPIs of a plan; `itineraries[i]` belongs to `shipments[i]`."""
    lateness = dict.fromkeys(LATENESS_BUCKETS, 0)
    counts = dict.fromkeys(ItineraryStatus, 0)
    freight = risk = penalty = 0
    transit_total = 0
    routed = 0
    loads: dict[tuple[str, int], list[int]] = {}
    for shipment, itinerary in zip(shipments, itineraries, strict=True):
        counts[itinerary.status] += 1
        lateness[_bucket(itinerary)] += 1
        penalty += itinerary.late_penalty
        if not itinerary.legs:
            continue
        routed += 1
        assert itinerary.delivered_at is not None
        transit_total += itinerary.delivered_at - shipment.ready_at
        for leg in itinerary.legs:
            freight += leg.cost
            risk += leg.risk_cost
            load = loads.setdefault((leg.lane, leg.departure), [0, 0])
            load[0] += shipment.weight_g
            load[1] += 1
    per_lane: dict[str, list[tuple[int, int]]] = {}
    for (lane_id, _), (grams, parcels) in loads.items():
        per_lane.setdefault(lane_id, []).append((grams, parcels))
    lanes = []
    for lane in network.lanes:
        used = per_lane.get(lane.id)
        if not used:
            continue
        grams = sum(g for g, _ in used)
        parcels = sum(p for _, p in used)
        utilisation = peak = None
        if lane.capacity_g:
            utilisation = grams / (lane.capacity_g * len(used))
            peak = max(g for g, _ in used) / lane.capacity_g
        lanes.append(LaneUse(lane.id, len(used), grams / 1000, parcels, utilisation, peak))
    return PlanKpis(
        shipments=len(shipments),
        on_time=counts[ItineraryStatus.ON_TIME],
        late=counts[ItineraryStatus.LATE],
        unserved=counts[ItineraryStatus.UNSERVED],
        unroutable=counts[ItineraryStatus.UNROUTABLE],
        freight_cost=freight,
        risk_cost=risk,
        late_penalty=penalty,
        mean_transit_days=transit_total / routed / MINUTES_PER_DAY if routed else 0.0,
        lateness=lateness,
        lanes=tuple(lanes),
    )
