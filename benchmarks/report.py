"""Write one named section of benchmarks/RESULTS.md, leaving the other sections alone."""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def bench_mode() -> str:
    """`fast` (make test: small, quick, assert only) or `full` (make bench: writes RESULTS.md)."""
    mode = os.environ.get("BENCH_MODE", "fast")
    if mode not in ("fast", "full"):
        raise ValueError(f"BENCH_MODE must be fast or full, not {mode!r}")
    return mode


def machine_line() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )


def update_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace the text between `<!-- BEGIN name -->` and `<!-- END name -->` (append if absent)."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
