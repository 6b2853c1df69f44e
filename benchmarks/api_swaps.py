"""A WCS swapping containers, run in its own process beside the load generator.

In the load generator's process its HTTP calls would take the generator's GIL and show
up as assignment latency; here they cost only CPU.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SwapResult:
    swaps: int
    parcels_closed: int
    failures: list[str]


def swap_containers(
    base_url: str, key: str, chutes: Sequence[str], seconds: float, every_s: float
) -> SwapResult:
    """For `seconds`, every `every_s`: the next chute of `chutes` (in turn) reports its
    container full, then closed, as a sorter's operator swapping containers would."""
    swaps, parcels, failures = 0, 0, []
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
        for chute in itertools.cycle(chutes):
            started = time.monotonic()
            if started >= deadline:
                break
            for event in ("full", "container_closed"):
                answer = client.post(f"/chutes/{chute}/events", json={"event": event})
                if answer.status_code != 200:
                    failures.append(f"{event} {chute}: {answer.text}")
                elif event == "container_closed":
                    swaps += 1
                    manifest = answer.json()["manifest"]  # null for an empty container
                    parcels += manifest["count"] if manifest else 0
            time.sleep(max(0.0, every_s - (time.monotonic() - started)))
    return SwapResult(swaps, parcels, failures)
