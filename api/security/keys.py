"""Issuing, listing and revoking API keys. Only a sha256 of each secret is stored.

A key reads `opk_<key id>_<secret>`: the id finds the row, the secret (32 random
bytes) is checked against the stored hash in constant time. High-entropy secrets
need no slow password hash.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import ApiKeyRow
from api.db.types import utcnow
from api.security.principal import ALL, Principal, Role, parse_scope
from optimizer.errors import InputError, Problem

KEY_PREFIX = "opk"
ID_HEX_CHARS = 12
SCOPED_ROLES = {Role.WCS: "sorter", Role.CARRIER: "carrier"}


@dataclass(frozen=True)
class KeyInfo:
    """A stored key as shown to admins: never the secret."""

    id: str
    name: str
    roles: tuple[str, ...]
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: ApiKeyRow) -> KeyInfo:
        return cls(
            id=row.id,
            name=row.name,
            roles=tuple(row.roles),
            scopes=tuple(row.scopes),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key: `secret` is shown once and never stored."""

    info: KeyInfo
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(secret: str) -> str | None:
    """The id embedded in a presented key, or None when it is not shaped like one of ours."""
    prefix, sep, rest = secret.partition("_")
    key_id, sep2, tail = rest.partition("_")
    if prefix != KEY_PREFIX or not sep or not sep2 or not tail or len(key_id) != ID_HEX_CHARS:
        return None
    return key_id


def principal_of(row: ApiKeyRow) -> Principal:
    return Principal(
        key_id=row.id,
        name=row.name,
        roles=frozenset(Role(r) for r in row.roles),
        scopes=frozenset(row.scopes),
    )


def validate_grant(roles: Iterable[str], scopes: Iterable[str]) -> tuple[list[str], list[str]]:
    """Roles and scopes checked together; every problem is reported at once."""
    problems: list[Problem] = []
    role_set: set[Role] = set()
    for role in roles:
        try:
            role_set.add(Role(role))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            problems.append(Problem("roles", f"unknown role {role!r} (known: {known})"))
    if not role_set and not problems:
        problems.append(Problem("roles", "at least one role is needed"))
    scope_set = set(scopes)
    kinds: set[str] = set()
    for scope in sorted(scope_set):
        try:
            kinds.add(parse_scope(scope)[0])
        except ValueError as exc:
            problems.append(Problem("scopes", str(exc)))
    if not scope_set and role_set and role_set <= {Role.PLANNER, Role.ADMIN}:
        scope_set = {ALL}
        kinds = {ALL}
    for role, kind in SCOPED_ROLES.items():
        if role in role_set and not kinds & {kind, ALL}:
            problems.append(
                Problem("scopes", f"a {role.value} key needs a scope '{kind}:ID' (or '*')")
            )
    if Role.ADMIN in role_set and ALL not in scope_set:
        problems.append(Problem("scopes", "an admin key must have scope '*'"))
    if problems:
        raise InputError(problems)
    return sorted(r.value for r in role_set), sorted(scope_set)


def create_key(
    session: Session, roles: Iterable[str], scopes: Iterable[str] = (), name: str = ""
) -> IssuedKey:
    """Add a key (the caller commits); the returned secret is the only copy."""
    role_list, scope_list = validate_grant(roles, scopes)
    if len(name) > 100:
        raise InputError("at most 100 characters", field="name")
    key_id = secrets.token_hex(ID_HEX_CHARS // 2)
    secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKeyRow(
        id=key_id,
        name=name,
        key_hash=hash_key(secret),
        roles=role_list,
        scopes=scope_list,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return IssuedKey(info=KeyInfo.from_row(row), secret=secret)


def list_keys(session: Session, include_revoked: bool = False) -> list[KeyInfo]:
    query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
    if not include_revoked:
        query = query.where(ApiKeyRow.revoked_at.is_(None))
    return [KeyInfo.from_row(row) for row in session.scalars(query)]


def revoke_key(session: Session, key_id: str) -> KeyInfo | None:
    """Revoke (idempotently); None when no such key exists. The caller commits."""
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return KeyInfo.from_row(row)


DEV_KEY_FILE = "dev-key"


@dataclass(frozen=True)
class DevelopmentKey:
    info: KeyInfo
    secret: str
    issued_now: bool


def development_key(session: Session, state_dir: Path) -> DevelopmentKey:
    """The development key (planner, wcs, admin), the same across runs; the caller commits.

    The secret is kept in `state_dir/dev-key` (mode 0600) so that `make demo` and
    `make serve` both print a key that works; a revoked or lost one is reissued.
    Development only: production issues keys with `optimizer keys create`.
    """
    path = state_dir / DEV_KEY_FILE
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        secret = ""
    key_id = key_id_of(secret)
    row = session.get(ApiKeyRow, key_id) if key_id else None
    if (
        row is not None
        and row.revoked_at is None
        and secrets.compare_digest(row.key_hash, hash_key(secret))
    ):
        return DevelopmentKey(KeyInfo.from_row(row), secret, issued_now=False)
    issued = create_key(session, ["planner", "wcs", "admin"], [ALL], name="development key")
    state_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # O_CREAT's mode applies only to a new file
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(issued.secret + "\n")
    return DevelopmentKey(issued.info, issued.secret, issued_now=True)
