"""The real-time assigner: reason codes, idempotency, events, manifests, activation, restore."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.sorting import (
    Assigner,
    Category,
    ChuteEvent,
    Decision,
    DestinationForecast,
    Forecast,
    ParcelScan,
    Reason,
    carriers_by_destination,
)

from .conftest import simple_plan, tiny_layout

LAYOUT = tiny_layout(6, capacity=3, categories={5: {Category.GENERAL, Category.BATTERY}})
SMALL = (100, 100, 100)


class FakeClock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_assigner(
    clock: FakeClock | None = None, carriers: dict[str, str] | None = None
) -> Assigner:
    plan = simple_plan(
        LAYOUT,
        {"A": ["D0", "D1"], "B": ["D2"], "C": ["D3"]},
        alternates={"B": ["D3"]},
        restricted={Category.BATTERY: ("D5",)},
    )
    return Assigner(LAYOUT, plan, clock=clock or FakeClock(), carriers=carriers)


def send(assigner, pid, dest="A", weight=500.0, dims=SMALL, category="general", scan=None):
    return assigner.assign(pid, dest, weight, *dims, category, scan)


def test_planned_and_least_filled():
    """A destination's parcels go to its own chutes, always the least filled one."""
    a = make_assigner()
    chutes = [send(a, f"P{i}").chute_id for i in range(4)]
    assert chutes == ["D0", "D1", "D0", "D1"]
    assert {send(a, "Q").reason} == {Reason.PLANNED}


def test_alternate_when_own_chute_is_full():
    """B's chute holds three parcels; the fourth goes to B's compatible alternate."""
    a = make_assigner()
    assert [send(a, f"B{i}", "B").chute_id for i in range(3)] == ["D2"] * 3
    assert a.newly_full == [2]
    assert send(a, "B3", "B") == Decision("B3", "D3", Reason.ALTERNATE)


def test_recirculate_then_chute_full_after_the_allowed_loops():
    """No chute free: recirculate (no chute); on the last allowed pass, the exception chute."""
    a = make_assigner()
    a.chute_event("D2", ChuteEvent.FULL)
    a.chute_event("D3", ChuteEvent.DISABLED)
    assert send(a, "P", "B", scan=1) == Decision("P", None, Reason.RECIRCULATE)
    assert send(a, "P", "B", scan=2) == Decision("P", None, Reason.RECIRCULATE)
    assert send(a, "P", "B", scan=3) == Decision("P", "EXCEPTION", Reason.CHUTE_FULL)
    assert a.parcels_seen == 1


def test_no_read_unknown_and_restricted():
    """Unreadable label, unknown sort key and batteries each go to their own chute."""
    a = make_assigner()
    assert send(a, "N", None) == Decision("N", "NO_READ", Reason.NO_READ)
    assert send(a, "U", "ZZ-UNKNOWN") == Decision("U", "EXCEPTION", Reason.UNKNOWN_DESTINATION)
    assert send(a, "R", "A", category="battery") == Decision("R", "D5", Reason.RESTRICTED)
    assert send(a, "RN", None, category="battery").chute_id == "D5"  # segregated even unread


def test_restricted_without_a_planned_chute_goes_to_reject():
    """Liquids with no liquid chute in the plan are rejected, not mixed with general goods."""
    a = make_assigner()
    assert send(a, "L", "A", category="liquid") == Decision("L", "REJECT", Reason.RESTRICTED)


def test_oversize_and_too_large_even_for_oversize():
    """Too large for A's chutes: oversize chute; too large for that as well: reject."""
    a = make_assigner()
    assert send(a, "O", dims=(1200, 300, 300)) == Decision("O", "OVERSIZE", Reason.OVERSIZE)
    assert send(a, "H", weight=35_000.0) == Decision("H", "OVERSIZE", Reason.OVERSIZE)
    huge = (3000, 2000, 2000)
    assert send(a, "X", dims=huge) == Decision("X", "REJECT", Reason.OVERSIZE)


def test_unknown_category_is_an_input_error():
    """A category outside the five known ones is refused, not guessed."""
    a = make_assigner()
    with pytest.raises(InputError) as exc:
        send(a, "P", category="explosives")
    assert exc.value.field == "category"
    assert a.parcels_seen == 0


