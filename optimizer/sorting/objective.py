"""What a good sort plan is worth: the weights of the plan optimizer's objective.

Every term is a cost per hour of operation, counted in parcel-equivalents of manual work:
a parcel going through a mixed chute (re-sorted downstream) costs `mix`; planned load above
`soft_fill` / `firm_fill` of a container per swap interval costs `over_soft` / `over_firm`
per parcel/h (it is what makes containers overflow between swaps); travel beyond the nearest
zone costs `distance_per_m` per parcel/h and metre; each destination moved away from the
current plan costs `move` (floor work: relabelling, moving containers).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.errors import InputError, Problem


@dataclass(frozen=True)
class PlanWeights:
    mix: float = 1.0
    soft_fill: float = 0.6
    firm_fill: float = 0.8
    over_soft: float = 1.0
    over_firm: float = 4.0
    max_fill: float = 1.0
    distance_per_m: float = 0.001
    move: float = 50.0
    mixable_fill: float = 0.6

    def __post_init__(self) -> None:
        problems = []
        for name in ("mix", "over_soft", "over_firm", "distance_per_m", "move"):
            if not getattr(self, name) >= 0:
                problems.append(Problem(name, "must be >= 0"))
        if not 0 < self.soft_fill <= self.firm_fill <= self.max_fill <= 1:
            problems.append(
                Problem("soft_fill", "need 0 < soft_fill <= firm_fill <= max_fill <= 1")
            )
        if not 0 < self.mixable_fill <= self.max_fill:
            problems.append(Problem("mixable_fill", "must be in (0, max_fill]"))
        if problems:
            raise InputError(problems)

    def overload_cost(self, load_h: float, chute_capacity_h: float, chutes: int) -> float:
        """Cost of `load_h` parcels/h spread evenly over `chutes` chutes of the given capacity."""
        soft = max(0.0, load_h - self.soft_fill * chute_capacity_h * chutes)
        firm = max(0.0, load_h - self.firm_fill * chute_capacity_h * chutes)
        return self.over_soft * soft + self.over_firm * firm
