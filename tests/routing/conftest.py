"""A tiny hand-made Berlin -> London network whose itineraries are computed by hand.

    WH --L1 truck--> HUB --FAST air--> GW --LM last mile--> Z
                         --SLOW truck->

Times (March 2025, before the DST switch on the 30th: Berlin UTC+1, London UTC+0):
- L1   daily 10:00 Berlin (09:00Z), cut-off 1 h, 2 h transit; HUB handles 1 h.
- FAST daily 18:00 Berlin (17:00Z), 2 h transit, 4 h customs clearance; 3 parcels / 10 kg.
- SLOW Mon+Thu 08:00 Berlin (07:00Z), 48 h transit; 100 kg; accepts batteries/liquids.
- LM   daily 09:00 London (09:00Z), 8 h transit.
Prices (USD base; EUR 1.10, GBP 1.25) for a 1 kg, 10x10x10 cm parcel:
L1 1.00 EUR = 110, FAST 11.00 USD = 1100, SLOW 2.00 EUR = 220, LM 3.00 GBP = 375.
A shipment ready Mon 2025-03-24 07:00Z is delivered via FAST Tue 25 17:00Z (1585),
via SLOW Sat 29 17:00Z (705).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from optimizer.money import RateTable
from optimizer.routing.check import check_plan
from optimizer.routing.network import Lane, Mode, Network, Node, NodeKind, WeeklyDeparture
from optimizer.routing.service import ServiceLevel
from optimizer.routing.shipments import Shipment
from optimizer.routing.tariffs import Tariff, ZoneRate
from optimizer.timeutil import parse_instant

DAILY = tuple(range(7))


def at(text: str) -> int:
    """UTC minutes of an ISO timestamp (tests write instants as text)."""
    return parse_instant(text, "test")


def weekly(days, minute: int) -> tuple[WeeklyDeparture, ...]:
    return tuple(WeeklyDeparture(day, minute) for day in days)


def tiny_network(**lane_changes: dict) -> Network:
    """The network of the module doc; `lane_changes={"FAST": {...}}` overrides lane fields."""
    nodes = (
        Node("WH", NodeKind.SELLER_WAREHOUSE, "DE", "Europe/Berlin"),
        Node("HUB", NodeKind.ORIGIN_HUB, "DE", "Europe/Berlin", handling_minutes=60),
        Node("GW", NodeKind.IMPORT_GATEWAY, "GB", "Europe/London"),
        Node("Z", NodeKind.DELIVERY_ZONE, "GB", "Europe/London", zone="GB-1"),
        Node("FAR", NodeKind.DELIVERY_ZONE, "GB", "Europe/London"),
    )
    every = frozenset({"general", "batteries", "liquids", "cosmetics", "food"})
    lanes = [
        Lane("L1", "WH", "HUB", Mode.TRUCK, "Feeder", weekly(DAILY, 600), 120, "T_FEED",
             cutoff_minutes=60, categories=every),
        Lane("FAST", "HUB", "GW", Mode.AIR, "Air", weekly(DAILY, 18 * 60), 120, "T_AIR",
             clearance_minutes=240, capacity_g=10_000, capacity_parcels=3, max_parcel_g=20_000),
        Lane("SLOW", "HUB", "GW", Mode.TRUCK, "Road", weekly((0, 3), 8 * 60), 48 * 60, "T_ROAD",
             capacity_g=100_000, categories=frozenset({"general", "batteries", "liquids"}),
             max_parcel_g=30_000),
        Lane("LM", "GW", "Z", Mode.LAST_MILE, "Post", weekly(DAILY, 9 * 60), 8 * 60, "T_LM",
             categories=every),
    ]  # fmt: skip
    lanes = [replace(lane, **lane_changes.get(lane.id, {})) for lane in lanes]
    tariffs = {
        "T_FEED": Tariff("T_FEED", "EUR", {"*": ZoneRate(1000, 100, 1000, 50)}),
        "T_AIR": Tariff(
            "T_AIR", "USD", {"*": ZoneRate(500, 800, 500, 300)}, volumetric_divisor=5000,
            min_charge=1000,
        ),
        "T_ROAD": Tariff("T_ROAD", "EUR", {"*": ZoneRate(1000, 200, 1000, 100)}),
        "T_LM": Tariff("T_LM", "GBP", {"*": ZoneRate(1000, 300, 1000, 100)}),
    }  # fmt: skip
    rates = RateTable("USD", {"EUR": Decimal("1.10"), "GBP": Decimal("1.25")})
    levels = {
        "economy": ServiceLevel("economy", 30, 100),
        "standard": ServiceLevel("standard", 14, 200),
        "express": ServiceLevel("express", 7, 1000),
    }
    return Network(nodes, tuple(lanes), tariffs, rates, levels)


def parcel(
    ship_id: str = "P1",
    *,
    ready: str = "2025-03-24T07:00Z",
    due: str = "2025-03-31T00:00Z",
    service: str = "standard",
    category: str = "general",
    weight_g: int = 1000,
    dims_mm: tuple[int, int, int] | None = (100, 100, 100),
    destination: str = "Z",
) -> Shipment:
    return Shipment(
        id=ship_id,
        origin="WH",
        destination=destination,
        ready_at=at(ready),
        deliver_by=at(due),
        service=service,
        weight_g=weight_g,
        category=category,
        dims_mm=dims_mm,
    )


def assert_feasible(network, shipments, itineraries, **options) -> None:
    """The independent checker finds nothing wrong with the plan."""
    violations = check_plan(network, shipments, itineraries, **options)
    assert violations == [], "\n".join(str(v) for v in violations[:20])


@pytest.fixture
def network() -> Network:
    return tiny_network()
