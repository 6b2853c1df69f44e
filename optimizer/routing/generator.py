"""A realistic cross-border network and shipment sets, for tests, benchmarks and demos.

Origin side: two or three export countries (CN, TR, PL, then DE), each with two
seller warehouses, an origin sort hub and an export gateway. Line-haul: air from
every exporter to every destination (two or three carriers with different
prices, schedules and records), rail and sea from CN, road from the European
exporters to European destinations. Destination side: an import gateway with
customs, a destination hub and two delivery zones (urban and remote) served by
last-mile carriers. Line-haul capacities are sized from the expected volume so
the cheap departures fill up; `tightness` scales them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from optimizer.money import RateTable
from optimizer.routing.network import (
    CATEGORIES,
    Lane,
    Mode,
    Network,
    Node,
    NodeKind,
    WeeklyDeparture,
)
from optimizer.routing.scores import Outcome, TrackingOutcome
from optimizer.routing.service import DEFAULT_SERVICE_LEVELS
from optimizer.routing.shipments import Shipment
from optimizer.routing.tariffs import DEFAULT_ZONE, Tariff, ZoneRate
from optimizer.timeutil import MINUTES_PER_DAY, get_zone, local_to_minutes, to_minutes

DEFAULT_START = date(2025, 3, 24)  # a Monday: Europe switches to summer time that Sunday


@dataclass(frozen=True)
class _Country:
    code: str
    timezone: str
    region: str  # eu, asia, americas, oceania, mideast
    weight: float  # share of demand
    currency: str


EXPORTERS = (
    _Country("CN", "Asia/Shanghai", "asia", 0.60, "CNY"),
    _Country("TR", "Europe/Istanbul", "mideast", 0.25, "EUR"),
    _Country("PL", "Europe/Warsaw", "eu", 0.15, "PLN"),
    _Country("DE", "Europe/Berlin", "eu", 0.15, "EUR"),
)

DESTINATIONS = (
    _Country("US", "America/New_York", "americas", 9.0, "USD"),
    _Country("DE", "Europe/Berlin", "eu", 6.0, "EUR"),
    _Country("GB", "Europe/London", "eu", 5.5, "GBP"),
    _Country("FR", "Europe/Paris", "eu", 5.0, "EUR"),
    _Country("JP", "Asia/Tokyo", "asia", 3.5, "JPY"),
    _Country("IT", "Europe/Rome", "eu", 3.5, "EUR"),
    _Country("ES", "Europe/Madrid", "eu", 3.5, "EUR"),
    _Country("CA", "America/Toronto", "americas", 3.0, "USD"),
    _Country("AU", "Australia/Sydney", "oceania", 2.5, "USD"),
    _Country("NL", "Europe/Amsterdam", "eu", 2.5, "EUR"),
    _Country("KR", "Asia/Seoul", "asia", 2.0, "USD"),
    _Country("BR", "America/Sao_Paulo", "americas", 2.0, "USD"),
    _Country("SE", "Europe/Stockholm", "eu", 1.5, "EUR"),
    _Country("BE", "Europe/Brussels", "eu", 1.5, "EUR"),
    _Country("MX", "America/Mexico_City", "americas", 1.5, "USD"),
    _Country("AT", "Europe/Vienna", "eu", 1.2, "EUR"),
    _Country("CH", "Europe/Zurich", "eu", 1.2, "EUR"),
    _Country("AE", "Asia/Dubai", "mideast", 1.2, "USD"),
    _Country("IE", "Europe/Dublin", "eu", 1.0, "EUR"),
    _Country("CZ", "Europe/Prague", "eu", 1.0, "EUR"),
    _Country("PT", "Europe/Lisbon", "eu", 1.0, "EUR"),
    _Country("DK", "Europe/Copenhagen", "eu", 0.9, "EUR"),
    _Country("SA", "Asia/Riyadh", "mideast", 0.9, "USD"),
    _Country("IL", "Asia/Jerusalem", "mideast", 0.8, "USD"),
    _Country("FI", "Europe/Helsinki", "eu", 0.7, "EUR"),
    _Country("NO", "Europe/Oslo", "eu", 0.7, "EUR"),
    _Country("GR", "Europe/Athens", "eu", 0.7, "EUR"),
    _Country("HU", "Europe/Budapest", "eu", 0.6, "EUR"),
    _Country("RO", "Europe/Bucharest", "eu", 0.6, "EUR"),
    _Country("SK", "Europe/Bratislava", "eu", 0.4, "EUR"),
)

RATES = {
    "EUR": Decimal("1.08"),
    "CNY": Decimal("0.138"),
    "PLN": Decimal("0.25"),
    "GBP": Decimal("1.27"),
    "JPY": Decimal("0.0067"),
}

# Air hours between regions (export region, destination region).
_AIR_HOURS = {
    ("asia", "eu"): 13,
    ("asia", "americas"): 16,
    ("asia", "asia"): 4,
    ("asia", "oceania"): 10,
    ("asia", "mideast"): 9,
    ("eu", "eu"): 3,
    ("eu", "americas"): 10,
    ("eu", "asia"): 12,
    ("eu", "oceania"): 22,
    ("eu", "mideast"): 5,
    ("mideast", "eu"): 4,
    ("mideast", "americas"): 12,
    ("mideast", "asia"): 10,
    ("mideast", "oceania"): 16,
    ("mideast", "mideast"): 3,
}

SERVICE_MIX = (("economy", 0.50), ("standard", 0.35), ("express", 0.15))
CATEGORY_MIX = (
    ("general", 0.80),
    ("cosmetics", 0.07),
    ("batteries", 0.06),
    ("liquids", 0.04),
    ("food", 0.03),
)
GROUNDED = ("liquids", "food")
GROUNDED_SERVICE_MIX = (("economy", 0.85), ("standard", 0.15))
_ALL = frozenset(CATEGORIES)
_AIR_SAFE = frozenset({"general", "cosmetics"})


def _weekly(weekdays: list[int], minute: int) -> tuple[WeeklyDeparture, ...]:
    return tuple(WeeklyDeparture(day, minute) for day in weekdays)


DAILY = list(range(7))
WORKDAYS = list(range(6))


def _zone_rate(first_kg: float, first: float, step_kg: float, step: float, digits: int) -> ZoneRate:
    scale = 10**digits
    return ZoneRate(
        first_g=round(first_kg * 1000),
        first_price=round(first * scale),
        step_g=round(step_kg * 1000),
        step_price=round(step * scale),
    )


class _Builder:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Node] = []
        self.lanes: list[Lane] = []
        self.tariffs: dict[str, Tariff] = {}

    def node(self, node_id: str, kind: NodeKind, country: _Country, **extra) -> str:
        self.nodes.append(Node(node_id, kind, country.code, country.timezone, **extra))
        return node_id

    def tariff(
        self,
        tariff_id: str,
        currency: str,
        usd_first: float,
        usd_per_kg: float,
        divisor: int | None,
        zones: dict[str, float] | None = None,
        min_usd: float = 0.0,
        first_kg: float = 0.5,
        step_kg: float = 0.5,
    ) -> str:
        """A tariff quoted in `currency` whose prices are about the given USD figures."""
        rate = float(RATES.get(currency, Decimal(1)))
        digits = 0 if currency == "JPY" else 2
        jitter = float(self.rng.uniform(0.9, 1.1))
        table = {}
        for zone, factor in {DEFAULT_ZONE: 1.0, **(zones or {})}.items():
            table[zone] = _zone_rate(
                first_kg,
                usd_first * factor * jitter / rate,
                step_kg,
                usd_per_kg * step_kg * factor * jitter / rate,
                digits,
            )
        self.tariffs[tariff_id] = Tariff(
            tariff_id,
            currency,
            table,
            volumetric_divisor=divisor,
            min_charge=round(min_usd / rate * 10**digits),
        )
        return tariff_id

    def lane(self, lane_id: str, origin: str, destination: str, mode: Mode, carrier: str, **kw):
        self.lanes.append(Lane(lane_id, origin, destination, mode, carrier, **kw))


def _pair_daily_kg(
    expected_shipments: int, days: float, exporter: _Country, dest: _Country
) -> float:
    share_dest = dest.weight / sum(c.weight for c in DESTINATIONS)
    return expected_shipments / days * exporter.weight * share_dest * 1.1  # ~1.1 kg mean


def generate_network(
    countries: int = 20,
    *,
    seed: int = 1,
    expected_shipments: int = 10_000,
    days: float = 2.0,
    tightness: float = 1.0,
    exporters: int = 3,
) -> Network:
    """A network to `countries` destinations, line-haul capacity sized for the expected volume.

    `days` is the span over which shipments become ready; `tightness` > 1 shrinks the
    line-haul capacities (more contention), < 1 relaxes them.
    """
    if not 1 <= countries <= len(DESTINATIONS):
        raise ValueError(f"countries must be between 1 and {len(DESTINATIONS)}")
    if not 1 <= exporters <= len(EXPORTERS):
        raise ValueError(f"exporters must be between 1 and {len(EXPORTERS)}")
    if tightness <= 0 or days <= 0 or expected_shipments <= 0:
        raise ValueError("tightness, days and expected_shipments must be positive")
    build = _Builder(seed)
    rng = build.rng
    export = list(EXPORTERS[:exporters])
    export_codes = {c.code for c in export}
    dests = [c for c in DESTINATIONS if c.code not in export_codes][:countries]
    for origin in export:
        x = origin.code
        hub = build.node(
            f"{x}-HUB", NodeKind.ORIGIN_HUB, origin, handling_minutes=180, cutoff=20 * 60
        )
        gateway = build.node(f"{x}-GW", NodeKind.EXPORT_GATEWAY, origin, handling_minutes=240)
        feeder = build.tariff(
            f"{x}-feeder", origin.currency, 0.25, 0.08, None, first_kg=1, step_kg=1
        )
        for i in (1, 2):
            wh = build.node(
                f"{x}-WH{i}",
                NodeKind.SELLER_WAREHOUSE,
                origin,
                handling_minutes=120,
                cutoff=16 * 60,
            )
            build.lane(
                f"{wh}>{hub}",
                wh,
                hub,
                Mode.TRUCK,
                f"{x}-Feeder",
                departures=_weekly(DAILY, 10 * 60) + _weekly(DAILY, 18 * 60),
                transit_minutes=(4 + i) * 60,
                tariff=feeder,
                cutoff_minutes=60,
                categories=_ALL,
            )
        build.lane(
            f"{hub}>{gateway}",
            hub,
            gateway,
            Mode.TRUCK,
            f"{x}-Feeder",
            departures=_weekly(DAILY, 22 * 60),
            transit_minutes=8 * 60,
            tariff=feeder,
            cutoff_minutes=60,
            categories=_ALL,
        )
    for dest in dests:
        d = dest.code
        gateway = build.node(f"{d}-GW", NodeKind.IMPORT_GATEWAY, dest, handling_minutes=120)
        hub = build.node(
            f"{d}-HUB", NodeKind.DESTINATION_HUB, dest, handling_minutes=240, cutoff=18 * 60
        )
        zones = [
            build.node(f"{d}-Z1", NodeKind.DELIVERY_ZONE, dest, zone=f"{d}-1", name="urban"),
            build.node(f"{d}-Z2", NodeKind.DELIVERY_ZONE, dest, zone=f"{d}-2", name="remote"),
        ]
        trunk = build.tariff(f"{d}-trunk", dest.currency, 0.30, 0.10, None, first_kg=1, step_kg=1)
        build.lane(
            f"{gateway}>{hub}",
            gateway,
            hub,
            Mode.TRUCK,
            f"{d}-Trunk",
            departures=_weekly(DAILY, 6 * 60) + _weekly(DAILY, 22 * 60),
            transit_minutes=6 * 60,
            tariff=trunk,
            cutoff_minutes=60,
            categories=_ALL,
        )
        remote = {f"{d}-2": 1.35}
        for carrier, usd, days_z1, limit, cats in (
            (f"{d}-Post", 2.8, 2, 31.5, _ALL),
            (f"{d}-Express", 4.2, 1, 30.0, _ALL - {"food", "liquids"}),
        ):
            tariff = build.tariff(
                f"{carrier}-lm", dest.currency, usd, 0.6, 5000, zones=remote, first_kg=1, step_kg=1
            )
            for zone in zones:
                remote_zone = zone.endswith("Z2")
                if remote_zone and carrier.endswith("Express"):
                    continue
                build.lane(
                    f"{hub}>{zone}/{carrier}",
                    hub,
                    zone,
                    Mode.LAST_MILE,
                    carrier,
                    departures=_weekly(WORKDAYS, 8 * 60),
                    transit_minutes=(days_z1 - 1 + remote_zone) * MINUTES_PER_DAY + 10 * 60,
                    tariff=tariff,
                    cutoff_minutes=120,
                    categories=cats,
                    max_parcel_g=round(limit * 1000),
                )
        for origin in export:
            x = origin.code
            source = f"{x}-GW"
            pair_kg = _pair_daily_kg(expected_shipments, days, origin, dest)
            hours = _AIR_HOURS.get((origin.region, dest.region), 12)
            clearance = int(rng.choice([12, 18, 24])) * 60
            carriers = 2 if x == "CN" else 1
            for k in range(carriers):
                cheap = k == carriers - 1
                weekdays = DAILY if k == 0 else ([0, 2, 4] if cheap else [1, 3, 5])
                per_week = len(weekdays)
                share = 0.16 if carriers == 1 else 0.1
                cap_kg = max(20.0, pair_kg * 7 / per_week * share / tightness)
                tariff = build.tariff(
                    f"{x}{d}-air{k}",
                    "USD" if k == 0 else origin.currency,
                    usd_first=[4.5, 3.6, 2.9][k],
                    usd_per_kg=[7.0, 5.5, 4.4][k],
                    divisor=6000,
                    min_usd=2.0,
                )
                build.lane(
                    f"{source}>{gateway}/air{k}",
                    source,
                    gateway,
                    Mode.AIR,
                    f"{x}-Air{k}",
                    departures=_weekly(weekdays, int(rng.integers(8, 23)) * 60 + 30 * k),
                    transit_minutes=(hours + k) * 60,
                    tariff=tariff,
                    cutoff_minutes=6 * 60,
                    clearance_minutes=clearance,
                    categories=_AIR_SAFE | ({"batteries"} if k == 0 else set()),
                    capacity_g=round(cap_kg * 1000),
                    capacity_parcels=round(cap_kg * 1.6),
                    max_parcel_g=30_000,
                )
            if x == "CN" and dest.region == "eu":
                surface = (Mode.RAIL, "CN-Rail", [2, 5], 18, 1.2, 0.9)
            elif dest.region == "eu":
                surface = (Mode.TRUCK, f"{x}-Road", [0, 2, 4], 3, 1.4, 1.0)
            else:
                surface = (Mode.SEA, f"{x}-Ocean", [1, 4], 16 if x == "CN" else 18, 0.9, 0.45)
            if True:
                mode, carrier, weekdays, transit_days, usd_first, usd_kg = surface
                tariff = build.tariff(
                    f"{x}{d}-{mode}",
                    origin.currency,
                    usd_first,
                    usd_kg,
                    None,
                    first_kg=1,
                    step_kg=1,
                )
                build.lane(
                    f"{source}>{gateway}/{mode}",
                    source,
                    gateway,
                    mode,
                    carrier,
                    departures=_weekly(weekdays, 14 * 60),
                    transit_minutes=transit_days * MINUTES_PER_DAY,
                    tariff=tariff,
                    cutoff_minutes=24 * 60,
                    clearance_minutes=clearance + 24 * 60,
                    categories=_ALL,
                    capacity_g=round(max(100.0, pair_kg * 7 / len(weekdays) * 0.3) * 1000),
                    max_parcel_g=70_000,
                )
    return Network(
        nodes=tuple(build.nodes),
        lanes=tuple(build.lanes),
        tariffs=build.tariffs,
        rates=RateTable("USD", RATES),
        service_levels=dict(DEFAULT_SERVICE_LEVELS),
    )


def _choice(rng: np.random.Generator, mix, size: int) -> np.ndarray:
    names = [name for name, _ in mix]
    weights = np.array([w for _, w in mix], dtype=float)
    return np.asarray(names, dtype=object)[
        rng.choice(len(names), size=size, p=weights / weights.sum())
    ]


def generate_shipments(
    network: Network,
    count: int,
    *,
    seed: int = 1,
    start: date = DEFAULT_START,
    days: float = 2.0,
) -> list[Shipment]:
    """`count` shipments ready over `days` from `start`, with promises by service level."""
    if count < 0:
        raise ValueError("count cannot be negative")
    rng = np.random.default_rng(seed)
    warehouses = [n for n in network.nodes if n.kind == NodeKind.SELLER_WAREHOUSE]
    zones = [n for n in network.nodes if n.kind == NodeKind.DELIVERY_ZONE]
    if not warehouses or not zones:
        raise ValueError("the network needs seller warehouses and delivery zones")
    exporter_weight = {c.code: c.weight for c in EXPORTERS}
    dest_weight = {c.code: c.weight for c in DESTINATIONS}
    wh_p = np.array([exporter_weight.get(n.country, 0.1) for n in warehouses])
    zone_p = np.array(
        [dest_weight.get(n.country, 1.0) * (0.7 if n.id.endswith("1") else 0.3) for n in zones]
    )
    origin_idx = rng.choice(len(warehouses), size=count, p=wh_p / wh_p.sum())
    zone_idx = rng.choice(len(zones), size=count, p=zone_p / zone_p.sum())
    categories = _choice(rng, CATEGORY_MIX, count)
    services = _choice(rng, SERVICE_MIX, count)
    # Sellers rarely promise express for goods that cannot fly.
    grounded = np.isin(categories, list(GROUNDED))
    services[grounded] = _choice(rng, GROUNDED_SERVICE_MIX, int(grounded.sum()))
    weights = np.clip(rng.lognormal(np.log(0.7), 0.9, count), 0.05, 45.0)
    density = rng.uniform(80, 400, count)  # kg per m3; light parcels are bulky
    volume_cm3 = weights / density * 1e6
    shape = rng.uniform(0.6, 1.6, (count, 3))
    side = np.cbrt(volume_cm3 / shape.prod(axis=1))
    dims = np.maximum(np.round(shape * side[:, None], 1), 1.0)
    start_minute = to_minutes(datetime(start.year, start.month, start.day, tzinfo=UTC))
    ready = start_minute + np.sort(rng.uniform(0, days * MINUTES_PER_DAY, count)).astype(np.int64)
    shipments = []
    for i in range(count):
        origin = warehouses[origin_idx[i]]
        destination = zones[zone_idx[i]]
        service = str(services[i])
        promise = network.service_levels[service].promise_days
        zone = get_zone(destination.timezone)
        local_ready = datetime.fromtimestamp(int(ready[i]) * 60, tz=get_zone(origin.timezone))
        due_day = local_ready.date() + timedelta(days=promise)
        deliver_by = local_to_minutes(due_day, 23 * 60 + 59, zone)
        shipments.append(
            Shipment(
                id=f"S{i + 1:06d}",
                origin=origin.id,
                destination=destination.id,
                ready_at=int(ready[i]),
                deliver_by=deliver_by,
                service=service,
                weight_g=max(1, round(float(weights[i]) * 1000)),
                category=str(categories[i]),
                dims_mm=tuple(round(v * 10) for v in dims[i].tolist()),
            )
        )
    return shipments


# True outcome rates by carrier kind: (late, lost, damaged).
_RECORDS = {
    "Air0": (0.04, 0.002, 0.004),
    "Air1": (0.12, 0.006, 0.012),
    "Rail": (0.10, 0.004, 0.010),
    "Ocean": (0.15, 0.005, 0.015),
    "Road": (0.06, 0.003, 0.008),
    "Feeder": (0.02, 0.001, 0.003),
    "Trunk": (0.02, 0.001, 0.003),
    "Post": (0.08, 0.006, 0.010),
    "Express": (0.03, 0.002, 0.004),
}


def generate_outcomes(
    network: Network, *, seed: int = 1, mean_events: int = 60, troubled_share: float = 0.08
) -> list[TrackingOutcome]:
    """Past tracking outcomes per lane: carriers differ, a few lanes are troubled.

    Event counts per lane vary (some lanes have almost no history), so scores show
    the effect of the prior.
    """
    rng = np.random.default_rng(seed)
    outcomes: list[TrackingOutcome] = []
    kinds = (Outcome.LATE, Outcome.LOST, Outcome.DAMAGED, Outcome.ON_TIME)
    parallel: dict[tuple[str, str], int] = {}
    for lane in network.lanes:
        parallel[lane.origin, lane.destination] = (
            parallel.get((lane.origin, lane.destination), 0) + 1
        )
    for lane in network.lanes:
        kind = next((k for k in _RECORDS if lane.carrier.endswith(k)), None)
        late, lost, damaged = _RECORDS.get(kind or "", (0.08, 0.004, 0.01))
        # Only lanes with a parallel alternative turn troubled, so exclusion leaves a route.
        if parallel[lane.origin, lane.destination] > 1 and rng.random() < troubled_share:
            late = 0.35
        count = int(rng.poisson(mean_events if rng.random() > 0.1 else 2))
        draws = rng.choice(4, size=count, p=[late, lost, damaged, 1 - late - lost - damaged])
        outcomes.extend(TrackingOutcome(lane.carrier, lane.id, kinds[d]) for d in draws.tolist())
    return outcomes
