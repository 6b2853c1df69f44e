"""Shared benchmark fixtures: the mode (fast in `make test`, full in `make bench`)."""

from __future__ import annotations

import pytest

from benchmarks.report import bench_mode


@pytest.fixture(scope="session")
def mode() -> str:
    return bench_mode()