def test_unhashable_category_chute_or_event_is_an_input_error():
    """Lists where names are expected (as decoded JSON may bring) are input errors."""
    a = make_assigner()
    with pytest.raises(InputError) as exc:
        send(a, "P", category=["general"])
    assert exc.value.field == "category"
    with pytest.raises(InputError) as exc:
        a.chute_event(["D0"], "full")
    assert exc.value.field == "chute_id"
    with pytest.raises(InputError) as exc:
        a.chute_event("D0", ["full"])
    assert exc.value.field == "event"
    with pytest.raises(InputError):
        a.chute_status({"id": "D0"})
    assert a.decisions == 0


def test_resent_request_is_answered_identically_and_counted_once():
    """A controller re-sending the same scan gets the same answer; nothing is counted twice."""
    a = make_assigner()
    first = send(a, "P", scan=1)
    for _ in range(3):
        assert send(a, "P", scan=1) == first
        assert send(a, "P") == first
    assert a.chute_status(first.chute_id)["count"] == 1
    assert (a.parcels_seen, a.decisions) == (1, 1)


def test_rescanned_parcel_keeps_its_chute_and_is_not_double_counted():
    """A parcel seen again on a later pass gets the same chute, still counted once there."""
    a = make_assigner()
    first = send(a, "P", scan=1)
    send(a, "Q")  # the other chute of A is now the fuller one... or equal
    again = send(a, "P", scan=2)
    assert again.chute_id == first.chute_id
    assert a.chute_status(first.chute_id)["count"] == 1
    assert a.parcels_seen == 2


def test_after_recirculation_a_rescan_gets_a_fresh_answer():
    """Told to recirculate, a parcel back after a loop (no scan number) is decided anew."""
    clock = FakeClock()
    a = make_assigner(clock)
    for ev in (("D0", ChuteEvent.DISABLED), ("D1", ChuteEvent.DISABLED)):
        a.chute_event(*ev)
    assert send(a, "P").reason is Reason.RECIRCULATE
    a.chute_event("D1", ChuteEvent.ENABLED)
    clock.now += LAYOUT.loop_time_s
    assert send(a, "P") == Decision("P", "D1", Reason.PLANNED)
    assert (a.parcels_seen, a.decisions) == (1, 2)


def test_resent_request_without_scan_number_is_answered_identically():
    """Within the re-send window the same request gets the same answer, even a recirculate."""
    clock = FakeClock()
    a = make_assigner(clock)
    a.chute_event("D0", "disabled")
    a.chute_event("D1", "disabled")
    first = send(a, "Q")
    assert first.reason is Reason.RECIRCULATE
    a.chute_event("D0", "enabled")
    clock.now += 0.2  # the controller's time-out, far less than a loop
    assert send(a, "Q") == first
    assert (a.parcels_seen, a.decisions, a.reason_counts[Reason.PLANNED]) == (1, 1, 0)


def test_rescan_without_scan_number_leaves_a_chute_that_went_full():
    """Sent to a chute that filled up before the parcel got there: the re-scan is re-decided.

    It ends at the exception chute after the allowed loops instead of looping for ever, and the
    closed container's manifest does not list it.
    """
    clock = FakeClock()
    a = make_assigner(clock)
    assert send(a, "P", "B").chute_id == "D2"
    a.chute_event("D2", "full")
    a.chute_event("D3", "disabled")  # B's alternate
    answers = []
    for _ in range(LAYOUT.max_recirculations):  # passes 2 and 3
        clock.now += LAYOUT.loop_time_s
        answers.append(send(a, "P", "B"))
    assert [d.reason for d in answers] == [Reason.RECIRCULATE, Reason.CHUTE_FULL]
    assert answers[-1].chute_id == "EXCEPTION"
    assert a.chute_event("D2", "container_closed").parcel_ids == ()
    assert a.chute_status("EXCEPTION")["count"] == 1


