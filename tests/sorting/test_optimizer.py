"""The plan optimizer: known optima on hand-made sorters, impossible inputs, real-sized cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.errors import InfeasibleError, InputError
from optimizer.sorting import (
    Category,
    Forecast,
    PlanWeights,
    check_plan,
    count_moves,
    generate_case,
    optimize_plan,
)
from optimizer.sorting.problem import build_problem
from optimizer.sorting.warm_start import greedy_zone_solution
from optimizer.sorting.zone_model import COST_SCALE, build_options, evaluate
from optimizer.status import SolveStatus

from .conftest import destination, tiny_layout


def chutes_of(plan, name):
    return set(plan.assignment_map()[name].chute_ids)


def test_tiny_sorter_reaches_the_known_optimum(tiny_forecast):
    """A gets two chutes, B and C (same hand-over) share one, D alone: cost 30 + 30 = 60."""
    layout = tiny_layout(4)
    result = optimize_plan(layout, tiny_forecast, time_limit_s=5, seed=0)
    plan = result.plan
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(60.0, abs=1e-3)
    assert result.bound == pytest.approx(60.0, abs=1e-3)
    assert result.gap == 0.0
    assert len(chutes_of(plan, "A")) == 2
    assert chutes_of(plan, "B") == chutes_of(plan, "C")
    assert not chutes_of(plan, "D") & (chutes_of(plan, "A") | chutes_of(plan, "B"))
    assert check_plan(plan, layout, tiny_forecast).ok


def test_heavy_destination_gets_the_chutes_nearest_induction():
    """With two distance bands, the heavy destination takes the five nearest chutes."""
    layout = tiny_layout(16)
    small = [destination(f"L{i}", 1.0, handover=f"H{i}") for i in range(10)]
    forecast = Forecast((destination("H", 300.0, handover="BIG"), *small))
    result = optimize_plan(layout, forecast, time_limit_s=5, seed=0)
    nearest = {f"D{i}" for i in range(5)}
    assert chutes_of(result.plan, "H") == nearest
    assert check_plan(result.plan, layout, forecast).ok


def test_only_compatible_destinations_share_a_chute():
    """Six small destinations of two hand-overs on four chutes: mixes never cross hand-overs."""
    layout = tiny_layout(4)
    forecast = Forecast(
        tuple(destination(f"{h}{i}", 5.0, handover=h) for h in "XY" for i in range(3))
    )
    result = optimize_plan(layout, forecast, time_limit_s=5, seed=0)
    plan = result.plan
    for a in plan.assignments:
        for b in plan.assignments:
            if set(a.chute_ids) & set(b.chute_ids):
                assert a.destination[0] == b.destination[0]
    # Four chutes, six destinations: mixing all three of one hand-over on one chute (15 parcels/h
    # re-sorted) beats two pairs (20/h); no other plan is cheaper.
    assert result.objective == pytest.approx(15.0, abs=1e-3)
    users = [c for a in plan.assignments for c in a.chute_ids]
    shared = [a for a in plan.assignments if any(users.count(c) > 1 for c in a.chute_ids)]
    assert len(shared) == 3
    assert check_plan(plan, layout, forecast).ok


def test_restricted_goods_get_a_capable_dedicated_chute():
    """Battery parcels go to the only chute fitted for batteries, reserved for them."""
    layout = tiny_layout(4, categories={3: {Category.GENERAL, Category.BATTERY}})
    forecast = Forecast(
        (
            destination("A", 50.0, category_mix={Category.GENERAL: 0.9, Category.BATTERY: 0.1}),
            destination("B", 20.0, handover="Y"),
        )
    )
    result = optimize_plan(layout, forecast, time_limit_s=5, seed=0)
    assert result.plan.restricted == {Category.BATTERY: ("D3",)}
    assert "D3" not in chutes_of(result.plan, "A") | chutes_of(result.plan, "B")
    assert check_plan(result.plan, layout, forecast).ok


def test_restricted_category_without_capable_chute_is_an_input_error():
    """Forecast batteries with no chute allowed to take them: a specific input error."""
    layout = tiny_layout(4)
    forecast = Forecast(
        (destination("A", 50.0, category_mix={Category.GENERAL: 0.9, Category.BATTERY: 0.1}),)
    )
    with pytest.raises(InputError) as exc:
        optimize_plan(layout, forecast, time_limit_s=1)
    assert [p.code for p in exc.value.problems] == ["restricted_without_chute"]
    assert exc.value.field == "layout.chutes"
    assert "battery" in str(exc.value)


def with_capacities(layout, capacities: dict[str, int]):
    chutes = tuple(
        dataclasses.replace(c, capacity_parcels=capacities[c.id]) if c.id in capacities else c
        for c in layout.chutes
    )
    return dataclasses.replace(layout, chutes=chutes)


def test_restricted_volume_beyond_its_only_chute_is_an_input_error():
    """80 batteries/h for one battery chute holding 50/h: refused, not an overflowing plan."""
    layout = with_capacities(
        tiny_layout(4, categories={3: {Category.GENERAL, Category.BATTERY}}), {"D3": 50}
    )
    forecast = Forecast(
        (destination("A", 100.0, category_mix={Category.GENERAL: 0.2, Category.BATTERY: 0.8}),)
    )
    with pytest.raises(InputError) as exc:
        optimize_plan(layout, forecast, time_limit_s=2)
    assert [p.code for p in exc.value.problems] == ["overflow_unavoidable"]
    assert exc.value.field == "layout.chutes"
    assert "battery volume (80.0/h)" in str(exc.value) and "at most 50.0/h" in str(exc.value)


def test_restricted_goods_avoid_a_chute_too_small_for_their_even_share():
    """150 batteries/h over two chutes is 75 each: the two 100-parcel chutes, not the 50 one."""
    battery = {Category.GENERAL, Category.BATTERY}
    layout = with_capacities(
        tiny_layout(6, categories={3: battery, 4: battery, 5: battery}), {"D5": 50}
    )
    forecast = Forecast(
        (
            destination("A", 200.0, category_mix={Category.GENERAL: 0.25, Category.BATTERY: 0.75}),
            destination("B", 40.0, handover="Y"),
        )
    )
    result = optimize_plan(layout, forecast, time_limit_s=5, seed=0)
    assert set(result.plan.restricted[Category.BATTERY]) == {"D3", "D4"}  # cost 30 vs 60 with D5
    report = check_plan(result.plan, layout, forecast)
    assert report.ok, report.problems


@settings(max_examples=60, deadline=None)
@given(
    capacities=st.lists(st.sampled_from([30, 50, 100]), min_size=4, max_size=8),
    fitted=st.lists(st.booleans(), min_size=8, max_size=8),
    volumes=st.lists(st.floats(5.0, 150.0), min_size=1, max_size=4),
    battery=st.floats(0.0, 0.9),
)
def test_any_plan_returned_passes_the_checker_or_the_input_is_refused(
    capacities, fitted, volumes, battery
):
    """Random small sorters (mixed container sizes, a few battery chutes): never a bad plan."""
    n = len(capacities)
    categories = {i: {Category.GENERAL, Category.BATTERY} for i in range(n) if fitted[i]}
    layout = with_capacities(
        tiny_layout(n, categories=categories), {f"D{i}": c for i, c in enumerate(capacities)}
    )
    mix = {Category.GENERAL: 1.0 - battery, Category.BATTERY: battery} if battery else None
    forecast = Forecast(
        tuple(
            destination(f"X{k}", v, handover="AB"[k % 2], category_mix=mix)
            for k, v in enumerate(volumes)
        )
    )
    try:
        result = optimize_plan(layout, forecast, time_limit_s=2, seed=0, workers=1)
    except InputError:
        return
    assert result.plan is not None
    report = check_plan(result.plan, layout, forecast)
    assert report.ok, report.problems


def test_more_hand_overs_than_chutes_is_an_input_error():
    """Five incompatible destinations cannot fit four chutes, even when mixing."""
    layout = tiny_layout(4)
    forecast = Forecast(tuple(destination(f"D{i}", 1.0, handover=f"H{i}") for i in range(5)))
    with pytest.raises(InputError) as exc:
        optimize_plan(layout, forecast, time_limit_s=1)
    assert [p.code for p in exc.value.problems] == ["too_many_destinations"]
    assert "at least 5 chutes" in str(exc.value)


def test_volume_beyond_all_containers_is_an_input_error():
    """More parcels per swap interval than every container together holds: refused."""
    layout = tiny_layout(2, capacity=10)
    forecast = Forecast((destination("A", 25.0),))
    with pytest.raises(InputError) as exc:
        optimize_plan(layout, forecast, time_limit_s=1)
    assert [p.code for p in exc.value.problems] == ["overflow_unavoidable"]


def test_special_streams_need_their_chutes():
    """Oversize parcels with no oversize chute, and no-reads with no no-read chute, are refused."""
    layout = tiny_layout(4, specials=False)
    forecast = dataclasses.replace(
        Forecast((destination("A", 10.0, size_mix={"small": 0.9, "oversize": 0.1}),)),
        no_read_share=0.01,
    )
    with pytest.raises(InputError) as exc:
        optimize_plan(layout, forecast, time_limit_s=1)
    assert [p.code for p in exc.value.problems] == ["missing_chute_type", "missing_chute_type"]


def test_special_chutes_are_sized_by_their_even_share():
    """Two exception chutes, one tiny: together they hold the unknown keys, split evenly not."""
    layout = tiny_layout(4)
    extra = dataclasses.replace(layout.chutes[-3], id="EXCEPTION-2", capacity_parcels=5)
    assert layout.chutes[-3].type.value == "exception"
    layout = dataclasses.replace(layout, chutes=(*layout.chutes, extra))
    forecast = dataclasses.replace(Forecast((destination("A", 60.0),)), unknown_share=0.25)
    with pytest.raises(InputError) as exc:  # 15/h: 7.5/h each, the small one takes 5
        optimize_plan(layout, forecast, time_limit_s=1)
    assert [p.code for p in exc.value.problems] == ["overflow_unavoidable"]
    assert "EXCEPTION-2 would get 150%" in str(exc.value)
    fine = dataclasses.replace(forecast, unknown_share=0.1)  # 3/h each
    result = optimize_plan(layout, fine, time_limit_s=1)
    assert check_plan(result.plan, layout, fine).ok


def test_destination_larger_than_any_zone_is_infeasible():
    """250 parcels/h fit the sorter in total but not the chutes of any one capacity class."""
    layout = tiny_layout(4)
    chutes = tuple(
        dataclasses.replace(c, capacity_parcels=50) if c.id in ("D2", "D3") else c
        for c in layout.chutes
    )
    layout = dataclasses.replace(layout, chutes=chutes)
    with pytest.raises(InfeasibleError) as exc:
        optimize_plan(layout, Forecast((destination("A", 250.0),)), time_limit_s=1)
    assert "needs more chutes" in str(exc.value)
    assert isinstance(exc.value, InputError)  # the CLI and an API report it as bad input


def test_bad_solver_arguments_are_input_errors(tiny_forecast):
    """A non-positive time limit or zero workers is refused before any model is built."""
    layout = tiny_layout(4)
    with pytest.raises(InputError) as exc:
        optimize_plan(layout, tiny_forecast, time_limit_s=0)
    assert exc.value.field == "time_limit_s"
    with pytest.raises(InputError) as exc:
        optimize_plan(layout, tiny_forecast, workers=0)
    assert exc.value.field == "workers"


def test_generated_case_plan_passes_the_checker(small_case):
    """The optimized plan of a generated sorter respects capacities, types, categories, mixing."""
    report = check_plan(small_case.result.plan, small_case.case.layout, small_case.case.forecast)
    assert report.ok, report.problems
    assert report.max_fill <= 1.0


def test_generated_case_is_solved_with_a_small_proven_gap(small_case):
    """The zone model proves its gap: under 2 % on the small generated case."""
    result = small_case.result
    assert result.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert result.bound is not None and result.bound <= result.objective + 1e-6
    assert result.gap < 0.02
    assert result.objective <= result.warm_start_objective + 1e-6  # never worse than the start
    assert result.plan.solve["status"] == result.status.value


def test_shared_chutes_of_a_group_are_of_one_container_size(small_case):
    """Sacks and gaylords side by side: a hand-over group's shared chutes are all one size."""
    case, plan = small_case.case, small_case.result.plan
    size = {c.id: (c.capacity_parcels, c.capacity_kg) for c in case.layout.chutes}
    assert len(set(size.values())) > 2  # gaylords, sacks, special containers
    handover = {d.destination: d.handover for d in case.forecast.destinations}
    shared_sizes: dict[str, set] = {}
    mixed = plan.mixed_destinations()
    for a in plan.assignments:
        if a.destination in mixed:
            shared_sizes.setdefault(handover[a.destination], set()).update(
                size[c] for c in a.chute_ids
            )
    assert shared_sizes and all(len(s) == 1 for s in shared_sizes.values())


