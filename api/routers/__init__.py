"""One router per resource; `ROUTERS` is what the app mounts under /v1.

Wave 2 adds sorting, routing, tracking and carriers here; the OpenAPI schema,
the error envelope and the schemathesis fuzz test pick them up automatically.
"""

from api.routers import (
    carriers,
    health,
    jobs,
    keys,
    me,
    networks,
    planning,
    shipment_sets,
    sorting,
    sorting_live,
    tracking,
)

ROUTERS = [
    health.router,
    me.router,
    keys.router,
    jobs.router,
    sorting.router,
    sorting_live.router,
    networks.router,
    shipment_sets.router,
    planning.router,
    tracking.router,
    carriers.router,
]
ROOT_ROUTERS = [health.metrics_router]

__all__ = ["ROOT_ROUTERS", "ROUTERS"]
