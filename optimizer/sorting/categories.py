"""Parcel categories: which goods may go where.

Restricted categories (batteries, liquids, cosmetics, food) never share a container with
general goods: they go to chutes dedicated to their category, whatever their destination.
"""

from __future__ import annotations

from enum import StrEnum

from optimizer.errors import InputError


class Category(StrEnum):
    GENERAL = "general"
    BATTERY = "battery"
    LIQUID = "liquid"
    COSMETICS = "cosmetics"
    FOOD = "food"


RESTRICTED_CATEGORIES: tuple[Category, ...] = (
    Category.BATTERY,
    Category.LIQUID,
    Category.COSMETICS,
    Category.FOOD,
)

_BY_VALUE = {c.value: c for c in Category}
CATEGORY_NAMES: frozenset[str] = frozenset(_BY_VALUE)
CATEGORY_VALUES = ", ".join(_BY_VALUE)
RESTRICTED_VALUES = ", ".join(c.value for c in RESTRICTED_CATEGORIES)


def parse_category(value: object, field: str = "category") -> Category:
    """The category named by `value`; an unknown value is an input error, never a guess.

    The one place the unknown-category message is written (JSON readers, the assigner).
    """
    if isinstance(value, str):
        found = _BY_VALUE.get(value)
        if found is not None:
            return found
    raise InputError(
        f"unknown category {value!r} (expected one of {CATEGORY_VALUES})",
        field=field,
        code="unknown_category",
    )


def parse_restricted_category(value: object, field: str) -> Category:
    """A restricted category (battery, liquid, cosmetics, food); general is not one."""
    if isinstance(value, str):
        found = _BY_VALUE.get(value)
        if found is not None and found is not Category.GENERAL:
            return found
    raise InputError(
        f"unknown restricted category {value!r} (expected one of {RESTRICTED_VALUES})",
        field=field,
        code="unknown_category",
    )
