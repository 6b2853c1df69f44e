"""The fast insertion check used for repair and skip reasons agrees with the full one."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.routing.vrp import insertion
from optimizer.routing.vrp.insertion import cheapest_insertion
from optimizer.routing.vrp.plans import score_plan
from tests.routing.vrp.test_skipped_and_warm_start import scattered_problem


@pytest.mark.parametrize("seed", range(6))
def test_quick_positions_find_the_samecheapest_insertion(seed, monkeypatch):
    """On random routes, the O(1)-per-position check picks what trying every position picks."""
    problem = scattered_problem(20, seed=seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(problem.stops)).tolist()
    routes: list[list[int]] = [[] for _ in problem.vehicles]
    left_out = []
    for stop in order:  # greedy random plan: append where it stays feasible, else leave out
        for route in routes[:4]:
            if score_plan(problem, [[*route, stop]], "t") is not None:
                route.append(stop)
                break
        else:
            left_out.append(stop)
    plan = score_plan(problem, routes, "t")
    assert plan is not None and left_out
    fast = [cheapest_insertion(problem, plan, [s], float("inf")) for s in left_out]
    monkeypatch.setattr(insertion, "_quick_positions", lambda *args: None)
    slow = [cheapest_insertion(problem, plan, [s], float("inf")) for s in left_out]
    for quick, full in zip(fast, slow, strict=True):
        assert (quick is None) == (full is None)
        if quick is not None:
            assert quick[0] == pytest.approx(full[0])
