"""Where the core finds shared benchmark data."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path | None:
    """The benchmark data directory: $OPTIMIZER_DATA_DIR, else ../shared/data next to the repo.

    Returns None when neither exists, so callers can skip with a reason.
    """
    configured = os.environ.get("OPTIMIZER_DATA_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    return None
