"""The sorting commands as a user runs them: files in, files out, clear errors, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.cli import main


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory) -> Path:
    """A generated small case on disk (60 chutes, 40 destinations, 3,000 parcels/h for 15 min)."""
    out = tmp_path_factory.mktemp("case")
    code = main(
        [
            "generate",
            "sorter",
            "--chutes",
            "60",
            "--destinations",
            "40",
            "--seed",
            "2",
            "--rate",
            "3000",
            "--hours",
            "0.25",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def plan_file(case_dir) -> Path:
    path = case_dir / "plan.json"
    code = main(
        [
            "sort-plan",
            "--layout",
            str(case_dir / "layout.json"),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--time-limit",
            "5",
            "--out",
            str(path),
        ]
    )
    assert code == 0
    return path


def test_generate_writes_the_three_inputs(case_dir):
    """layout.json, forecast.json and parcels.jsonl are written and readable."""
    layout = json.loads((case_dir / "layout.json").read_text())
    forecast = json.loads((case_dir / "forecast.json").read_text())
    lines = (case_dir / "parcels.jsonl").read_text().splitlines()
    assert len(layout["chutes"]) == 60 and all("id" in c for c in layout["chutes"])
    assert len(forecast["destinations"]) == 40
    first = json.loads(lines[0])
    assert {
        "parcel_id",
        "destination",
        "weight_g",
        "length_mm",
        "width_mm",
        "height_mm",
        "category",
    } <= set(first)


def test_sort_plan_writes_plan_with_report_and_loads(plan_file, capsys):
    """The plan JSON carries the solver report and the expected load of every chute."""
    plan = json.loads(plan_file.read_text())
    assert plan["plan_id"] == plan["sorter_id"] + "-v1"
    assert plan["solve"]["status"] in ("optimal", "feasible")
    assert plan["solve"]["gap"] < 0.02
    assert all(0 <= row["expected_fill"] <= 1 for row in plan["chute_loads"])
    assert all(a["chutes"] for a in plan["assignments"])


def test_sort_plan_prints_summary_and_check(case_dir, tmp_path, capsys):
    """The summary names status, gap and the checker's verdict; --current bumps the version."""
    first = tmp_path / "p1.json"
    args = [
        "sort-plan",
        "--layout",
        str(case_dir / "layout.json"),
        "--forecast",
        str(case_dir / "forecast.json"),
        "--time-limit",
        "3",
    ]
    assert main([*args, "--out", str(first)]) == 0
    out = capsys.readouterr().out
    assert "gap" in out and "check: ok" in out
    second = tmp_path / "p2.json"
    assert main([*args, "--out", str(second), "--current", str(first)]) == 0
    assert json.loads(second.read_text())["version"] == 2
    assert "0 destinations moved" in capsys.readouterr().out


def test_sort_plan_fails_when_the_checker_rejects_the_plan(case_dir, tmp_path, capsys, monkeypatch):
    """An optimizer plan the checker rejects (here: one destination dropped) exits 1, not 0."""
    import dataclasses

    import optimizer.commands.sorting as command

    real = command.optimize_plan

    def losing_a_destination(*args, **kwargs):
        result = real(*args, **kwargs)
        plan = dataclasses.replace(result.plan, assignments=result.plan.assignments[1:])
        return dataclasses.replace(result, plan=plan)

    monkeypatch.setattr(command, "optimize_plan", losing_a_destination)
    args = [
        "sort-plan",
        "--layout",
        str(case_dir / "layout.json"),
        "--forecast",
        str(case_dir / "forecast.json"),
        "--time-limit",
        "2",
        "--out",
        str(tmp_path / "p.json"),
    ]
    code, err = run_error(args, capsys)
    assert code == 1
    assert "has no chute" in err and "fails the checker" in err


