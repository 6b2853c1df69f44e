"""Prometheus metrics, one registry per app (so tests can build many apps side by side)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from optimizer.sorting import Reason

log = logging.getLogger("optimizer.api.metrics")

# Fine at the low end: a WCS assignment over HTTP should take a few milliseconds.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip

# Inside the handler a decision takes microseconds; a batch of a thousand, milliseconds.
ASSIGNMENT_BUCKETS = (
    0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05,
)  # fmt: skip

JobCounts = Callable[[], dict[tuple[str, str], int]]


class Metrics:
    """The service's metrics: request latency by route, job counts, assignments."""

    def __init__(self, job_counts: JobCounts | None = None) -> None:
        self.registry = CollectorRegistry()
        self.request_latency = Histogram(
            "optimizer_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.assignments = Counter(
            "optimizer_assignments",
            "Parcels assigned to a chute, by sorter and reason code",
            ["sorter_id", "reason"],
            registry=self.registry,
        )
        self.assignment_latency = Histogram(
            "optimizer_assignment_seconds",
            "Time in the assignment handler (validation and decisions), by sorter and form",
            ["sorter_id", "form"],
            buckets=ASSIGNMENT_BUCKETS,
            registry=self.registry,
        )
        self.tracking_events = Counter(
            "optimizer_tracking_events",
            "Carrier tracking events accepted, by type and whether they re-planned the shipment",
            ["type", "replanned"],
            registry=self.registry,
        )
        if job_counts is not None:
            self.registry.register(_JobCollector(job_counts))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_latency.labels(method, route, str(status)).observe(seconds)

    def assignment_meters(self, sorter_id: str) -> AssignmentMeters:
        """A sorter's labelled counters and histograms, looked up once, not per parcel."""
        return AssignmentMeters(
            {reason: self.assignments.labels(sorter_id, reason) for reason in REASONS},
            self.assignment_latency.labels(sorter_id, "single"),
            self.assignment_latency.labels(sorter_id, "batch"),
        )

    def count_tracking_event(self, event_type: str, replanned: bool) -> None:
        self.tracking_events.labels(event_type, "yes" if replanned else "no").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


REASONS = tuple(r.value for r in Reason)  # the core's reason codes, one counter each


@dataclass(frozen=True)
class AssignmentMeters:
    """One sorter's assignment metrics: counts by reason code, handler latency by form."""

    by_reason: dict[str, Any]
    single: Any
    batch: Any


class _JobCollector(Collector):
    """Job counts read from the database at scrape time (jobs outlive processes)."""

    def __init__(self, job_counts: JobCounts) -> None:
        self._job_counts = job_counts

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "optimizer_jobs", "Jobs in the database, by kind and status", labels=["kind", "status"]
        )
        try:
            counts = self._job_counts()
        except Exception:  # a scrape must not fail because the database is briefly away
            log.warning("could not count jobs for metrics", exc_info=True)
            counts = {}
        for (kind, status), count in sorted(counts.items()):
            family.add_metric([kind, status], count)
        yield family
