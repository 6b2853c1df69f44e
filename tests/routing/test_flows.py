"""Flows: alike shipments share one flow, and the batch plan deals a flow's members by their
own costs."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.routing.batch import plan_batch
from optimizer.routing.context import build_timetable, prepare_planning
from optimizer.routing.flows import ShipmentArrays, build_flows
from optimizer.routing.generator import generate_network, generate_shipments
from optimizer.routing.policy import PlanningPolicy
from optimizer.timeutil import MINUTES_PER_DAY
from tests.routing.conftest import assert_feasible, parcel, tiny_network

CLASSES = PlanningPolicy().weight_classes_g


def independent_key(timetable, shipment) -> tuple:
    """The grouping key restated from the definition: origin, destination, cut-offs already
    missed at the origin, service, the lanes that accept the parcel, due day, weight class."""
    origin = timetable.node_index[shipment.origin]
    missed = {
        latest
        for lane in timetable.out_lanes[origin]
        for latest in timetable.latest_ready[lane]
        if latest < shipment.ready_at
    }
    lanes = frozenset(
        lane.id
        for lane, excluded in zip(timetable.lanes, timetable.lane_excluded, strict=True)
        if not excluded and lane.accepts(shipment.category, shipment.weight_g)
    )
    weight_class = sum(shipment.weight_g > bound for bound in CLASSES)
    return (
        shipment.origin,
        shipment.destination,
        len(missed),
        shipment.service,
        lanes,
        shipment.deliver_by // MINUTES_PER_DAY,
        weight_class,
    )


@pytest.fixture(scope="module")
def generated():
    network = generate_network(6, seed=7, expected_shipments=6000)
    return network, generate_shipments(network, 6000, seed=7)


def test_flows_are_exactly_the_groups_of_alike_shipments(generated):
    """Two generated shipments share a flow if and only if they share origin, destination,
    ready bucket, service level, accepting lanes, due day and weight class."""
    network, shipments = generated
    timetable = build_timetable(network, shipments)
    flows = build_flows(ShipmentArrays.build(shipments, timetable), timetable, CLASSES)
    keys = [independent_key(timetable, s) for s in shipments]
    assert len(flows) == len(set(keys))
    for flow in range(len(flows)):
        assert len({keys[m] for m in flows.members_of(flow).tolist()}) == 1


def test_parcels_differing_only_in_weight_and_size_travel_as_one_flow(network):
    """1.2, 2.5 and 4.9 kg parcels of different sizes, same route, ready time, service and
    window, are one flow of three (they were three flows when bands were 1 kg wide)."""
    shipments = [
        parcel("A", weight_g=1200, dims_mm=(100, 100, 100)),
        parcel("B", weight_g=2500, dims_mm=(400, 300, 200)),
        parcel("C", weight_g=4900, dims_mm=(600, 400, 400)),
    ]
    context = prepare_planning(network, shipments)
    assert len(context.flows) == 1
    assert context.flows.size(0) == 3


def test_flows_aggregate_on_generated_data(generated):
    """6,000 generated shipments make fewer than 2,700 flows (ten narrow weight bands made
    3,773, mostly single parcels), and quadrupling the shipments well under triples them."""
    network, shipments = generated
    timetable = build_timetable(network, shipments)
    few = build_flows(ShipmentArrays.build(shipments[::4], timetable), timetable, CLASSES)
    many = build_flows(ShipmentArrays.build(shipments, timetable), timetable, CLASSES)
    assert len(many) < 2700
    assert np.mean(many.sizes) > 2.2
    assert len(many) < 2.5 * len(few)


def test_members_of_a_flow_are_dealt_by_their_own_costs():
    """One flow of 1.5, 1.5 and 4.5 kg express parcels; Thursday's road departure (cheaper per
    kg, on time; next Monday's is 3 days late at 10.00 a day) takes one parcel, air the
    rest. The 4.5 kg parcel saves most by road (25.40 against 10.70 USD), so it goes by
    road, though a unit of the flow weighs 2.5 kg on average."""
    network = tiny_network(SLOW={"capacity_parcels": 1}, FAST={"capacity_g": 100_000})
    shipments = [
        parcel("L1", weight_g=1500, service="express"),
        parcel("L2", weight_g=1500, service="express"),
        parcel("H", weight_g=4500, service="express"),
    ]
    assert len(prepare_planning(network, shipments).flows) == 1
    plan = plan_batch(network, shipments, time_limit=5)
    lanes = {it.shipment: it.legs[1].lane for it in plan.itineraries}
    assert lanes == {"L1": "FAST", "L2": "FAST", "H": "SLOW"}
    assert_feasible(network, shipments, plan.itineraries)


def test_a_heavy_member_may_use_capacity_the_model_left_unreserved():
    """The road takes 6 kg and 2 parcels. The model reserves 2 x 2.5 kg there; the 4.5 kg and
    a 1.5 kg parcel (6 kg) still fit by using the 1 kg nobody reserved, so both ride the road
    and only one parcel pays for air; the road is full to the gram, not over."""
    network = tiny_network(
        SLOW={"capacity_parcels": 2, "capacity_g": 6000}, FAST={"capacity_g": 100_000}
    )
    shipments = [
        parcel("L1", weight_g=1500, service="express"),
        parcel("L2", weight_g=1500, service="express"),
        parcel("H", weight_g=4500, service="express"),
    ]
    plan = plan_batch(network, shipments, time_limit=5)
    lanes = {it.shipment: it.legs[1].lane for it in plan.itineraries}
    assert lanes["H"] == "SLOW"
    assert sorted(lanes.values()) == ["FAST", "SLOW", "SLOW"]
    assert_feasible(network, shipments, plan.itineraries)
