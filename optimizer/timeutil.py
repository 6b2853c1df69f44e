"""Times: aware datetimes at the edges, integer UTC minutes inside solvers.

An instant is an `int` of minutes since 1970-01-01T00:00Z. Local wall-clock
times (schedules, cut-offs) are turned into instants with `zoneinfo`, so
daylight-saving changes are honoured. Rules at the two DST edges:
a local time that does not exist (spring forward gap) moves forward by the gap
(02:30 becomes 03:30), and a local time that occurs twice (autumn) means the
first occurrence (`fold=0`).
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from optimizer.errors import InputError

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 1440
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=512)
def get_zone(name: str) -> ZoneInfo:
    """The IANA zone, or an InputError naming it."""
    if not isinstance(name, str) or not name or name.startswith(("/", ".")):
        raise InputError(f"unknown time zone {name!r}", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r}", field="timezone") from None


def to_minutes(moment: datetime) -> int:
    """Whole minutes since the epoch (seconds are floored); the datetime must be aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: an instant needs a time-zone offset")
    return int((moment - EPOCH).total_seconds() // 60)


def from_minutes(minutes: int, zone: ZoneInfo | None = None) -> datetime:
    """The aware datetime of an instant, in UTC or in the given zone."""
    moment = EPOCH + timedelta(minutes=int(minutes))
    return moment.astimezone(zone) if zone is not None else moment


def format_instant(minutes: int, zone: ZoneInfo | None = None) -> str:
    """ISO 8601 with offset, minute precision (e.g. 2025-03-30T10:00+02:00)."""
    text = from_minutes(minutes, zone).isoformat(timespec="minutes")
    return text.replace("+00:00", "Z") if zone is None else text


def parse_instant(value: object, field_name: str) -> int:
    """An ISO 8601 timestamp with an offset (or Z) to UTC minutes."""
    if not isinstance(value, str):
        raise InputError(f"must be an ISO 8601 timestamp string, not {value!r}", field=field_name)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(f"not an ISO 8601 timestamp: {value!r}", field=field_name) from None
    if moment.tzinfo is None:
        raise InputError(f"needs a time-zone offset (e.g. Z or +02:00): {value!r}", field_name)
    return to_minutes(moment)


def parse_clock(value: object, field_name: str) -> int:
    """A local wall-clock time "HH:MM" to minutes after midnight."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise InputError(f"must be a time of day HH:MM, not {value!r}", field=field_name)
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()) or int(hours) > 23 or int(minutes) > 59:
        raise InputError(f"must be a time of day HH:MM, not {value!r}", field=field_name)
    return int(hours) * MINUTES_PER_HOUR + int(minutes)


def format_clock(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def local_to_minutes(day: date, minute_of_day: int, zone: ZoneInfo) -> int:
    """The instant of a local wall-clock time on a local date (DST rules in the module doc)."""
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute_of_day)
    # fold=0: the first of two ambiguous times; a time in a gap takes the offset from
    # before the gap (PEP 495), which lands it the gap's length later in wall time.
    return to_minutes(naive.replace(tzinfo=zone, fold=0))


def local_date(minutes: int, zone: ZoneInfo) -> date:
    return from_minutes(minutes, zone).date()


class OffsetTable:
    """UTC offsets of one zone over a span, for fast (and vectorised) local-time lookups."""

    def __init__(self, zone: ZoneInfo, start: int, end: int):
        self.zone = zone
        starts = [start]
        offsets = [self._offset(zone, start)]
        # Offsets change a few times a year at most: probe once a day, then bisect to the minute.
        step = MINUTES_PER_DAY
        probe = start
        while probe < end:
            nxt = min(probe + step, end)
            off = self._offset(zone, nxt)
            if off != offsets[-1]:
                low, high = probe, nxt  # offset(low) == offsets[-1], offset(high) == off
                while high - low > 1:
                    mid = (low + high) // 2
                    if self._offset(zone, mid) == offsets[-1]:
                        low = mid
                    else:
                        high = mid
                starts.append(high)
                offsets.append(off)
            probe = nxt
        self.starts = starts
        self.offsets = offsets
        self.starts_array = np.asarray(starts, dtype=np.int64)
        self.offsets_array = np.asarray(offsets, dtype=np.int64)

    @staticmethod
    def _offset(zone: ZoneInfo, minutes: int) -> int:
        delta = from_minutes(minutes).astimezone(zone).utcoffset()
        assert delta is not None
        return int(delta.total_seconds() // 60)

    def offset(self, minutes: int) -> int:
        """Minutes to add to a UTC instant to get local wall-clock minutes."""
        index = bisect.bisect_right(self.starts, minutes) - 1
        return self.offsets[max(index, 0)]

    def offsets_of(self, minutes: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.starts_array, minutes, side="right") - 1
        return self.offsets_array[np.maximum(index, 0)]
