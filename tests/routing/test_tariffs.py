"""Tariff rules, each with a hand-computed price."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from optimizer.money import RateTable
from optimizer.routing.network import Node, NodeKind
from optimizer.routing.pricing import leg_prices
from optimizer.routing.tariffs import Tariff, ZoneRate, chargeable_grams, volumetric_grams

# first 0.5 kg 8.00, then 3.00 per started 0.5 kg; divisor 5000 cm3/kg; minimum 10.00
AIR = Tariff("AIR", "USD", {"*": ZoneRate(500, 800, 500, 300)}, volumetric_divisor=5000,
             min_charge=1000)  # fmt: skip


def test_chargeable_weight_is_the_larger_of_actual_and_volumetric():
    """40x30x20 cm = 24000 cm3 / 5000 = 4.8 kg volumetric beats 2 kg actual; a dense
    1 kg 10x10x10 cm parcel (0.2 kg volumetric) is charged its actual weight."""
    assert volumetric_grams((400, 300, 200), 5000) == 4800
    assert chargeable_grams(2000, (400, 300, 200), 5000) == 4800
    assert chargeable_grams(1000, (100, 100, 100), 5000) == 1000


def test_volumetric_weight_rounds_up_to_the_gram_and_needs_a_divisor():
    """33x33x33 mm / 5000 = 7.1874 g -> 8 g; no divisor or no dimensions -> 0."""
    assert volumetric_grams((33, 33, 33), 5000) == 8
    assert volumetric_grams((400, 300, 200), None) == 0
    assert volumetric_grams(None, 5000) == 0


def test_first_weight_band_and_started_steps():
    """0.4 kg -> first band 8.00 -> raised to the 10.00 minimum; 0.6 kg -> 8 + 1 step = 11.00;
    1.0 kg -> 11.00; 1.01 kg -> 8 + 2 steps = 14.00."""
    assert AIR.price(400, None, None, "GB") == 1000
    assert AIR.price(600, None, None, "GB") == 1100
    assert AIR.price(1000, None, None, "GB") == 1100
    assert AIR.price(1010, None, None, "GB") == 1400


def test_volumetric_weight_drives_the_steps():
    """2 kg in 40x30x20 cm is charged 4.8 kg: 8.00 + ceil(4.3/0.5)=9 steps x 3.00 = 35.00."""
    assert AIR.price(2000, (400, 300, 200), None, "GB") == 3500


def test_zone_rate_falls_back_zone_then_country_then_default():
    """Zone GB-2 has its own rate; GB-1 falls back to the GB rate; FR to the default."""
    tariff = Tariff(
        "LM", "GBP",
        {"*": ZoneRate(1000, 500, 1000, 100), "GB": ZoneRate(1000, 300, 1000, 100),
         "GB-2": ZoneRate(1000, 450, 1000, 150)},
    )  # fmt: skip
    assert tariff.price(2500, None, "GB-2", "GB") == 450 + 2 * 150
    assert tariff.price(2500, None, "GB-1", "GB") == 300 + 2 * 100
    assert tariff.price(2500, None, None, "FR") == 500 + 2 * 100


def test_vectorised_prices_convert_each_leg_once_half_up():
    """3.05 EUR at 1.10 USD/EUR = 3.355 -> 3.36 USD per parcel, the same as one at a time."""
    from optimizer.routing.network import Lane, Mode, Network, WeeklyDeparture

    tariff = Tariff("T", "EUR", {"*": ZoneRate(1000, 305, 1000, 100)})
    lane = Lane("L", "A", "B", Mode.TRUCK, "C", (WeeklyDeparture(0, 0),), 60, "T")
    nodes = (
        Node("A", NodeKind.ORIGIN_HUB, "DE", "Europe/Berlin"),
        Node("B", NodeKind.DELIVERY_ZONE, "DE", "Europe/Berlin"),
    )
    network = Network(nodes, (lane,), {"T": tariff}, RateTable("USD", {"EUR": Decimal("1.10")}))
    prices = leg_prices(network, lane, np.array([900, 1000, 1500]), None, nodes[1])
    assert prices.tolist() == [336, 336, 336 + 110]
