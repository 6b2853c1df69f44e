"""Independent feasibility checker for itineraries and plans.

Shares no logic with the planners: schedules are re-derived from the weekly
patterns with `zoneinfo` directly, node clocks likewise, and tariffs are
recomputed in kg with `Decimal` from the tariff tables. It reads only the data
classes (network, shipments, itineraries) and reports every violation found.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from optimizer.routing.itinerary import Itinerary, ItineraryStatus
from optimizer.routing.network import Lane, Network, Node
from optimizer.routing.shipments import Shipment

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# ISO 4217 minor units other than 2 (the data, restated here so the checker stands alone).
_ZERO_DIGITS = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG")
_ZERO_DIGITS_MORE = ("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF")
_THREE_DIGITS = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
_ISO_DIGITS = {
    **dict.fromkeys(_ZERO_DIGITS + _ZERO_DIGITS_MORE, 0),
    **dict.fromkeys(_THREE_DIGITS, 3),
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: which shipment, which leg (None for the whole itinerary), what."""

    shipment: str
    leg: int | None
    code: str
    message: str

    def __str__(self) -> str:
        where = self.shipment if self.leg is None else f"{self.shipment} leg {self.leg}"
        return f"{where}: {self.code}: {self.message}"


def _instant(minutes: int) -> datetime:
    return _EPOCH + timedelta(minutes=minutes)


