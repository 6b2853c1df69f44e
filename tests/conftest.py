"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.settings import data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The benchmark data directory, or a skip that says how to get it."""
    found = data_dir()
    if found is None:
        pytest.skip(
            "benchmark data not found: set OPTIMIZER_DATA_DIR to a folder holding "
            "vrptw/solomon/*.txt (see README, 'Benchmark data')"
        )
    return found