def test_rescan_keeps_an_alternate_or_special_chute_that_can_still_take_it():
    """A parcel back after a loop returns to the (still open) chute it was given, whatever kind."""
    clock = FakeClock()
    a = make_assigner(clock)
    a.chute_event("D2", "full")
    assert send(a, "P", "B").chute_id == "D3"  # alternate
    send(a, "Q", "C")  # D3 is C's own chute: now fuller than... still the only alternate
    clock.now += LAYOUT.loop_time_s
    assert send(a, "P", "B") == Decision("P", "D3", Reason.ALTERNATE)
    assert a.chute_status("D3")["count"] == 2  # P counted once


def test_a_reported_failed_divert_takes_the_parcel_off_the_manifest():
    """The sorter says the parcel missed its chute: the closed container does not list it."""
    a = make_assigner()
    send(a, "P1", "B")
    send(a, "P2", "B")
    assert a.divert_failed("P2") is True
    assert a.chute_status("D2")["count"] == 1
    assert a.chute_event("D2", "container_closed").parcel_ids == ("P1",)
    assert a.divert_failed("P2") is False  # nothing left to take off
    assert a.divert_failed("P1") is False  # its container was already handed over
    assert a.divert_failed("UNKNOWN") is False
    with pytest.raises(InputError):
        a.divert_failed(["P1"])


def test_disabled_and_swapping_chutes_are_skipped():
    """Disabled or mid-swap chutes take nothing until enabled or the container is closed."""
    a = make_assigner()
    a.chute_event("D0", "disabled")
    a.chute_event("D1", "swap_started")
    assert send(a, "P").reason is Reason.RECIRCULATE
    a.chute_event("D1", "container_closed")
    assert send(a, "Q").chute_id == "D1"
    a.chute_event("D0", "enabled")
    assert send(a, "R").chute_id == "D0"
    assert a.chute_status("D0")["available"] is True


def test_closed_container_yields_its_manifest():
    """Closing a container lists its parcels, count, weight and destinations; a new one starts."""
    a = make_assigner()
    send(a, "B1", "B", weight=700.0)
    send(a, "B2", "B", weight=300.0)
    manifest = a.chute_event("D2", ChuteEvent.CONTAINER_CLOSED)
    assert manifest.parcel_ids == ("B1", "B2")
    assert manifest.count == 2
    assert manifest.weight_g == 1000.0
    assert manifest.destinations == {"B": 2}
    assert manifest.container == 1
    assert manifest.plan_id == "T1-v1"
    status = a.chute_status("D2")
    assert (status["container"], status["count"], status["state"]) == (2, 0, "open")
    assert a.chute_event("D2", "emptied").count == 0


CARRIERS = {"A": "UPS", "B": "DHL", "C": "DHL"}


def test_a_manifest_names_the_carriers_of_its_destinations():
    """A destination chute's container holding only parcels sorted there for destinations of
    one carrier names that carrier; no-reads and unknown keys name none."""
    forecast = Forecast(
        (
            DestinationForecast("A", 10.0, "UPS"),
            DestinationForecast("B", 10.0, "DHL"),
            DestinationForecast("C", 10.0, "DHL", handover="HUB"),
        )
    )
    carriers = carriers_by_destination(forecast)
    assert carriers == CARRIERS
    a = make_assigner(carriers=carriers)
    send(a, "B1", "B")
    send(a, "N1", None)
    send(a, "U1", "NOT-IN-PLAN")
    closed = a.chute_event("D2", "container_closed")
    assert (closed.carrier, closed.carriers, closed.unattributed) == ("DHL", ("DHL",), 0)
    for special in ("NO_READ", "EXCEPTION"):
        manifest = a.chute_event(special, "container_closed")
        assert (manifest.carrier, manifest.carriers, manifest.unattributed) == (None, (), 1)