def test_heavy_parcels_share_gaylords_not_sacks():
    """Small destinations of 2 kg parcels share a gaylord: in a 30 kg sack they would overflow."""
    layout = tiny_layout(4)
    chutes = tuple(
        dataclasses.replace(c, capacity_parcels=80, capacity_kg=30.0) if c.id in ("D0", "D1") else c
        for c in layout.chutes
    )
    layout = dataclasses.replace(layout, chutes=chutes)
    heavy = [dataclasses.replace(destination(f"H{i}", 8.0), mean_weight_g=2000.0) for i in range(4)]
    forecast = Forecast((*heavy, destination("A", 70.0, handover="Y")))
    result = optimize_plan(layout, forecast, time_limit_s=5, seed=0)
    shared = {c for a in result.plan.assignments if a.destination[0] == "H" for c in a.chute_ids}
    assert shared <= {"D2", "D3"}
    assert check_plan(result.plan, layout, forecast).ok


def concrete_cost(plan, problem) -> float:
    """The objective recomputed from the concrete chutes of a plan (no moves)."""
    w = problem.weights
    zone_of = {i: z for z, zd in enumerate(problem.zones) for i in zd.zone.chutes}
    layout = problem.layout
    data = {d.name: d for d in problem.destinations}
    users: dict[str, int] = {}
    for a in plan.assignments:
        for c in a.chute_ids:
            users[c] = users.get(c, 0) + 1
    load: dict[int, float] = {}
    cost = 0.0
    for a in plan.assignments:
        d = data[a.destination]
        mixed = any(users[c] > 1 for c in a.chute_ids)
        cost += w.mix * d.volume if mixed else 0.0
        for s in a.chutes:
            i = layout.chute_index(s.chute_id)
            z = zone_of[i]
            share_load = (d.pool_effective if mixed else d.effective[z]) * s.share
            load[i] = load.get(i, 0.0) + share_load
            weight = share_load if mixed else d.volume * s.share
            cost += w.distance_per_m * problem.zones[z].zone.extra_m * weight
    for i, x in load.items():
        cost += w.overload_cost(x, problem.zones[zone_of[i]].chute_capacity_h, 1)
    for c, ids in plan.restricted.items():  # split evenly: each chute takes its share
        for cid in ids:
            z = zone_of[layout.chute_index(cid)]
            share = problem.restricted[c].effective[z] / len(ids)
            cost += w.overload_cost(share, problem.zones[z].chute_capacity_h, 1)
    return cost


