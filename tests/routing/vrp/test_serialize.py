"""The JSON problem format and the `optimizer vrp` command."""

from __future__ import annotations

import json
import math

import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.routing.vrp import (
    PickupDelivery,
    SkipReason,
    check_result,
    problem_from_dict,
    problem_to_dict,
)
from tests.routing.vrp.builders import line_problem, load, window

PROBLEM = {
    "name": "city",
    "locations": [[0, 0], [4, 0], [8, 0], [0, 6], [30, 0]],
    "depots": [{"id": "hub", "location": 0, "hours": [0, 200]}],
    "vehicles": [
        {"id": "van", "start_depot": "hub", "capacity": {"weight": 10}, "shift": [0, 100]},
        {"id": "truck", "start_depot": "hub", "fixed_cost": 40, "duration_cost": 0.1},
    ],
    "stops": [
        {"id": "pick", "location": 1, "demand": {"weight": 4}, "windows": [[0, 50]]},
        {"id": "drop", "location": 2, "windows": [[0, 60], [80, None]]},
        {"id": "late", "location": 3, "windows": [[0, 5]], "soft": True, "lateness_penalty": 1},
        {"id": "far", "location": 4, "required": False, "drop_penalty": 5},
    ],
    "pairs": [{"pickup": "pick", "delivery": "drop"}],
}


def test_problem_reads_every_feature():
    """Capacity defaults to unlimited, null closes are open-ended, pairs and soft windows kept."""
    problem = problem_from_dict(PROBLEM)
    assert problem.vehicles[1].capacity.weight == math.inf
    assert problem.stop("drop").windows[1].close == math.inf
    assert problem.stop("late").soft
    assert problem.pairs == (PickupDelivery("pick", "drop"),)


def test_every_defect_is_reported_with_its_path():
    """A bad window, a missing id and an unknown field type are all named at once."""
    broken = json.loads(json.dumps(PROBLEM))
    broken["stops"][0]["windows"] = [[50, 10]]
    del broken["vehicles"][1]["id"]
    broken["stops"][2]["service_time"] = "ten"
    with pytest.raises(InputError) as raised:
        problem_from_dict(broken)
    fields = {p.field for p in raised.value.problems}
    assert {"stops[0].close", "vehicles[1]", "stops[2]"} <= fields


def test_round_trip_keeps_the_problem():
    """problem_to_dict then problem_from_dict gives back an equivalent problem."""
    original = line_problem(
        [2, 4],
        stops=[
            {"demand": load(3), "windows": window(0, 9)},
            {"required": False, "drop_penalty": 2},
        ],
        vehicles=[{"max_duration": 50}],
    )
    again = problem_from_dict(json.loads(json.dumps(problem_to_dict(original))))
    assert again.stops == original.stops and again.vehicles == original.vehicles
    assert (again.travel.distance == original.travel.distance).all()


def test_vrp_command_prints_a_checked_result(tmp_path, capsys):
    """`optimizer vrp` solves the JSON problem and the printed plan passes the checker."""
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(PROBLEM))
    args = ["vrp", str(path), "--time-limit", "2", "--max-iterations", "100"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "feasible"
    assert [s["reason"] for s in out["skipped"]] == [str(SkipReason.NOT_WORTH_SERVING)]
    routes = {r["vehicle_id"]: r["stop_ids"] for r in out["routes"]}
    pick_route = next(stops for stops in routes.values() if "pick" in stops)
    assert pick_route.index("pick") < pick_route.index("drop")
    from optimizer.routing.vrp import Plan, SolveOptions, solve

    problem = problem_from_dict(PROBLEM)
    again = solve(
        problem,
        1.0,
        warm_start=Plan.from_mapping(routes),
        options=SolveOptions(max_iterations=1, workers=1),
    )
    assert check_result(problem, again).feasible
    assert again.objective <= out["objective"] + 1e-9


def test_vrp_command_validate_and_bad_json(tmp_path, capsys):
    """--validate reports unreachable optional stops; a broken file is an input error (exit 2)."""
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(PROBLEM))
    assert main(["vrp", str(path), "--time-limit", "1", "--validate"]) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True
    path.write_text("{not json")
    assert main(["vrp", str(path), "--time-limit", "1"]) == 2
    assert "not valid JSON" in capsys.readouterr().err
