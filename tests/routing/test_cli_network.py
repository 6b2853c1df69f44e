"""The generate / plan / whatif / itinerary commands end to end on small inputs."""

from __future__ import annotations

import json

import pytest

from optimizer.cli import main
from optimizer.routing.check import check_plan
from optimizer.routing.network_json import load_network
from optimizer.routing.plan_json import load_itineraries
from optimizer.routing.scores import load_outcomes, risk_inputs, score_lanes
from optimizer.routing.shipments import load_shipments


def test_generate_plan_whatif(tmp_path, capsys):
    """Generated files plan into a checker-clean plan.json; whatif prints both columns."""
    out = tmp_path / "data"
    assert main(["generate", "network", "--countries", "3", "--shipments", "300", "--seed", "2",
                 "--out", str(out)]) == 0  # fmt: skip
    assert {p.name for p in out.iterdir()} == {"network.json", "shipments.jsonl", "events.jsonl"}
    plan_path = tmp_path / "plan.json"
    code = main(["plan", "--network", str(out / "network.json"), "--shipments",
                 str(out / "shipments.jsonl"), "--time-limit", "5", "--out", str(plan_path),
                 "--events", str(out / "events.jsonl"), "--compare-greedy"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "on time" in printed and "greedy first-come" in printed
    network = load_network(out / "network.json")
    shipments = load_shipments(out / "shipments.jsonl")
    currency, itineraries = load_itineraries(plan_path)
    assert currency == "USD" and len(itineraries) == 300
    lane_risk, excluded = risk_inputs(score_lanes(network, load_outcomes(out / "events.jsonl")))
    violations = check_plan(
        network, shipments, itineraries, lane_risk=lane_risk, excluded_lanes=excluded
    )
    assert violations == []
    lane = network.lanes[-1].id
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"name": "slow", "changes": [
        {"type": "add_delay", "lane": lane, "hours": 24},
        {"type": "scale_capacity", "factor": 0.8}]}))  # fmt: skip
    assert main(["whatif", "--network", str(out / "network.json"), "--shipments",
                 str(out / "shipments.jsonl"), "--scenario", str(scenario),
                 "--time-limit", "3"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "baseline" in printed and "on-time rate" in printed


def test_bad_scenario_is_a_clean_error(tmp_path, capsys):
    """An unknown change type exits 2 with the field and no traceback."""
    out = tmp_path / "data"
    main(["generate", "network", "--countries", "2", "--shipments", "20", "--out", str(out)])
    scenario = tmp_path / "bad.json"
    scenario.write_text(json.dumps({"name": "x", "changes": [{"type": "nuke", "lane": "L"}]}))
    code = main(["whatif", "--network", str(out / "network.json"), "--shipments",
                 str(out / "shipments.jsonl"), "--scenario", str(scenario)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "error: changes[0].type: unknown change type 'nuke'" in err
    assert "Traceback" not in err


def test_broken_network_file_lists_problems(tmp_path, capsys):
    """A network with a dangling lane reference exits 2 naming the field."""
    out = tmp_path / "data"
    main(["generate", "network", "--countries", "2", "--shipments", "20", "--out", str(out)])
    data = json.loads((out / "network.json").read_text())
    data["lanes"][0]["to"] = "ATLANTIS"
    (out / "network.json").write_text(json.dumps(data))
    code = main(["plan", "--network", str(out / "network.json"), "--shipments",
                 str(out / "shipments.jsonl")])  # fmt: skip
    assert code == 2
    assert "error: lanes[0].to: unknown node 'ATLANTIS'" in capsys.readouterr().err


def test_itinerary_command_prints_milestones(tmp_path, capsys):
    """`optimizer itinerary` prints the legs of one shipment with departure and arrival."""
    out = tmp_path / "data"
    main(["generate", "network", "--countries", "2", "--shipments", "5", "--out", str(out)])
    first = json.loads((out / "shipments.jsonl").read_text().splitlines()[0])["id"]
    code = main(["itinerary", "--network", str(out / "network.json"), "--shipments",
                 str(out / "shipments.jsonl"), "--shipment", first])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and "dep " in printed and "delivered" in printed


def test_min_score_without_events_is_refused_not_ignored(tmp_path, capsys):
    """Scores come from tracking outcomes: --min-score alone would silently do nothing."""
    out = tmp_path / "data"
    main(["generate", "network", "--countries", "2", "--shipments", "20", "--out", str(out)])
    capsys.readouterr()
    code = main(["plan", "--network", str(out / "network.json"), "--shipments",
                 str(out / "shipments.jsonl"), "--min-score", "0.9"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "error: min_score: needs --events" in err
    code = main(["plan", "--network", str(out / "network.json"), "--shipments",
                 str(out / "shipments.jsonl"), "--events", str(out / "events.jsonl"),
                 "--min-score", "1.5"])  # fmt: skip
    assert code == 2 and "error: min_score: must be between 0 and 1" in capsys.readouterr().err


def test_a_min_score_that_is_no_number_is_a_usage_error(tmp_path, capsys):
    """'1/0' would divide by zero inside argparse: a usage error (exit 2), no traceback."""
    with pytest.raises(SystemExit) as exited:
        main(["plan", "--network", "n.json", "--shipments", "s.jsonl", "--min-score", "1/0"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--min-score" in err and "Traceback" not in err
