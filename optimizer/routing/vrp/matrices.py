"""Straight-line distance matrices, vectorised."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def euclidean(points: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances of (x, y) points."""
    points = np.asarray(points, dtype=np.float64)
    delta = points[:, None, :] - points[None, :, :]
    return np.sqrt((delta**2).sum(axis=-1))


def haversine(points: np.ndarray) -> np.ndarray:
    """Pairwise great-circle distances (km) of (lat, lon) points in degrees."""
    radians = np.radians(np.asarray(points, dtype=np.float64))
    lat, lon = radians[:, 0], radians[:, 1]
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def truncate_to_tenths(matrix: np.ndarray) -> np.ndarray:
    """The DIMACS convention for Solomon instances: each distance cut down to one decimal."""
    # The small epsilon keeps exact tenths (e.g. 18.0 computed as 17.999999) from losing 0.1.
    return np.floor(np.asarray(matrix, dtype=np.float64) * 10 + 1e-9) / 10
