"""Knobs of the batch planner, with defaults that suit a day or two of e-commerce volume."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanningPolicy:
    """How many alternatives each flow gets and what overflow costs.

    - `paths_per_flow`: distinct lane paths kept per flow (the cheapest by expected
      cost, plus the fastest);
    - `later_departures`: how many later departures of the bottleneck leg the best
      path also offers (the second best path offers one), so a full departure has
      nearby alternatives;
    - `overflow_penalty`: plan-currency minor units per shipment left unserved, far
      above any freight, so capacity is the only reason to leave one out;
    - `capacity_margin`: share of each departure's kg capacity kept free in the model,
      absorbing the difference between a flow's mean weight and its members' weights;
    - `relative_gap`: the MIP stops once proven within this fraction of optimal;
    - `weight_classes_g`: upper bounds (grams) of the weight classes that split flows.
      The model loads a flow's units at the flow's mean weight, so a flow mixing 0.2 kg
      and 8 kg parcels could not send the light ones on kg-tight flights and the heavy
      ones by sea. Three classes (up to 1 kg, up to 5 kg, heavier) keep nearly all of
      that choice (within 0.02% of ten classes on the 10,000-shipment benchmark) at about
      half the model size; () puts every weight in one flow.
    """

    paths_per_flow: int = 4
    later_departures: int = 3
    max_paths: int = 48
    max_legs: int = 8
    overflow_penalty: int = 100_000
    capacity_margin: float = 0.01
    relative_gap: float = 1e-4
    weight_classes_g: tuple[int, ...] = (1000, 5000)

    def __post_init__(self) -> None:
        if self.paths_per_flow < 1 or self.later_departures < 0:
            raise ValueError("need at least one path per flow and no negative variants")
        if self.max_paths < self.paths_per_flow or self.max_legs < 1:
            raise ValueError("max_paths must cover paths_per_flow and max_legs be positive")
        if self.overflow_penalty <= 0:
            raise ValueError("overflow penalty must be positive")
        if not 0 <= self.capacity_margin < 0.5:
            raise ValueError("capacity margin must be in [0, 0.5)")
        if not 0 <= self.relative_gap < 1:
            raise ValueError("relative gap must be in [0, 1)")
        bounds = tuple(self.weight_classes_g)
        if any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
            raise ValueError("weight classes must be increasing positive gram bounds")
        object.__setattr__(self, "weight_classes_g", bounds)
