"""Itineraries: the planned legs of one shipment, with the milestones tracking compares against."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from optimizer.timeutil import format_instant


class ItineraryStatus(StrEnum):
    ON_TIME = "on_time"  # delivered inside the window
    LATE = "late"  # routed, but delivered after deliver_by
    UNSERVED = "unserved"  # a route exists but no capacity was left for it (batch)
    UNROUTABLE = "unroutable"  # no route at all; `reason` says why


class Reason(StrEnum):
    """Why a shipment is late, unserved or unroutable."""

    NO_LANE_FOR_CATEGORY = "no_lane_for_category"
    TOO_HEAVY = "too_heavy"
    UNREACHABLE = "unreachable"
    LOW_CARRIER_SCORE = "low_carrier_score"
    NO_DEPARTURE_IN_HORIZON = "no_departure_in_horizon"
    WINDOW_TOO_EARLY = "window_too_early"  # nothing arrives in time, capacity aside
    NO_CAPACITY = "no_capacity"  # on-time (or any) departures are full
    LATE_CHEAPER = "late_cheaper"  # an on-time option had room but costs more than the penalty
    LOST = "lost"


@dataclass(frozen=True)
class Leg:
    """One lane taken at one departure; instants are UTC minutes, money plan-currency minor units.

    `arrival` is when the parcel reaches the lane's destination; `ready_at` is when it
    is cleared and handled there, ready for the next leg (or delivered, on the last).
    """

    lane: str
    carrier: str
    mode: str
    origin: str
    destination: str
    departure: int
    arrival: int
    ready_at: int
    cost: int
    risk_cost: int = 0


@dataclass(frozen=True)
class Itinerary:
    """The plan for one shipment, or the reason there is none."""

    shipment: str
    status: ItineraryStatus
    legs: tuple[Leg, ...] = ()
    delivered_at: int | None = None
    late_minutes: int = 0
    late_penalty: int = 0
    reason: Reason | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        routed = self.status in (ItineraryStatus.ON_TIME, ItineraryStatus.LATE)
        if routed and (not self.legs or self.delivered_at is None):
            raise ValueError("a routed itinerary needs legs and a delivery time")
        if not routed and self.legs:
            raise ValueError("an unserved or unroutable itinerary has no legs")
        if self.late_minutes < 0 or (self.status == ItineraryStatus.LATE) != (
            self.late_minutes > 0
        ):
            raise ValueError("late_minutes must be positive exactly when the status is late")

    @property
    def routed(self) -> bool:
        return bool(self.legs)

    @property
    def freight_cost(self) -> int:
        return sum(leg.cost for leg in self.legs)

    @property
    def risk_cost(self) -> int:
        return sum(leg.risk_cost for leg in self.legs)

    @property
    def total_cost(self) -> int:
        """Freight + carrier risk + late penalty, the quantity the planners minimise."""
        return self.freight_cost + self.risk_cost + self.late_penalty

    @property
    def departure(self) -> int | None:
        return self.legs[0].departure if self.legs else None


def late_detail(delivered_at: int, deliver_by: int) -> str:
    """Why-late text naming the window's end and the delivery instead (both UTC)."""
    return (
        f"delivered {format_instant(delivered_at)}, after deliver_by {format_instant(deliver_by)}"
    )
