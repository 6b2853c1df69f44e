"""What one app instance holds: settings, database, keys, jobs, metrics, live sorters."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.db.engine import Database
from api.jobs.runner import JobRunner
from api.metrics import Metrics
from api.routing.cache import RoutingCache
from api.security.keyring import KeyRing
from api.settings import Settings
from api.sorting.runtime import SortingState


@dataclass
class Services:
    settings: Settings
    database: Database
    keyring: KeyRing
    jobs: JobRunner
    metrics: Metrics
    sorting: SortingState
    routing: RoutingCache = field(default_factory=RoutingCache)
