"""Lane prices in the plan currency, for one parcel or vectorised over many.

Both paths apply the rules of `optimizer.routing.tariffs` and convert with the
network's RateTable (half up, once per leg). The vectorised path evaluates the
tariff on integer numpy arrays and converts each distinct amount once, exactly.
"""

from __future__ import annotations

import numpy as np

from optimizer.routing.network import Lane, Network, Node
from optimizer.routing.tariffs import Tariff


def leg_price(network: Network, lane: Lane, weight_g: int, dims_mm, destination: Node) -> int:
    """Plan-currency minor units for one parcel on one lane, bound for `destination`."""
    tariff = network.tariffs[lane.tariff]
    local = tariff.price(weight_g, dims_mm, destination.zone, destination.country)
    return network.rates.convert_minor(local, tariff.currency, network.currency)


def _volumetric_grams(dims_mm: np.ndarray | None, divisor: int | None, count: int) -> np.ndarray:
    if dims_mm is None or not divisor:
        return np.zeros(count, dtype=np.int64)
    volume = dims_mm[:, 0] * dims_mm[:, 1] * dims_mm[:, 2]
    return -(-volume // divisor)


def tariff_prices(
    tariff: Tariff,
    weights_g: np.ndarray,
    dims_mm: np.ndarray | None,
    destination: Node,
) -> np.ndarray:
    """Tariff-currency minor units per parcel; `dims_mm` is (n, 3) int64 with 0 rows for none."""
    count = len(weights_g)
    volumetric = _volumetric_grams(dims_mm, tariff.volumetric_divisor, count)
    chargeable = np.maximum(weights_g, volumetric)
    rate = tariff.rate_for(destination.zone, destination.country)
    steps = np.maximum(-(-(chargeable - rate.first_g) // rate.step_g), 0)
    return np.maximum(rate.first_price + steps * rate.step_price, tariff.min_charge)


def convert_prices(network: Network, prices: np.ndarray, currency: str) -> np.ndarray:
    """Convert tariff-currency amounts to plan-currency, rounding each amount exactly once."""
    if currency == network.currency:
        return prices.astype(np.int64, copy=False)
    distinct, inverse = np.unique(prices, return_inverse=True)
    converted = np.array(
        [network.rates.convert_minor(int(v), currency, network.currency) for v in distinct],
        dtype=np.int64,
    )
    return converted[inverse.reshape(-1)]


def leg_prices(
    network: Network,
    lane: Lane,
    weights_g: np.ndarray,
    dims_mm: np.ndarray | None,
    destination: Node,
) -> np.ndarray:
    """Plan-currency minor units per parcel on one lane (vectorised `leg_price`)."""
    tariff = network.tariffs[lane.tariff]
    return convert_prices(
        network, tariff_prices(tariff, weights_g, dims_mm, destination), tariff.currency
    )
