"""Domain model validation: every defect is named with its field."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.sorting import (
    Category,
    Chute,
    ChuteShare,
    DestinationAssignment,
    DestinationForecast,
    Forecast,
    InductionPoint,
    ParcelScan,
    SorterLayout,
    SortPlan,
    parse_category,
)

from .conftest import tiny_layout


def fields(exc: pytest.ExceptionInfo[InputError]) -> set[str]:
    return {p.field for p in exc.value.problems}


def test_chute_with_zero_capacity_is_refused():
    """A container that holds nothing is an input error on capacity_parcels."""
    with pytest.raises(InputError) as exc:
        Chute("C1", 1.0, capacity_parcels=0)
    assert fields(exc) == {"capacity_parcels"}


def test_chute_reports_every_defect_at_once():
    """All of a chute's problems come back together, not just the first."""
    with pytest.raises(InputError) as exc:
        Chute("", -1.0, capacity_kg=0, max_weight_g=0, categories=frozenset())
    assert fields(exc) == {"id", "position_m", "capacity_kg", "max_weight_g", "categories"}


def test_chute_fits_in_any_orientation():
    """A long flat parcel fits a chute whose largest limit is its length, turned."""
    chute = Chute("C1", 0.0, max_length_mm=800, max_width_mm=600, max_height_mm=400)
    assert chute.fits(300, 790, 590, 1000)
    assert not chute.fits(810, 100, 100, 1000)
    assert not chute.fits(100, 100, 100, chute.max_weight_g + 1)


def test_layout_with_duplicate_chute_ids_is_refused():
    """Two chutes with one id would make decisions ambiguous."""
    chutes = (Chute("C1", 1.0), Chute("C1", 2.0))
    with pytest.raises(InputError) as exc:
        SorterLayout("S", 100.0, 2.0, (InductionPoint("I", 0.0),), chutes)
    assert "chutes[1].id" in fields(exc)


def test_layout_chute_beyond_loop_is_refused():
    """A chute position must lie on the loop."""
    with pytest.raises(InputError) as exc:
        SorterLayout("S", 10.0, 2.0, (InductionPoint("I", 0.0),), (Chute("C1", 12.0),))
    assert "chutes[0].position_m" in fields(exc)


def test_layout_without_induction_or_speed_is_refused():
    """No induction point and a stopped loop are both reported."""
    with pytest.raises(InputError) as exc:
        SorterLayout("S", 10.0, 0.0, (), (Chute("C1", 1.0),))
    assert {"induction_points", "speed_m_s"} <= fields(exc)


def test_layout_travel_is_one_way_around_the_loop():
    """A chute upstream of the induction point is reached after almost a full loop."""
    layout = tiny_layout()
    assert layout.travel_m(10.0, 12.0) == pytest.approx(2.0)
    assert layout.travel_m(12.0, 10.0) == pytest.approx(layout.loop_length_m - 2.0)
    assert layout.loop_time_s == pytest.approx(layout.loop_length_m / layout.speed_m_s)


def test_forecast_mix_must_sum_to_one():
    """Category shares that do not add up are refused with the mix named."""
    with pytest.raises(InputError) as exc:
        DestinationForecast("A", 10.0, "X", category_mix={Category.GENERAL: 0.5})
    assert "category_mix" in fields(exc)


def test_forecast_unknown_size_class_is_refused():
    """Size classes are small, medium, large, oversize; anything else is a typo."""
    with pytest.raises(InputError) as exc:
        DestinationForecast("A", 10.0, "X", size_mix={"huge": 1.0})
    assert "size_mix.huge" in fields(exc)


def test_forecast_negative_volume_and_duplicates_are_refused():
    """Negative volume and a destination listed twice are both input errors."""
    with pytest.raises(InputError) as exc:
        DestinationForecast("A", -1.0, "X")
    assert fields(exc) == {"parcels_per_hour"}
    with pytest.raises(InputError) as exc:
        Forecast((DestinationForecast("A", 1.0, "X"), DestinationForecast("A", 2.0, "X")))
    assert "destinations[1].destination" in fields(exc)


def test_handover_defaults_to_carrier():
    """Without a hand-over point, destinations of one carrier are compatible."""
    assert DestinationForecast("A", 1.0, "DHL").handover == "DHL"


def test_unknown_category_is_an_input_error():
    """Categories are general, battery, liquid, cosmetics, food; others are refused."""
    assert parse_category("battery") is Category.BATTERY
    with pytest.raises(InputError) as exc:
        parse_category("weapons")
    assert exc.value.problems[0].code == "unknown_category"
    assert "general, battery, liquid, cosmetics, food" in str(exc.value)


def test_scan_with_negative_weight_is_refused():
    """A scan's numbers must be non-negative."""
    with pytest.raises(InputError) as exc:
        ParcelScan("P1", "A", -5.0, 10, 10, 10)
    assert fields(exc) == {"weight_g"}


def test_scan_numbers_and_counter_must_not_be_booleans():
    """True is an int in Python but not a scan number or a weight; a category name is taken."""
    with pytest.raises(InputError) as exc:
        ParcelScan("P1", "A", True, 10, 10, 10, scan=True)
    assert fields(exc) == {"weight_g", "scan"}
    assert ParcelScan("P1", "A", 1.0, 10, 10, 10, "battery").category is Category.BATTERY
    with pytest.raises(InputError) as exc:
        ParcelScan("P1", "A", 1.0, 10, 10, 10, ["general"])  # type: ignore[arg-type]
    assert exc.value.problems[0].code == "unknown_category"


def test_assignment_without_chutes_or_with_bad_share_is_refused():
    """A destination needs a chute, and shares must be positive."""
    with pytest.raises(InputError) as exc:
        DestinationAssignment("A", ())
    assert "chutes" in fields(exc)
    with pytest.raises(InputError) as exc:
        DestinationAssignment("A", (ChuteShare("C1", 0.0),))
    assert "chutes[0].share" in fields(exc)


def test_plan_with_duplicate_destination_is_refused():
    """One destination, one assignment."""
    a = DestinationAssignment("A", (ChuteShare("C1", 1.0),))
    with pytest.raises(InputError) as exc:
        SortPlan("S", 1, (a, a))
    assert "assignments[1].destination" in fields(exc)


def test_plan_version_and_id():
    """Plans are versioned from 1; the id names sorter and version."""
    plan = SortPlan("S", 3, ())
    assert plan.plan_id == "S-v3"
    assert plan.with_version(4).plan_id == "S-v4"
    with pytest.raises(InputError):
        SortPlan("S", 0, ())
