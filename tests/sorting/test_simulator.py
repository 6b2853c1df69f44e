"""The shift simulator: exact travel times on a tiny loop, overflow, determinism, plan vs naive."""

from __future__ import annotations

import dataclasses

import pytest

from optimizer.errors import InputError
from optimizer.sorting import Forecast, ParcelScan, naive_plan, simulate_shift

from .conftest import destination, simple_plan, tiny_layout


def scan(pid: str, dest: str | None, at: float, induction: str = "IN") -> ParcelScan:
    return ParcelScan(pid, dest, 500.0, 100, 100, 100, induction=induction, arrival_s=at)


def test_travel_time_is_distance_over_speed():
    """One parcel to a chute 12 m down a 1 m/s loop spends exactly 12 s in the system."""
    layout = tiny_layout(4)
    plan = simple_plan(layout, {"A": ["D2"]})
    report = simulate_shift(layout, plan, [scan("P", "A", 5.0)], hours=0.1)
    assert report.sorted == 1
    assert report.mean_time_in_system_s == pytest.approx(12.0)
    assert report.recirculated_parcels == 0


def test_overflow_closes_the_chute_and_parcels_recirculate():
    """Five parcels for a three-parcel container: one overflow, two parcels go round again."""
    layout = tiny_layout(4, capacity=3)
    plan = simple_plan(layout, {"A": ["D0"]})
    parcels = [scan(f"P{i}", "A", 100.0 + i) for i in range(5)]
    report = simulate_shift(layout, plan, parcels, hours=0.5)
    assert report.overflow_events == 1  # the third parcel fills it; swapped before the rest return
    assert report.recirculated_parcels == 2
    assert report.sorted == 5  # the swap frees the chute; nobody is lost
    # a recirculated parcel waits at least one loop on top of its 10 m of travel
    assert report.p95_time_in_system_s >= layout.loop_time_s + 10.0


def test_parcel_gives_up_after_the_allowed_loops():
    """A full chute nobody swaps in time: the extra parcels loop twice, then go to exception."""
    layout = dataclasses.replace(
        tiny_layout(4, capacity=3, max_recirculations=2), full_response_s=10_000
    )
    plan = simple_plan(layout, {"A": ["D0"]})
    report = simulate_shift(
        layout, plan, [scan(f"P{i}", "A", 100.0 + i) for i in range(5)], hours=0.5
    )
    assert report.chute_full_parcels == 2
    assert report.reasons == {**dict.fromkeys(report.reasons, 0), "planned": 3, "chute_full": 2}
    assert report.extra_loops == 4  # two parcels, two extra loops each


def test_same_seed_same_shift(small_case):
    """A shift is deterministic per seed, including drawn arrivals."""
    case = small_case.case
    plan = small_case.result.plan
    first = simulate_shift(case.layout, plan, forecast=case.forecast, hours=0.25, seed=7)
    again = simulate_shift(case.layout, plan, forecast=case.forecast, hours=0.25, seed=7)
    other = simulate_shift(case.layout, plan, forecast=case.forecast, hours=0.25, seed=8)
    assert first == again
    assert first.parcels != other.parcels or first.to_dict() != other.to_dict()


def test_arrivals_drawn_from_the_forecast_follow_its_rate(small_case):
    """Without recorded scans, an hour at the forecast's 3,000 parcels/h brings about 3,000."""
    case = small_case.case
    report = simulate_shift(case.layout, small_case.result.plan, forecast=case.forecast, seed=1)
    assert abs(report.parcels - 3000) < 5 * 3000**0.5
    assert report.sorted == report.parcels


def test_optimized_plan_beats_naive_on_the_same_shift(small_case):
    """Same parcels, same seed: the optimized plan recirculates far fewer parcels than naive."""
    case = small_case.case
    optimized = simulate_shift(case.layout, small_case.result.plan, case.parcels, seed=1)
    naive = simulate_shift(
        case.layout, naive_plan(case.layout, case.forecast), case.parcels, seed=1
    )
    assert optimized.parcels == naive.parcels == len(case.parcels)
    assert optimized.recirculated_parcels < 0.4 * naive.recirculated_parcels
    assert optimized.overflow_events < naive.overflow_events
    assert optimized.utilisation_max < naive.utilisation_max


def test_needs_parcels_or_a_forecast():
    """A shift without arrivals is an input error naming what is missing."""
    layout = tiny_layout(4)
    with pytest.raises(InputError) as exc:
        simulate_shift(layout, simple_plan(layout, {"A": ["D0"]}))
    assert exc.value.field == "parcels"


def test_unknown_induction_point_is_an_input_error():
    """A recorded scan naming an induction point the sorter does not have is refused."""
    layout = tiny_layout(4)
    plan = simple_plan(layout, {"A": ["D0"]})
    with pytest.raises(InputError) as exc:
        simulate_shift(layout, plan, [scan("P", "A", 1.0), scan("Q", "A", 2.0, induction="IN-9")])
    assert exc.value.field == "parcels[1].induction"
    report = simulate_shift(layout, plan, [scan("P", "A", 1.0, induction=None)])  # type: ignore[arg-type]
    assert report.sorted == 1  # no induction recorded: one is drawn


def test_unplanned_destinations_are_exceptions_not_losses():
    """Parcels for a destination missing from the plan reach the exception chute."""
    layout = tiny_layout(4)
    plan = simple_plan(layout, {"A": ["D0"]})
    forecast = Forecast((destination("A", 10.0),))
    report = simulate_shift(
        layout, plan, [scan("P", "B", 1.0), scan("Q", "A", 2.0)], forecast=forecast
    )
    assert report.reasons["unknown_destination"] == 1
    assert report.sorted == 2
