"""The sorting demo: the whole job end to end, as `make demo` runs it (here on a small case)."""

from __future__ import annotations

import json

from optimizer.cli import main
from optimizer.sorting import run_sorting_demo


def test_demo_runs_the_job_end_to_end(tmp_path):
    """Generate, optimize, simulate against naive, stream every scan: files and report agree."""
    report = run_sorting_demo(
        tmp_path, chutes=60, destinations=60, seed=2, time_limit_s=3.0, rate=3000.0
    )
    assert report.check.ok
    assert report.optimized.parcels == report.naive.parcels == report.parcels
    # A small, lightly loaded sorter: second loops come mostly from the swap round, so the
    # telling figures are overflows and container load (the 300-chute case is benchmarked).
    assert report.optimized.overflow_events < report.naive.overflow_events
    assert report.optimized.utilisation_max < report.naive.utilisation_max
    assert len(report.stream.decisions) == report.parcels
    decisions = (tmp_path / "decisions.jsonl").read_text().splitlines()
    assert len(decisions) == report.parcels
    simulation = json.loads((tmp_path / "simulation.json").read_text())
    assert simulation["optimized"]["parcels"] == report.parcels
    text = "\n".join(report.lines())
    for phrase in ("gap", "checker: ok", "parcels needing a second loop", "p99", "planned"):
        assert phrase in text


def test_demo_command_prints_the_report(tmp_path, capsys):
    """`optimizer demo` prints the report; bad flags are refused with the flag named."""
    args = [
        "demo-sorting",
        "--out",
        str(tmp_path),
        "--chutes",
        "60",
        "--destinations",
        "50",
        "--rate",
        "3000",
        "--time-limit",
        "2",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "== sorting ==" in out and "recirculated" in out
    assert main([*args[:-1], "0"]) == 2
    assert "--time-limit: must be > 0" in capsys.readouterr().err
