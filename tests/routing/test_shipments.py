"""Shipments JSON Lines: parsing with every defect reported by line, and round trips."""

from __future__ import annotations

import json

import pytest

from optimizer.errors import InputError
from optimizer.routing.shipments import (
    load_shipments,
    parse_shipments,
    save_shipments,
    shipments_from_records,
    validate_shipments,
)
from tests.routing.conftest import parcel, tiny_network

GOOD = {
    "id": "S1",
    "origin": "WH",
    "destination": "Z",
    "ready_at": "2025-03-24T08:00+01:00",
    "deliver_by": "2025-03-31T00:00Z",
    "service": "standard",
    "category": "batteries",
    "weight_kg": 1.2345,
    "dims_cm": [30, 20.05, 10],
}


def test_parse_converts_units():
    """kg -> grams and cm -> mm (half up); times to UTC minutes."""
    (shipment,) = parse_shipments([json.dumps(GOOD)])
    assert shipment.weight_g == 1235  # 1234.5 g rounds half up
    assert shipment.dims_mm == (300, 201, 100)  # 200.5 mm rounds half up
    assert shipment.ready_at == parcel(ready="2025-03-24T07:00Z").ready_at


def test_every_bad_line_and_field_is_reported():
    """Missing fields, bad values, bad JSON and duplicate ids are all listed with line numbers."""
    lines = [
        json.dumps(GOOD),
        json.dumps({**GOOD, "id": "S2", "weight_kg": -1, "category": "uranium"}),
        "{not json",
        json.dumps({**GOOD, "id": "S1"}),
        json.dumps({k: v for k, v in GOOD.items() if k != "deliver_by"} | {"id": "S5"}),
        json.dumps({**GOOD, "id": "S6", "deliver_by": "2025-03-01T00:00Z"}),
    ]
    with pytest.raises(InputError) as info:
        parse_shipments(lines)
    fields = [p.field for p in info.value.problems]
    assert "shipments:2.weight_kg" in fields
    assert "shipments:2.category" in fields
    assert "shipments:3" in fields
    assert "shipments:4.id" in fields
    assert "shipments:5.deliver_by" in fields
    assert "shipments:6.deliver_by" in fields


def test_round_trip(tmp_path):
    """save then load gives equal shipments."""
    shipments = [parcel("A"), parcel("B", weight_g=2500, dims_mm=None, category="liquids")]
    save_shipments(shipments, tmp_path / "s.jsonl")
    assert load_shipments(tmp_path / "s.jsonl") == shipments


def test_validation_against_the_network_names_unknown_nodes_and_services():
    """References to nodes and service levels the network lacks are all reported."""
    bad = [parcel("A", destination="MARS"), parcel("B", service="teleport")]
    with pytest.raises(InputError) as info:
        validate_shipments(tiny_network(), bad)
    assert {p.field for p in info.value.problems} == {
        "shipments[A].destination",
        "shipments[B].service",
    }


def test_records_from_an_api_body_report_index_paths():
    """Decoded objects parse the same way; defects are named `shipments[i].field`."""
    good = shipments_from_records([GOOD])
    assert good == parse_shipments([json.dumps(GOOD)])
    with pytest.raises(InputError) as info:
        shipments_from_records([GOOD, {**GOOD, "id": "S9", "service": 5}, "nope"])
    assert {p.field for p in info.value.problems} == {"shipments[1].service", "shipments[2]"}


def test_window_and_route_errors_name_the_field_the_shipment_and_the_times():
    """A window opening after it closes is reported at `.deliver_from` with the shipment id
    and both instants; a parcel sent to its own origin at `.destination` with its id."""
    opened_late = {**GOOD, "deliver_from": "2025-04-02T00:00Z"}
    to_itself = {**GOOD, "id": "S2", "destination": "WH"}
    with pytest.raises(InputError) as info:
        parse_shipments([json.dumps(opened_late), json.dumps(to_itself)])
    problems = {p.field: p.message for p in info.value.problems}
    assert set(problems) == {"shipments:1.deliver_from", "shipments:2.destination"}
    assert "S1" in problems["shipments:1.deliver_from"]
    assert "2025-04-02T00:00Z" in problems["shipments:1.deliver_from"]
    assert "2025-03-31T00:00Z" in problems["shipments:1.deliver_from"]
    assert "S2" in problems["shipments:2.destination"]