def test_a_container_with_any_parcel_of_no_carrier_names_no_carrier():
    """Unknown destinations and no-reads mixed with one known destination (the review's case):
    the container names no carrier, so no carrier can read the other parcels."""
    a = make_assigner(carriers=CARRIERS)
    a.chute_event("D2", "full")
    a.chute_event("D3", "disabled")
    send(a, "K1", "B", scan=3)  # no room on the last allowed pass: to the exception chute
    send(a, "U1", "ZZ-UNKNOWN")
    send(a, "U2", "ZZ-UNKNOWN")
    manifest = a.chute_event("EXCEPTION", "container_closed")
    assert manifest.destinations == {"B": 1, "ZZ-UNKNOWN": 2}
    assert (manifest.carrier, manifest.carriers, manifest.unattributed) == (None, (), 3)


def test_restricted_goods_on_a_destination_chute_name_no_carrier():
    """A restricted-goods chute is re-handled, not handed over: its parcels name no carrier."""
    a = make_assigner(carriers=CARRIERS)
    assert send(a, "BAT1", "A", category="battery").chute_id == "D5"
    manifest = a.chute_event("D5", "container_closed")
    assert (manifest.carrier, manifest.unattributed) == (None, 1)


def test_parcels_keep_the_carrier_of_the_plan_they_were_assigned_under():
    """After an activation with another carrier map, a container holding parcels of both
    plans names no carrier; one filled under a single map names that map's carrier."""
    a = make_assigner(carriers=CARRIERS)
    send(a, "A1", "A")
    a.activate(dataclasses.replace(a.plan, version=2), {"A": "FEDEX"})
    send(a, "A2", "A")
    send(a, "A3", "A")
    mixed = a.chute_event("D0", "container_closed")
    pure = a.chute_event("D1", "container_closed")
    assert mixed.parcel_ids == ("A1", "A3") and pure.parcel_ids == ("A2",)
    assert (mixed.carrier, mixed.carriers) == (None, ("FEDEX", "UPS"))
    assert (pure.carrier, pure.carriers) == ("FEDEX", ("FEDEX",))
    restored = Assigner.restore(LAYOUT, json.loads(json.dumps(a.snapshot())))
    send(restored, "A4", "A")
    assert restored.chute_event("D0", "container_closed").carrier == "FEDEX"


def test_an_assigner_without_carriers_names_none():
    """The CLI and the simulator have no carrier map: every manifest names no carrier."""
    a = make_assigner()
    send(a, "B1", "B")
    manifest = a.chute_event("D2", "container_closed")
    assert (manifest.carrier, manifest.carriers, manifest.unattributed) == (None, (), 1)


def test_bad_events_are_input_errors():
    """Unknown chutes and unknown event names are refused with the field named."""
    a = make_assigner()
    with pytest.raises(InputError) as exc:
        a.chute_event("NOPE", "full")
    assert exc.value.field == "chute_id"
    with pytest.raises(InputError) as exc:
        a.chute_event("D0", "exploded")
    assert exc.value.field == "event"


def test_activation_is_atomic_and_keeps_assigned_parcels():
    """A new plan applies to new parcels; parcels already in containers stay in their manifests."""
    a = make_assigner()
    old = send(a, "P1")
    new_plan = simple_plan(LAYOUT, {"A": ["D4"], "B": ["D2"], "C": ["D3"]}, version=2)
    a.activate(new_plan)
    assert a.plan.plan_id == "T1-v2"
    assert send(a, "P2").chute_id == "D4"
    manifest = a.chute_event(old.chute_id, "container_closed")
    assert manifest.parcel_ids == ("P1",)
    assert manifest.plan_id == "T1-v2"
    assert send(a, "P1", scan=1) == old  # the earlier answer still stands


def test_activation_holds_a_chute_whose_destinations_change_until_its_container_closes():
    """D2 moves from B to C mid-container: no C parcel joins B's container; it is closed first."""
    a = make_assigner()
    send(a, "b1", "B")
    send(a, "a1", "A")  # D0 or D1, which keep their destination
    moved = simple_plan(LAYOUT, {"A": ["D0", "D1"], "C": ["D2"], "B": ["D3"]}, version=2)
    a.newly_full.clear()
    assert a.activate(moved) == ("D2",)
    assert a.newly_full == [2]  # operators are sent to swap it
    assert a.chute_status("D2")["available"] is False
    assert send(a, "c1", "C").reason is Reason.RECIRCULATE
    manifest = a.chute_event("D2", "container_closed")
    assert manifest.parcel_ids == ("b1",) and manifest.destinations == {"B": 1}
    assert send(a, "c1", "C", scan=2) == Decision("c1", "D2", Reason.PLANNED)
    assert a.chute_event("D2", "container_closed").destinations == {"C": 1}


