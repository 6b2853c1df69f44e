"""The README sorting examples are real: valid together, and they give the decisions shown."""

from __future__ import annotations

import json
import re

from optimizer.settings import REPO_ROOT
from optimizer.sorting import (
    Assigner,
    check_plan,
    forecast_from_dict,
    layout_from_dict,
    plan_from_dict,
    scans_from_lines,
)


def sorting_blocks() -> dict[str, list[str]]:
    text = (REPO_ROOT / "README.md").read_text()
    section = text[text.index("## Sorting\n") :]
    section = section[: section.index("\n## ", 1)]
    blocks: dict[str, list[str]] = {}
    for kind, body in re.findall(r"```(jsonl|json)\n(.*?)```", section, re.S):
        blocks.setdefault(kind, []).append(body)
    return blocks


def test_readme_examples_load_check_and_assign():
    """Layout, forecast and plan examples are valid together; the scans give the decisions shown."""
    blocks = sorting_blocks()
    layout_text, forecast_text, plan_text = blocks["json"]
    layout = layout_from_dict(json.loads(layout_text))
    forecast = forecast_from_dict(json.loads(forecast_text))
    plan = plan_from_dict(json.loads(plan_text))
    assert check_plan(plan, layout, forecast).ok
    scans_text, decisions_text = blocks["jsonl"]
    scans = scans_from_lines(
        enumerate((json.loads(x) for x in scans_text.splitlines()), start=1), "README"
    )
    assigner = Assigner(layout, plan)
    got = [assigner.assign_scan(s).to_dict() for s in scans]
    assert got == [json.loads(x) for x in decisions_text.splitlines()]
