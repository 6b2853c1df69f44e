"""Job kinds used by the API tests: module-level so worker processes can import them."""

from __future__ import annotations

import os
import time
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.jobs.registry import register_job_kind
from api.limits import MaxItems
from optimizer.errors import InputError, Problem


class CountParams(BaseModel):
    n: int = Field(ge=1, le=100_000)
    step_s: float = Field(0.0, ge=0, le=1)
    values: Annotated[list[int], MaxItems("values", "max_batch_assignments")] = []


def count_to(params: dict[str, Any], progress: Any, should_stop: Any) -> dict[str, Any]:
    """Add 0..n-1 one step at a time, reporting progress; stops early when asked."""
    total = 0
    done = 0
    for i in range(params["n"]):
        if should_stop():
            return {"total": total, "done": done, "stopped": True}
        total += i
        done += 1
        progress(done / params["n"], f"{done} of {params['n']}")
        if params["step_s"]:
            time.sleep(params["step_s"])
    return {"total": total, "done": done, "stopped": False, "values_sum": sum(params["values"])}


def refuse_input(params: dict[str, Any], progress: Any, should_stop: Any) -> dict[str, Any]:
    """Fails the way the core does on bad data: every problem at once."""
    raise InputError(
        [
            Problem("shipments.0.weight_g", "must be positive", "range"),
            Problem("shipments.3.destination", "unknown zone 'ZZ'", "unknown"),
        ]
    )


def crash(params: dict[str, Any], progress: Any, should_stop: Any) -> dict[str, Any]:
    """A bug in a job: an unexpected exception."""
    raise RuntimeError("/secret/path/module.py exploded")


def die(params: dict[str, Any], progress: Any, should_stop: Any) -> dict[str, Any]:
    """The worker process dies mid-job (as on a segfault or the OOM killer)."""
    os._exit(3)


def not_json(params: dict[str, Any], progress: Any, should_stop: Any) -> dict[str, Any]:
    """Returns something that cannot be stored as JSON."""
    return {"when": object()}


register_job_kind("test.count", count_to, params_model=CountParams)
register_job_kind("test.refuse_input", refuse_input)
register_job_kind("test.crash", crash)
register_job_kind("test.die", die)
register_job_kind("test.not_json", not_json)
register_job_kind("test.wcs_count", count_to, params_model=CountParams, roles=["wcs"])