def test_activation_leaves_unchanged_and_empty_chutes_open():
    """Chutes that keep their destinations, and empty ones that change, take parcels at once."""
    a = make_assigner()
    send(a, "a1", "A")
    swapped = simple_plan(LAYOUT, {"A": ["D0", "D1"], "B": ["D3"], "C": ["D2"]}, version=2)
    assert a.activate(swapped) == ()
    assert send(a, "c1", "C") == Decision("c1", "D2", Reason.PLANNED)


@pytest.mark.parametrize(
    ("plan_kwargs", "field"),
    [
        ({"mapping": {"A": ["NO_READ"]}}, "plan.assignments[0].chutes"),
        (
            {"mapping": {"A": ["D0"]}, "alternates": {"A": ["REJECT"]}},
            "plan.assignments[0].alternates",
        ),
        (
            {"mapping": {"A": ["D0"]}, "restricted": {Category.BATTERY: ("D1",)}},
            "plan.restricted.battery",
        ),
        ({"mapping": {"A": ["D0"]}, "no_read": ("EXCEPTION",)}, "plan.special.no_read"),
        ({"mapping": {"A": ["D5"]}, "restricted": {Category.BATTERY: ("D5",)}}, "plan"),
        (
            {
                "mapping": {"A": ["D0"]},
                "alternates": {"A": ["D5"]},
                "restricted": {Category.BATTERY: ("D5",)},
            },
            "plan",
        ),
    ],
)
def test_activation_refuses_a_plan_that_does_not_fit_the_chutes(plan_kwargs, field):
    """Wrong chute types, unfitted restricted chutes and double roles are refused at activation."""
    a = make_assigner()
    mapping = plan_kwargs.pop("mapping")
    bad = simple_plan(LAYOUT, mapping, version=2, **plan_kwargs)
    with pytest.raises(InputError) as exc:
        a.activate(bad)
    assert field in [p.field for p in exc.value.problems]
    assert a.plan.version == 1
    with pytest.raises(InputError):
        Assigner(LAYOUT, bad)


def test_activation_of_a_bad_plan_changes_nothing():
    """A plan naming chutes the sorter does not have is refused; the old plan stays active."""
    a = make_assigner()
    bad = simple_plan(LAYOUT, {"A": ["D9"]}, version=2)
    with pytest.raises(InputError):
        a.activate(bad)
    assert a.plan.version == 1
    assert send(a, "P").chute_id in {"D0", "D1"}


def test_snapshot_restore_round_trip():
    """State saved as JSON and restored answers the rest of the stream exactly as the original."""
    original = make_assigner()
    stream = [
        ParcelScan(f"P{i}", "ABC"[i % 3] if i % 7 else None, 100.0 + i, 100, 100, 100)
        for i in range(12)
    ]
    for s in stream[:6]:
        original.assign_scan(s)
    original.chute_event("D3", "disabled")
    restored = Assigner.restore(LAYOUT, json.loads(json.dumps(original.snapshot())))
    assert restored.snapshot() == original.snapshot()
    for s in stream[6:]:
        assert restored.assign_scan(s) == original.assign_scan(s)
    for s in stream[:6]:  # re-sent requests from before the restart: same answers
        assert restored.assign_scan(s) == original.assign_scan(s)
    for chute in ("D0", "D1", "D2"):
        assert restored.chute_event(chute, "container_closed") == original.chute_event(
            chute, "container_closed"
        )


def test_restore_refuses_foreign_or_broken_snapshots():
    """A snapshot of another sorter, or a mangled one, is an input error."""
    snap = make_assigner().snapshot()
    with pytest.raises(InputError):
        Assigner.restore(tiny_layout(2), {**snap, "sorter_id": "OTHER"})
    with pytest.raises(InputError):
        Assigner.restore(LAYOUT, {**snap, "chutes": [{"chute_id": "D0"}]})
    with pytest.raises(InputError):
        Assigner.restore(LAYOUT, {"format": 99})


