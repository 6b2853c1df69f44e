"""The formats documented in README "Cross-border planning" are real: every example loads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from optimizer.routing.check import check_itinerary
from optimizer.routing.generator import generate_network, generate_outcomes, generate_shipments
from optimizer.routing.network_json import network_from_dict
from optimizer.routing.plan_json import itinerary_from_dict
from optimizer.routing.scenarios import scenario_from_dict
from optimizer.routing.scores import parse_outcomes, risk_inputs, score_lanes
from optimizer.routing.shipments import parse_shipments, validate_shipments

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Cross-border planning")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end > 0 else None]
    return re.findall(r"```json\n(.*?)```", section, flags=re.S)


def block(blocks: list[str], marker: str) -> str:
    return next(b for b in blocks if marker in b)


def test_network_shipment_and_event_examples_load(blocks):
    """The network example validates, the shipment line fits it, the event line parses."""
    network = network_from_dict(json.loads(block(blocks, '"format": "optimizer.network/1"')))
    assert len(network.lanes) == 2
    shipments = parse_shipments(block(blocks, '"weight_kg"').splitlines())
    validate_shipments(network, shipments)
    assert parse_outcomes(block(blocks, '"outcome"').splitlines())[0].lane == network.lanes[0].id


def test_scenario_example_is_valid_for_the_generated_network(blocks):
    """Every change in the scenario example names a lane of `generate network --countries 20`."""
    scenario = scenario_from_dict(json.loads(block(blocks, '"changes"')), generate_network(20))
    assert len(scenario.changes) == 6


def test_plan_example_is_a_checker_clean_itinerary(blocks):
    """The plan.json itinerary is the one `plan` produced for the documented run
    (`generate network --countries 5 --shipments 2000 --seed 1`, with its events)."""
    network = generate_network(5, seed=1, expected_shipments=2000)
    shipment = generate_shipments(network, 2000, seed=1)[1]
    itinerary = itinerary_from_dict(json.loads(block(blocks, '"shipment": "S000002"')), "USD")
    lane_risk, _ = risk_inputs(score_lanes(network, generate_outcomes(network, seed=1)))
    assert itinerary.shipment == shipment.id
    assert check_itinerary(network, shipment, itinerary, lane_risk=lane_risk) == []
