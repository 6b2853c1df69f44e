"""Timetables for single queries and tracking events, cached by network version and horizon.

The horizon is the core's (`horizon_for`) with its end rounded up to a whole week,
so queries for shipments ready on the same day share one timetable.
"""

from __future__ import annotations

from collections.abc import Iterable

from api.routing.cache import RoutingCache
from api.routing.documents import DocRef
from api.routing.outcomes import Scoring
from optimizer.routing import Horizon, Network, Timetable, build_timetable, horizon_for
from optimizer.timeutil import MINUTES_PER_DAY

WEEK = 7 * MINUTES_PER_DAY


def timetable_for(
    cache: RoutingCache | None,
    ref: DocRef,
    network: Network,
    scoring: Scoring,
    ready_times: Iterable[int],
    deadlines: Iterable[int],
) -> Timetable:
    core = horizon_for(ready_times, deadlines)
    weeks = -(-(core.end - core.start) // WEEK)
    horizon = Horizon(core.start, core.start + weeks * WEEK)

    def build() -> Timetable:
        return build_timetable(network, [], scoring.scores, horizon)

    if cache is None:
        return build()
    key = (ref.id, ref.version, scoring.key, horizon.start, horizon.end)
    timetable = cache.timetables.get(key, build)
    assert isinstance(timetable, Timetable)
    return timetable
