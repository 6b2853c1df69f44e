"""What a closed container holds: the carrier hand-over document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from optimizer.sorting.forecast import Forecast


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

    def carriers(self, carrier_of: Mapping[str, str]) -> tuple[str, ...]:
        """The carriers taking this container, from the carriers of its destinations.

        `carrier_of` maps sort keys to carriers (`carriers_by_destination`). Keys it does not
        know (no-reads, unknown destinations, restricted goods' labels) name no carrier: a
        container of such parcels is handed to no carrier. A plan mixes only destinations of
        one hand-over on a chute, so a destination chute's container has one carrier unless
        a hand-over is shared by several carriers.
        """
        return tuple(sorted({carrier_of[d] for d in self.destinations if d in carrier_of}))

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


def carriers_by_destination(forecast: Forecast) -> dict[str, str]:
    """Sort key -> the carrier its parcels are handed to, as the forecast says."""
    return {d.destination: d.carrier for d in forecast.destinations}
