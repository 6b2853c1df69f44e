"""Solomon instances and best-known solutions from the shared data directory."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from optimizer.settings import data_dir

FAMILIES = ("C1", "C2", "R1", "R2", "RC1", "RC2")


@dataclass(frozen=True)
class BestKnown:
    distance: float  # DIMACS convention, distance-only objective
    vehicles: int  # from the hierarchical (fewest vehicles first) best-known table
    vehicles_distance: float  # that table's distance, exact Euclidean


def solomon_dir() -> Path | None:
    base = data_dir()
    folder = base / "vrptw" / "solomon" if base else None
    return folder if folder and folder.is_dir() else None


def instance_paths(names: list[str] | None = None) -> list[Path]:
    folder = solomon_dir()
    if folder is None:
        raise FileNotFoundError("Solomon instances not found: set OPTIMIZER_DATA_DIR (see README)")
    paths = sorted(folder.glob("*.txt"), key=lambda p: (family(p.stem), p.stem))
    if names:
        wanted = {n.upper() for n in names}
        paths = [p for p in paths if p.stem.upper() in wanted]
        missing = wanted - {p.stem.upper() for p in paths}
        if missing:
            raise FileNotFoundError(f"no such instances: {', '.join(sorted(missing))}")
    return paths


def family(name: str) -> str:
    """C101 -> C1, RC208 -> RC2."""
    letters = name.rstrip("0123456789")
    digits = name[len(letters) :]
    return f"{letters}{digits[:1]}"


def best_known() -> dict[str, BestKnown]:
    base = data_dir()
    if base is None:
        return {}
    folder = base / "vrptw"
    with (folder / "solomon_bks_distance_only.csv").open() as handle:
        distance_only = {row["instance"]: float(row["distance"]) for row in csv.DictReader(handle)}
    with (folder / "solomon_bks.csv").open() as handle:
        hierarchical = {
            row["instance"]: (int(row["vehicles"]), float(row["distance"]))
            for row in csv.DictReader(handle)
        }
    return {
        name: BestKnown(distance, *hierarchical.get(name, (0, float("nan"))))
        for name, distance in distance_only.items()
    }