def _minutes(moment: datetime) -> int:
    return int((moment - _EPOCH) // timedelta(minutes=1))


def _is_scheduled(lane: Lane, origin: Node, departure: int) -> bool:
    """True when a weekly departure, read as local time at the origin, lands on `departure`."""
    zone = ZoneInfo(origin.timezone)
    local_day = _instant(departure).astimezone(zone).date()
    for offset in (-1, 0, 1):
        day = local_day + timedelta(days=offset)
        for pattern in lane.departures:
            if pattern.weekday != day.weekday():
                continue
            wall = datetime(day.year, day.month, day.day, pattern.minute // 60, pattern.minute % 60)
            if _minutes(wall.replace(tzinfo=zone, fold=0)) == departure:
                return True
    return False


def _node_ready(node: Node, arrived: int) -> int:
    """When a parcel arrived (and cleared) at `arrived` is handled at `node`."""
    start = arrived
    if node.cutoff is not None:
        zone = ZoneInfo(node.timezone)
        local = _instant(arrived).astimezone(zone)
        if local.hour * 60 + local.minute > node.cutoff:
            next_day = local.date() + timedelta(days=1)
            midnight = datetime(next_day.year, next_day.month, next_day.day, tzinfo=zone)
            start = _minutes(midnight)
    return start + node.handling_minutes


def _digits(currency: str) -> int:
    return _ISO_DIGITS.get(currency, 2)


def expected_leg_cost(network: Network, lane: Lane, shipment: Shipment) -> int:
    """The leg price recomputed in kg and Decimal, in plan-currency minor units."""
    tariff = network.tariffs[lane.tariff]
    destination = network.node_by_id[shipment.destination]
    actual_kg = Decimal(shipment.weight_g) / 1000
    chargeable = actual_kg
    if shipment.dims_mm is not None and tariff.volumetric_divisor:
        length, width, height = (Decimal(v) / 10 for v in shipment.dims_mm)
        volumetric = (length * width * height / tariff.volumetric_divisor).quantize(
            Decimal("0.001"), rounding=ROUND_CEILING
        )
        chargeable = max(actual_kg, volumetric)
    zones = tariff.zones
    key = next(
        (k for k in (destination.zone, destination.country) if k is not None and k in zones), "*"
    )
    rate = zones[key]
    scale = Decimal(10) ** _digits(tariff.currency)
    first_kg = Decimal(rate.first_g) / 1000
    step_kg = Decimal(rate.step_g) / 1000
    price = Decimal(rate.first_price) / scale
    if chargeable > first_kg:
        steps = ((chargeable - first_kg) / step_kg).to_integral_value(rounding=ROUND_CEILING)
        price += steps * Decimal(rate.step_price) / scale
    price = max(price, Decimal(tariff.min_charge) / scale)
    rates = network.rates.rates
    in_plan = price * rates[tariff.currency] / rates[network.currency]
    plan_scale = Decimal(10) ** _digits(network.currency)
    return int((in_plan * plan_scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_itinerary(
    network: Network,
    shipment: Shipment,
    itinerary: Itinerary,
    *,
    start: tuple[str, int, int] | None = None,
    lane_risk: Mapping[str, int] | None = None,
    excluded_lanes: Collection[str] = (),
    cancelled: Collection[tuple[str, int]] = (),
    check_costs: bool = True,
) -> list[Violation]:
    """Every rule one itinerary breaks.

    For an itinerary re-planned mid-way, `start` = (node, ready time, first new leg):
    legs before it are history (already travelled) and only the rest is checked.
    """
    found: list[Violation] = []

    def bad(leg: int | None, code: str, message: str) -> None:
        found.append(Violation(shipment.id, leg, code, message))

    if itinerary.shipment != shipment.id:
        bad(None, "shipment", f"itinerary is for {itinerary.shipment}")
    routed = itinerary.status in (ItineraryStatus.ON_TIME, ItineraryStatus.LATE)
    if not routed:
        if itinerary.legs:
            bad(None, "status", f"{itinerary.status} itinerary has legs")
        if itinerary.reason is None:
            bad(None, "reason", f"{itinerary.status} itinerary gives no reason")
        return found
    if not itinerary.legs:
        bad(None, "status", "routed itinerary has no legs")
        return found
    node_id, ready, first = start if start is not None else (shipment.origin, shipment.ready_at, 0)
    if first > len(itinerary.legs):
        bad(None, "resume", f"resumes after leg {first}, the itinerary has {len(itinerary.legs)}")
        return found
    if first > 0:
        travelled = itinerary.legs[first - 1]
        if travelled.destination != node_id:
            bad(first - 1, "resume", f"ends at {travelled.destination}, resumes at {node_id}")
        if ready < travelled.ready_at:
            bad(
                first - 1,
                "resume",
                f"resumes at {_instant(ready)}, before the parcel is ready there "
                f"({_instant(travelled.ready_at)})",
            )
    elif node_id == shipment.origin and ready < shipment.ready_at:
        bad(None, "resume", f"starts at {_instant(ready)}, before it is ready")
    nodes = network.node_by_id
    lanes = network.lane_by_id
    for index, leg in enumerate(itinerary.legs):
        if index < first:
            continue
        lane = lanes.get(leg.lane)
        if lane is None:
            bad(index, "lane", f"unknown lane {leg.lane}")
            return found
        if leg.origin != node_id or lane.origin != node_id:
            bad(index, "connection", f"leaves {lane.origin}, parcel is at {node_id}")
        if (leg.destination, leg.carrier, leg.mode) != (
            lane.destination,
            lane.carrier,
            str(lane.mode),
        ):
            bad(index, "lane", "leg does not match its lane's destination, carrier or mode")
        if leg.lane in excluded_lanes:
            bad(index, "excluded", f"lane {leg.lane} is excluded for its carrier score")
        if shipment.category not in lane.categories:
            bad(index, "category", f"{leg.lane} does not accept {shipment.category}")
        if lane.max_parcel_g is not None and shipment.weight_g > lane.max_parcel_g:
            bad(index, "weight", f"{shipment.weight_g} g is over the {lane.max_parcel_g} g limit")
        origin = nodes[lane.origin]
        if not _is_scheduled(lane, origin, leg.departure):
            bad(
                index,
                "schedule",
                f"no scheduled departure of {leg.lane} at {_instant(leg.departure)}",
            )
        if (leg.lane, leg.departure) in cancelled:
            bad(index, "cancelled", f"departure {_instant(leg.departure)} was cancelled")
        if ready > leg.departure - lane.cutoff_minutes:
            bad(
                index,
                "cutoff",
                f"ready at {_instant(ready)}, cut-off {lane.cutoff_minutes} min before departure",
            )
        if leg.arrival != leg.departure + lane.transit_minutes:
            bad(index, "transit", "arrival is not departure + transit time")
        expected_ready = _node_ready(nodes[lane.destination], leg.arrival + lane.clearance_minutes)
        if leg.ready_at != expected_ready:
            bad(
                index,
                "handling",
                f"ready at {_instant(leg.ready_at)}, rules give {_instant(expected_ready)}",
            )
        if check_costs:
            price = expected_leg_cost(network, lane, shipment)
            if leg.cost != price:
                bad(index, "tariff", f"cost {leg.cost}, tariff gives {price}")
            risk = (lane_risk or {}).get(lane.id, 0)
            if leg.risk_cost != risk:
                bad(index, "risk", f"risk cost {leg.risk_cost}, scores give {risk}")
        node_id, ready = lane.destination, expected_ready
    if node_id != shipment.destination:
        bad(None, "connection", f"ends at {node_id}, not at {shipment.destination}")
    delivered = ready if shipment.deliver_from is None else max(ready, shipment.deliver_from)
    if itinerary.delivered_at != delivered:
        bad(None, "delivery", f"delivered_at {itinerary.delivered_at}, legs give {delivered}")
    late = max(0, delivered - shipment.deliver_by)
    if itinerary.late_minutes != late:
        bad(None, "lateness", f"late_minutes {itinerary.late_minutes}, should be {late}")
    expected_status = ItineraryStatus.LATE if late else ItineraryStatus.ON_TIME
    if itinerary.status != expected_status:
        bad(None, "status", f"status {itinerary.status}, should be {expected_status}")
    days = -(-late // 1440)
    penalty = days * network.service_levels[shipment.service].late_penalty_per_day
    if check_costs and itinerary.late_penalty != penalty:
        bad(None, "penalty", f"late penalty {itinerary.late_penalty}, should be {penalty}")
    return found


def check_capacities(
    network: Network, shipments: Sequence[Shipment], itineraries: Iterable[Itinerary]
) -> list[Violation]:
    """Departures loaded over their kg or parcel capacity, summed over the whole plan."""
    weight = {shipment.id: shipment.weight_g for shipment in shipments}
    loads: dict[tuple[str, int], list[int]] = {}
    for itinerary in itineraries:
        for leg in itinerary.legs:
            load = loads.setdefault((leg.lane, leg.departure), [0, 0])
            load[0] += weight[itinerary.shipment]
            load[1] += 1
    found = []
    for (lane_id, departure), (grams, parcels) in sorted(loads.items()):
        lane = network.lane_by_id.get(lane_id)
        if lane is None:
            continue
        if lane.capacity_g is not None and grams > lane.capacity_g:
            found.append(
                Violation(
                    "*",
                    None,
                    "capacity_kg",
                    f"{lane_id} at {_instant(departure)} carries {grams} g > {lane.capacity_g} g",
                )
            )
        if lane.capacity_parcels is not None and parcels > lane.capacity_parcels:
            found.append(
                Violation(
                    "*",
                    None,
                    "capacity_parcels",
                    f"{lane_id} at {_instant(departure)} carries {parcels} parcels"
                    f" > {lane.capacity_parcels}",
                )
            )
    return found


def check_plan(
    network: Network,
    shipments: Sequence[Shipment],
    itineraries: Sequence[Itinerary],
    *,
    lane_risk: Mapping[str, int] | None = None,
    excluded_lanes: Collection[str] = (),
    starts: Mapping[str, tuple[str, int, int]] | None = None,
    cancelled: Collection[tuple[str, int]] = (),
) -> list[Violation]:
    """Every violation in a plan: each itinerary's rules plus capacities over the whole plan."""
    found: list[Violation] = []
    if len(itineraries) != len(shipments):
        found.append(Violation("*", None, "coverage", "one itinerary per shipment expected"))
    by_id = {itinerary.shipment: itinerary for itinerary in itineraries}
    for shipment in shipments:
        itinerary = by_id.get(shipment.id)
        if itinerary is None:
            found.append(Violation(shipment.id, None, "coverage", "no itinerary"))
            continue
        found += check_itinerary(
            network,
            shipment,
            itinerary,
            start=(starts or {}).get(shipment.id),
            lane_risk=lane_risk,
            excluded_lanes=excluded_lanes,
            cancelled=cancelled,
        )
    found += check_capacities(network, shipments, itineraries)
    return found
