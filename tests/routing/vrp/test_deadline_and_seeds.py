"""The time limit holds for the whole call, process start-up included; seeds stay in range."""

from __future__ import annotations

import multiprocessing as mp
import time

import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.routing.vrp import SolveOptions, solve
from optimizer.routing.vrp.check import check_result
from optimizer.routing.vrp.portfolio import EngineTask, _child
from optimizer.routing.vrp.scaling import choose_scaling, to_integers
from optimizer.routing.vrp.solve import SEED_MAX, engine_seed
from tests.routing.vrp.test_skipped_and_warm_start import scattered_problem

# What the caller may wait past the limit: the end of the plan's assembly, process teardown.
MARGIN_S = 0.35


def test_spawned_engine_process_start_up_counts_against_the_time_limit():
    """A spawned second engine spends its start-up (imports) out of the limit, not past it."""
    problem = scattered_problem(25)
    options = SolveOptions(workers=2, start_method="spawn")
    started = time.perf_counter()
    result = solve(problem, 1.5, options=options)
    wall = time.perf_counter() - started
    assert check_result(problem, result).feasible
    assert wall <= 1.5 + MARGIN_S
    assert result.solve_time_s <= 1.5 + MARGIN_S


def test_child_that_starts_after_the_deadline_answers_at_once():
    """A child whose start-up ate the whole budget reports so instead of searching past it."""
    problem = scattered_problem(8)
    data = to_integers(problem, choose_scaling(problem))
    receiver, sender = mp.Pipe(duplex=False)
    started = time.perf_counter()
    _child(sender, data, EngineTask("pyvrp", 0), 10.0, time.time() - 1.0, None, None)
    (outcome,) = receiver.recv()
    assert time.perf_counter() - started < 0.5
    assert outcome.routes is None and "started too late" in outcome.note


def test_child_searches_only_until_the_shared_deadline():
    """Given 10 s but a deadline 0.5 s away, a child hands its plan back before the deadline."""
    problem = scattered_problem(12)
    data = to_integers(problem, choose_scaling(problem))
    receiver, sender = mp.Pipe(duplex=False)
    deadline = time.time() + 0.5
    _child(sender, data, EngineTask("pyvrp", 0), 10.0, deadline, None, None)
    (outcome,) = receiver.recv()
    assert outcome.routes is not None
    assert time.time() <= deadline + 0.05


def test_largest_seed_runs_every_engine_process():
    """Seed 2**32 - 1 is accepted, and the second process's seed wraps instead of failing."""
    problem = scattered_problem(8)
    options = SolveOptions(engine="pyvrp", workers=2, max_iterations=50)
    result = solve(problem, 5.0, seed=SEED_MAX, options=options)
    assert check_result(problem, result).feasible
    assert not [note for note in result.notes if "failed" in note]
    assert engine_seed(SEED_MAX, 1) == 0


@pytest.mark.parametrize("seed", [-1, SEED_MAX + 1, 2**63, True, 1.5])
def test_seed_out_of_range_is_an_input_error(seed):
    """A seed PyVRP cannot take is refused up front, naming the field."""
    with pytest.raises(InputError) as raised:
        solve(scattered_problem(3), 1.0, seed=seed)
    assert raised.value.field == "seed"


def test_cli_refuses_a_seed_out_of_range(tmp_path, capsys):
    """`--seed 4294967296` is an argument error, not a traceback or a silently weaker run."""
    path = tmp_path / "tiny.txt"
    path.write_text(
        "X\nVEHICLE\nNUMBER CAPACITY\n 2 10\nCUSTOMER\n 0 0 0 0 0 100 0\n 1 3 4 1 0 50 1\n"
    )
    with pytest.raises(SystemExit) as exited:
        main(["vrptw", str(path), "--time-limit", "1", "--seed", str(SEED_MAX + 1)])
    assert exited.value.code == 2
    assert "must be at most 4294967295" in capsys.readouterr().err
