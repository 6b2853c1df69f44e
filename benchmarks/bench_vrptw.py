"""Fast VRPTW benchmark for `make test`: a few Solomon instances at 2 s each.

Asserts that every plan passes our independent checker and stays within a
loose gap of the best-known distance. The full table is `make bench-vrptw`
(`benchmarks/vrptw.py`), which alone writes RESULTS.md.
"""

from __future__ import annotations

import pytest

from benchmarks.vrptw_data import best_known, instance_paths, solomon_dir
from optimizer.routing.vrp import read_solomon, solve
from optimizer.routing.vrp.check import check_result

INSTANCES = ("C101", "R101", "RC101", "R201")
TIME_LIMIT = 2.0
LOOSE_GAP = 0.05  # 5 % over the distance-only best-known solution


@pytest.fixture(scope="module")
def bks():
    if solomon_dir() is None:
        pytest.skip("Solomon instances not found: set OPTIMIZER_DATA_DIR (see README)")
    return best_known()


@pytest.mark.parametrize("name", INSTANCES)
def test_solomon_fast_subset(benchmark, bks, name):
    """A 2 s solve is feasible by our checker and within 5 % of the best-known distance."""
    (path,) = instance_paths([name])
    problem = read_solomon(path, convention="dimacs")
    result = benchmark.pedantic(solve, args=(problem, TIME_LIMIT, 0), rounds=1, iterations=1)
    report = check_result(problem, result)
    assert report.feasible, report.violations
    assert not result.unserved
    assert result.distance <= bks[name].distance * (1 + LOOSE_GAP)


def test_two_core_pyvrp_reference_is_checked_and_on_time(bks):
    """The 2-core PyVRP row (two seeds, better kept) returns a checked plan within its budget."""
    import time

    from benchmarks.vrptw_references import solve_pyvrp_parallel
    from optimizer.routing.vrp.check import check_plan

    (path,) = instance_paths(["C101"])
    problem = read_solomon(path, convention="dimacs")
    started = time.perf_counter()
    run = solve_pyvrp_parallel(path, TIME_LIMIT, seed=0, processes=2)
    assert time.perf_counter() - started <= TIME_LIMIT + 0.5
    assert run.routes is not None
    ids = [s.id for s in problem.stops]
    plan = {problem.vehicles[k].id: [ids[i] for i in r] for k, r in enumerate(run.routes)}
    report = check_plan(problem, plan)
    assert report.feasible, report.violations
    assert report.distance <= bks["C101"].distance * (1 + LOOSE_GAP)
