"""Carrier outcomes (on_time, late, lost, damaged per leg) and the scores the core derives.

Outcomes come from tracking (a leg that arrives, or fails) and from uploaded
history; scoring is the core's `score_lanes`, recomputed only when an outcome
was added since (the newest row id is part of the cache key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from api.db.models import CarrierOutcomeRow
from api.db.types import utcnow
from api.routing.cache import RoutingCache
from api.routing.documents import DocRef
from optimizer.routing import LaneScore, Network, RiskPolicy, TrackingOutcome, score_lanes

TRACKING, HISTORY = "tracking", "history"


@dataclass(frozen=True)
class Scoring:
    """Scores for a network (None when off or no outcome is stored) and what went into them."""

    scores: Mapping[str, LaneScore] | None
    outcomes: int
    min_score: float
    key: tuple[int, int, str, float] | None = None  # identifies the scores for caches

    def describe(self) -> dict[str, Any]:
        excluded = sorted(s.lane for s in (self.scores or {}).values() if s.excluded)
        return {
            "used": self.scores is not None,
            "outcomes": self.outcomes,
            "min_score": self.min_score,
            "excluded_lanes": excluded,
        }


def record_outcome(
    session: Session, carrier_id: str, lane: str, outcome: str, shipment_id: str, source: str
) -> None:
    session.add(
        CarrierOutcomeRow(
            carrier_id=carrier_id,
            lane=lane,
            outcome=outcome,
            shipment_id=shipment_id,
            source=source,
            recorded_at=utcnow(),
        )
    )


def store_history(session: Session, outcomes: Iterable[TrackingOutcome]) -> int:
    now = utcnow()
    rows = [
        {
            "carrier_id": o.carrier,
            "lane": o.lane,
            "outcome": str(o.outcome),
            "shipment_id": o.shipment,
            "source": HISTORY,
            "recorded_at": now,
        }
        for o in outcomes
    ]
    if rows:
        session.execute(insert(CarrierOutcomeRow), rows)
    return len(rows)


def marker(session: Session) -> tuple[int, int, str]:
    """(count, newest id, newest time): changes whenever an outcome is added.

    The time keeps a key from ever meaning two contents: an id freed by a rolled-back
    insert can come back, the instant it was recorded at cannot.
    """
    count, newest, latest = session.execute(
        select(
            func.count(), func.max(CarrierOutcomeRow.id), func.max(CarrierOutcomeRow.recorded_at)
        ).select_from(CarrierOutcomeRow)
    ).one()
    return int(count or 0), int(newest or 0), str(latest or "")


def counts(session: Session) -> list[tuple[str, str, str, int]]:
    """(carrier, lane, outcome, how many), by carrier and lane."""
    query = (
        select(
            CarrierOutcomeRow.carrier_id,
            CarrierOutcomeRow.lane,
            CarrierOutcomeRow.outcome,
            func.count(),
        )
        .group_by(CarrierOutcomeRow.carrier_id, CarrierOutcomeRow.lane, CarrierOutcomeRow.outcome)
        .order_by(CarrierOutcomeRow.carrier_id, CarrierOutcomeRow.lane)
    )
    return [(c, lane, o, int(n)) for c, lane, o, n in session.execute(query)]


def load_outcomes(session: Session) -> list[TrackingOutcome]:
    """Every stored outcome as the core's records (expanded from grouped counts)."""
    found: list[TrackingOutcome] = []
    for carrier, lane, outcome, count in counts(session):
        record = TrackingOutcome(carrier, lane, outcome)  # type: ignore[arg-type]
        found.extend([record] * count)
    return found


def lane_scores(
    session: Session, cache: RoutingCache | None, ref: DocRef, network: Network, min_score: float
) -> tuple[Mapping[str, LaneScore], tuple[int, int, str, float]]:
    """The core's score of every lane of the network (priors alone while nothing is stored)."""
    count, newest, latest = marker(session)
    key = (count, newest, latest, min_score)

    def build() -> Mapping[str, LaneScore]:
        policy = RiskPolicy(threshold=Fraction(str(min_score)))
        return score_lanes(network, load_outcomes(session), policy)

    scores = build() if cache is None else cache.scores.get((ref.id, ref.version, *key), build)
    return scores, key  # type: ignore[return-value]


def scoring(
    session: Session,
    cache: RoutingCache | None,
    ref: DocRef,
    network: Network,
    enabled: bool,
    min_score: float,
) -> Scoring:
    """Scores for planning: none when off or while no outcome is stored (as the CLI without
    --events), else the core's lane scores from every stored outcome."""
    count = marker(session)[0]
    if not enabled or count == 0:
        return Scoring(None, count, min_score)
    scores, key = lane_scores(session, cache, ref, network, min_score)
    return Scoring(scores, count, min_score, key)