def test_placement_keeps_the_zone_objective(small_case):
    """Concrete chutes cost what the zone model said (up to load rounding), never more."""
    case = small_case.case
    problem = build_problem(case.layout, case.forecast)
    cost = concrete_cost(small_case.result.plan, problem)
    assert cost <= small_case.result.objective * 1.001 + 0.05
    assert cost == pytest.approx(small_case.result.objective, rel=2e-3)


def test_warm_start_is_a_valid_zone_solution(small_case):
    """The greedy hint respects zone sizes and pool capacities and is no better than the optimum."""
    case = small_case.case
    problem = build_problem(case.layout, case.forecast)
    options = build_options(problem)
    hint = greedy_zone_solution(problem, options)
    assert hint is not None
    for z, zone in enumerate(problem.zones):
        used = sum(n for (zz, n) in hint.dedicated.values() if zz == z)
        used += sum(m for (g, zz), (m, _) in hint.pools.items() if zz == z)
        used += sum(r for (c, zz), r in hint.restricted_zones.items() if zz == z)
        assert used <= len(zone.zone.chutes)
        for (_g, zz), (m, load) in hint.pools.items():
            if zz == z:
                assert load <= options.zone_costs.hard[z] * m
    covered = set(hint.dedicated) | {
        j for v in hint.mixed_destinations(options).values() for j in v
    }
    assert covered == set(range(len(problem.destinations)))
    assert evaluate(options, hint) / COST_SCALE >= small_case.result.objective - 1e-6


