"""Reference plans: naive, volume-proportional, capacity matching; alternates for any plan."""

from __future__ import annotations

import itertools
import math

import pytest

from optimizer.errors import InputError
from optimizer.sorting import (
    Forecast,
    capacity_matching_plan,
    check_plan,
    generate_case,
    naive_plan,
    proportional_plan,
    simulate_shift,
    split_volumes,
    with_alternates,
    without_alternates,
)
from optimizer.status import SolveStatus

from .conftest import destination, tiny_layout


def test_naive_plan_is_volume_blind_and_compatible():
    """Scaling one destination's volume does not change the naive plan; mixes stay compatible."""
    layout = tiny_layout(6)
    names = [("A", "X"), ("B", "X"), ("C", "X"), ("D", "Y"), ("E", "Y")]
    low = Forecast(tuple(destination(n, 10.0, handover=h) for n, h in names))
    high = Forecast(tuple(destination(n, 90.0 if n == "A" else 10.0, handover=h) for n, h in names))
    plan = naive_plan(layout, low)
    assert plan.assignments == naive_plan(layout, high).assignments
    report = check_plan(plan, layout, low)
    assert report.ok, report.problems
    assert plan.method == "naive"


def test_naive_plan_deals_chutes_round_robin():
    """Six chutes over two hand-overs of 3 and 2 destinations: round-robin within each."""
    layout = tiny_layout(6)
    forecast = Forecast(
        tuple(
            destination(n, 5.0, handover=h)
            for n, h in [("A", "X"), ("B", "X"), ("C", "X"), ("D", "Y"), ("E", "Y")]
        )
    )
    plan = naive_plan(layout, forecast).assignment_map()
    per_destination = {d: len(a.chutes) for d, a in plan.items()}
    assert sum(per_destination.values()) == 6  # every chute dealt out once
    assert max(per_destination.values()) - min(per_destination.values()) <= 1


def brute_force_capacity_matching(volumes: list[float], chutes: int, capacity: float) -> float:
    total = sum(volumes)
    ranges = [range(1, math.ceil(max(1.0, 1.5 * chutes * v / total)) + 1) for v in volumes]
    best = math.inf
    for counts in itertools.product(*ranges):
        if sum(counts) <= chutes:
            best = min(
                best, sum(abs(n * capacity - v) for n, v in zip(counts, volumes, strict=True))
            )
    return best


def test_capacity_matching_matches_brute_force():
    """On a tiny instance the model's optimum equals exhaustive enumeration of chute counts."""
    layout = tiny_layout(6)  # 100 parcels/h per chute
    volumes = [260.0, 90.0, 40.0, 15.0]
    forecast = Forecast(
        tuple(destination(f"V{i}", v, handover=f"H{i}") for i, v in enumerate(volumes))
    )
    result = capacity_matching_plan(layout, forecast, time_limit_s=5, seed=0)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(
        brute_force_capacity_matching(volumes, 6, 100.0), abs=0.05
    )
    counts = {a.destination: len(a.chutes) for a in result.plan.assignments}
    used = [c for a in result.plan.assignments for c in a.chute_ids]
    assert len(used) == len(set(used))  # each chute serves one destination
    total = sum(volumes)
    for i, v in enumerate(volumes):
        assert 1 <= counts[f"V{i}"] <= math.ceil(max(1.0, 1.5 * 6 * v / total))


def test_capacity_matching_needs_a_chute_per_destination():
    """More destinations than chutes: the published model has no answer, said clearly."""
    layout = tiny_layout(3)
    forecast = Forecast(tuple(destination(f"D{i}", 5.0) for i in range(4)))
    with pytest.raises(InputError) as exc:
        capacity_matching_plan(layout, forecast, time_limit_s=1)
    assert exc.value.problems[0].code == "too_many_destinations"


def test_references_on_a_generated_case_use_valid_chutes():
    """Both references cover every destination on general chutes with compatible mixes only."""
    case = generate_case(60, 40, seed=5, rate=3000.0, hours=0.1)
    split = split_volumes(case.forecast)
    for plan in (
        naive_plan(case.layout, case.forecast),
        proportional_plan(case.layout, case.forecast),
        capacity_matching_plan(case.layout, case.forecast, time_limit_s=5, seed=0).plan,
    ):
        report = check_plan(plan, case.layout, case.forecast, max_fill=math.inf)
        assert report.ok, report.problems
        assert {a.destination for a in plan.assignments} == set(split.general)


def test_proportional_plan_follows_volume_and_shares_small_destinations():
    """A gets chutes in proportion to its volume; small B, C of one hand-over share a chute."""
    layout = tiny_layout(8)  # 100 parcels/h per chute; 60 at the 60 % sharing level
    forecast = Forecast(
        (
            destination("A", 400.0),
            destination("D", 100.0, handover="Y"),
            destination("B", 20.0),
            destination("C", 30.0),
            destination("E", 25.0, handover="Z"),
        )
    )
    plan = proportional_plan(layout, forecast).assignment_map()
    # 8 chutes: B+C share one, E one of its own (alone in Z); A and D split the other 6 as 4:1
    # of volume with at least one each: A 5, D 1.
    assert plan["B"].chute_ids == plan["C"].chute_ids and len(plan["B"].chute_ids) == 1
    assert len(plan["A"].chute_ids) == 5 and len(plan["D"].chute_ids) == 1
    # heaviest per chute nearest: D (100/h on one chute), then A (80/h on each of five)
    assert plan["D"].chute_ids == ("D0",)
    assert set(plan["A"].chute_ids) == {"D1", "D2", "D3", "D4", "D5"}
    assert check_plan(proportional_plan(layout, forecast), layout, forecast).ok


def test_alternates_come_from_the_same_hand_over_least_loaded_first():
    """Reference plans get the optimizer's alternate treatment: same hand-over, emptiest first."""
    layout = tiny_layout(6)
    forecast = Forecast(
        (
            destination("A", 80.0),
            destination("B", 10.0),
            destination("C", 40.0),
            destination("D", 50.0, handover="Y"),
        )
    )
    plan = naive_plan(layout, forecast)
    given = with_alternates(plan, layout, forecast).assignment_map()
    own = {n: set(a.chute_ids) for n, a in plan.assignment_map().items()}
    x_chutes = own["A"] | own["B"] | own["C"]
    for name in "ABC":
        alternates = given[name].alternates
        assert set(alternates) <= x_chutes - own[name] and len(alternates) <= 2
    assert given["D"].alternates == ()  # alone in its hand-over: nobody to share with
    loads = {c: 0.0 for c in x_chutes}
    for n, v in (("A", 80.0), ("B", 10.0), ("C", 40.0)):
        for c in own[n]:
            loads[c] += v / len(own[n])
    first = given["A"].alternates[0]
    assert loads[first] == min(loads[c] for c in x_chutes - own["A"])
    assert check_plan(with_alternates(plan, layout, forecast), layout, forecast, math.inf).ok
    assert without_alternates(with_alternates(plan, layout, forecast)) == plan


def test_alternates_cut_recirculation_on_a_simulated_shift():
    """Same plan, same parcels: with alternates fewer parcels go round again when chutes close."""
    case = generate_case(60, 40, seed=5, rate=3000.0, hours=0.5)
    plan = proportional_plan(case.layout, case.forecast)
    bare = simulate_shift(case.layout, without_alternates(plan), case.parcels, seed=1)
    helped = simulate_shift(
        case.layout, with_alternates(plan, case.layout, case.forecast), case.parcels, seed=1
    )
    assert helped.reasons["alternate"] > 0
    assert helped.recirculated_parcels < bare.recirculated_parcels
