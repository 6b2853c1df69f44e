"""Errors the core raises, shaped so callers (CLI, API) can name the offending field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong."""

    field: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def capped(problems: list[Problem], limit: int) -> list[Problem]:
    """At most `limit` problems, plus one line saying how many more there were: a file with
    thousands of bad records gets an answer a person can read."""
    if len(problems) <= limit:
        return list(problems)
    rest = len(problems) - limit
    return [*problems[:limit], Problem("", f"... and {rest} more problems", "truncated")]


class OptimizerError(Exception):
    """Base class of every error the core raises on purpose."""


class InputError(OptimizerError, ValueError):
    """The caller's data is wrong; `problems` lists every defect found, not just the first."""

    def __init__(self, problems: list[Problem] | str, field: str = "", code: str = "invalid"):
        if isinstance(problems, str):
            problems = [Problem(field=field, message=problems, code=code)]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def field(self) -> str:
        return self.problems[0].field if self.problems else ""


class InfeasibleError(InputError):
    """The data is well-formed but no solution can exist; the problems say why."""
