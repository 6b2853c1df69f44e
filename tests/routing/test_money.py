"""Money: exact minor units, parsing, conversion with one half-up rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from optimizer.errors import InputError
from optimizer.money import Money, RateTable, format_minor, minor_digits, to_minor


def test_amounts_parse_to_exact_minor_units():
    """Decimal strings become integer cents; floats go through their repr, not binary."""
    assert to_minor("12.50", "USD") == 1250
    assert to_minor(0.1, "USD") == 10
    assert to_minor("1500", "JPY") == 1500
    assert to_minor("1.005", "KWD") == 1005


def test_sub_minor_precision_is_an_error_naming_the_field():
    """More decimals than the currency has is refused, with the field in the error."""
    with pytest.raises(InputError) as info:
        to_minor("1.234", "USD", "tariffs.T.min_charge")
    assert info.value.field == "tariffs.T.min_charge"


def test_minor_digits_follow_iso_4217():
    """JPY has no minor unit, KWD three, the rest two."""
    assert (minor_digits("JPY"), minor_digits("KWD"), minor_digits("EUR")) == (0, 3, 2)
    assert format_minor(1250, "USD") == "12.50"
    assert format_minor(1250, "JPY") == "1250"


def test_conversion_rounds_half_up_once():
    """1.05 EUR at 1.10 = 1.155 USD -> 1.16 (half up); 1.04 EUR = 1.144 -> 1.14."""
    rates = RateTable("USD", {"EUR": Decimal("1.10")})
    assert rates.convert_minor(105, "EUR", "USD") == 116
    assert rates.convert_minor(104, "EUR", "USD") == 114


def test_conversion_between_two_foreign_currencies_and_zero_digit_targets():
    """EUR -> JPY goes through the base: 1.00 EUR = 1.08 USD = 161.19... JPY -> 161 yen."""
    rates = RateTable("USD", {"EUR": Decimal("1.08"), "JPY": Decimal("0.0067")})
    assert rates.convert_minor(100, "EUR", "JPY") == 161
    assert rates.convert_minor(1000, "JPY", "USD") == 670


def test_unknown_currency_is_an_input_error():
    """Converting from a currency the table does not know names the rates field."""
    with pytest.raises(InputError) as info:
        RateTable("USD").convert_minor(100, "CHF", "USD")
    assert info.value.field == "rates"


def test_money_arithmetic_refuses_mixed_currencies_and_floats():
    """Money adds only to the same currency and multiplies only by ints."""
    total = Money(150, "USD") + Money(250, "USD")
    assert total == Money(400, "USD") and str(total) == "4.00 USD"
    with pytest.raises(ValueError):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(TypeError):
        Money(1, "USD") * 1.5  # type: ignore[operator]
