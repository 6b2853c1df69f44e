"""Who is calling: roles say what a key may do, scopes say on which sorters and carriers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    WCS = "wcs"  # warehouse control system at a sorter
    CARRIER = "carrier"  # a carrier's system: its own legs and events
    PLANNER = "planner"  # network planner: routing, jobs, scorecards
    ADMIN = "admin"  # everything, including keys


SCOPE_KINDS = ("sorter", "carrier")
ALL = "*"
SCOPE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def parse_scope(scope: str) -> tuple[str, str]:
    """('sorter', 'S1') from 'sorter:S1', ('*', '*') from '*'; ValueError says what is wrong."""
    if scope == ALL:
        return ALL, ALL
    kind, sep, ident = scope.partition(":")
    if not sep or kind not in SCOPE_KINDS:
        raise ValueError(f"scope {scope!r} must be '*', 'sorter:ID' or 'carrier:ID'")
    if not SCOPE_ID.match(ident):
        raise ValueError(f"scope {scope!r}: the id must be 1-64 letters, digits, '.', '_' or '-'")
    return kind, ident


@dataclass(frozen=True)
class Principal:
    """An authenticated key: its id, roles and scopes."""

    key_id: str
    name: str
    roles: frozenset[Role]
    scopes: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def has_any_role(self, roles: frozenset[Role]) -> bool:
        """Admin may do anything; otherwise one of `roles` is needed (none asked: any key)."""
        return not roles or self.is_admin or bool(self.roles & roles)

    def in_scope(self, scope: str) -> bool:
        return ALL in self.scopes or scope in self.scopes

    def scoped_ids(self, kind: str) -> frozenset[str] | None:
        """The sorter or carrier ids this key covers; None means all of them."""
        if ALL in self.scopes:
            return None
        prefix = f"{kind}:"
        return frozenset(s[len(prefix) :] for s in self.scopes if s.startswith(prefix))
