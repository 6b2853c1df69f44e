"""Money as integer minor units, never float.

Amounts are parsed from decimal strings (or ints) into integer minor units of their
currency (cents for USD, whole yen for JPY). Conversion between currencies goes
through `RateTable` with exact `Decimal` arithmetic and one rounding step:
ROUND_HALF_UP to the target currency's minor unit, applied once per converted
amount (per priced leg), never on intermediate values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType

from optimizer.errors import InputError

# ISO 4217 minor-unit exponents that are not 2; every other 3-letter code has 2.
_MINOR_DIGITS_NOT_TWO = {
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


def is_currency_code(code: object) -> bool:
    """True for a three-letter upper-case code (ISO 4217 shape)."""
    return isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()


def minor_digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (2 unless ISO 4217 says otherwise)."""
    return _MINOR_DIGITS_NOT_TWO.get(currency, 2)


def parse_decimal(value: object, field_name: str) -> Decimal:
    """A finite Decimal from a string or int (floats go through their shortest repr)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise InputError(f"must be a decimal number or string, not {value!r}", field=field_name)
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise InputError(f"not a decimal number: {value!r}", field=field_name) from None
    if not number.is_finite():
        raise InputError(f"must be finite, not {value!r}", field=field_name)
    return number


def to_minor(value: object, currency: str, field_name: str = "amount") -> int:
    """Parse an amount such as "12.50" into exact minor units; finer precision is an error."""
    number = parse_decimal(value, field_name)
    scaled = number.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        raise InputError(
            f"{value!r} has more decimals than {currency} allows ({minor_digits(currency)})",
            field=field_name,
        )
    return int(scaled)


def format_minor(minor: int, currency: str) -> str:
    """Minor units back to a plain decimal string, e.g. 1250 USD -> "12.50"."""
    digits = minor_digits(currency)
    return str(Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount of one currency, in integer minor units."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int of minor units")
        if not is_currency_code(self.currency):
            raise ValueError(f"currency must be a 3-letter ISO code, not {self.currency!r}")

    @classmethod
    def parse(cls, value: object, currency: str, field_name: str = "amount") -> Money:
        return cls(to_minor(value, currency, field_name), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an int; convert with a RateTable")
        return Money(self.minor * factor, self.currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"


@dataclass(frozen=True)
class RateTable:
    """Exchange rates into one base currency: 1 unit of X is worth `rates[X]` units of base."""

    base: str
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not is_currency_code(self.base):
            raise ValueError(f"base currency must be a 3-letter ISO code, not {self.base!r}")
        rates = {code: Decimal(rate) for code, rate in self.rates.items()}
        rates.setdefault(self.base, Decimal(1))
        for code, rate in rates.items():
            if not is_currency_code(code):
                raise ValueError(f"rate currency must be a 3-letter ISO code, not {code!r}")
            if not rate.is_finite() or rate <= 0:
                raise ValueError(f"rate for {code} must be positive, not {rate}")
        if rates[self.base] != 1:
            raise ValueError(f"rate of the base currency {self.base} must be 1")
        object.__setattr__(self, "rates", MappingProxyType(rates))

    def knows(self, currency: str) -> bool:
        return currency in self.rates

    def factor(self, source: str, target: str) -> Decimal:
        """Exact multiplier from minor units of `source` to minor units of `target`."""
        if source not in self.rates or target not in self.rates:
            missing = source if source not in self.rates else target
            raise InputError(f"no exchange rate for {missing}", field="rates")
        ratio = self.rates[source] / self.rates[target]
        return ratio.scaleb(minor_digits(target) - minor_digits(source))

    def convert_minor(self, minor: int, source: str, target: str) -> int:
        """Convert minor units, rounding once, half up, to the target's minor unit."""
        if source == target:
            return minor
        exact = Decimal(minor) * self.factor(source, target)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def convert(self, amount: Money, target: str) -> Money:
        return Money(self.convert_minor(amount.minor, amount.currency, target), target)
