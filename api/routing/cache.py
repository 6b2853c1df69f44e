"""Caches of what is costly to rebuild and never changes: parsed network versions, timetables.

A stored network version is immutable, so its parsed form can be kept; a timetable
depends on the network version, the carrier-score inputs and the horizon, all in
its key. Small LRUs: the single-itinerary endpoint and tracking events reuse them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Lru(Generic[V]):
    """A thread-safe least-recently-used map; values are built outside the lock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


class RoutingCache:
    """One per app (in `Services`): parsed networks, timetables and carrier scores."""

    def __init__(self, networks: int = 8, timetables: int = 16, scores: int = 8) -> None:
        self.networks: Lru[object] = Lru(networks)
        self.timetables: Lru[object] = Lru(timetables)
        self.scores: Lru[object] = Lru(scores)
