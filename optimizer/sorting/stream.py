"""Streaming scans through an assigner, as a sorter controller would, with optional timing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from optimizer.sorting.assigner import Assigner, ChuteEvent
from optimizer.sorting.decision import Decision
from optimizer.sorting.manifest import Manifest
from optimizer.sorting.scan import ParcelScan


@dataclass
class StreamResult:
    decisions: list[Decision] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    latencies_ns: list[int] = field(default_factory=list)  # per decision, when timed
    wall_s: float = 0.0

    def percentile_us(self, q: float) -> float:
        if not self.latencies_ns:
            return 0.0
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000.0

    @property
    def throughput_per_s(self) -> float:
        return len(self.decisions) / self.wall_s if self.wall_s > 0 else 0.0


def swap_full_containers(assigner: Assigner, manifests: list[Manifest]) -> None:
    """Close every container that just became full, as if swapped at once."""
    ids = assigner.layout.chutes
    for i in assigner.newly_full:
        manifest = assigner.chute_event(ids[i].id, ChuteEvent.CONTAINER_CLOSED)
        if manifest is not None:
            manifests.append(manifest)
    assigner.newly_full.clear()


def stream_scans(
    assigner: Assigner,
    scans: Iterable[ParcelScan],
    *,
    auto_swap: bool = True,
    timed: bool = False,
) -> StreamResult:
    """Assign every scan in order. `auto_swap` closes full containers immediately."""
    result = StreamResult()
    assign = assigner.assign
    clock = time.perf_counter_ns
    started = time.perf_counter()
    for s in scans:
        args = (s.parcel_id, s.destination, s.weight_g, s.length_mm, s.width_mm, s.height_mm)
        if timed:
            t0 = clock()
            decision = assign(*args, s.category.value, s.scan)
            result.latencies_ns.append(clock() - t0)
        else:
            decision = assign(*args, s.category.value, s.scan)
        result.decisions.append(decision)
        if assigner.newly_full:
            if auto_swap:
                swap_full_containers(assigner, result.manifests)
            else:
                assigner.newly_full.clear()
    result.wall_s = time.perf_counter() - started
    return result
