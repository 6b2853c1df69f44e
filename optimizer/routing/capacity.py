"""Capacity booked per departure (kg and parcels), as flat numpy counters."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np

from optimizer.routing.itinerary import Leg
from optimizer.routing.timetable import Timetable


class CapacityLedger:
    """What each departure of a timetable already carries."""

    def __init__(
        self,
        timetable: Timetable,
        used_g: np.ndarray | None = None,
        used_parcels: np.ndarray | None = None,
    ):
        self.timetable = timetable
        total = int(timetable.departure_offsets[-1])
        self.used_g = np.zeros(total, dtype=np.int64) if used_g is None else used_g
        self.used_parcels = (
            np.zeros(total, dtype=np.int64) if used_parcels is None else used_parcels
        )

    def fits(self, lane: int, index: int, weight_g: int, parcels: int = 1) -> bool:
        departure = self.timetable.departure_id(lane, index)
        return (
            self.used_g[departure] + weight_g <= self.timetable.lane_capacity_g[lane]
            and self.used_parcels[departure] + parcels <= self.timetable.lane_capacity_parcels[lane]
        )

    def book(self, lane: int, index: int, weight_g: int, parcels: int = 1) -> None:
        departure = self.timetable.departure_id(lane, index)
        self.used_g[departure] += weight_g
        self.used_parcels[departure] += parcels

    def locate(self, leg: Leg) -> tuple[int, int] | None:
        """The (lane, departure index) of a planned leg in this timetable, if it still exists."""
        lane = self.timetable.lane_index.get(leg.lane)
        if lane is None:
            return None
        times = self.timetable.departures[lane]
        index = bisect.bisect_left(times, leg.departure)
        if index == len(times) or times[index] != leg.departure:
            return None
        return lane, index

    def book_legs(self, legs: Iterable[Leg], weight_g: int, sign: int = 1) -> None:
        """Book (or with sign=-1 release) one parcel on every leg that exists in the timetable."""
        for leg in legs:
            found = self.locate(leg)
            if found is not None:
                self.book(found[0], found[1], sign * weight_g, sign)
