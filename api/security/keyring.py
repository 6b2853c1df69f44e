"""Key verification with a short in-memory cache, so the hot path never waits on the database.

A key revoked in another process (the CLI) stops working within `ttl_s`;
revoked through this process's API it stops at once.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.db.models import ApiKeyRow
from api.security.keys import hash_key, key_id_of, principal_of
from api.security.principal import Principal

MAX_CACHED = 10_000


@dataclass(frozen=True)
class _Entry:
    key_hash: str | None  # None: no such key (or revoked)
    principal: Principal | None
    expires: float


class KeyRing:
    """Finds the principal behind a presented key."""

    MISS = object()

    def __init__(self, sessions: Callable[[], Session] | None, ttl_s: float) -> None:
        self._sessions = sessions
        self._ttl = ttl_s
        self._cache: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def cached(self, presented: str) -> Principal | object | None:
        """The principal from cache, None when known bad, `KeyRing.MISS` when a lookup is due."""
        key_id = key_id_of(presented)
        if key_id is None:
            return None
        entry = self._cache.get(key_id)
        if entry is None or entry.expires < time.monotonic():
            return self.MISS
        return self._check(entry, presented)

    def verify(self, presented: str) -> Principal | None:
        """The principal behind `presented`, reading the database when the cache is cold."""
        found = self.cached(presented)
        if found is not self.MISS:
            return found  # type: ignore[return-value]
        key_id = key_id_of(presented)
        assert key_id is not None and self._sessions is not None
        with self._sessions() as session:
            entry = self._load(session, key_id)
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[key_id] = entry
        return self._check(entry, presented)

    def invalidate(self, key_id: str) -> None:
        with self._lock:
            self._cache.pop(key_id, None)

    def _load(self, session: Session, key_id: str) -> _Entry:
        expires = time.monotonic() + self._ttl
        row = session.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None:
            return _Entry(None, None, expires)
        return _Entry(row.key_hash, principal_of(row), expires)

    @staticmethod
    def _check(entry: _Entry, presented: str) -> Principal | None:
        if entry.key_hash is None:
            return None
        if not hmac.compare_digest(entry.key_hash, hash_key(presented)):
            return None
        return entry.principal
