"""The hot path's hand-written scan check agrees with the documented model, `ScanIn`."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.schemas.sorting import ScanIn
from api.sorting.scans import batch_args, scan_args, scan_problems
from optimizer.errors import InputError

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 1000, 100_000, 10_000_000, 10_000_001, 1e20, -0.0]),
    st.text(max_size=3),
    st.sampled_from(["general", "battery", "food", "x" * 129, "P1", ""]),
    st.lists(st.integers(), max_size=1),
)
KEYS = ("parcel_id", "destination", "weight_g", "length_mm", "width_mm", "height_mm",
        "category", "scan", "extra")  # fmt: skip
SCANS = st.dictionaries(st.sampled_from(KEYS), VALUES)
GOOD = {"parcel_id": "P1", "destination": "D", "weight_g": 1, "length_mm": 1, "width_mm": 1,
        "height_mm": 1}  # fmt: skip


def model_accepts(data: dict) -> bool:
    try:
        ScanIn.model_validate(data, strict=True)
    except ValidationError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.one_of(SCANS, st.builds(lambda extra: {**GOOD, **extra}, SCANS)))
def test_the_hand_written_check_accepts_exactly_what_the_model_accepts(data):
    """Same verdict as ScanIn on arbitrary scans; a refusal names at least one field."""
    try:
        args = scan_args(data)
    except InputError as exc:
        assert not model_accepts(data)
        assert exc.problems and all(p.field for p in exc.problems)
        return
    assert model_accepts(data)
    assert args[0] == data["parcel_id"] and args[6] == data.get("category", "general")
    assert all(math.isfinite(x) for x in args[2:6])


def test_every_problem_of_a_scan_is_named():
    problems = scan_problems({"parcel_id": 7, "weight_g": -1, "category": "gold"}, "parcels.3")
    fields = [p.field for p in problems]
    assert fields == [
        "parcels.3.parcel_id",
        "parcels.3.destination",
        "parcels.3.weight_g",
        "parcels.3.length_mm",
        "parcels.3.width_mm",
        "parcels.3.height_mm",
        "parcels.3.category",
    ]


@pytest.mark.parametrize("body", [None, [], {"parcels": {}}, {"scans": []}])
def test_a_batch_body_must_be_an_object_with_a_list(body):
    with pytest.raises(InputError) as exc:
        batch_args(body, 10)
    assert exc.value.field == "parcels"
