"""Reading JSON records while collecting every problem, each with its field path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from optimizer.errors import InputError, Problem
from optimizer.errors import capped as capped_to
from optimizer.money import parse_decimal, to_minor

T = TypeVar("T")
_MISSING = object()
MAX_REPORTED = 200


class Problems:
    """Collects problems; `field_value` helpers return None after recording a defect."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.items.append(Problem(field=field, message=message, code=code))

    def extend(self, problems: list[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(capped(self.items))

    def guard(self, field: str, build: Callable[[], T]) -> T | None:
        """Run a constructor, turning its ValueError/InputError into problems at `field`."""
        try:
            return build()
        except InputError as exc:
            for problem in exc.problems:
                sub = f"{field}.{problem.field}" if problem.field else field
                self.add(sub, problem.message, problem.code)
        except (ValueError, TypeError) as exc:
            self.add(field, str(exc))
        return None

    def require(self, record: Mapping[str, Any], key: str, path: str) -> Any:
        value = record.get(key, _MISSING)
        if value is _MISSING or value is None:
            self.add(f"{path}.{key}", "is required", "missing")
            return None
        return value

    def text(self, record: Mapping[str, Any], key: str, path: str, required: bool = True) -> Any:
        value = self.require(record, key, path) if required else record.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(f"{path}.{key}", f"must be a non-empty string, not {value!r}")
            return None
        return value

    def number(
        self,
        record: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        minimum: float | None = None,
        exclusive_minimum: bool = False,
        maximum: float | None = None,
    ) -> Decimal | None:
        value = self.require(record, key, path) if required else record.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.add(f"{path}.{key}", f"must be a number, not {value!r}")
            return None
        try:
            number = parse_decimal(value, f"{path}.{key}")
        except InputError as exc:
            self.extend(exc.problems)
            return None
        if minimum is not None and (
            number < Decimal(str(minimum))
            or (exclusive_minimum and number == Decimal(str(minimum)))
        ):
            bound = "greater than" if exclusive_minimum else "at least"
            self.add(f"{path}.{key}", f"must be {bound} {minimum}, not {value}")
            return None
        if maximum is not None and number > Decimal(str(maximum)):
            self.add(f"{path}.{key}", f"must be at most {maximum}, not {value}")
            return None
        return number

    def money(
        self, record: Mapping[str, Any], key: str, path: str, currency: str, required: bool = True
    ) -> int | None:
        value = self.require(record, key, path) if required else record.get(key)
        if value is None:
            return None
        try:
            amount = to_minor(value, currency, f"{path}.{key}")
        except InputError as exc:
            self.extend(exc.problems)
            return None
        if amount < 0:
            self.add(f"{path}.{key}", f"cannot be negative, not {value}")
            return None
        return amount


def scaled_int(number: Decimal, factor: int) -> int:
    """A decimal quantity in a unit scaled to an integer (e.g. kg -> g), rounded half up."""
    return int((number * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_REPORTED problems, plus one line saying how many more there were."""
    return capped_to(problems, MAX_REPORTED)
