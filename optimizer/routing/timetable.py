"""The network compiled for a horizon: the time-expanded view every planner reads.

Per lane: sorted UTC departures and the matching latest-ready instants (departure
minus cut-off), as Python lists (for `bisect` in scalar searches) and numpy arrays
(for vectorised timing of many parcels). Per node: its clock (UTC offsets over the
horizon), cut-off and handling, so `ready_time` is a few integer operations.
Carrier-score inputs (risk cost per parcel, excluded lanes) are compiled in too.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping
from functools import cached_property

import numpy as np

from optimizer.routing.network import Lane, Network
from optimizer.routing.schedule import Horizon, expand_departures
from optimizer.timeutil import MINUTES_PER_DAY, OffsetTable, get_zone

UNLIMITED = np.iinfo(np.int64).max // 4


class Timetable:
    """Departures, clocks and lane attributes of one network over one horizon."""

    def __init__(
        self,
        network: Network,
        horizon: Horizon,
        lane_risk: Mapping[str, int] | None = None,
        excluded_lanes: Collection[str] = (),
        cancelled: Mapping[str, Collection[int]] | None = None,
    ):
        self.network = network
        self.horizon = horizon
        self.node_ids = [node.id for node in network.nodes]
        self.node_index = {node_id: i for i, node_id in enumerate(self.node_ids)}
        self.lanes: list[Lane] = list(network.lanes)
        self.lane_index = {lane.id: i for i, lane in enumerate(self.lanes)}
        nodes = network.nodes
        span_end = horizon.end + 120 * MINUTES_PER_DAY
        clocks: dict[str, OffsetTable] = {}
        for node in nodes:
            if node.timezone not in clocks:
                clocks[node.timezone] = OffsetTable(
                    get_zone(node.timezone), horizon.start, span_end
                )
        self.node_clock = [clocks[node.timezone] for node in nodes]
        self.node_handling = [node.handling_minutes for node in nodes]
        self.node_cutoff = [node.cutoff for node in nodes]
        self.out_lanes: list[list[int]] = [[] for _ in nodes]
        self.in_lanes: list[list[int]] = [[] for _ in nodes]
        self.lane_origin = np.empty(len(self.lanes), dtype=np.int64)
        self.lane_destination = np.empty(len(self.lanes), dtype=np.int64)
        self.departures: list[list[int]] = []
        self.latest_ready: list[list[int]] = []
        self.departures_array: list[np.ndarray] = []
        self.latest_ready_array: list[np.ndarray] = []
        cancelled = cancelled or {}
        risk = lane_risk or {}
        self.lane_risk = np.array([int(risk.get(lane.id, 0)) for lane in self.lanes], np.int64)
        self.lane_excluded = np.array([lane.id in excluded_lanes for lane in self.lanes], bool)
        for index, lane in enumerate(self.lanes):
            origin = self.node_index[lane.origin]
            destination = self.node_index[lane.destination]
            self.lane_origin[index] = origin
            self.lane_destination[index] = destination
            self.out_lanes[origin].append(index)
            self.in_lanes[destination].append(index)
            drop = set(cancelled.get(lane.id, ()))
            times = [t for t in expand_departures(lane, nodes[origin], horizon) if t not in drop]
            self.departures.append(times)
            self.latest_ready.append([t - lane.cutoff_minutes for t in times])
            self.departures_array.append(np.asarray(times, dtype=np.int64))
            self.latest_ready_array.append(np.asarray(self.latest_ready[-1], dtype=np.int64))
        self.lane_transit = np.array([lane.transit_minutes for lane in self.lanes], np.int64)
        self.lane_clearance = np.array([lane.clearance_minutes for lane in self.lanes], np.int64)
        self.lane_capacity_g = np.array(
            [UNLIMITED if lane.capacity_g is None else lane.capacity_g for lane in self.lanes],
            np.int64,
        )
        self.lane_capacity_parcels = np.array(
            [
                UNLIMITED if lane.capacity_parcels is None else lane.capacity_parcels
                for lane in self.lanes
            ],
            np.int64,
        )
        self._lower_bounds: dict[int, list[float]] = {}

    # -- clocks -------------------------------------------------------------------------
    def ready_time(self, node: int, arrival: int) -> int:
        """When a parcel that reached `node` at `arrival` (cleared) is handled and ready."""
        cutoff = self.node_cutoff[node]
        start = arrival
        if cutoff is not None:
            clock = self.node_clock[node]
            local = arrival + clock.offset(arrival)
            minute_of_day = local % MINUTES_PER_DAY
            if minute_of_day > cutoff:
                midnight = local - minute_of_day + MINUTES_PER_DAY
                start = midnight - clock.offset(midnight - clock.offset(arrival))
        return start + self.node_handling[node]

    def ready_times(self, node: int, arrivals: np.ndarray) -> np.ndarray:
        """Vectorised `ready_time`."""
        cutoff = self.node_cutoff[node]
        start = arrivals
        if cutoff is not None:
            clock = self.node_clock[node]
            local = arrivals + clock.offsets_of(arrivals)
            minute_of_day = local % MINUTES_PER_DAY
            midnight = local - minute_of_day + MINUTES_PER_DAY
            next_day = midnight - clock.offsets_of(midnight - clock.offsets_of(arrivals))
            start = np.where(minute_of_day > cutoff, next_day, arrivals)
        return start + self.node_handling[node]

    # -- lanes --------------------------------------------------------------------------
    def lane_arrival(self, lane: int, departure: int) -> int:
        """Arrival instant at the lane's destination, customs clearance included."""
        return departure + int(self.lane_transit[lane]) + int(self.lane_clearance[lane])

    def departure_count(self, lane: int) -> int:
        return len(self.departures[lane])

    def lower_bounds_to(self, destination: int) -> list[float]:
        """Static lower bound of minutes from each node to `destination` (no waiting)."""
        cached = self._lower_bounds.get(destination)
        if cached is not None:
            return cached
        bound = [float("inf")] * len(self.node_ids)
        bound[destination] = 0.0
        heap = [(0.0, destination)]
        while heap:
            distance, node = heapq.heappop(heap)
            if distance > bound[node]:
                continue
            for lane in self.in_lanes[node]:
                origin = int(self.lane_origin[lane])
                step = (
                    self.lanes[lane].cutoff_minutes
                    + int(self.lane_transit[lane])
                    + int(self.lane_clearance[lane])
                    + self.node_handling[node]
                )
                if distance + step < bound[origin]:
                    bound[origin] = distance + step
                    heapq.heappush(heap, (distance + step, origin))
        self._lower_bounds[destination] = bound
        return bound

    @cached_property
    def departure_offsets(self) -> np.ndarray:
        """Start of each lane's block in a flat numbering of all departures."""
        counts = [len(times) for times in self.departures]
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def departure_id(self, lane: int, index: int) -> int:
        """A single integer naming departure `index` of `lane` (for capacity bookkeeping)."""
        return int(self.departure_offsets[lane]) + index

    def departure_of(self, departure_id: int) -> tuple[int, int]:
        lane = int(np.searchsorted(self.departure_offsets, departure_id, side="right")) - 1
        return lane, departure_id - int(self.departure_offsets[lane])
