"""One router per resource; `ROUTERS` is what the app mounts under /v1.

Wave 2 adds sorting, routing, tracking and carriers here; the OpenAPI schema,
the error envelope and the schemathesis fuzz test pick them up automatically.
"""

from api.routers import health, jobs, keys, me

ROUTERS = [health.router, me.router, keys.router, jobs.router]
ROOT_ROUTERS = [health.metrics_router]

__all__ = ["ROOT_ROUTERS", "ROUTERS"]
