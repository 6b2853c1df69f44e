"""What a closed container holds: the carrier hand-over document."""

from __future__ import annotations

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
    # Carriers of the parcels sorted to this destination chute for their destination, each
    # from the carrier map of the plan it was assigned under; `unattributed` parcels have
    # none (no-reads, unknown keys, restricted goods, overflow, any special chute).
    carriers: tuple[str, ...] = ()
    unattributed: int = 0

    @property
    def count(self) -> int:
        return len(self.parcel_ids)

    @property
    def carrier(self) -> str | None:
        """The one carrier this container is handed to, or None: a container holding any
        parcel without a carrier, or parcels of several carriers, is handed to no carrier
        (planners sort it out), so no carrier ever reads another's parcels."""
        if self.unattributed or len(self.carriers) != 1:
            return None
        return self.carriers[0]

    def to_dict(self) -> dict[str, object]:
        return {
            "sorter_id": self.sorter_id,
            "chute_id": self.chute_id,
            "container": self.container,
            "plan_id": self.plan_id,
            "count": self.count,
            "weight_g": round(self.weight_g, 1),
            "destinations": dict(self.destinations),
            "carrier": self.carrier,
            "carriers": list(self.carriers),
            "parcel_ids": list(self.parcel_ids),
        }


def carriers_by_destination(forecast: Forecast) -> dict[str, str]:
    """Sort key -> the carrier its parcels are handed to, as the forecast says."""
    return {d.destination: d.carrier for d in forecast.destinations}
