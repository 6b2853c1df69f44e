"""What a closed container holds: the carrier hand-over document."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Manifest:
    sorter_id: str
    chute_id: str
    container: int  # sequence number of the container at this chute
    plan_id: str  # the plan active when the container was closed
    parcel_ids: tuple[str, ...]
    weight_g: float
    destinations: dict[str, int] = field(default_factory=dict)  # sort key -> parcels

    @property
    def count(self) -> int:
        return len(self.parcel_ids)

    def to_dict(self) -> dict[str, object]:
        return {
            "sorter_id": self.sorter_id,
            "chute_id": self.chute_id,
            "container": self.container,
            "plan_id": self.plan_id,
            "count": self.count,
            "weight_g": round(self.weight_g, 1),
            "destinations": dict(self.destinations),
            "parcel_ids": list(self.parcel_ids),
        }
