"""What one app instance holds: settings, database, keys, jobs, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from api.db.engine import Database
from api.jobs.runner import JobRunner
from api.metrics import Metrics
from api.security.keyring import KeyRing
from api.settings import Settings


@dataclass
class Services:
    settings: Settings
    database: Database
    keyring: KeyRing
    jobs: JobRunner
    metrics: Metrics
