"""Sliced JSON encoding: the same document as json.dumps, with pauses between slices."""

from __future__ import annotations

import json
import math

import pytest

from api.db.types import EncodedJson, encode_json
from api.sliced_json import encode_in_slices

DOCUMENTS = [
    {},
    [],
    {"a": 1, "b": [1, 2.5, None, True, 'é\n"x"'], "c": {"d": {"e": {"f": [[1], []]}}}},
    {
        "chutes": [
            {"id": f"c{i}", "contents": [(f"P{j}", 1.5 * j, "DE") for j in range(i)]}
            for i in range(20)
        ]
    },
    {1: "int keys", 2.5: "float keys", None: "null key"},  # json.dumps turns these into strings
    [float("inf"), -0.0, 10**30, ""],
    "just a string",
]


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("depth", [0, 1, 3, 10])
def test_the_text_parses_to_what_json_dumps_gives(document, depth):
    text = encode_in_slices(document, depth=depth)
    assert isinstance(text, EncodedJson)
    assert json.loads(text) == json.loads(json.dumps(document))


def test_nan_is_written_as_json_dumps_writes_it():
    parsed = json.loads(encode_in_slices({"x": [float("nan")]}))
    assert math.isnan(parsed["x"][0])


def test_a_part_encoded_before_is_copied_as_is():
    plan = encode_in_slices({"assignments": [{"destination": "DE", "chutes": ["c1"]}]})
    text = encode_in_slices({"plan": plan, "n": 2})
    assert json.loads(text) == {"plan": json.loads(plan), "n": 2}
    assert plan in text


def test_it_pauses_whenever_a_slice_has_run_its_length():
    """A fake clock advancing 0.1 ms per element: 1,000 elements, 0.5 ms slices, ~200 pauses."""
    now = [0.0]
    pauses: list[float] = []

    def clock() -> float:
        now[0] += 0.0001
        return now[0]

    text = encode_in_slices(
        list(range(1000)), slice_s=0.0005, pause_s=0.0002, clock=clock, sleep=pauses.append
    )
    assert json.loads(text) == list(range(1000))
    assert 150 <= len(pauses) <= 250 and set(pauses) == {0.0002}


def test_a_short_document_does_not_pause():
    pauses: list[float] = []
    encode_in_slices({"a": [1, 2, 3]}, clock=lambda: 0.0, sleep=pauses.append)
    assert pauses == []


def test_the_engines_serializer_passes_encoded_text_through():
    assert encode_json(EncodedJson('{"a":1}')) == '{"a":1}'
    assert json.loads(encode_json({"a": (1, 2)})) == {"a": [1, 2]}
