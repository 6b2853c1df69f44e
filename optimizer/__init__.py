"""Parcel sorting and cross-border route-planning optimizer: the core.

The public surface is re-exported from `optimizer.sorting` and `optimizer.routing`.
"""

from optimizer.errors import InfeasibleError, InputError, OptimizerError, Problem
from optimizer.status import SolveStatus

__version__ = "0.1.0"

__all__ = [
    "InfeasibleError",
    "InputError",
    "OptimizerError",
    "Problem",
    "SolveStatus",
    "__version__",
]