def test_tiny_time_limit_still_returns_a_checked_plan(small_case):
    """With almost no time the greedy warm start is returned, marked feasible, and valid."""
    case = small_case.case
    result = optimize_plan(case.layout, case.forecast, time_limit_s=0.01, seed=2)
    assert result.plan is not None
    assert result.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL)
    assert check_plan(result.plan, case.layout, case.forecast).ok


def test_next_wave_stays_close_to_the_current_plan(small_case):
    """With a move penalty a shifted forecast moves fewer destinations than without one."""
    case = small_case.case
    current = small_case.result.plan
    shifted = Forecast(
        tuple(
            dataclasses.replace(
                d, parcels_per_hour=d.parcels_per_hour * (1.6 if k % 3 == 0 else 0.7)
            )
            for k, d in enumerate(case.forecast.destinations)
        )
    )
    free = optimize_plan(
        case.layout, shifted, time_limit_s=5, seed=1, current=current, weights=PlanWeights(move=0.0)
    )
    sticky = optimize_plan(
        case.layout,
        shifted,
        time_limit_s=5,
        seed=1,
        current=current,
        weights=PlanWeights(move=200.0),
    )
    assert sticky.plan.version == current.version + 1
    assert sticky.moves == count_moves(sticky.plan, current)
    assert sticky.moves < free.moves
    assert check_plan(sticky.plan, case.layout, shifted).ok
    assert check_plan(free.plan, case.layout, shifted).ok