def test_reference_plan_failing_the_checker_is_written_for_comparison(case_dir, tmp_path, capsys):
    """The naive plan overfills chutes: its problems are listed, but it is what was asked for."""
    code = main(
        [
            "sort-plan",
            "--layout",
            str(case_dir / "layout.json"),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--method",
            "naive",
            "--out",
            str(tmp_path / "naive.json"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "check:" in err and "of its container" in err and "reference plan" in err


@pytest.mark.parametrize("method", ["naive", "proportional", "capacity-matching"])
@pytest.mark.parametrize("alternates", [False, True])
def test_sort_plan_reference_methods(case_dir, tmp_path, method, alternates):
    """The reference plans can be written with --method, with or without alternate chutes."""
    out = tmp_path / f"{method}.json"
    code = main(
        [
            "sort-plan",
            "--layout",
            str(case_dir / "layout.json"),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--method",
            method,
            "--out",
            str(out),
            *(["--alternates"] if alternates else []),
        ]
    )
    assert code == 0
    plan = json.loads(out.read_text())
    assert plan["method"] == method
    assert any(a["alternates"] for a in plan["assignments"]) is alternates


def test_simulate_prints_summary_and_writes_json(case_dir, plan_file, capsys):
    """simulate replays the scans and writes its report next to the plan by default."""
    code = main(
        [
            "simulate",
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(plan_file),
            "--parcels",
            str(case_dir / "parcels.jsonl"),
        ]
    )
    assert code == 0
    report = json.loads(plan_file.with_suffix(".simulation.json").read_text())
    lines = (case_dir / "parcels.jsonl").read_text().splitlines()
    assert report["parcels"] == len(lines)
    assert "recirculated" in capsys.readouterr().out


def test_simulate_from_forecast(case_dir, plan_file, tmp_path):
    """Without recorded scans, simulate draws Poisson arrivals from the forecast."""
    out = tmp_path / "sim.json"
    code = main(
        [
            "simulate",
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(plan_file),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--hours",
            "0.1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert json.loads(out.read_text())["parcels"] > 0


def test_assign_writes_one_decision_per_scan(case_dir, plan_file, tmp_path):
    """assign answers every scan line with exactly parcel_id, chute_id and reason."""
    out, manifests = tmp_path / "decisions.jsonl", tmp_path / "manifests.jsonl"
    code = main(
        [
            "assign",
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(plan_file),
            "--parcels",
            str(case_dir / "parcels.jsonl"),
            "--out",
            str(out),
            "--manifests",
            str(manifests),
        ]
    )
    assert code == 0
    scans = [json.loads(x) for x in (case_dir / "parcels.jsonl").read_text().splitlines()]
    decisions = [json.loads(x) for x in out.read_text().splitlines()]
    assert [d["parcel_id"] for d in decisions] == [s["parcel_id"] for s in scans]
    assert all(set(d) == {"parcel_id", "chute_id", "reason"} for d in decisions)
    reasons = {d["reason"] for d in decisions}
    assert {"planned", "restricted", "oversize"} <= reasons
    assert all(d["chute_id"] is None for d in decisions if d["reason"] == "recirculate")


def test_assign_applies_chute_events_in_stream_order(case_dir, plan_file, tmp_path, capsys):
    """An event line disables a chute for the scans after it, to stdout by default."""
    plan = json.loads(plan_file.read_text())
    target = plan["assignments"][0]
    chute = target["chutes"][0]["chute_id"]
    scan = {
        "destination": target["destination"],
        "weight_g": 100,
        "length_mm": 100,
        "width_mm": 100,
        "height_mm": 100,
        "category": "general",
    }
    stream = tmp_path / "stream.jsonl"
    lines = [{"event": "disabled", "chute_id": c["chute_id"]} for c in target["chutes"]]
    lines += [{"event": "disabled", "chute_id": c} for c in target["alternates"]]
    lines += [
        {**scan, "parcel_id": "X1"},
        {"event": "enabled", "chute_id": chute},
        {**scan, "parcel_id": "X2"},
    ]
    stream.write_text("\n".join(json.dumps(x) for x in lines))
    assert (
        main(
            [
                "assign",
                "--layout",
                str(case_dir / "layout.json"),
                "--plan",
                str(plan_file),
                "--parcels",
                str(stream),
            ]
        )
        == 0
    )
    decisions = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert decisions == [
        {"parcel_id": "X1", "chute_id": None, "reason": "recirculate"},
        {"parcel_id": "X2", "chute_id": chute, "reason": "planned"},
    ]


def run_error(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    """A missing input file: exit 2 and the file named, no traceback."""
    code, err = run_error(
        [
            "sort-plan",
            "--layout",
            str(tmp_path / "nope.json"),
            "--forecast",
            str(tmp_path / "f.json"),
            "--out",
            str(tmp_path / "p.json"),
        ],
        capsys,
    )
    assert code == 2 and "file not found" in err and "nope.json" in err


def test_bad_layout_fields_are_listed(case_dir, tmp_path, capsys):
    """Every bad field of a layout is printed as 'error: field: message'."""
    layout = json.loads((case_dir / "layout.json").read_text())
    layout["chutes"][3]["capacity_parcels"] = -1
    del layout["speed_m_s"]
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(layout))
    code, err = run_error(
        [
            "sort-plan",
            "--layout",
            str(path),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--out",
            str(tmp_path / "p.json"),
        ],
        capsys,
    )
    assert code == 2
    assert "error: layout.speed_m_s: is required" in err
    assert "error: layout.chutes[3].capacity_parcels: must be an integer >= 1" in err


def test_a_bad_scan_line_is_reported_and_the_others_are_answered(
    case_dir, plan_file, tmp_path, capsys
):
    """A scan with an unknown category names line and field; the lines around it get decisions."""
    lines = (case_dir / "parcels.jsonl").read_text().splitlines()[:3]
    bad = json.loads(lines[1]) | {"category": "fireworks"}
    path = tmp_path / "parcels.jsonl"
    path.write_text("\n".join([lines[0], json.dumps(bad), "{not json", lines[2]]))
    out = tmp_path / "d.jsonl"
    code, err = run_error(
        [
            "assign",
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(plan_file),
            "--parcels",
            str(path),
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 2
    assert "error: parcels.jsonl:2.category: unknown category 'fireworks'" in err
    assert "error: parcels.jsonl:3: not valid JSON" in err
    assert "2 lines refused" in err
    answered = [json.loads(x)["parcel_id"] for x in out.read_text().splitlines()]
    assert answered == [json.loads(lines[0])["parcel_id"], json.loads(lines[2])["parcel_id"]]


def test_assign_answers_each_scan_before_the_next_one_arrives(case_dir, plan_file):
    """Reading standard input, a decision comes back for a scan while the stream is still open."""
    import queue
    import subprocess
    import sys
    import threading

    scans = (case_dir / "parcels.jsonl").read_text().splitlines()[:2]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "optimizer",
            "assign",
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(plan_file),
            "--parcels",
            "-",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    replies: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [replies.put(x) for x in process.stdout], daemon=True).start()
    try:
        answers = []
        for line in scans:
            process.stdin.write(line + "\n")
            process.stdin.flush()
            answers.append(json.loads(replies.get(timeout=60)))  # before the next scan is sent
        process.stdin.close()
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
    assert [a["parcel_id"] for a in answers] == [json.loads(x)["parcel_id"] for x in scans]


def test_bad_event_line_is_an_error(case_dir, plan_file, tmp_path, capsys):
    """An event for a chute that does not exist is refused before any decision."""
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"event": "disabled", "chute_id": "C999"}))
    code, err = run_error(
        [
            "assign",
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(plan_file),
            "--parcels",
            str(path),
        ],
        capsys,
    )
    assert code == 2 and "s.jsonl:1.chute_id" in err


def test_bad_numbers_on_the_command_line(case_dir, plan_file, tmp_path, capsys):
    """A zero time limit or a simulation with neither scans nor forecast is refused."""
    code, err = run_error(
        [
            "sort-plan",
            "--layout",
            str(case_dir / "layout.json"),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--time-limit",
            "0",
            "--out",
            str(tmp_path / "p.json"),
        ],
        capsys,
    )
    assert code == 2 and "error: --time-limit: must be > 0" in err
    code, err = run_error(
        ["simulate", "--layout", str(case_dir / "layout.json"), "--plan", str(plan_file)], capsys
    )
    assert code == 2 and "--parcels" in err


def test_impossible_forecast_is_explained(case_dir, tmp_path, capsys):
    """A forecast no plan can absorb exits 2 with the reason, not a solver failure."""
    forecast = json.loads((case_dir / "forecast.json").read_text())
    for d in forecast["destinations"]:
        d["parcels_per_hour"] *= 100
    path = tmp_path / "forecast.json"
    path.write_text(json.dumps(forecast))
    code, err = run_error(
        [
            "sort-plan",
            "--layout",
            str(case_dir / "layout.json"),
            "--forecast",
            str(path),
            "--out",
            str(tmp_path / "p.json"),
        ],
        capsys,
    )
    assert code == 2 and "no plan can keep" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["generate", "sorter", "--chutes", "5", "--out", "X"], "error: --chutes:"),
        (["generate", "sorter", "--destinations", "0", "--out", "X"], "error: --destinations:"),
        (["generate", "sorter", "--rate", "0", "--out", "X"], "error: --rate: must be > 0"),
        (["sort-plan", "--workers", "0"], "error: --workers: must be >= 1"),
        (["sort-plan", "--move-penalty", "-1"], "error: --move-penalty: must be >= 0"),
        (["simulate", "--hours", "0"], "error: --hours: must be > 0"),
        (["demo-sorting", "--rate", "0"], "error: --rate: must be > 0"),
    ],
)
def test_flag_errors_name_the_flag(case_dir, tmp_path, capsys, args, expected):
    """Out-of-range flags exit 2 with the flag named, before any work is done."""
    files = {
        "sort-plan": [
            "--layout",
            str(case_dir / "layout.json"),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--out",
            str(tmp_path / "p.json"),
        ],
        "simulate": [
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(tmp_path / "p.json"),
            "--parcels",
            str(case_dir / "parcels.jsonl"),
        ],
    }
    argv = [*args, *files.get(args[0], [])]
    argv = [str(tmp_path / "gen") if a == "X" else a for a in argv]
    code, err = run_error(argv, capsys)
    assert code == 2
    assert expected in err


