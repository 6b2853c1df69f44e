"""Times: instants as UTC minutes, local wall-clock times through zoneinfo."""

from __future__ import annotations

from datetime import date

import pytest

from optimizer.errors import InputError
from optimizer.timeutil import (
    OffsetTable,
    format_instant,
    get_zone,
    local_to_minutes,
    parse_clock,
    parse_instant,
)


def test_instants_need_an_offset():
    """A timestamp without offset is refused with the field named."""
    with pytest.raises(InputError) as info:
        parse_instant("2025-03-24T10:00", "ready_at")
    assert info.value.field == "ready_at"
    assert parse_instant("2025-03-24T10:00+01:00", "x") == parse_instant("2025-03-24T09:00Z", "x")


def test_local_time_across_the_spring_switch():
    """10:00 in Berlin is 09:00Z on Sat 29 March 2025 and 08:00Z on Sun 30 (summer time)."""
    berlin = get_zone("Europe/Berlin")
    assert format_instant(local_to_minutes(date(2025, 3, 29), 600, berlin)) == "2025-03-29T09:00Z"
    assert format_instant(local_to_minutes(date(2025, 3, 30), 600, berlin)) == "2025-03-30T08:00Z"


def test_nonexistent_and_ambiguous_local_times():
    """02:30 on 30 March does not exist in Berlin (-> 01:30Z = 03:30 CEST); 02:30 on
    26 October happens twice (-> the first, 00:30Z)."""
    berlin = get_zone("Europe/Berlin")
    assert format_instant(local_to_minutes(date(2025, 3, 30), 150, berlin)) == "2025-03-30T01:30Z"
    assert format_instant(local_to_minutes(date(2025, 10, 26), 150, berlin)) == "2025-10-26T00:30Z"


def test_offset_table_finds_the_switch_to_the_minute():
    """Berlin's offset is +60 until 01:00Z on 30 March and +120 from then on."""
    table = OffsetTable(get_zone("Europe/Berlin"), parse_instant("2025-03-20T00:00Z", "x"),
                        parse_instant("2025-04-10T00:00Z", "x"))  # fmt: skip
    switch = parse_instant("2025-03-30T01:00Z", "x")
    assert table.offset(switch - 1) == 60
    assert table.offset(switch) == 120


def test_clock_and_zone_validation():
    """HH:MM parses to minutes after midnight; a bad clock or zone is an InputError."""
    assert parse_clock("18:30", "cutoff") == 1110
    with pytest.raises(InputError):
        parse_clock("25:00", "cutoff")
    with pytest.raises(InputError):
        get_zone("Mars/Olympus")
