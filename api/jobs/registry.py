"""Job kinds: a name bound to a function that runs in a worker process.

`func(params, progress, should_stop) -> dict` must be a module-level function
(it is pickled by reference into the worker), take JSON-like params, call
`progress(fraction, message)` now and then, return early with a partial result
when `should_stop()` turns true, and return a JSON-serialisable dict. Raising
`optimizer.errors.InputError` fails the job with every problem listed.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from api.security.principal import Role


class Progress(Protocol):
    def __call__(self, fraction: float, message: str = "") -> None: ...


JobFunction = Callable[[dict[str, Any], Progress, Callable[[], bool]], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    """A registered kind: what runs, which params it accepts, and who may start it."""

    name: str
    func: JobFunction
    params_model: type[BaseModel] | None = None
    roles: frozenset[Role] = field(default_factory=lambda: frozenset({Role.PLANNER}))
    description: str = ""


_KINDS: dict[str, JobKind] = {}


def register_job_kind(
    name: str,
    func: JobFunction,
    *,
    params_model: type[BaseModel] | None = None,
    roles: Iterable[Role | str] = (Role.PLANNER,),
    description: str = "",
) -> JobKind:
    """Make `name` runnable as a job; registering the same function again is a no-op."""
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-" for c in name):
        raise ValueError(f"job kind name {name!r}: 1-64 letters, digits, '.', '_' or '-'")
    qualname = getattr(func, "__qualname__", "")
    if "<locals>" in qualname or "<lambda>" in qualname:
        raise TypeError(f"job kind {name!r}: the function must be defined at module level")
    try:
        pickle.dumps(func)
    except Exception as exc:
        raise TypeError(f"job kind {name!r}: the function cannot be pickled ({exc})") from None
    if not description and func.__doc__:
        description = func.__doc__.strip().splitlines()[0]
    kind = JobKind(
        name=name,
        func=func,
        params_model=params_model,
        roles=frozenset(Role(r) for r in roles),
        description=description,
    )
    existing = _KINDS.get(name)
    if existing is not None and existing.func is not func:  # two modules claim one name
        raise ValueError(f"job kind {name!r} is already registered to another function")
    _KINDS[name] = kind
    return kind


def get_job_kind(name: str) -> JobKind | None:
    return _KINDS.get(name)


def job_kinds() -> list[JobKind]:
    return [_KINDS[name] for name in sorted(_KINDS)]
