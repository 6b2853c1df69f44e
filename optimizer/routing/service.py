"""Service levels: the delivery promise a shipment was sold with and the price of breaking it."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.timeutil import MINUTES_PER_DAY


@dataclass(frozen=True)
class ServiceLevel:
    """A promise of `promise_days`, and a penalty per started day late (plan minor units)."""

    name: str
    promise_days: int
    late_penalty_per_day: int

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("service level needs a name")
        if self.promise_days <= 0:
            raise ValueError("promise must be at least one day")
        if self.late_penalty_per_day < 0:
            raise ValueError("late penalty cannot be negative")

    def penalty(self, late_minutes: int) -> int:
        """Penalty for being `late_minutes` late: every started day counts."""
        if late_minutes <= 0:
            return 0
        return -(-late_minutes // MINUTES_PER_DAY) * self.late_penalty_per_day


DEFAULT_SERVICE_LEVELS = {
    "economy": ServiceLevel("economy", promise_days=30, late_penalty_per_day=100),
    "standard": ServiceLevel("standard", promise_days=14, late_penalty_per_day=200),
    "express": ServiceLevel("express", promise_days=7, late_penalty_per_day=1000),
}
