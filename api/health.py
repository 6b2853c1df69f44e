"""The health probe's solve: a tiny fixed assignment problem with a known optimum.

"Healthy" then means OR-Tools loads, solves and finds the right answer in
this process, not merely that the process answers HTTP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.status import SolveStatus

# Worker i does task j at COST[i][j]; the optimum (0->1, 1->0, 2->2) costs 1 + 2 + 2 = 5.
COST = ((4, 1, 3), (2, 0, 5), (3, 2, 2))
EXPECTED_OBJECTIVE = 5


@dataclass(frozen=True)
class ProbeResult:
    status: SolveStatus
    objective: int | None
    solve_time_s: float

    @property
    def ok(self) -> bool:
        return self.status is SolveStatus.OPTIMAL and self.objective == EXPECTED_OBJECTIVE


def solve_probe(time_limit_s: float = 2.0, seed: int = 0) -> ProbeResult:
    """Solve the 3x3 assignment with CP-SAT on one thread."""
    started = time.perf_counter()
    model = cp_model.CpModel()
    n = len(COST)
    x = [[model.new_bool_var(f"x{i}{j}") for j in range(n)] for i in range(n)]
    for i in range(n):
        model.add_exactly_one(x[i])
        model.add_exactly_one(x[j][i] for j in range(n))
    model.minimize(sum(COST[i][j] * x[i][j] for i in range(n) for j in range(n)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    code = solver.solve(model)
    status = {
        cp_model.OPTIMAL: SolveStatus.OPTIMAL,
        cp_model.FEASIBLE: SolveStatus.FEASIBLE,
        cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    }.get(code, SolveStatus.TIMEOUT)
    objective = (
        round(solver.objective_value)
        if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
        else None
    )
    return ProbeResult(status, objective, time.perf_counter() - started)
