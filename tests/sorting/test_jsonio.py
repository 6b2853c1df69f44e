"""JSON formats: round trips, and every problem reported with its field path."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.sorting import (
    Category,
    forecast_from_dict,
    forecast_to_dict,
    generate_forecast,
    generate_layout,
    layout_from_dict,
    layout_to_dict,
    load_layout,
    plan_from_dict,
    plan_to_dict,
    read_scans,
    scan_from_dict,
)

from .conftest import simple_plan, tiny_layout


def problem_fields(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [p.field for p in exc.value.problems]


@settings(max_examples=10, deadline=None)
@given(chutes=st.integers(30, 120), seed=st.integers(0, 10_000))
def test_generated_layout_round_trips(chutes, seed):
    """layout -> JSON -> layout gives the same layout."""
    layout = generate_layout(chutes, seed, rate=chutes * 60.0)
    assert layout_from_dict(json.loads(json.dumps(layout_to_dict(layout)))) == layout


def test_forecast_round_trips():
    """forecast -> JSON -> forecast keeps names, volumes and mixes (to the stored precision)."""
    forecast = generate_forecast(50, seed=4, rate=2000.0)
    again = forecast_from_dict(json.loads(json.dumps(forecast_to_dict(forecast))))
    assert [d.destination for d in again.destinations] == [
        d.destination for d in forecast.destinations
    ]
    for a, b in zip(again.destinations, forecast.destinations, strict=True):
        assert a.parcels_per_hour == pytest.approx(b.parcels_per_hour, abs=1e-3)
        assert a.handover == b.handover
        assert a.category_share(Category.BATTERY) == pytest.approx(
            b.category_share(Category.BATTERY), abs=1e-4
        )


def test_plan_round_trips():
    """plan -> JSON -> plan keeps assignments, alternates, special and restricted chutes."""
    layout = tiny_layout(4, categories={3: {Category.GENERAL, Category.BATTERY}})
    plan = simple_plan(
        layout,
        {"A": ["D0", "D1"], "B": ["D2"]},
        alternates={"B": ["D1"]},
        restricted={Category.BATTERY: ("D3",)},
    )
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))) == plan


def test_layout_reports_every_problem_with_its_path():
    """Missing, mistyped and out-of-range fields are all listed, each with its path."""
    data = {
        "sorter_id": "S",
        "loop_length_m": 100,
        "speed_m_s": "fast",
        "induction_points": [{"id": "I", "position_m": 0}],
        "chutes": [
            {"id": "C1", "position_m": 10, "capacity_parcels": 0},
            {"id": "C1", "position_m": 120, "type": "chute"},
            {"position_m": 3, "categories": ["general", "weapons"]},
        ],
    }
    with pytest.raises(InputError) as exc:
        layout_from_dict(data)
    assert problem_fields(exc) == [
        "layout.speed_m_s",
        "layout.chutes[0].capacity_parcels",
        "layout.chutes[1].type",
        "layout.chutes[2].id",
        "layout.chutes[2].categories[1]",
        "layout.chutes[1].id",
        "layout.chutes[1].position_m",
    ]


def test_forecast_reports_bad_fields():
    """A forecast with an unknown category and a missing carrier names both."""
    data = {
        "destinations": [
            {
                "destination": "A",
                "parcels_per_hour": 5,
                "carrier": "X",
                "category_mix": {"guns": 1},
            },
            {"destination": "B", "parcels_per_hour": 5},
        ]
    }
    with pytest.raises(InputError) as exc:
        forecast_from_dict(data)
    assert problem_fields(exc) == [
        "forecast.destinations[0].category_mix.guns",
        "forecast.destinations[1].carrier",
    ]


def test_plan_shares_must_sum_to_one():
    """A plan whose shares do not add up is refused when loaded."""
    data = {
        "sorter_id": "S",
        "version": 1,
        "assignments": [{"destination": "A", "chutes": [{"chute_id": "C1", "share": 0.7}]}],
    }
    with pytest.raises(InputError) as exc:
        plan_from_dict(data)
    assert problem_fields(exc) == ["plan.assignments[0].chutes"]


def test_not_json_names_the_file_kind_and_position(tmp_path):
    """A syntax error is an input error with line and column, not a traceback."""
    path = tmp_path / "layout.json"
    path.write_text('{"sorter_id": "S",\n  "chutes": [}')
    with pytest.raises(InputError) as exc:
        load_layout(path)
    assert exc.value.field == "layout"
    assert "line 2" in str(exc.value)


def test_scan_stream_reports_every_bad_line(tmp_path):
    """Bad scans are reported by line number and field; an unknown category is an error."""
    path = tmp_path / "parcels.jsonl"
    lines = [
        {
            "parcel_id": "P1",
            "destination": "A",
            "weight_g": 100,
            "length_mm": 1,
            "width_mm": 1,
            "height_mm": 1,
            "category": "general",
        },
        {
            "parcel_id": "P2",
            "destination": "A",
            "weight_g": 100,
            "length_mm": 1,
            "width_mm": 1,
            "height_mm": 1,
            "category": "weapons",
        },
        {"parcel_id": "P3", "weight_g": "heavy", "length_mm": 1, "width_mm": 1, "height_mm": 1},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    with pytest.raises(InputError) as exc:
        read_scans(path)
    assert problem_fields(exc) == [
        "parcels.jsonl:2.category",
        "parcels.jsonl:3.destination",
        "parcels.jsonl:3.weight_g",
    ]
    assert exc.value.problems[0].code == "unknown_category"


def test_scan_no_read_and_extra_fields():
    """destination null is a no-read; extra fields are accepted and ignored."""
    scan = scan_from_dict(
        {
            "parcel_id": "P",
            "destination": None,
            "weight_g": 1,
            "length_mm": 1,
            "width_mm": 1,
            "height_mm": 1,
            "colour": "red",
        }
    )
    assert scan.destination is None
    assert scan.category is Category.GENERAL


def test_scan_stream_with_broken_json_lines_reports_them_all(tmp_path):
    """Lines that are not JSON or not UTF-8 are each reported, with the other lines' problems."""
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"parcel_id": "P"}\n{oops\n\n{"parcel_id": "\xff"}\n[1]\n{oops again\n')
    with pytest.raises(InputError) as exc:
        read_scans(path)
    fields = problem_fields(exc)
    assert fields[:2] == ["p.jsonl:1.destination", "p.jsonl:1.weight_g"]
    assert fields[-4:] == ["p.jsonl:2", "p.jsonl:4", "p.jsonl:5", "p.jsonl:6"]
    messages = {p.field: p.message for p in exc.value.problems}
    assert messages["p.jsonl:4"].startswith("not UTF-8 text")
    assert messages["p.jsonl:5"] == "must be a JSON object"


def test_layout_problems_are_all_reported_together():
    """A bad loop speed is reported along with bad chutes, not hidden behind them."""
    data = {
        "sorter_id": "S",
        "loop_length_m": 100,
        "speed_m_s": -2,
        "max_recirculations": True,
        "induction_points": [{"id": "I", "position_m": 0}],
        "chutes": [{"id": "C1", "position_m": 10, "capacity_parcels": 0}],
    }
    with pytest.raises(InputError) as exc:
        layout_from_dict(data)
    assert problem_fields(exc) == [
        "layout.speed_m_s",
        "layout.max_recirculations",
        "layout.chutes[0].capacity_parcels",
    ]


def test_scan_problems_are_all_reported_together():
    """A negative weight is reported even when the same line also has a bad category."""
    with pytest.raises(InputError) as exc:
        scan_from_dict(
            {
                "parcel_id": "P",
                "destination": "A",
                "weight_g": -5,
                "length_mm": 1,
                "width_mm": 1,
                "height_mm": 1,
                "category": "explosive",
                "scan": 0,
            }
        )
    assert problem_fields(exc) == ["scan.weight_g", "scan.category", "scan.scan"]


def test_forecast_and_plan_problems_are_all_reported_together():
    """Shares out of range and duplicates are reported with the other problems of the file."""
    forecast = {
        "no_read_share": 1.5,
        "destinations": [
            {"destination": "A", "parcels_per_hour": 1, "carrier": "X"},
            {"destination": "A", "parcels_per_hour": 1, "carrier": "X"},
            {"destination": "B", "parcels_per_hour": -1, "carrier": "X"},
        ],
    }
    with pytest.raises(InputError) as exc:
        forecast_from_dict(forecast)
    assert problem_fields(exc) == [
        "forecast.destinations[2].parcels_per_hour",
        "forecast.no_read_share",
        "forecast.destinations[1].destination",
    ]
    plan = {
        "sorter_id": "S",
        "version": 0,
        "assignments": [
            {"destination": "A", "chutes": [{"chute_id": "C1"}]},
            {"destination": "A", "chutes": [{"chute_id": "C2"}]},
        ],
        "restricted": {"general": ["C3"], "battery": "C4"},
    }
    with pytest.raises(InputError) as exc:
        plan_from_dict(plan)
    assert problem_fields(exc) == [
        "plan.version",
        "plan.restricted.general",
        "plan.restricted.battery",
        "plan.assignments[1].destination",
    ]


VALID_DOCUMENTS = {
    "layout": (
        layout_from_dict,
        {
            "sorter_id": "S",
            "loop_length_m": 100,
            "speed_m_s": 2,
            "induction_points": [{"id": "I", "position_m": 0}],
            "chutes": [
                {"id": "C1", "position_m": 10, "categories": ["general", "battery"]},
                {"id": "C2", "position_m": 12, "type": "no_read", "capacity_parcels": 50},
            ],
        },
    ),
    "forecast": (
        forecast_from_dict,
        {
            "no_read_share": 0.01,
            "destinations": [
                {
                    "destination": "A",
                    "parcels_per_hour": 10,
                    "carrier": "X",
                    "category_mix": {"general": 0.9, "battery": 0.1},
                    "size_mix": {"small": 1.0},
                }
            ],
        },
    ),
    "plan": (
        plan_from_dict,
        {
            "sorter_id": "S",
            "version": 1,
            "assignments": [
                {"destination": "A", "chutes": [{"chute_id": "C1", "share": 1}], "alternates": []}
            ],
            "special": {"no_read": ["C2"]},
            "restricted": {"battery": ["C3"]},
        },
    ),
    "scan": (
        scan_from_dict,
        {
            "parcel_id": "P",
            "destination": "A",
            "weight_g": 1,
            "length_mm": 1,
            "width_mm": 1,
            "height_mm": 1,
            "category": "general",
            "scan": 1,
        },
    ),
}

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.sampled_from(["general", "battery", "C1", "destination", ""]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replaced(document, path, new):
    if not path:
        return new
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(VALID_DOCUMENTS)), data=st.data())
def test_any_malformed_value_is_an_input_error_never_a_crash(kind, data):
    """Replacing any part of a valid document by any JSON value loads or gives an InputError."""
    loader, document = VALID_DOCUMENTS[kind]
    path = data.draw(st.sampled_from(list(_paths(document))))
    value = data.draw(JSON_VALUES)
    try:
        loader(_replaced(document, path, value))
    except InputError as exc:
        assert exc.problems and all(p.field for p in exc.problems)