def test_tracked_parcels_are_bounded():
    """Memory for idempotency is bounded: the oldest parcels are forgotten first."""
    plan = simple_plan(LAYOUT, {"A": ["D0", "D1"]})
    a = Assigner(LAYOUT, plan, max_tracked_parcels=5)
    for i in range(8):
        a.chute_event("D0", "container_closed")
        a.chute_event("D1", "container_closed")
        send(a, f"P{i}")
    assert len(a.snapshot()["parcels"]) == 5
    assert set(a.snapshot()["parcels"]) == {f"P{i}" for i in range(3, 8)}


def test_running_far_past_the_tracking_cap_keeps_exactly_the_newest_parcels():
    """Ten times the cap of parcels: the newest `cap` are remembered, the older ones forgotten."""
    cap = 50
    a = Assigner(LAYOUT, simple_plan(LAYOUT, {"A": ["D0", "D1"]}), max_tracked_parcels=cap)
    for i in range(10 * cap):
        send(a, f"P{i}", weight=1.0)
        if a.newly_full:
            for chute in ("D0", "D1"):
                a.chute_event(chute, "container_closed")
            a.newly_full.clear()
    remembered = a.snapshot()["parcels"]
    assert list(remembered) == [f"P{i}" for i in range(9 * cap, 10 * cap)]
    decisions = a.decisions
    newest = f"P{10 * cap - 1}"
    assert send(a, newest, weight=1.0, scan=1).chute_id == remembered[newest][1]
    assert a.decisions == decisions  # a re-sent request: answered from the record
    send(a, "P0", weight=1.0, scan=1)  # forgotten long ago: a new parcel again
    assert (a.decisions, a.parcels_seen) == (decisions + 1, 10 * cap + 1)
    assert "P0" in a.snapshot()["parcels"] and f"P{9 * cap}" not in a.snapshot()["parcels"]


def test_restore_with_a_smaller_cap_keeps_the_newest_records():
    """Restoring a snapshot into an assigner with a smaller cap keeps only the newest parcels."""
    a = make_assigner()
    for i in range(6):
        send(a, f"P{i}", "C" if i % 2 else "B", weight=1.0)
        a.chute_event("D2", "container_closed")
        a.chute_event("D3", "container_closed")
    restored = Assigner.restore(LAYOUT, a.snapshot(), max_tracked_parcels=2)
    assert list(restored.snapshot()["parcels"]) == ["P4", "P5"]
    with pytest.raises(InputError) as exc:
        Assigner(LAYOUT, a.plan, max_tracked_parcels=0)
    assert exc.value.field == "max_tracked_parcels"


def test_snapshot_without_parcel_records_keeps_containers():
    """A light snapshot drops idempotency records but keeps every container's contents."""
    a = make_assigner()
    send(a, "P1")
    send(a, "P2", "B")
    light = a.snapshot(include_parcels=False)
    assert light["parcels"] == {}
    restored = Assigner.restore(LAYOUT, light)
    assert restored.chute_event("D2", "container_closed").parcel_ids == ("P2",)
    assert restored.parcels_seen == 2


