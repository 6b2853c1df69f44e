"""Run several engine configurations at once, one per core, within one deadline.

The first task runs in this process; each other task in a child process
(`fork` where the platform has it: no re-import, starts in milliseconds).
Children get the deadline as a wall-clock instant, not a duration: a spawned
child spends a second or more importing before it can search, and that time
comes out of its own budget, never out of the caller's. A child that fails or
overruns is dropped, never waited on past the deadline.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from optimizer.routing.vrp.engine_result import EngineOutcome
from optimizer.routing.vrp.ortools_engine import OrToolsParams, solve_with_ortools
from optimizer.routing.vrp.pyvrp_engine import solve_with_pyvrp
from optimizer.routing.vrp.scaling import IntegerData

log = logging.getLogger("optimizer.routing.vrp.portfolio")

_GRACE_S = 0.02  # how long past the deadline the parent waits for a child's answer
_HANDBACK_S = 0.08  # kept back by a child to send its routes before the deadline
_MIN_BUDGET_S = 0.05  # a child with less time left than this does not start an engine


TASK_KINDS = ("ortools", "pyvrp", "ortools+pyvrp")


@dataclass(frozen=True)
class EngineTask:
    """One process's work. "ortools+pyvrp" runs OR-Tools for `ortools_share` of the time,
    then PyVRP from OR-Tools' plan: a safety net first, then a second PyVRP trajectory."""

    engine: str
    seed: int
    ortools: OrToolsParams = field(default_factory=OrToolsParams)
    max_iterations: int | None = None
    ortools_share: float = 0.2

    def __post_init__(self) -> None:
        if self.engine not in TASK_KINDS:
            raise ValueError(f"unknown engine task {self.engine!r}")


def run_task(
    data: IntegerData,
    task: EngineTask,
    time_limit: float,
    initial_routes: Sequence[Sequence[int]] | None,
    coordinates: np.ndarray | None,
) -> list[EngineOutcome]:
    """The outcome of every engine the task ran, in order; a failing engine gives a note."""
    started = time.perf_counter()
    outcomes = []
    if task.engine in ("ortools", "ortools+pyvrp"):
        params = task.ortools
        if task.max_iterations is not None:
            params = replace(params, solution_limit=task.max_iterations)
        share = 1.0 if task.engine == "ortools" else task.ortools_share
        outcomes.append(
            _guarded(
                "ortools", solve_with_ortools, data, time_limit * share, params, initial_routes
            )
        )
        if outcomes[-1].routes is not None:
            initial_routes = outcomes[-1].routes
    if task.engine in ("pyvrp", "ortools+pyvrp"):
        remaining = time_limit - (time.perf_counter() - started)
        if remaining < _MIN_BUDGET_S:
            outcomes.append(EngineOutcome("pyvrp", None, note="no time left to start"))
            return outcomes
        outcomes.append(
            _guarded(
                "pyvrp",
                solve_with_pyvrp,
                data,
                remaining,
                task.seed,
                max_iterations=task.max_iterations,
                initial_routes=initial_routes,
                coordinates=coordinates,
            )
        )
    return outcomes


def _guarded(engine: str, function, *args, **kwargs) -> EngineOutcome:
    try:
        return function(*args, **kwargs)
    except Exception as exc:  # the other engines' plans still count
        log.exception("%s failed", engine)
        return EngineOutcome(engine, None, note=f"failed: {exc!r}")


def _child(
    connection,
    data: IntegerData,
    task: EngineTask,
    time_limit: float,
    deadline_wall: float,
    initial_routes: Sequence[Sequence[int]] | None,
    coordinates: np.ndarray | None,
) -> None:
    """Run one task in a child process until the shared wall-clock deadline, then answer."""
    # time.time() is shared by all processes (perf_counter need not be); the limit also
    # caps the budget should the wall clock jump.
    budget = min(time_limit, deadline_wall - time.time()) - _HANDBACK_S
    if budget < _MIN_BUDGET_S:
        note = f"started too late (process start-up used the time; {budget:.2f}s left)"
        outcomes = [EngineOutcome(task.engine, None, note=note)]
    else:
        try:
            outcomes = run_task(data, task, budget, initial_routes, coordinates)
        except Exception as exc:  # reported to the parent, which keeps the other engines' plans
            outcomes = [EngineOutcome(task.engine, None, note=f"failed: {exc!r}")]
    connection.send(outcomes)
    connection.close()


def run_portfolio(
    data: IntegerData,
    tasks: Sequence[EngineTask],
    time_limit: float,
    *,
    initial_routes: Sequence[Sequence[int]] | None = None,
    coordinates: np.ndarray | None = None,
    start_method: str | None = None,
) -> list[EngineOutcome]:
    """Outcomes of all tasks, in task order, all within `time_limit` seconds from now.

    Returns by then plus a fraction of a second, whatever the children do.
    """
    started = time.perf_counter()
    deadline_wall = time.time() + time_limit
    children: list[tuple[EngineTask, Any, Any]] = []  # task, process, receiving end
    if len(tasks) > 1:
        method = start_method or ("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        context: Any = mp.get_context(method)
        for task in tasks[1:]:
            receiver, sender = context.Pipe(duplex=False)
            args = (data, task, time_limit, deadline_wall, initial_routes, coordinates)
            try:
                process = context.Process(target=_child, args=(sender, *args), daemon=True)
                process.start()
            except (AssertionError, OSError) as exc:  # e.g. inside a daemonic worker
                log.warning("cannot start a solver process (%s); running one engine", exc)
                children.append((task, None, None))
                continue
            sender.close()
            children.append((task, process, receiver))
    own_limit = max(_MIN_BUDGET_S, time_limit - (time.perf_counter() - started))
    outcomes = run_task(data, tasks[0], own_limit, initial_routes, coordinates)
    deadline = started + time_limit + _GRACE_S
    for task, process, receiver in children:
        if process is None:
            outcomes.append(EngineOutcome(task.engine, None, note="not started"))
            continue
        answer = [EngineOutcome(task.engine, None, note="no answer before the deadline")]
        try:
            if receiver.poll(max(0.0, deadline - time.perf_counter())):
                answer = receiver.recv()
        except (EOFError, OSError) as exc:
            answer = [EngineOutcome(task.engine, None, note=f"process died: {exc!r}")]
        process.join(timeout=0.02)  # it exits right after answering; do not wait on its teardown
        if process.is_alive():
            process.terminate()
            process.join(timeout=0.05)
            if process.is_alive():
                process.kill()
        receiver.close()
        outcomes.extend(answer)
    for outcome in outcomes:
        log.info(
            "%s: %s in %.2fs (%d iterations) %s",
            outcome.engine,
            "no plan" if outcome.routes is None else f"objective {outcome.objective}",
            outcome.elapsed_s,
            outcome.iterations,
            outcome.note,
        )
    return outcomes
