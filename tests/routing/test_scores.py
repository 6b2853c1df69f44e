"""Carrier scores: the documented smoothing formula, exclusion and risk cost."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from optimizer.errors import InputError
from optimizer.routing.scores import (
    Outcome,
    RiskPolicy,
    TrackingOutcome,
    parse_outcomes,
    score_lanes,
)
from tests.routing.conftest import tiny_network


def events(lane: str, carrier: str, **counts: int) -> list[TrackingOutcome]:
    return [
        TrackingOutcome(carrier, lane, Outcome(kind))
        for kind, count in counts.items()
        for _ in range(count)
    ]


POLICY = RiskPolicy(
    prior_strength=10,
    prior_late=Fraction(1, 10),
    prior_lost=Fraction(0),
    prior_damaged=Fraction(0),
    threshold=Fraction(3, 4),
    late_cost=100,
    lost_cost=0,
    damaged_cost=0,
)


def test_rates_follow_the_hierarchical_formula():
    """Carrier Air: 10 late of 40 -> r_c = (10 + 10 x 0.1) / 50 = 0.22. Lane FAST has those 40
    events: r_l = (10 + 10 x 0.22) / 50 = 0.244; score 0.756; risk 0.244 x 1.00 = 24.4 -> 24."""
    network = tiny_network()
    outcomes = events("FAST", "Air", late=10, on_time=30)
    score = score_lanes(network, outcomes, POLICY)["FAST"]
    assert score.late_rate == Fraction(244, 1000)
    assert score.score == Fraction(756, 1000)
    assert score.risk_cost == 24
    assert not score.excluded


def test_a_few_events_do_not_swing_a_score():
    """Two late events out of two on a fresh lane move its late rate from 0.10 only to
    (2 + 10 x r_c) / 12 with r_c = (2 + 1) / 12 = 0.25 -> 0.375, not to 1.0."""
    network = tiny_network()
    score = score_lanes(network, events("SLOW", "Road", late=2), POLICY)["SLOW"]
    assert score.late_rate == Fraction(2 + Fraction(10, 4), 12)
    assert score.late_rate < Fraction(1, 2)


def test_lanes_without_history_lean_on_their_carrier_then_the_prior():
    """LM has no events: its carrier Post has 20 late of 20 elsewhere -> r_c = 21/30 = 0.7, so
    LM's rate is 0.7 and its score 0.3 < 0.75: excluded. L1 (no carrier history) keeps 0.1."""
    network = tiny_network()
    scores = score_lanes(network, events("OLD-LANE", "Post", late=20), POLICY)
    assert scores["LM"].late_rate == Fraction(7, 10)
    assert scores["LM"].excluded
    assert scores["L1"].late_rate == Fraction(1, 10)
    assert not scores["L1"].excluded


def test_lost_and_damaged_weigh_into_risk_cost():
    """One lost and one damaged in 10 events, zero priors, strength 10: carrier rates 1/20,
    lane rates (1 + 10/20) / 20 = 0.075; risk 0.075 x 30.00 + 0.075 x 15.00 = 3.375 -> 3.38."""
    policy = RiskPolicy(
        prior_strength=10,
        prior_late=Fraction(0),
        prior_lost=Fraction(0),
        prior_damaged=Fraction(0),
        late_cost=0,
        lost_cost=3000,
        damaged_cost=1500,
        threshold=Fraction(0),
    )
    network = tiny_network()
    outcomes = events("FAST", "Air", lost=1, damaged=1, on_time=8)
    score = score_lanes(network, outcomes, policy)["FAST"]
    carrier = Fraction(1, 20)  # (1 + 10 x 0) / (10 + 10)
    lane = (1 + 10 * carrier) / 20  # = 0.075
    assert score.lost_rate == lane and score.damaged_rate == lane
    assert score.risk_cost == round(lane * 3000 + lane * 1500)  # 337.5 -> 338 (half up)
    assert score.risk_cost == 338


def test_outcome_file_errors_name_the_line():
    """Unknown outcomes and missing fields are reported per line."""
    lines = [
        json.dumps({"carrier": "Air", "lane": "FAST", "outcome": "on_time"}),
        json.dumps({"carrier": "Air", "lane": "FAST", "outcome": "evaporated"}),
        json.dumps({"lane": "FAST", "outcome": "late"}),
    ]
    with pytest.raises(InputError) as info:
        parse_outcomes(lines)
    assert {p.field for p in info.value.problems} == {"events:2.outcome", "events:3.carrier"}
