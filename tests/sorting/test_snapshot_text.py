"""SnapshotEncoder: the same snapshot as to_dict, encoding each container's parcels once."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings
from hypothesis import strategies as st

import optimizer.sorting.snapshot_text as snapshot_text
from optimizer.sorting import Assigner, SnapshotEncoder, plan_to_dict

from .test_assigner import LAYOUT, FakeClock, make_assigner, send


def same_json(text: str, data: dict) -> bool:
    return json.loads(text) == json.loads(json.dumps(data))


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("assign"), st.sampled_from(["A", "B", "C", "Z", None])),
        st.tuples(st.just("rescan"), st.integers(0, 40)),
        st.tuples(st.just("divert_failed"), st.integers(0, 40)),
        st.tuples(
            st.just("event"),
            st.tuples(
                st.sampled_from([c.id for c in LAYOUT.chutes]),
                st.sampled_from(["full", "container_closed", "disabled", "enabled"]),
            ),
        ),
        st.tuples(st.just("snapshot"), st.booleans()),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(OPERATIONS)
def test_every_snapshot_is_the_one_to_dict_gives(operations):
    """After any sequence of scans, re-scans, failed diverts and chute events, each encoded
    snapshot (incremental after the first) parses to what to_dict gives for the same capture,
    and restores to the same assigner state."""
    clock = FakeClock()
    a = make_assigner(clock)
    encoder = SnapshotEncoder()
    sent: list[str] = []
    for op, arg in operations:
        clock.now += 1
        if op == "assign":
            pid = f"P{len(sent)}"
            sent.append(pid)
            send(a, pid, arg)
        elif op == "rescan" and sent:
            send(a, sent[arg % len(sent)], "A", scan=2)
        elif op == "divert_failed" and sent:
            a.divert_failed(sent[arg % len(sent)])
        elif op == "event":
            a.chute_event(*arg)
        elif op == "snapshot":
            state = a.capture(include_parcels=arg)
            text = encoder.encode(state)
            assert same_json(text, state.to_dict())
            restored = Assigner.restore(LAYOUT, json.loads(text), clock=clock)
            assert same_json(text, restored.snapshot(include_parcels=arg))
    state = a.capture(include_parcels=True)
    assert same_json(encoder.encode(state), state.to_dict())


def test_a_capture_is_not_changed_by_later_decisions():
    """The capture shares container lists, which only grow or are replaced: its snapshot,
    encoded after more scans, a failed divert and a closed container, is the one of then."""
    a = make_assigner()
    send(a, "P1", "A")
    send(a, "P2", "A")
    send(a, "P3", "A")
    state = a.capture(include_parcels=True)
    expected = json.loads(json.dumps(a.snapshot()))
    send(a, "P4", "A")
    a.divert_failed("P1")
    a.chute_event("D1", "container_closed")
    assert json.loads(SnapshotEncoder().encode(state)) == expected


def test_the_plan_text_given_is_used_as_is():
    a = make_assigner()
    send(a, "P1", "A")
    state = a.capture(include_parcels=False)
    plan_text = json.dumps(plan_to_dict(a.plan))
    text = SnapshotEncoder().encode(state, plan_text)
    assert plan_text in text
    assert same_json(text, state.to_dict())


def test_a_later_snapshot_encodes_only_the_parcels_added_since(monkeypatch):
    """Parcels already written are not encoded again while their container stays open; a
    replaced container list (a failed divert) is encoded whole again."""
    layout = dataclasses.replace(
        LAYOUT, chutes=tuple(dataclasses.replace(c, capacity_parcels=500) for c in LAYOUT.chutes)
    )
    plan = make_assigner().plan
    a = Assigner(layout, plan, clock=FakeClock())
    encoded_items: list[int] = []
    original = snapshot_text._encode

    def counting(value):
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            encoded_items.append(len(value))
        return original(value)

    monkeypatch.setattr(snapshot_text, "_encode", counting)
    encoder = SnapshotEncoder()
    for i in range(200):
        send(a, f"P{i}", "A", weight=10)
    encoder.encode(a.capture(False))
    assert sum(encoded_items) == 200
    encoded_items.clear()
    for i in range(200, 203):
        send(a, f"P{i}", "A", weight=10)
    text = encoder.encode(a.capture(False))
    assert sum(encoded_items) == 3
    assert same_json(text, a.snapshot(include_parcels=False))
    encoded_items.clear()
    a.divert_failed("P0")  # D0's list replaced: written again, D1's kept
    text = encoder.encode(a.capture(False))
    assert sum(encoded_items) == a.chute_status("D0")["count"]
    assert same_json(text, a.snapshot(include_parcels=False))