def test_plan_for_another_sorter_is_refused(case_dir, plan_file, tmp_path, capsys):
    """Simulating or assigning with a plan made for a different sorter exits 2."""
    plan = json.loads(plan_file.read_text())
    plan["sorter_id"] = "ELSEWHERE"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(plan))
    code, err = run_error(
        [
            "assign",
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(other),
            "--parcels",
            str(case_dir / "parcels.jsonl"),
        ],
        capsys,
    )
    assert code == 2 and "plan.sorter_id" in err


SCAN = {
    "parcel_id": "P1",
    "destination": "X",
    "weight_g": 1,
    "length_mm": 1,
    "width_mm": 1,
    "height_mm": 1,
    "category": "general",
}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (json.dumps(SCAN | {"category": ["general"]}).encode(), "p.jsonl:1.category: unknown"),
        (json.dumps(SCAN | {"category": {}}).encode(), "p.jsonl:1.category: unknown"),
        (json.dumps(SCAN | {"scan": True}).encode(), "p.jsonl:1.scan: must be an integer"),
        (b"\xff\xfe\n", "p.jsonl:1: not UTF-8 text"),
    ],
)
@pytest.mark.parametrize("command", ["assign", "simulate"])
def test_malformed_scans_are_errors_not_tracebacks(
    case_dir, plan_file, tmp_path, capsys, command, content, expected
):
    """Unhashable categories, boolean scan numbers and non-UTF-8 bytes name line and field."""
    path = tmp_path / "p.jsonl"
    path.write_bytes(content)
    code, err = run_error(
        [
            command,
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(plan_file),
            "--parcels",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    assert code == 2
    assert f"error: {expected}" in err


def test_malformed_event_line_is_an_error(case_dir, plan_file, tmp_path, capsys):
    """An event given as a list names the line and the field."""
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"event": ["full"], "chute_id": ["C001"]}))
    code, err = run_error(
        [
            "assign",
            "--layout",
            str(case_dir / "layout.json"),
            "--plan",
            str(plan_file),
            "--parcels",
            str(path),
        ],
        capsys,
    )
    assert code == 2
    assert "error: s.jsonl:1.event: unknown event ['full']" in err
    assert "error: s.jsonl:1.chute_id: no chute ['C001']" in err


