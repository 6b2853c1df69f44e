"""Weekly schedules expanded to UTC instants, right across daylight-saving switches."""

from __future__ import annotations

from optimizer.routing.network import Lane, Mode, Node, NodeKind, WeeklyDeparture
from optimizer.routing.schedule import Horizon, expand_departures, horizon_for
from optimizer.timeutil import format_instant
from tests.routing.conftest import at

BERLIN = Node("B", NodeKind.ORIGIN_HUB, "DE", "Europe/Berlin")
NEW_YORK = Node("N", NodeKind.ORIGIN_HUB, "US", "America/New_York")


def lane(departures) -> Lane:
    return Lane("L", "B", "X", Mode.AIR, "C", tuple(departures), 60, "T")


def test_daily_departure_keeps_local_time_across_the_spring_switch():
    """Daily 10:00 Berlin: 09:00Z up to Sat 29 March 2025, 08:00Z from Sun 30 March."""
    daily = lane(WeeklyDeparture(day, 600) for day in range(7))
    times = expand_departures(
        daily, BERLIN, Horizon(at("2025-03-28T00:00Z"), at("2025-04-01T00:00Z"))
    )
    assert [format_instant(t) for t in times] == [
        "2025-03-28T09:00Z",
        "2025-03-29T09:00Z",
        "2025-03-30T08:00Z",
        "2025-03-31T08:00Z",
    ]


def test_autumn_switch_and_other_zones():
    """Sunday 26 Oct 2025 Berlin goes back to UTC+1; New York still on EDT until 2 Nov."""
    sunday = lane([WeeklyDeparture(6, 600)])
    span = Horizon(at("2025-10-18T00:00Z"), at("2025-11-04T00:00Z"))
    assert [format_instant(t) for t in expand_departures(sunday, BERLIN, span)] == [
        "2025-10-19T08:00Z",
        "2025-10-26T09:00Z",
        "2025-11-02T09:00Z",
    ]
    assert [format_instant(t) for t in expand_departures(sunday, NEW_YORK, span)] == [
        "2025-10-19T14:00Z",
        "2025-10-26T14:00Z",
        "2025-11-02T15:00Z",
    ]


def test_departure_in_the_spring_gap_moves_forward_by_the_gap():
    """A 02:30 Sunday departure does not exist on 30 March in Berlin: it leaves 03:30 CEST."""
    gap = lane([WeeklyDeparture(6, 150)])
    times = expand_departures(
        gap, BERLIN, Horizon(at("2025-03-29T00:00Z"), at("2025-03-31T00:00Z"))
    )
    assert [format_instant(t) for t in times] == ["2025-03-30T01:30Z"]


def test_horizon_starts_a_day_early_and_looks_far_enough_ahead():
    """The horizon covers the day before the first ready time and 60+14 days after the last."""
    horizon = horizon_for([at("2025-03-24T10:00Z")], [at("2025-03-30T00:00Z")])
    assert format_instant(horizon.start) == "2025-03-23T00:00Z"
    assert horizon.end - at("2025-03-24T10:00Z") == (60 + 14) * 1440
