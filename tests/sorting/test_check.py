"""The independent checker catches every kind of plan defect it is responsible for."""

from __future__ import annotations

import dataclasses

import pytest

from optimizer.sorting import (
    Category,
    ChuteShare,
    DestinationAssignment,
    Forecast,
    check_plan,
)

from .conftest import destination, simple_plan, tiny_layout

LAYOUT = tiny_layout(4, categories={3: {Category.GENERAL, Category.BATTERY}})
FORECAST = Forecast(
    (destination("A", 50.0), destination("B", 20.0), destination("C", 5.0, handover="Y"))
)
GOOD = {"A": ["D0"], "B": ["D1"], "C": ["D2"]}


def codes(plan, forecast=FORECAST, layout=LAYOUT) -> set[str]:
    return check_plan(plan, layout, forecast).codes()


def test_a_sound_plan_has_no_problems():
    """Every destination on its own general chute within capacity: no problems, fills reported."""
    report = check_plan(simple_plan(LAYOUT, GOOD), LAYOUT, FORECAST)
    assert report.ok
    assert report.fills["D0"] == 0.5  # 50 parcels/h into a 100-parcel container swapped hourly


def test_overfull_chute_is_a_capacity_problem():
    """Two destinations on one chute exceeding its container between swaps."""
    forecast = Forecast(
        (destination("A", 80.0), destination("B", 30.0), destination("C", 5.0, handover="Y"))
    )
    plan = simple_plan(LAYOUT, {"A": ["D0"], "B": ["D0"], "C": ["D2"]})
    report = check_plan(plan, LAYOUT, forecast)
    assert report.codes() == {"capacity"}
    assert report.max_fill == pytest.approx(1.1)


def test_weight_counts_against_capacity_too():
    """Heavy parcels fill a container by weight before they fill it by count."""
    layout = tiny_layout(4)
    heavy = dataclasses.replace(destination("A", 30.0), mean_weight_g=400_000.0)
    forecast = Forecast((heavy,))
    assert codes(simple_plan(layout, {"A": ["D0"]}), forecast, layout) == {"capacity"}


def test_uncovered_destination():
    """A forecast destination without chutes is reported."""
    assert codes(simple_plan(LAYOUT, {"A": ["D0"], "B": ["D1"]})) == {"uncovered"}


def test_mixing_incompatible_destinations():
    """Different hand-overs on one chute is a mixing problem; same hand-over is fine."""
    assert codes(simple_plan(LAYOUT, {"A": ["D0"], "B": ["D0"], "C": ["D1"]})) == set()
    assert codes(simple_plan(LAYOUT, {"A": ["D0"], "B": ["D1"], "C": ["D1"]})) == {"mixing"}


def test_incompatible_alternate():
    """An alternate chute serving another hand-over is a mixing problem."""
    plan = simple_plan(LAYOUT, GOOD, alternates={"C": ["D0"]})
    assert codes(plan) == {"mixing"}


def test_shares_must_sum_to_one():
    """Shares that do not add up to 1 are reported."""
    plan = simple_plan(LAYOUT, GOOD)
    broken = DestinationAssignment("A", (ChuteShare("D0", 0.5), ChuteShare("D3", 0.2)))
    plan = dataclasses.replace(plan, assignments=(broken, *plan.assignments[1:]))
    assert codes(plan) == {"shares"}


def test_destination_on_a_special_chute():
    """A destination planned onto the reject chute is a chute-type (and role) problem."""
    plan = simple_plan(LAYOUT, {"A": ["REJECT"], "B": ["D1"], "C": ["D2"]})
    assert codes(plan) == {"chute_type", "role_conflict"}


def test_unknown_chute():
    """A chute id that the layout does not have is reported."""
    assert codes(simple_plan(LAYOUT, {"A": ["D9"], "B": ["D1"], "C": ["D2"]})) == {"unknown_chute"}


def test_restricted_goods_on_a_chute_not_fitted_for_them():
    """Batteries on a plain chute is a category problem; on the fitted chute it is fine."""
    forecast = Forecast(
        (destination("A", 40.0, category_mix={Category.GENERAL: 0.9, Category.BATTERY: 0.1}),)
    )
    ok = simple_plan(LAYOUT, {"A": ["D0"]}, restricted={Category.BATTERY: ("D3",)})
    bad = simple_plan(LAYOUT, {"A": ["D0"]}, restricted={Category.BATTERY: ("D1",)})
    missing = simple_plan(LAYOUT, {"A": ["D0"]})
    assert codes(ok, forecast) == set()
    assert codes(bad, forecast) == {"category"}
    assert codes(missing, forecast) == {"restricted"}


def test_special_chute_of_the_wrong_type_or_missing():
    """The no-read role on a destination chute, and oversize volume with no oversize chute."""
    forecast = Forecast((destination("A", 40.0, size_mix={"small": 0.9, "oversize": 0.1}),))
    wrong = simple_plan(LAYOUT, {"A": ["D0"]}, no_read=("D1",))
    none = simple_plan(LAYOUT, {"A": ["D0"]}, oversize=())
    assert codes(wrong, forecast) == {"chute_type"}
    assert codes(none, forecast) == {"special"}


def test_chute_in_two_roles():
    """A chute both reserved for batteries and serving a destination is a role conflict."""
    forecast = Forecast(
        (destination("A", 40.0, category_mix={Category.GENERAL: 0.9, Category.BATTERY: 0.1}),)
    )
    plan = simple_plan(LAYOUT, {"A": ["D3"]}, restricted={Category.BATTERY: ("D3",)})
    assert codes(plan, forecast) == {"role_conflict"}


def test_plan_for_another_sorter():
    """A plan made for another sorter is reported."""
    plan = dataclasses.replace(simple_plan(LAYOUT, GOOD), sorter_id="OTHER")
    assert codes(plan) == {"sorter"}


def test_alternate_on_a_restricted_chute_is_a_role_conflict():
    """General goods may not overflow into a chute dedicated to batteries."""
    plan = simple_plan(
        LAYOUT,
        GOOD,
        alternates={"A": ["D3"]},
        restricted={Category.BATTERY: ("D3",)},
    )
    battery = Forecast(
        (
            destination("A", 50.0, category_mix={Category.GENERAL: 0.9, Category.BATTERY: 0.1}),
            destination("B", 20.0),
            destination("C", 5.0, handover="Y"),
        )
    )
    assert codes(plan, battery) == {"role_conflict"}
