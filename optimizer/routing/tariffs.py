"""Lane tariffs: chargeable weight, weight-step prices per destination zone, minimum charge.

Rules, all in integers (grams, millimetres, minor units of the tariff's currency):
- volumetric grams = ceil(L x W x H [mm^3] / divisor), which is L x W x H [cm^3] / divisor
  [cm^3/kg] in kg, rounded up to the gram; no divisor means no volumetric weight;
- chargeable grams = max(actual grams, volumetric grams);
- price = first_price when chargeable <= first weight, else
  first_price + ceil((chargeable - first weight) / step) x step_price;
- the result is raised to the tariff's minimum charge;
- the zone rate is the destination's tariff zone, else its country, else "*".
Conversion into the plan currency is `RateTable.convert_minor` (half up, once per leg).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

DEFAULT_ZONE = "*"


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def volumetric_grams(dims_mm: tuple[int, int, int] | None, divisor: int | None) -> int:
    """Volumetric weight in grams (0 without dimensions or divisor)."""
    if dims_mm is None or not divisor:
        return 0
    length, width, height = dims_mm
    return ceil_div(length * width * height, divisor)


def chargeable_grams(
    weight_g: int, dims_mm: tuple[int, int, int] | None, divisor: int | None
) -> int:
    """The weight a carrier bills: the larger of actual and volumetric."""
    return max(weight_g, volumetric_grams(dims_mm, divisor))


@dataclass(frozen=True)
class ZoneRate:
    """Price of a first weight band and of each further step, for one destination zone."""

    first_g: int
    first_price: int
    step_g: int
    step_price: int

    def __post_init__(self) -> None:
        if self.first_g < 0:
            raise ValueError("first weight cannot be negative")
        if self.step_g <= 0:
            raise ValueError("step weight must be positive")
        if self.first_price < 0 or self.step_price < 0:
            raise ValueError("prices cannot be negative")

    def price(self, chargeable_g: int) -> int:
        if chargeable_g <= self.first_g:
            return self.first_price
        return (
            self.first_price + ceil_div(chargeable_g - self.first_g, self.step_g) * self.step_price
        )


@dataclass(frozen=True)
class Tariff:
    """A carrier's price list for a lane, in its own currency."""

    id: str
    currency: str
    zones: Mapping[str, ZoneRate]
    volumetric_divisor: int | None = None
    min_charge: int = 0

    def __post_init__(self) -> None:
        if DEFAULT_ZONE not in self.zones:
            raise ValueError(f'tariff {self.id} needs a default zone "{DEFAULT_ZONE}"')
        if self.volumetric_divisor is not None and self.volumetric_divisor <= 0:
            raise ValueError("volumetric divisor must be positive")
        if self.min_charge < 0:
            raise ValueError("minimum charge cannot be negative")
        object.__setattr__(self, "zones", MappingProxyType(dict(self.zones)))

    def rate_for(self, zone: str | None, country: str) -> ZoneRate:
        """The zone's rate, else the country's, else the default."""
        if zone is not None and zone in self.zones:
            return self.zones[zone]
        return self.zones.get(country) or self.zones[DEFAULT_ZONE]

    def price(
        self,
        weight_g: int,
        dims_mm: tuple[int, int, int] | None,
        zone: str | None,
        country: str,
    ) -> int:
        """Price in minor units of `self.currency` for one parcel to the given zone."""
        chargeable = chargeable_grams(weight_g, dims_mm, self.volumetric_divisor)
        return max(self.rate_for(zone, country).price(chargeable), self.min_charge)
