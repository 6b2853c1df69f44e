"""Long problem lists are cut to a readable answer that says how many were left out."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError, Problem, capped
from optimizer.sorting import forecast_from_dict


def test_capped_keeps_short_lists_and_counts_the_rest():
    few = [Problem(f"f{i}", "bad") for i in range(3)]
    assert capped(few, 3) == few
    many = [Problem(f"f{i}", "bad") for i in range(7)]
    cut = capped(many, 5)
    assert cut[:5] == many[:5] and len(cut) == 6
    assert cut[-1] == Problem("", "... and 2 more problems", "truncated")


def test_a_file_with_many_bad_records_reports_fifty_and_a_count():
    doc = {"destinations": [{"destination": "", "parcels_per_hour": -1}] * 80}
    with pytest.raises(InputError) as raised:
        forecast_from_dict(doc)
    problems = raised.value.problems
    assert len(problems) == 51 and problems[-1].code == "truncated"
