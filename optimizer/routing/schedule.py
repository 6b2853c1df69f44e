"""Weekly departure patterns expanded to absolute UTC instants over a planning horizon.

Each weekly departure is a local wall-clock time at the lane's origin node, so a
daily 10:00 departure from Berlin is 09:00Z in winter and 08:00Z in summer. DST
edge rules are those of `optimizer.timeutil` (gap times move forward, repeated
times take the first occurrence).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from optimizer.routing.network import Lane, Node
from optimizer.timeutil import MINUTES_PER_DAY, get_zone, local_date, local_to_minutes

DEFAULT_LOOKAHEAD_DAYS = 60
DEFAULT_MARGIN_DAYS = 14


@dataclass(frozen=True)
class Horizon:
    """The span [start, end) of UTC minutes in which departures exist."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("horizon end must be after its start")

    @property
    def days(self) -> float:
        return (self.end - self.start) / MINUTES_PER_DAY


def horizon_for(
    ready_times: Iterable[int],
    deadlines: Iterable[int],
    lookahead_days: int = DEFAULT_LOOKAHEAD_DAYS,
    margin_days: int = DEFAULT_MARGIN_DAYS,
) -> Horizon:
    """A horizon from a day before the first ready time to well past the last deadline.

    It reaches at least `lookahead_days` past the last ready time so slow sea legs and
    late (least-late) itineraries still find departures.
    """
    ready = list(ready_times)
    due = list(deadlines)
    if not ready:
        raise ValueError("a horizon needs at least one shipment")
    first = min(ready) // MINUTES_PER_DAY * MINUTES_PER_DAY - MINUTES_PER_DAY
    last = max(max(due, default=0), max(ready) + lookahead_days * MINUTES_PER_DAY)
    return Horizon(first, last + margin_days * MINUTES_PER_DAY)


def expand_departures(lane: Lane, origin: Node, horizon: Horizon) -> list[int]:
    """Sorted UTC minutes of every departure of `lane` inside the horizon."""
    zone = get_zone(origin.timezone)
    first_day = local_date(horizon.start, zone) - timedelta(days=1)
    last_day = local_date(horizon.end, zone) + timedelta(days=1)
    by_weekday: dict[int, list[int]] = {}
    for departure in lane.departures:
        by_weekday.setdefault(departure.weekday, []).append(departure.minute)
    instants: set[int] = set()
    day = first_day
    while day <= last_day:
        for minute in by_weekday.get(day.weekday(), ()):
            instant = local_to_minutes(day, minute, zone)
            if horizon.start <= instant < horizon.end:
                instants.add(instant)
        day += timedelta(days=1)
    return sorted(instants)
