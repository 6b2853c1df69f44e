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
    assert fields == {"stops[0].windows[0].close", "vehicles[1].id", "stops[2].service_time"}


def defects(mutate) -> dict[str, str]:
    """The problems reading PROBLEM after `mutate(copy)` reports, by field."""
    broken = json.loads(json.dumps(PROBLEM))
    mutate(broken)
    with pytest.raises(InputError) as raised:
        problem_from_dict(broken)
    return {p.field: p.message for p in raised.value.problems}


@pytest.mark.parametrize(
    ("where", "value", "field", "message"),
    [
        (("stops", 0, "colour"), "red", "stops[0].colour", "unknown field"),
        ((None, "extra"), 1, "extra", "unknown field"),
        (("vehicles", 0, "capacity", "height"), 2, "vehicles[0].capacity.height", "unknown field"),
        (("stops", 1, "service_time"), -5, "stops[1].service_time", "must be >= 0"),
        (("stops", 1, "service_time"), math.nan, "stops[1].service_time", "finite"),
        (("vehicles", 1, "fixed_cost"), math.inf, "vehicles[1].fixed_cost", "finite"),
        (("vehicles", 0, "max_duration"), math.inf, "vehicles[0].max_duration", "write null"),
        (("vehicles", 0, "capacity", "weight"), -1, "vehicles[0].capacity.weight", ">= 0"),
        (("stops", 3, "drop_penalty"), math.nan, "stops[3].drop_penalty", "finite"),
        (("stops", 0, "windows"), [[0, math.inf]], "stops[0].windows[0][1]", "write null"),
        (("stops", 0, "windows"), [[-1, 5]], "stops[0].windows[0][0]", ">= 0"),
        (("stops", 0, "windows"), [[0]], "stops[0].windows[0]", "[open, close]"),
        (("stops", 1, "soft"), "false", "stops[1].soft", "true or false"),
        (("stops", 3, "required"), 0, "stops[3].required", "true or false"),
        (("stops", 0, "location"), 1.5, "stops[0].location", "integer"),
        (("depots", 0, "location"), True, "depots[0].location", "integer"),
        (("stops", 0, "id"), None, "stops[0].id", "non-empty string"),
        (("locations", 2), [1, math.nan], "locations[2][1]", "finite"),
        ((None, "speed"), 0.5, "speed", "only applies"),
        ((None, "name"), 3, "name", "string"),
        (("pairs", 0, "pickup"), ["pick"], "pairs[0].pickup", "non-empty string"),
    ],
)
def test_strict_reader_names_the_field(where, value, field, message):
    """Unknown, negative, NaN, infinite or mistyped fields are input errors naming the field."""

    def mutate(data):
        target = data
        *parents, key = where
        for part in parents:
            if part is not None:
                target = target[part]
        if key == "speed":  # speed is only meaningful with locations: swap to a matrix first
            data["matrix"] = {"distance": [[0]], "duration": [[0]]}
            del data["locations"]
        target[key] = value

    found = defects(mutate)
    assert field in found, found
    assert message in found[field]


@pytest.mark.parametrize("field", ["depots", "vehicles", "stops"])
def test_missing_section_is_named(field):
    """A problem without its depots, vehicles or stops says which is missing."""
    found = defects(lambda data: data.pop(field))
    assert found == {field: "is required"}


def test_every_bad_field_of_one_object_is_reported():
    """A stop with three bad fields gets three problems, not just the first."""

    def mutate(data):
        data["stops"][0].update(service_time=-1, soft="yes", demand={"weight": math.nan})

    found = defects(mutate)
    assert {"stops[0].service_time", "stops[0].soft", "stops[0].demand.weight"} <= set(found)


def test_both_locations_and_matrix_is_refused():
    """Travel must come from exactly one source."""

    def mutate(data):
        data["matrix"] = {"distance": [[0]], "duration": [[0]]}

    assert "either 'locations'" in defects(mutate)["locations"]


def test_matrix_entries_are_checked_one_by_one():
    """A negative or NaN matrix entry is named by its row and column."""
    data = json.loads(json.dumps(PROBLEM))
    del data["locations"]
    data["matrix"] = {"distance": [[0, 1], [-1, 0]], "duration": [[0, math.nan], [1, 0]]}
    data["stops"], data["pairs"] = [], []
    with pytest.raises(InputError) as raised:
        problem_from_dict(data)
    fields = {p.field for p in raised.value.problems}
    assert fields == {"matrix.distance[1][0]", "matrix.duration[0][1]"}


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


def test_plan_reads_back_from_a_result_and_names_bad_routes():
    """A result's JSON is a valid warm start; a malformed plan names the route and entry."""
    from optimizer.routing.vrp import SolveOptions, plan_from_dict, result_to_dict, solve

    problem = problem_from_dict(PROBLEM)
    result = solve(problem, 1.0, options=SolveOptions(workers=1, max_iterations=20))
    assert plan_from_dict(json.loads(json.dumps(result_to_dict(result)))) == result.plan()
    with pytest.raises(InputError) as raised:
        plan_from_dict({"routes": [{"vehicle_id": "van", "stops": ["pick", None]}, 7]})
    assert {p.field for p in raised.value.problems} == {"routes[0].stops[1]", "routes[1]"}
    with pytest.raises(InputError) as raised:
        plan_from_dict({"routes": [{"stops": []}]})
    assert raised.value.field == "routes[0].vehicle_id"
