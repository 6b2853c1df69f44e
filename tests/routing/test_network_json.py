"""The network JSON format: round trip, and a validator that reports every defect at once."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from optimizer.errors import InputError
from optimizer.routing.generator import generate_network
from optimizer.routing.network_json import (
    load_network,
    network_from_dict,
    network_to_dict,
    save_network,
)
from tests.routing.conftest import tiny_network


def test_round_trip_keeps_every_node_lane_and_tariff(tmp_path):
    """Saving and loading a generated network gives back equal nodes, lanes and tariffs."""
    network = generate_network(5, seed=3)
    save_network(network, tmp_path / "network.json")
    loaded = load_network(tmp_path / "network.json")
    assert loaded.nodes == network.nodes
    assert loaded.lanes == network.lanes
    assert dict(loaded.tariffs) == dict(network.tariffs)
    assert dict(loaded.rates.rates) == dict(network.rates.rates)
    assert dict(loaded.service_levels) == dict(network.service_levels)


def test_hand_network_round_trips_through_dicts():
    """The tiny network survives to_dict/from_dict, JPY-free and GBP tariffs included."""
    network = tiny_network()
    again = network_from_dict(json.loads(json.dumps(network_to_dict(network))))
    assert again.lanes == network.lanes and again.nodes == network.nodes


def test_validator_reports_every_broken_reference_and_impossible_value():
    """One load reports all defects, each with its field path."""
    data = network_to_dict(tiny_network())
    broken = copy.deepcopy(data)
    broken["lanes"][0]["from"] = "NOWHERE"
    broken["lanes"][1]["tariff"] = "NO_TARIFF"
    broken["lanes"][2]["transit_hours"] = -3
    broken["lanes"][3]["categories"] = ["general", "plutonium"]
    broken["lanes"][3]["departures"] = [{"days": ["mon", "funday"], "time": "25:00"}]
    broken["nodes"][1]["timezone"] = "Europe/Atlantis"
    broken["nodes"][2]["id"] = broken["nodes"][1]["id"]
    broken["tariffs"]["T_AIR"]["zones"]["*"]["step_kg"] = 0
    broken["tariffs"]["T_LM"]["currency"] = "XYZ"
    with pytest.raises(InputError) as info:
        network_from_dict(broken)
    fields = {problem.field for problem in info.value.problems}
    assert {
        "lanes[0].from",
        "lanes[1].tariff",
        "lanes[2].transit_hours",
        "lanes[3].categories",
        "lanes[3].departures[0].time",
        "nodes[1].timezone",
        "nodes[2].id",
        "tariffs.T_AIR.zones.*.step_kg",
        "tariffs.T_LM.currency",
    } <= fields
    codes = {p.field: p.code for p in info.value.problems}
    assert codes["lanes[0].from"] == "unknown_reference"


def test_missing_sections_are_named():
    """An empty document names the missing currency, tariffs, nodes and lanes."""
    with pytest.raises(InputError) as info:
        network_from_dict({})
    assert {"currency", "tariffs", "nodes", "lanes"} <= {p.field for p in info.value.problems}


def test_bad_json_file_is_an_input_error(tmp_path):
    """A file that is not JSON is reported with its line, not a traceback."""
    path = tmp_path / "network.json"
    path.write_text("{\n  oops\n}")
    with pytest.raises(InputError, match="line 2"):
        load_network(path)


def test_networks_built_in_code_are_checked_for_references():
    """A Network constructed directly with a dangling node and tariff lists both problems."""
    network = tiny_network()
    lanes = (*network.lanes, replace(network.lanes[0], id="BAD", destination="X", tariff="T9"))
    with pytest.raises(InputError) as info:
        replace(network, lanes=lanes)
    assert {p.field for p in info.value.problems} == {"lanes[4].to", "lanes[4].tariff"}