# A parcel's label and goods do not change between its requests.
PARCELS = {
    "P1": ("A", "general"),
    "P2": ("A", "general"),
    "P3": ("B", "general"),
    "P4": ("C", "battery"),
    "P5": (None, "general"),
    "P6": ("ZZ", "general"),
    "P7": ("B", "liquid"),
}
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("assign"),
            st.sampled_from(sorted(PARCELS)),
            st.one_of(st.none(), st.integers(1, 4)),
            st.sampled_from([0.0, 0.1, 100.0]),  # seconds before the request
        ),
        st.tuples(
            st.just("event"),
            st.sampled_from(["D0", "D1", "D2", "D3", "D4", "D5"]),
            st.sampled_from(["full", "swap_started", "container_closed", "disabled", "enabled"]),
        ),
        st.tuples(st.just("divert_failed"), st.sampled_from(["P1", "P2", "P3"])),
        st.tuples(st.just("activate"), st.integers(0, 1)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(operations=OPERATIONS)
def test_any_sequence_of_requests_and_events_keeps_containers_consistent(operations):
    """Whatever arrives: each parcel sits in at most one open container, once; counts and
    weights match the contents; parcels only reach chutes allowed for them; re-sends repeat."""
    plans = [
        simple_plan(
            LAYOUT,
            {"A": ["D0", "D1"], "B": ["D2"], "C": ["D3"]},
            alternates={"B": ["D3"]},
            restricted={Category.BATTERY: ("D5",)},
        ),
        simple_plan(
            LAYOUT,
            {"A": ["D4"], "B": ["D2", "D3"], "C": ["D1"]},
            alternates={"A": ["D0"]},
            restricted={Category.BATTERY: ("D5",)},
            version=2,
        ),
    ]
    clock = FakeClock()
    a = Assigner(LAYOUT, plans[0], clock=clock)
    kinds = {c.id: c for c in LAYOUT.chutes}
    for op in operations:
        if op[0] == "assign":
            _, pid, scan, wait = op
            dest, category = PARCELS[pid]
            clock.now += wait
            before = a.decisions
            decision = a.assign(pid, dest, 500.0, 100, 100, 100, category, scan)
            if decision.chute_id is not None:
                chute = kinds[decision.chute_id]
                if category == "general" and decision.reason in (Reason.PLANNED, Reason.ALTERNATE):
                    assert chute.type.value == "destination" and chute.id not in ("D5",)
                if category != "general":
                    assert chute.id == "D5" or chute.type.value in ("reject", "exception")
            if a.decisions == before:  # answered from the record: a re-send repeats itself
                assert a.assign(pid, dest, 500.0, 100, 100, 100, category, scan) == decision
        elif op[0] == "event":
            a.chute_event(op[1], op[2])
        elif op[0] == "divert_failed":
            a.divert_failed(op[1])
        else:
            a.activate(plans[op[1]])
        snapshot = a.snapshot()
        seen: list[str] = []
        for row in snapshot["chutes"]:
            seen += [item[0] for item in row["contents"]]
            status = a.chute_status(row["chute_id"])
            assert status["count"] == len(row["contents"])
            assert status["weight_g"] == pytest.approx(sum(item[1] for item in row["contents"]))
        assert len(seen) == len(set(seen))


def test_a_layout_switch_keeps_containers_states_and_answers():
    """Another layout of the sorter (a chute added in front, capacities changed): containers,
    chute states, re-sent answers and re-scans carry over by chute id."""
    a = make_assigner(carriers=CARRIERS)
    send(a, "P1", "A", scan=1)
    send(a, "P2", "B", scan=1)
    a.chute_event("D3", "disabled")

    def live(cid: str) -> dict:
        return {k: v for k, v in a.chute_status(cid).items() if k != "fill"}  # capacity changed

    before = {c.id: live(c.id) for c in LAYOUT.chutes}
    extra = dataclasses.replace(LAYOUT.chutes[0], id="NEW", position_m=5.0)
    bigger = [dataclasses.replace(c, capacity_parcels=10) for c in LAYOUT.chutes]
    layout = dataclasses.replace(LAYOUT, chutes=(extra, *bigger))
    a.switch_layout(layout)
    assert a.layout is layout
    after = {cid: live(cid) for cid in before}
    assert after == before
    assert send(a, "P1", "A", scan=1).chute_id == "D0"  # a re-send: same answer, not counted
    assert a.decisions == 2
    assert send(a, "P1", "A", scan=2).chute_id == "D0"  # a re-scan keeps its chute
    assert a.chute_status("D0")["count"] == 1
    manifest = a.chute_event("D2", "container_closed")
    assert (manifest.parcel_ids, manifest.carrier) == (("P2",), "DHL")
    for i in range(4):  # the larger capacity holds: four more parcels before B's chute is full
        assert send(a, f"B{i}", "B").chute_id == "D2"


def test_a_layout_switch_that_would_lose_live_state_changes_nothing():
    """A layout without a chute that holds parcels, or that the plan needs, is refused."""
    a = make_assigner()
    send(a, "P1", "B")
    snapshot = a.snapshot()
    without_d2 = dataclasses.replace(LAYOUT, chutes=tuple(c for c in LAYOUT.chutes if c.id != "D2"))
    with pytest.raises(InputError):
        a.switch_layout(without_d2)  # the plan sends B there
    b = Assigner(LAYOUT, simple_plan(LAYOUT, {"A": ["D0", "D1"]}))
    send(b, "Q1", "A")  # into D0
    b.activate(simple_plan(LAYOUT, {"A": ["D1"]}, version=2))  # D0 held with its parcel
    without_d0 = dataclasses.replace(LAYOUT, chutes=tuple(c for c in LAYOUT.chutes if c.id != "D0"))
    with pytest.raises(InputError) as exc:
        b.switch_layout(without_d0)
    assert "D0" in str(exc.value)
    assert a.snapshot() == snapshot and b.layout is LAYOUT


def test_a_layout_switch_that_moves_chutes_repoints_the_parcel_records():
    """Chutes reordered and an unused one dropped: records follow their chute by id."""
    plan = simple_plan(LAYOUT, {"A": ["D0", "D1"], "B": ["D2"]})
    a = Assigner(LAYOUT, plan, clock=FakeClock())
    answers = {pid: send(a, pid, dest, scan=1) for pid, dest in (("P1", "A"), ("P2", "B"))}
    a.chute_event("D0", "container_closed")
    a.chute_event("D0", "enabled")
    a.chute_event("D2", "full")
    kept = [c for c in LAYOUT.chutes if c.id != "D4"]
    layout = dataclasses.replace(LAYOUT, chutes=tuple(reversed(kept)))
    a.switch_layout(layout)
    for pid, dest in (("P1", "A"), ("P2", "B")):
        assert send(a, pid, dest, scan=1) == answers[pid]
    assert a.chute_status("D2")["state"] == "full" and a.chute_status("D2")["count"] == 1
    assert a.chute_status("D0")["container"] == 2
    assert a.chute_event("D2", "container_closed").parcel_ids == ("P2",)


def test_a_snapshot_for_another_layout_restores_by_matching_chute_ids():
    """A snapshot naming chutes the layout lacks is refused by `restore` and restored by
    `restore_matching`, which leaves those chutes out and says which."""
    a = make_assigner()
    send(a, "P1", "A")
    send(a, "P2", "C")
    plan_for_smaller = simple_plan(LAYOUT, {"A": ["D0", "D1"]})
    a.activate(plan_for_smaller)
    smaller = dataclasses.replace(LAYOUT, chutes=tuple(c for c in LAYOUT.chutes if c.id != "D3"))
    with pytest.raises(InputError):
        Assigner.restore(smaller, a.snapshot())
    restored, dropped = Assigner.restore_matching(smaller, a.snapshot())
    assert dropped == ("D3",)
    assert restored.chute_status("D0")["count"] == 1
    assert restored.decisions == a.decisions


def test_a_captured_state_is_a_copy_that_later_decisions_do_not_change():
    """`capture` copies the live state quickly; its JSON, built later, is the snapshot then."""
    a = make_assigner()
    send(a, "P1", "A")
    state = a.capture(include_parcels=True)
    expected = a.snapshot()
    send(a, "P2", "A")
    a.chute_event("D0", "container_closed")
    assert state.to_dict() == expected
    assert state.to_dict(plan=expected["plan"]) == expected


def test_skip_to_container_moves_a_chute_on_and_says_what_it_dropped():
    """Closes lost in a crash: the chute's container becomes the one named, empty and open;
    the parcels held for the closed ones come back; an older number changes nothing."""
    a = make_assigner()
    chute = send(a, "P1", "A").chute_id
    a.chute_event(chute, "full")
    assert a.skip_to_container(chute, 1) == ()
    assert a.skip_to_container(chute, 4) == ("P1",)
    status = a.chute_status(chute)
    assert (status["container"], status["count"], status["state"]) == (4, 0, "open")
    assert a.skip_to_container(chute, 2) == () and a.chute_status(chute)["container"] == 4
