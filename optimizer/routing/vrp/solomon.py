"""Reader for Solomon's VRPTW instance format (C101.txt, R101.txt, ...).

The file gives a fleet of identical vehicles, a depot (customer 0) and
customers with coordinates, demand, ready time, due date (latest service start)
and service time. Travel time equals Euclidean distance. Two conventions exist:
`euclidean` (exact distances, what a real plan needs) and `dimacs` (every
distance truncated to one decimal, as in the DIMACS challenge and the
distance-only best-known solutions).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.routing.vrp.matrices import euclidean, truncate_to_tenths
from optimizer.routing.vrp.model import (
    INF,
    Depot,
    Load,
    RoutingProblem,
    Stop,
    TimeWindow,
    TravelMatrix,
    Vehicle,
)

CONVENTIONS = ("euclidean", "dimacs")
_COLUMNS = 7  # id, x, y, demand, ready, due, service


def read_solomon(path: str | Path, *, convention: str = "euclidean") -> RoutingProblem:
    """Read a Solomon instance file."""
    path = Path(path)
    return parse_solomon(path.read_text(), name=path.stem, convention=convention)


def parse_solomon(text: str, *, name: str = "", convention: str = "euclidean") -> RoutingProblem:
    """Parse Solomon-format text; every defect is reported with its line number."""
    if convention not in CONVENTIONS:
        raise InputError(
            f"unknown convention {convention!r}; use one of {CONVENTIONS}", "convention"
        )
    lines = [line.split() for line in text.splitlines()]
    fleet = _fleet(lines)
    rows, problems = _customer_rows(lines)
    if fleet is None:
        problems.insert(0, Problem("VEHICLE", "missing NUMBER and CAPACITY line"))
    if not rows and not problems:
        problems.append(Problem("CUSTOMER", "no customer rows (the depot is customer 0)"))
    if problems:
        raise InputError(problems)
    assert fleet is not None
    count, capacity = fleet
    table = np.array([values for _, values in rows], dtype=np.float64)
    ids = [str(int(v)) for v in table[:, 0]]
    coords = table[:, 1:3]
    distance = euclidean(coords)
    if convention == "dimacs":
        distance = truncate_to_tenths(distance)
    hours = TimeWindow(table[0, 4], table[0, 5])
    depot = Depot(id=ids[0], location=0, hours=hours)
    vehicles = tuple(
        Vehicle(id=f"v{k + 1}", start_depot=depot.id, capacity=Load(capacity, INF), shift=hours)
        for k in range(count)
    )
    stops = tuple(
        Stop(
            id=ids[i],
            location=i,
            demand=Load(row[3]),
            service_time=row[6],
            windows=(TimeWindow(row[4], row[5]),),
        )
        for i, row in enumerate(table)
        if i > 0
    )
    return RoutingProblem(
        depots=(depot,),
        vehicles=vehicles,
        stops=stops,
        travel=TravelMatrix(distance=distance, duration=distance),
        name=name,
        coordinates=coords,
    )


def _fleet(lines: list[list[str]]) -> tuple[int, float] | None:
    for i, words in enumerate(lines):
        if words and words[0].upper() == "VEHICLE":
            for candidate in lines[i + 1 : i + 4]:
                if len(candidate) == 2 and all(_is_number(w) for w in candidate):
                    count, capacity = int(float(candidate[0])), float(candidate[1])
                    if count > 0 and capacity >= 0:
                        return count, capacity
            return None
    return None


def _customer_rows(lines: list[list[str]]) -> tuple[list[tuple[int, list[float]]], list[Problem]]:
    start = next((i for i, w in enumerate(lines) if w and w[0].upper() == "CUSTOMER"), None)
    if start is None:
        return [], [Problem("CUSTOMER", "missing CUSTOMER section")]
    rows: list[tuple[int, list[float]]] = []
    problems: list[Problem] = []
    seen: set[int] = set()
    for number, words in enumerate(lines[start + 1 :], start=start + 2):
        if not words or not _is_number(words[0]):
            continue  # header lines and blanks
        where = f"line {number}"
        if len(words) != _COLUMNS or not all(_is_number(w) for w in words):
            problems.append(Problem(where, f"expected {_COLUMNS} numbers, got {' '.join(words)!r}"))
            continue
        values = [float(w) for w in words]
        customer = int(values[0])
        if customer in seen:
            problems.append(Problem(where, f"duplicate customer {customer}"))
        seen.add(customer)
        if min(values[3:]) < 0:
            problems.append(Problem(where, "demand, times and service must be >= 0"))
        elif values[5] < values[4]:
            problems.append(
                Problem(where, f"due date {values[5]:g} before ready time {values[4]:g}")
            )
        rows.append((number, values))
    return rows, problems


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True
