"""What the assigner answers for a parcel: a chute (or none) and why."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Reason(StrEnum):
    PLANNED = "planned"  # one of its destination's planned chutes
    ALTERNATE = "alternate"  # its planned chutes cannot take it; a compatible alternate can
    RECIRCULATE = "recirculate"  # no chute can take it now; it stays on the loop (chute null)
    NO_READ = "no_read"  # label unreadable: to a no-read chute
    UNKNOWN_DESTINATION = "unknown_destination"  # sort key not in the plan: to exception
    OVERSIZE = "oversize"  # too large or heavy for its chutes: to an oversize chute (or reject)
    RESTRICTED = "restricted"  # restricted category: to a chute dedicated to it (or reject)
    CHUTE_FULL = "chute_full"  # its chutes stayed unavailable for all allowed loops: exception


class Decision(NamedTuple):
    """The answer sent back to the sorter controller; a tuple so that it is cheap to build."""

    parcel_id: str
    chute_id: str | None
    reason: Reason

    def to_dict(self) -> dict[str, str | None]:
        return {"parcel_id": self.parcel_id, "chute_id": self.chute_id, "reason": self.reason.value}
