"""The Solomon reader and the `optimizer vrptw` command, on small files written here."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys

import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.routing.vrp import parse_solomon, read_solomon

TINY = """TINY1

VEHICLE
NUMBER     CAPACITY
  3          20

CUSTOMER
CUST NO.   XCOORD.   YCOORD.    DEMAND   READY TIME   DUE DATE   SERVICE TIME

    0          0       0            0       0          200          0
    1          3       4            5       0          100          2
    2          6       8            5      10           50          2
    3          1       1           15       0          150          1
    4          0       7           10      20           90          3
"""

COORDS = {0: (0, 0), 1: (3, 4), 2: (6, 8), 3: (1, 1), 4: (0, 7)}


@pytest.fixture
def tiny_file(tmp_path):
    path = tmp_path / "TINY1.txt"
    path.write_text(TINY)
    return path


def test_reader_builds_depot_fleet_and_customers(tiny_file):
    """The fleet, the depot hours and every customer's fields come from the file."""
    problem = read_solomon(tiny_file)
    assert problem.name == "TINY1"
    assert len(problem.vehicles) == 3 and problem.vehicles[0].capacity.weight == 20
    assert problem.depots[0].hours.close == 200
    stop = problem.stop("2")
    assert (stop.demand.weight, stop.service_time) == (5, 2)
    assert (stop.windows[0].open, stop.windows[0].close) == (10, 50)
    assert problem.travel.distance[0, 1] == pytest.approx(5.0)


def test_dimacs_convention_truncates_to_one_decimal():
    """Under DIMACS, sqrt(2) becomes 1.4 for both distance and time; Euclidean keeps it exact."""
    exact = parse_solomon(TINY)
    dimacs = parse_solomon(TINY, convention="dimacs")
    depot, c3 = 0, 3
    assert exact.travel.distance[depot, c3] == pytest.approx(math.sqrt(2))
    assert dimacs.travel.distance[depot, c3] == pytest.approx(1.4)
    assert dimacs.travel.duration[depot, c3] == pytest.approx(1.4)


def test_reader_reports_every_bad_line():
    """A malformed row and a due date before the ready time are both reported with line numbers."""
    broken = TINY.replace(
        "    2          6       8            5      10           50", "    2  6  8"
    )
    broken = broken.replace("20           90", "95           90")
    with pytest.raises(InputError) as raised:
        parse_solomon(broken)
    fields = [p.field for p in raised.value.problems]
    assert fields == ["line 12", "line 14"]
    assert "due date 90 before ready time 95" in str(raised.value)


def test_reader_needs_the_vehicle_section():
    """Without the VEHICLE block the reader says what is missing."""
    with pytest.raises(InputError, match="VEHICLE"):
        parse_solomon(TINY.replace("VEHICLE", "VEHICLES?"))


def test_cli_json_has_exactly_the_documented_keys(tiny_file, capsys):
    """--json prints one object with the six keys, the file's ids and the Euclidean distance."""
    code = main(["vrptw", str(tiny_file), "--time-limit", "2", "--json", "--max-iterations", "100"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["instance", "status", "vehicles", "distance", "routes", "solve_time_s"]
    assert out["instance"] == "TINY1" and out["status"] == "feasible"
    assert sorted(c for route in out["routes"] for c in route) == [1, 2, 3, 4]
    assert out["vehicles"] == len(out["routes"])
    total = 0.0
    for route in out["routes"]:
        path = [0, *route, 0]
        total += sum(math.dist(COORDS[a], COORDS[b]) for a, b in itertools.pairwise(path))
    assert out["distance"] == pytest.approx(total, abs=1e-9)
    assert 0 < out["solve_time_s"] <= 2.5


def test_cli_warm_start_from_previous_output(tiny_file, tmp_path, capsys):
    """A previous --json output fed back as --warm-start gives a plan no longer than it."""
    main(["vrptw", str(tiny_file), "--time-limit", "2", "--json", "--max-iterations", "100"])
    first = capsys.readouterr().out
    previous = tmp_path / "previous.json"
    previous.write_text(first)
    args = ["vrptw", str(tiny_file), "--time-limit", "1", "--json", "--max-iterations", "1"]
    assert main([*args, "--warm-start", str(previous)]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["distance"] <= json.loads(first)["distance"] + 1e-9


def test_cli_validate_lists_every_unservable_customer(tmp_path, capsys):
    """--validate --json reports both impossible customers and exits 2, without solving."""
    bad = TINY.replace("15       0          150", "25       0          150")
    bad = bad.replace("10           50", " 0            5")
    path = tmp_path / "BAD.txt"
    path.write_text(bad)
    assert main(["vrptw", str(path), "--time-limit", "1", "--validate", "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is False
    assert [p["code"] for p in out["problems"]] == ["window_unreachable", "over_capacity"]


def test_cli_infeasible_instance_names_the_customer_without_traceback(tmp_path):
    """Solving an impossible instance prints `error: field: message` lines and exits 2."""
    path = tmp_path / "BAD.txt"
    path.write_text(TINY.replace("15       0          150", "25       0          150"))
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "vrptw", str(path), "--time-limit", "1"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "error: stops[2] (3): demand weight 25 is above every vehicle's capacity" in run.stderr


def test_cli_rejects_bad_arguments_cleanly(tiny_file, capsys):
    """A non-positive time limit and a missing file are refused with a message, not a traceback."""
    with pytest.raises(SystemExit) as exited:
        main(["vrptw", str(tiny_file), "--time-limit", "0"])
    assert exited.value.code == 2
    assert "must be > 0" in capsys.readouterr().err
    assert main(["vrptw", "/nonexistent/R101.txt", "--time-limit", "1"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_cli_warm_start_with_more_routes_than_vehicles(tiny_file, tmp_path, capsys):
    """A previous plan from a bigger fleet is used as far as it goes; the rest is planned afresh."""
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps({"routes": [[1], [2], [3], [4]]}))
    args = ["vrptw", str(tiny_file), "--time-limit", "1", "--json", "--max-iterations", "50"]
    assert main([*args, "--warm-start", str(previous)]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert sorted(c for route in out["routes"] for c in route) == [1, 2, 3, 4]
    assert "4 routes for 3 vehicles" in captured.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"routes": [5, [1]]}', "routes[0]: must be a list of customer ids"),
        ('{"routes": [[1, true]]}', "routes[0]: must be a list of customer ids"),
        ('{"plan": []}', "has no 'routes' list"),
        ('{"routes": [[1, NaN]]}', "NaN is not a JSON value"),
    ],
)
def test_cli_malformed_warm_start_is_an_input_error(tiny_file, tmp_path, capsys, content, message):
    """A warm-start file of the wrong shape is named, exit 2, never a traceback."""
    previous = tmp_path / "previous.json"
    previous.write_text(content)
    args = ["vrptw", str(tiny_file), "--time-limit", "1", "--warm-start", str(previous)]
    assert main(args) == 2
    assert message in capsys.readouterr().err
