"""The core's problems with API field paths: dotted like pydantic's (`lanes.3.to`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from optimizer.errors import InputError, Problem

_INDEX = re.compile(r"\[([^\]]*)\]")


def dotted(field: str, prefix: str = "", index_of: Mapping[str, int] | None = None) -> str:
    """`lanes[3].to` -> `lanes.3.to`; `shipments[S7].origin` -> `shipments.7.origin` with ids."""

    def part(match: re.Match[str]) -> str:
        key = match.group(1)
        if index_of is not None and not key.isdigit() and key in index_of:
            key = str(index_of[key])
        return f".{key}"

    path = _INDEX.sub(part, field)
    return f"{prefix}.{path}" if prefix and path else (prefix or path)


def with_paths(
    exc: InputError, prefix: str = "", index_of: Mapping[str, int] | None = None
) -> InputError:
    """The same problems, their fields rewritten by `dotted`."""
    return InputError(
        [Problem(dotted(p.field, prefix, index_of), p.message, p.code) for p in exc.problems]
    )


def one_shipment(exc: InputError) -> InputError:
    """Problems of a one-shipment list (`shipments[0].x`) named for a `shipment` field."""
    problems = []
    for problem in with_paths(exc).problems:
        field = problem.field
        if field == "shipments.0" or field.startswith("shipments.0."):
            field = "shipment" + field[len("shipments.0") :]
        problems.append(Problem(field, problem.message, problem.code))
    return InputError(problems)
