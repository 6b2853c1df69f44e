"""The status every solver result reports."""

from __future__ import annotations

from enum import StrEnum


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"  # proven optimal (gap 0 within solver tolerance)
    FEASIBLE = "feasible"  # a solution, optimality not proven
    INFEASIBLE = "infeasible"  # proven that no solution exists
    TIMEOUT = "timeout"  # time limit reached without any solution