def test_layout_with_malformed_categories_is_an_error(case_dir, tmp_path, capsys):
    """A chute's categories given as nested lists are refused element by element."""
    layout = json.loads((case_dir / "layout.json").read_text())
    layout["chutes"][0]["categories"] = [["general"]]
    layout["chutes"][1]["categories"] = "general"
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(layout))
    code, err = run_error(
        [
            "sort-plan",
            "--layout",
            str(path),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--out",
            str(tmp_path / "p.json"),
        ],
        capsys,
    )
    assert code == 2
    assert "error: layout.chutes[0].categories[0]: unknown category ['general']" in err
    assert "error: layout.chutes[1].categories: must be a non-empty list" in err


@pytest.mark.parametrize("flag", ["--layout", "--forecast", "--out"])
def test_a_directory_where_a_file_is_expected_is_an_error(case_dir, tmp_path, capsys, flag):
    """A directory given as input or output file: exit 2 naming it, no traceback."""
    files = {
        "--layout": str(case_dir / "layout.json"),
        "--forecast": str(case_dir / "forecast.json"),
        "--out": str(tmp_path / "p.json"),
    }
    files[flag] = str(tmp_path)
    code, err = run_error(
        ["sort-plan", "--time-limit", "1", *[x for kv in files.items() for x in kv]], capsys
    )
    assert code == 2
    assert str(tmp_path) in err and "directory" in err


def test_layout_file_that_is_not_utf8_names_the_file(case_dir, tmp_path, capsys):
    """A layout file in another encoding is an input error naming the file."""
    path = tmp_path / "latin.json"
    path.write_bytes('{"sorter_id": "Sorteur-é"}'.encode("latin-1"))
    code, err = run_error(
        [
            "sort-plan",
            "--layout",
            str(path),
            "--forecast",
            str(case_dir / "forecast.json"),
            "--out",
            str(tmp_path / "p.json"),
        ],
        capsys,
    )
    assert code == 2
    assert "error: layout: latin.json is not UTF-8 text" in err
