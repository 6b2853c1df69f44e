"""Carrier scores from tracking outcomes, and the risk cost they add to a lane.

Every delivered (or failed) parcel leg yields one outcome: on_time, late, lost or
damaged. Rates are posterior means of a Dirichlet-multinomial with a hierarchical
prior, so a lane with few events leans on its carrier and a carrier with few
events leans on the network-wide prior:

    carrier rate  r_c(o) = (k_c(o) + m * g(o))      / (n_c + m)
    lane rate     r_l(o) = (k_l(o) + m * r_c(o))     / (n_l + m)
    score         s_l    = 1 - r_l(late) - r_l(lost) - r_l(damaged)   (the on-time rate)
    risk cost     = r_l(late) * late_cost + r_l(lost) * lost_cost + r_l(damaged) * damaged_cost

with k the event counts, n their total, m = `prior_strength` pseudo-events and g
the prior rates. Risk cost is per parcel per leg in plan-currency minor units
(exact fractions, rounded half up once). Lanes scoring below `threshold` are
excluded from planning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.routing.network import Network
from optimizer.routing.parsing import Problems

log = logging.getLogger("optimizer.routing.scores")


class Outcome(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    LOST = "lost"
    DAMAGED = "damaged"


BAD_OUTCOMES = (Outcome.LATE, Outcome.LOST, Outcome.DAMAGED)


@dataclass(frozen=True)
class TrackingOutcome:
    """How one parcel's leg ended, as reported by the carrier."""

    carrier: str
    lane: str
    outcome: Outcome
    shipment: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", Outcome(self.outcome))


@dataclass(frozen=True)
class RiskPolicy:
    """Prior, exclusion threshold and the cost of each bad outcome (plan minor units)."""

    prior_strength: int = 20
    prior_late: Fraction = Fraction(10, 100)
    prior_lost: Fraction = Fraction(5, 1000)
    prior_damaged: Fraction = Fraction(1, 100)
    threshold: Fraction = Fraction(75, 100)
    late_cost: int = 150
    lost_cost: int = 3000
    damaged_cost: int = 1500

    def __post_init__(self) -> None:
        if self.prior_strength <= 0:
            raise ValueError("prior strength must be positive")
        priors = (self.prior_late, self.prior_lost, self.prior_damaged)
        if any(p < 0 for p in priors) or sum(priors) >= 1:
            raise ValueError("prior rates must be non-negative and sum below 1")
        if not 0 <= self.threshold <= 1:
            raise ValueError("threshold must be between 0 and 1")
        if min(self.late_cost, self.lost_cost, self.damaged_cost) < 0:
            raise ValueError("risk costs cannot be negative")

    def prior(self) -> dict[Outcome, Fraction]:
        return {
            Outcome.LATE: Fraction(self.prior_late),
            Outcome.LOST: Fraction(self.prior_lost),
            Outcome.DAMAGED: Fraction(self.prior_damaged),
        }


@dataclass(frozen=True)
class LaneScore:
    """A lane's smoothed rates, score and the risk cost it adds per parcel."""

    lane: str
    carrier: str
    events: int
    late_rate: Fraction
    lost_rate: Fraction
    damaged_rate: Fraction
    score: Fraction
    risk_cost: int
    excluded: bool


def _smooth(counts: Mapping[Outcome, int], total: int, prior: Mapping[Outcome, Fraction], m: int):
    return {o: (counts.get(o, 0) + m * prior[o]) / (total + m) for o in BAD_OUTCOMES}


