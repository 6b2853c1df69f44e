"""The generator's cases look like a cross-border export hub, and are reproducible."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.sorting import (
    RESTRICTED_CATEGORIES,
    Category,
    ChuteType,
    generate_case,
    generate_forecast,
    generate_layout,
    generate_parcels,
)


@settings(max_examples=15, deadline=None)
@given(destinations=st.integers(100, 600), seed=st.integers(0, 100_000))
def test_forecast_is_a_long_tailed_cross_border_mix(destinations, seed):
    """Tens of countries, several carriers and services, a long tail, a few % special goods."""
    forecast = generate_forecast(destinations, seed, rate=20_000.0)
    ds = forecast.destinations
    assert len({d.destination for d in ds}) == destinations
    assert forecast.total_parcels_per_hour == pytest.approx(20_000.0)
    assert len({d.country for d in ds}) >= 20
    assert len({d.carrier for d in ds}) >= 10
    assert {d.service for d in ds} == {"economy", "standard", "express"}
    volumes = np.sort([d.parcels_per_hour for d in ds])[::-1]
    assert volumes[: destinations // 10].sum() > 0.45 * volumes.sum()  # top 10 % carry most
    assert volumes[destinations // 2 :].sum() < 0.2 * volumes.sum()  # a long thin tail
    weights = np.array([d.parcels_per_hour for d in ds])
    oversize = np.dot(weights, [d.oversize_share for d in ds]) / weights.sum()
    restricted = np.dot(weights, [d.restricted_share for d in ds]) / weights.sum()
    assert 0.01 <= oversize <= 0.05
    assert 0.03 <= restricted <= 0.12
    assert 0.005 <= forecast.no_read_share <= 0.03
    handovers = Counter(d.handover for d in ds)
    assert max(handovers.values()) >= 5  # some hand-overs take many sort keys (mixable)


@settings(max_examples=10, deadline=None)
@given(chutes=st.integers(40, 400), seed=st.integers(0, 100_000))
def test_layout_has_every_chute_kind_and_fitted_chutes(chutes, seed):
    """Exactly the requested chutes, every special kind, chutes fitted for each restricted good."""
    layout = generate_layout(chutes, seed, rate=chutes * 60.0)
    assert len(layout.chutes) == chutes
    kinds = Counter(c.type for c in layout.chutes)
    assert all(kinds[k] >= 1 for k in ChuteType)
    for category in RESTRICTED_CATEGORIES:
        assert any(category in c.categories for c in layout.chutes)
    assert all(0 <= c.position_m < layout.loop_length_m for c in layout.chutes)
    induction = max(p.position_m for p in layout.induction_points)
    assert all(c.position_m > induction for c in layout.chutes)
    # Two container sizes under destination chutes: gaylords, and sacks that fill by weight
    # (30 kg for 80 parcels: anything over 375 g fills a sack by weight first).
    sizes = Counter(
        (c.capacity_parcels, c.capacity_kg)
        for c in layout.chutes
        if c.type == ChuteType.DESTINATION
    )
    assert set(sizes) <= {(120, 400.0), (80, 30.0)}
    sacks = sizes[(80, 30.0)] / sum(sizes.values())
    assert sacks < 0.45
    if chutes >= 150:  # a few chutes are fitted gaylords; on small sorters that weighs more
        assert sacks > 0.15
    fitted = [c for c in layout.chutes if len(c.categories) > 1]
    assert all(c.capacity_parcels == 120 for c in fitted)  # restricted goods in gaylords


def s10_valid(parcel_id: str) -> bool:
    digits, check = parcel_id[2:10], int(parcel_id[10])
    total = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    expected = 11 - total % 11
    return check == {10: 0, 11: 5}.get(expected, expected)


def test_parcels_follow_the_forecast():
    """An hour of scans: Poisson count, sorted arrivals, no-reads, oversize, restricted, S10 ids."""
    case = generate_case(300, 600, seed=11)
    parcels = case.parcels
    assert abs(len(parcels) - 20_000) < 5 * 20_000**0.5
    times = [p.arrival_s for p in parcels]
    assert times == sorted(times) and times[0] >= 0 and times[-1] <= 3600
    no_read = sum(p.destination is None for p in parcels) / len(parcels)
    assert no_read == pytest.approx(case.forecast.no_read_share * 0.9, abs=0.004)
    restricted = sum(p.category is not Category.GENERAL for p in parcels) / len(parcels)
    assert 0.03 < restricted < 0.12
    standard = next(c for c in case.layout.chutes if c.type == ChuteType.DESTINATION)
    too_big = sum(
        not standard.fits(p.length_mm, p.width_mm, p.height_mm, p.weight_g) for p in parcels
    )
    assert 0.01 < too_big / len(parcels) < 0.06
    assert len({p.parcel_id for p in parcels}) == len(parcels)
    assert all(s10_valid(p.parcel_id) for p in parcels[:500])
    assert {p.induction for p in parcels} == {i.id for i in case.layout.induction_points}


def test_same_seed_same_case():
    """Generation is deterministic per seed and differs between seeds."""
    a = generate_case(60, 50, seed=4, rate=3000.0, hours=0.2)
    b = generate_case(60, 50, seed=4, rate=3000.0, hours=0.2)
    c = generate_case(60, 50, seed=5, rate=3000.0, hours=0.2)
    assert a == b
    assert a.forecast != c.forecast


def test_impossible_generator_arguments_are_input_errors():
    """Too few chutes, too many destinations or a zero rate are refused with the field named."""
    with pytest.raises(InputError) as exc:
        generate_layout(5)
    assert exc.value.field == "chutes"
    with pytest.raises(InputError) as exc:
        generate_forecast(100_000)
    assert exc.value.field == "destinations"
    with pytest.raises(InputError) as exc:
        generate_parcels(generate_forecast(10), generate_layout(60, rate=3000), hours=0)
    assert exc.value.field == "rate"
