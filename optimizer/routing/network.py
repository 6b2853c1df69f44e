"""The scheduled multimodal network: nodes, lanes with weekly departures, tariffs.

Plain frozen dataclasses validated at construction; `Network.graph` is the
networkx view (a MultiDiGraph keyed by lane id) used for reachability and paths.
Durations are integer minutes, weights grams, capacities grams and parcels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

import networkx as nx

from optimizer.errors import InputError, Problem
from optimizer.money import RateTable, is_currency_code
from optimizer.routing.service import DEFAULT_SERVICE_LEVELS, ServiceLevel
from optimizer.routing.tariffs import Tariff
from optimizer.timeutil import MINUTES_PER_DAY, get_zone

UNKNOWN = "unknown_reference"
GENERAL = "general"
CATEGORIES = (GENERAL, "batteries", "liquids", "cosmetics", "food")


class NodeKind(StrEnum):
    SELLER_WAREHOUSE = "seller_warehouse"
    ORIGIN_HUB = "origin_hub"
    EXPORT_GATEWAY = "export_gateway"
    IMPORT_GATEWAY = "import_gateway"
    DESTINATION_HUB = "destination_hub"
    DELIVERY_ZONE = "delivery_zone"


class Mode(StrEnum):
    TRUCK = "truck"
    AIR = "air"
    SEA = "sea"
    RAIL = "rail"
    LAST_MILE = "last_mile"


def reference_problems(network: Network) -> list[Problem]:
    """Duplicate ids and references to nodes, tariffs or currencies the network lacks."""
    problems: list[Problem] = []
    node_ids: set[str] = set()
    for index, node in enumerate(network.nodes):
        if node.id in node_ids:
            problems.append(Problem(f"nodes[{index}].id", f"duplicate node id {node.id!r}"))
        node_ids.add(node.id)
    lane_ids: set[str] = set()
    for index, lane in enumerate(network.lanes):
        path = f"lanes[{index}]"
        if lane.id in lane_ids:
            problems.append(Problem(f"{path}.id", f"duplicate lane id {lane.id!r}"))
        lane_ids.add(lane.id)
        for key, ref in (("from", lane.origin), ("to", lane.destination)):
            if ref not in node_ids:
                problems.append(Problem(f"{path}.{key}", f"unknown node {ref!r}", UNKNOWN))
        if lane.tariff not in network.tariffs:
            problems.append(Problem(f"{path}.tariff", f"unknown tariff {lane.tariff!r}", UNKNOWN))
    for tariff_id, tariff in network.tariffs.items():
        if not network.rates.knows(tariff.currency):
            problems.append(
                Problem(f"tariffs.{tariff_id}.currency", f"no rate for {tariff.currency}", UNKNOWN)
            )
    return problems


def is_country_code(code: object) -> bool:
    return isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()


@dataclass(frozen=True)
class Node:
    """A place parcels pass through, with its local clock and handling rules.

    A parcel arriving after the local `cutoff` (minute of day) waits for the next
    local midnight before handling starts; handling then takes `handling_minutes`.
    """

    id: str
    kind: NodeKind
    country: str
    timezone: str
    handling_minutes: int = 0
    cutoff: int | None = None
    zone: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("node id cannot be empty")
        object.__setattr__(self, "kind", NodeKind(self.kind))
        if not is_country_code(self.country):
            raise ValueError(f"country must be an ISO 3166 alpha-2 code, not {self.country!r}")
        get_zone(self.timezone)
        if self.handling_minutes < 0:
            raise ValueError("handling time cannot be negative")
        if self.cutoff is not None and not 0 <= self.cutoff < MINUTES_PER_DAY:
            raise ValueError("cut-off must be a time of day")

    @property
    def tariff_zone(self) -> str:
        return self.zone or self.country


@dataclass(frozen=True, order=True)
class WeeklyDeparture:
    """One departure a week: weekday (0 = Monday) and local minute of day at the lane origin."""

    weekday: int
    minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.minute < MINUTES_PER_DAY:
            raise ValueError("departure time must be a time of day")


@dataclass(frozen=True)
class Lane:
    """A scheduled service between two nodes run by one carrier.

    A parcel must be ready at the origin `cutoff_minutes` before a departure; it
    arrives `transit_minutes` after it and is then held `clearance_minutes` (customs)
    before the destination node handles it. Capacities apply per departure;
    None means unlimited.
    """

    id: str
    origin: str
    destination: str
    mode: Mode
    carrier: str
    departures: tuple[WeeklyDeparture, ...]
    transit_minutes: int
    tariff: str
    cutoff_minutes: int = 0
    clearance_minutes: int = 0
    categories: frozenset[str] = frozenset({GENERAL})
    capacity_g: int | None = None
    capacity_parcels: int | None = None
    max_parcel_g: int | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("lane id cannot be empty")
        if self.origin == self.destination:
            raise ValueError("a lane cannot start and end at the same node")
        object.__setattr__(self, "mode", Mode(self.mode))
        object.__setattr__(self, "departures", tuple(sorted(set(self.departures))))
        object.__setattr__(self, "categories", frozenset(self.categories))
        if not self.departures:
            raise ValueError("a lane needs at least one weekly departure")
        if self.transit_minutes <= 0:
            raise ValueError("transit time must be positive")
        if self.cutoff_minutes < 0 or self.clearance_minutes < 0:
            raise ValueError("cut-off and clearance times cannot be negative")
        unknown = sorted(self.categories - set(CATEGORIES))
        if unknown or not self.categories:
            raise ValueError(f"categories must be some of {', '.join(CATEGORIES)}")
        for name in ("capacity_g", "capacity_parcels"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} cannot be negative")
        if self.max_parcel_g is not None and self.max_parcel_g <= 0:
            raise ValueError("max parcel weight must be positive")

    def accepts(self, category: str, weight_g: int) -> bool:
        return category in self.categories and (
            self.max_parcel_g is None or weight_g <= self.max_parcel_g
        )


@dataclass(frozen=True)
class Network:
    """Nodes, lanes and tariffs, with the plan currency and its exchange-rate table."""

    nodes: tuple[Node, ...]
    lanes: tuple[Lane, ...]
    tariffs: Mapping[str, Tariff]
    rates: RateTable
    service_levels: Mapping[str, ServiceLevel] = field(
        default_factory=lambda: dict(DEFAULT_SERVICE_LEVELS)
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "lanes", tuple(self.lanes))
        object.__setattr__(self, "tariffs", MappingProxyType(dict(self.tariffs)))
        object.__setattr__(self, "service_levels", MappingProxyType(dict(self.service_levels)))
        if not is_currency_code(self.rates.base):
            raise ValueError("plan currency must be a 3-letter ISO code")
        problems = reference_problems(self)
        if problems:
            raise InputError(problems)

    @property
    def currency(self) -> str:
        """The plan currency: every cost in a plan is in its minor units."""
        return self.rates.base

    @cached_property
    def node_by_id(self) -> Mapping[str, Node]:
        return MappingProxyType({node.id: node for node in self.nodes})

    @cached_property
    def lane_by_id(self) -> Mapping[str, Lane]:
        return MappingProxyType({lane.id: lane for lane in self.lanes})

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """Nodes with their attributes, one edge per lane keyed by lane id."""
        graph = nx.MultiDiGraph()
        for node in self.nodes:
            graph.add_node(node.id, node=node)
        for lane in self.lanes:
            graph.add_edge(lane.origin, lane.destination, key=lane.id, lane=lane)
        return graph

    def with_lanes(self, lanes: tuple[Lane, ...] | list[Lane]) -> Network:
        return replace(self, lanes=tuple(lanes))

    def with_tariffs(self, tariffs: Mapping[str, Tariff]) -> Network:
        return replace(self, tariffs=dict(tariffs))