def _round_half_up(value: Fraction) -> int:
    return int((value * 2 + 1) // 2)


def score_lanes(
    network: Network, outcomes: Iterable[TrackingOutcome], policy: RiskPolicy | None = None
) -> dict[str, LaneScore]:
    """Score every lane of the network from the outcomes (lanes without events lean on priors)."""
    policy = policy or RiskPolicy()
    m = policy.prior_strength
    by_carrier: dict[str, dict[Outcome, int]] = {}
    by_lane: dict[str, dict[Outcome, int]] = {}
    unknown = 0
    for event in outcomes:
        carrier_counts = by_carrier.setdefault(event.carrier, {})
        carrier_counts[event.outcome] = carrier_counts.get(event.outcome, 0) + 1
        if event.lane not in network.lane_by_id:
            unknown += 1
            continue
        lane_counts = by_lane.setdefault(event.lane, {})
        lane_counts[event.outcome] = lane_counts.get(event.outcome, 0) + 1
    if unknown:
        log.info("%d outcomes name lanes not in the network; used for carrier rates only", unknown)
    prior = policy.prior()
    carrier_rates = {
        carrier: _smooth(counts, sum(counts.values()), prior, m)
        for carrier, counts in by_carrier.items()
    }
    scores: dict[str, LaneScore] = {}
    for lane in network.lanes:
        counts = by_lane.get(lane.id, {})
        total = sum(counts.values())
        rates = _smooth(counts, total, carrier_rates.get(lane.carrier, prior), m)
        score = 1 - sum(rates.values())
        risk = (
            rates[Outcome.LATE] * policy.late_cost
            + rates[Outcome.LOST] * policy.lost_cost
            + rates[Outcome.DAMAGED] * policy.damaged_cost
        )
        scores[lane.id] = LaneScore(
            lane=lane.id,
            carrier=lane.carrier,
            events=total,
            late_rate=rates[Outcome.LATE],
            lost_rate=rates[Outcome.LOST],
            damaged_rate=rates[Outcome.DAMAGED],
            score=score,
            risk_cost=_round_half_up(risk),
            excluded=score < policy.threshold,
        )
    return scores


def risk_inputs(scores: Mapping[str, LaneScore]) -> tuple[dict[str, int], set[str]]:
    """Per-lane risk cost and the set of excluded lanes, as the timetable takes them."""
    return (
        {lane: score.risk_cost for lane, score in scores.items()},
        {lane for lane, score in scores.items() if score.excluded},
    )


def _outcome(record: Any, path: str, problems: Problems) -> TrackingOutcome | None:
    if not isinstance(record, dict):
        problems.add(path, "must be a JSON object")
        return None
    carrier = problems.text(record, "carrier", path)
    lane = problems.text(record, "lane", path)
    outcome = problems.text(record, "outcome", path)
    if outcome is not None and outcome not in Outcome._value2member_map_:
        known = ", ".join(Outcome)
        problems.add(f"{path}.outcome", f"unknown outcome {outcome!r} (one of {known})")
        return None
    if carrier and lane and outcome:
        return TrackingOutcome(carrier, lane, Outcome(outcome), str(record.get("shipment", "")))
    return None


def outcomes_from_records(records: Iterable[Any], source: str = "events") -> list[TrackingOutcome]:
    """Outcomes from decoded JSON objects {"carrier", "lane", "outcome", "shipment"?}."""
    problems = Problems()
    found = [_outcome(record, f"{source}[{i}]", problems) for i, record in enumerate(records)]
    problems.raise_if_any()
    return [outcome for outcome in found if outcome is not None]


def parse_outcomes(lines: Iterable[str], source: str = "events") -> list[TrackingOutcome]:
    """JSON Lines of outcomes; every bad line is reported (`events:LINE.field`)."""
    problems = Problems()
    outcomes: list[TrackingOutcome] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        path = f"{source}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.add(path, f"not valid JSON ({exc.msg})")
            continue
        outcome = _outcome(record, path, problems)
        if outcome is not None:
            outcomes.append(outcome)
    problems.raise_if_any()
    return outcomes


def load_outcomes(path: str | Path) -> list[TrackingOutcome]:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", field=str(path))
    with path.open(encoding="utf-8") as handle:
        return parse_outcomes(handle, source=path.name)


def save_outcomes(outcomes: Iterable[TrackingOutcome], path: str | Path) -> None:
    with Path(path).open("w", encoding="utf-8") as handle:
        for event in outcomes:
            record = {"carrier": event.carrier, "lane": event.lane, "outcome": str(event.outcome)}
            if event.shipment:
                record["shipment"] = event.shipment
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
