"""Candidate itineraries per flow: a few cheap, fast and capacity-diverse timed paths.

Per route group (origin, destination, eligibility class) the static lane paths are
enumerated once (depth-first, cheapest lanes first, at most `max_paths`). Each path
is timed for all the group's flows at once with numpy (first departure whose
cut-off the flow's latest member makes, then arrival, clearance, node cut-off and
handling). Every member's price on every lane is computed once, vectorised, so a
candidate's cost for each member is exact; the model uses the flow's mean.

Kept per flow: the `paths_per_flow` paths with the lowest mean cost (freight + risk
+ late penalty), every member's own cheapest path (members differ in weight and
deadline, so they may rank paths differently), the fastest path, and variants
that wait for later departures of the bottleneck (smallest-capacity) leg: the next
`later_departures` on the best path, the next one on the second best.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from optimizer.routing.flows import NO_TIME, Flows, ShipmentArrays
from optimizer.routing.itinerary import Reason
from optimizer.routing.policy import PlanningPolicy
from optimizer.routing.pricing import leg_price, leg_prices
from optimizer.routing.search import diagnose
from optimizer.routing.shipments import Shipment
from optimizer.routing.timetable import UNLIMITED, Timetable
from optimizer.timeutil import MINUTES_PER_DAY

REPRESENTATIVE_GRAMS = 1000


@dataclass
class Candidates:
    """Timed paths per flow, with every member's exact cost on each."""

    flow: list[int] = field(default_factory=list)
    lanes: list[tuple[int, ...]] = field(default_factory=list)
    dep_index: list[tuple[int, ...]] = field(default_factory=list)
    departures: list[tuple[int, ...]] = field(default_factory=list)
    arrivals: list[tuple[int, ...]] = field(default_factory=list)
    readies: list[tuple[int, ...]] = field(default_factory=list)
    # Per candidate, per member of its flow (members_of order): freight+risk and penalty.
    member_cost: list[np.ndarray] = field(default_factory=list)
    member_penalty: list[np.ndarray] = field(default_factory=list)
    member_late: list[np.ndarray] = field(default_factory=list)
    member_delivered: list[np.ndarray] = field(default_factory=list)
    flow_candidates: list[list[int]] = field(default_factory=list)
    unroutable: dict[int, tuple[Reason, str]] = field(default_factory=dict)
    # Lane prices (freight only, plan currency) per group member: prices[(group, lane)][pos].
    prices: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    position: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    paths_enumerated: int = 0

    def __len__(self) -> int:
        return len(self.flow)

    def unit_costs(self) -> np.ndarray:
        """Mean per-member objective of each candidate, rounded up (model coefficients)."""
        return np.array(
            [
                -(-int((cost + penalty).sum()) // len(cost))
                for cost, penalty in zip(self.member_cost, self.member_penalty, strict=True)
            ],
            dtype=np.int64,
        )

    def departure_ids(self, timetable: Timetable, candidate: int) -> list[int]:
        return [
            timetable.departure_id(lane, index)
            for lane, index in zip(self.lanes[candidate], self.dep_index[candidate], strict=True)
        ]


def _static_paths(
    timetable: Timetable,
    origin: int,
    destination: int,
    mask: np.ndarray,
    policy: PlanningPolicy,
    rank: dict[int, int],
) -> list[tuple[int, ...]]:
    """Up to `max_paths` simple lane paths, exploring the cheapest lanes first."""
    reach = timetable.lower_bounds_to(destination)
    paths: list[tuple[int, ...]] = []
    stack_nodes = {origin}

    def walk(node: int, prefix: list[int]) -> None:
        if len(paths) >= policy.max_paths:
            return
        if node == destination:
            paths.append(tuple(prefix))
            return
        if len(prefix) >= policy.max_legs:
            return
        options = [
            lane
            for lane in timetable.out_lanes[node]
            if mask[lane]
            and reach[int(timetable.lane_destination[lane])] < float("inf")
            and int(timetable.lane_destination[lane]) not in stack_nodes
        ]
        options.sort(key=lambda lane: rank.get(lane, 0))
        for lane in options:
            nxt = int(timetable.lane_destination[lane])
            stack_nodes.add(nxt)
            prefix.append(lane)
            walk(nxt, prefix)
            prefix.pop()
            stack_nodes.discard(nxt)

    walk(origin, [])
    return paths


def time_path(
    timetable: Timetable, path: tuple[int, ...], ready: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised timing of one path for many start times.

    Returns (valid, dep_index, departure, arrival, ready) with one column per leg.
    """
    count = len(ready)
    legs = len(path)
    valid = np.ones(count, dtype=bool)
    dep_index = np.zeros((count, legs), dtype=np.int64)
    departure = np.zeros((count, legs), dtype=np.int64)
    arrival = np.zeros((count, legs), dtype=np.int64)
    readies = np.zeros((count, legs), dtype=np.int64)
    current = ready.astype(np.int64)
    for leg, lane in enumerate(path):
        latest = timetable.latest_ready_array[lane]
        index = np.searchsorted(latest, current, side="left")
        valid &= index < len(latest)
        index = np.minimum(index, max(len(latest) - 1, 0))
        if len(latest) == 0:
            valid[:] = False
            break
        times = timetable.departures_array[lane][index]
        reach = times + int(timetable.lane_transit[lane])
        node = int(timetable.lane_destination[lane])
        current = timetable.ready_times(node, reach + int(timetable.lane_clearance[lane]))
        dep_index[:, leg] = index
        departure[:, leg] = times
        arrival[:, leg] = reach
        readies[:, leg] = current
    return valid, dep_index, departure, arrival, readies


def _time_with_skip(
    timetable: Timetable, path: tuple[int, ...], start: int, skip_leg: int, skip: int
) -> tuple[tuple[int, ...], ...] | None:
    """Scalar timing that takes the `skip`-th later departure on leg `skip_leg`."""
    current = start
    out: list[list[int]] = [[], [], [], []]
    for leg, lane in enumerate(path):
        latest = timetable.latest_ready[lane]
        index = bisect.bisect_left(latest, current) + (skip if leg == skip_leg else 0)
        if index >= len(latest):
            return None
        departure = timetable.departures[lane][index]
        reach = departure + int(timetable.lane_transit[lane])
        current = timetable.ready_time(
            int(timetable.lane_destination[lane]), reach + int(timetable.lane_clearance[lane])
        )
        for column, value in zip(out, (index, departure, reach, current), strict=True):
            column.append(value)
    return tuple(tuple(column) for column in out)


def _penalties(
    arrays: ShipmentArrays, members: np.ndarray, final_ready: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Delivery instant, minutes late and penalty for each member given its flow's arrival."""
    start = arrays.deliver_from[members]
    delivered = np.where(start == NO_TIME, final_ready, np.maximum(final_ready, start))
    late = np.maximum(delivered - arrays.deliver_by[members], 0)
    days = -(-late // MINUTES_PER_DAY)
    return delivered, late, days * arrays.penalty_per_day[arrays.service[members]]


def build_candidates(
    timetable: Timetable,
    shipments: list[Shipment],
    arrays: ShipmentArrays,
    flows: Flows,
    policy: PlanningPolicy,
    progress=None,
) -> Candidates:
    """Candidates for every flow (flows without any get a diagnosed reason instead)."""
    network = timetable.network
    result = Candidates()
    result.flow_candidates = [[] for _ in range(len(flows))]
    result.position = np.zeros(len(shipments), dtype=np.int64)
    flows_by_group = np.argsort(flows.group, kind="stable")
    group_starts = np.searchsorted(flows.group[flows_by_group], np.arange(len(flows.groups) + 1))
    bottleneck_cache: dict[tuple[int, ...], int] = {}
    for group_id, (origin, destination, eligibility) in enumerate(flows.groups):
        if progress is not None and group_id % 50 == 0:
            progress(group_id / max(len(flows.groups), 1))
        group_flows = flows_by_group[group_starts[group_id] : group_starts[group_id + 1]]
        dest_node = network.nodes[destination]
        mask = flows.masks[eligibility]
        rank = {
            lane: leg_price(network, timetable.lanes[lane], REPRESENTATIVE_GRAMS, None, dest_node)
            for lane in np.nonzero(mask)[0].tolist()
        }
        paths = _static_paths(timetable, origin, destination, mask, policy, rank)
        result.paths_enumerated += len(paths)
        if not paths:
            sample = shipments[int(flows.members_of(int(group_flows[0]))[0])]
            reason = diagnose(timetable, sample, origin, destination)
            for flow in group_flows.tolist():
                result.unroutable[flow] = reason
            continue
        sizes = flows.sizes[group_flows]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        members = np.concatenate([flows.members_of(int(f)) for f in group_flows])
        result.position[members] = np.arange(len(members))
        flow_of_member = np.repeat(np.arange(len(group_flows)), sizes)
        lanes_used = sorted({lane for path in paths for lane in path})
        price = {}
        for lane in lanes_used:
            freight = leg_prices(
                network,
                timetable.lanes[lane],
                arrays.weight_g[members],
                arrays.dims_mm[members],
                dest_node,
            )
            result.prices[(group_id, lane)] = freight
            price[lane] = freight + int(timetable.lane_risk[lane])
        ready = flows.ready[group_flows]
        path_cost = []
        member_total = np.full((len(paths), len(members)), np.inf)
        timing = []
        unit = np.full((len(group_flows), len(paths)), np.inf)
        finals = np.full((len(group_flows), len(paths)), np.inf)
        for p, path in enumerate(paths):
            member_cost = np.sum([price[lane] for lane in path], axis=0)
            valid, dep_index, departure, arrival, readies = time_path(timetable, path, ready)
            final = readies[:, -1]
            _, _, penalty = _penalties(arrays, members, final[flow_of_member])
            totals = np.add.reduceat(member_cost + penalty, offsets[:-1])
            member_total[p] = np.where(valid[flow_of_member], member_cost + penalty, np.inf)
            unit[:, p] = np.where(valid, totals / sizes, np.inf)
            finals[:, p] = np.where(valid, final, np.inf)
            path_cost.append(member_cost)
            timing.append((dep_index, departure, arrival, readies))
        order = np.argsort(unit, axis=1, kind="stable")
        fastest = np.argmin(finals, axis=1)
        for row, flow in enumerate(group_flows.tolist()):
            valid_paths = [int(p) for p in order[row] if np.isfinite(unit[row, p])]
            if not valid_paths:
                sample = shipments[int(flows.members_of(flow)[0])]
                result.unroutable[flow] = diagnose(timetable, sample, origin, destination)
                continue
            chosen = valid_paths[: policy.paths_per_flow]
            own = member_total[:, offsets[row] : offsets[row + 1]].argmin(axis=0)
            for p in sorted(set(own.tolist()) - set(chosen), key=valid_paths.index):
                chosen.append(p)
            if int(fastest[row]) not in chosen and np.isfinite(finals[row, fastest[row]]):
                chosen.append(int(fastest[row]))
            flow_members = members[offsets[row] : offsets[row + 1]]
            for p in chosen:
                dep_index, departure, arrival, readies = timing[p]
                _add(
                    result,
                    arrays,
                    flow,
                    paths[p],
                    (
                        tuple(dep_index[row].tolist()),
                        tuple(departure[row].tolist()),
                        tuple(arrival[row].tolist()),
                        tuple(readies[row].tolist()),
                    ),
                    path_cost[p][offsets[row] : offsets[row + 1]],
                    flow_members,
                )
            depths = [policy.later_departures] + [1] * min(1, policy.later_departures)
            for p, depth in zip(valid_paths, depths, strict=False):
                path = paths[p]
                leg = bottleneck_cache.get(path)
                if leg is None:
                    capacities = [int(timetable.lane_capacity_g[lane]) for lane in path]
                    leg = int(np.argmin(capacities)) if min(capacities) < UNLIMITED else -1
                    bottleneck_cache[path] = leg
                if leg < 0:
                    continue
                for skip in range(1, depth + 1):
                    variant = _time_with_skip(timetable, path, int(flows.ready[flow]), leg, skip)
                    if variant is None:
                        break
                    _add(
                        result,
                        arrays,
                        flow,
                        path,
                        variant,
                        path_cost[p][offsets[row] : offsets[row + 1]],
                        flow_members,
                    )
    return result


def _add(
    result: Candidates,
    arrays: ShipmentArrays,
    flow: int,
    path: tuple[int, ...],
    timing: tuple[tuple[int, ...], ...],
    member_cost: np.ndarray,
    members: np.ndarray,
) -> None:
    dep_index, departure, arrival, readies = timing
    delivered, late, penalty = _penalties(
        arrays, members, np.full(len(members), readies[-1], dtype=np.int64)
    )
    result.flow_candidates[flow].append(len(result.flow))
    result.flow.append(flow)
    result.lanes.append(path)
    result.dep_index.append(dep_index)
    result.departures.append(departure)
    result.arrivals.append(arrival)
    result.readies.append(readies)
    result.member_cost.append(member_cost)
    result.member_penalty.append(penalty)
    result.member_late.append(late)
    result.member_delivered.append(delivered)