def test_next_wave_keeps_shared_chutes_in_place():
    """±10 % volume noise: destinations sharing chutes stay on them (before: 36 of 257 moved).

    Shared pools used to drift to other zones and other chutes of the same zone at no cost in
    the model; now giving up a current shared chute costs its destinations' moves, and the
    packing puts every destination back on its chute first.
    """
    case = generate_case(120, 300, seed=1, rate=8000.0)
    current = optimize_plan(case.layout, case.forecast, time_limit_s=5, seed=1, workers=1).plan
    rng = np.random.default_rng(5)
    noisy = dataclasses.replace(
        case.forecast,
        destinations=tuple(
            dataclasses.replace(d, parcels_per_hour=d.parcels_per_hour * rng.uniform(0.9, 1.1))
            for d in case.forecast.destinations
        ),
    )
    result = optimize_plan(case.layout, noisy, time_limit_s=5, seed=1, workers=1, current=current)
    assert len(current.mixed_destinations()) > 200
    assert result.moves <= 3
    assert result.stats["moves_among_shared_chutes"] <= result.moves
    assert check_plan(result.plan, case.layout, noisy).ok


def test_same_forecast_again_moves_nothing(small_case):
    """Re-planning the same wave against its own plan keeps every destination in place."""
    case = small_case.case
    again = optimize_plan(
        case.layout, case.forecast, time_limit_s=5, seed=1, current=small_case.result.plan
    )
    assert again.moves == 0
    assert check_plan(again.plan, case.layout, case.forecast).ok


def test_plan_for_another_sorter_cannot_be_current(small_case, tiny_forecast):
    """A current plan from a different sorter is an input error."""
    with pytest.raises(InputError) as exc:
        optimize_plan(tiny_layout(4), tiny_forecast, current=small_case.result.plan)
    assert exc.value.field == "current"


def test_same_seed_same_plan(small_case):
    """With one worker the optimizer is reproducible: same seed, same plan."""
    case = small_case.case
    runs = [
        optimize_plan(case.layout, case.forecast, time_limit_s=5, seed=3, workers=1)
        for _ in range(2)
    ]
    assert runs[0].plan.assignments == runs[1].plan.assignments
    assert runs[0].plan.restricted == runs[1].plan.restricted
    assert runs[0].objective == runs[1].objective
