"""What an engine hands back: routes as stop indices, before times and reasons are added."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineOutcome:
    """Routes per vehicle as stop indices (problem order); empty route = vehicle unused.

    `routes` is None when the engine found no solution at all.
    """

    engine: str
    routes: tuple[tuple[int, ...], ...] | None
    objective: int | None = None  # in the engine's integer cost units
    iterations: int = 0
    elapsed_s: float = 0.0
    note: str = ""
