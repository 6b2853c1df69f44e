"""Pure ASGI middleware at the edge: body-size limit, request settings, latency metrics.

Pure ASGI (not BaseHTTPMiddleware) because these run on every request of the
hot path and must add microseconds, not a task per request.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyTooLarge, TooLarge, render
from api.limits import settings_in_context
from api.metrics import Metrics
from api.settings import Settings


class EdgeMiddleware:
    """Refuses over-size bodies before parsing and records request latency by route template."""

    def __init__(
        self, app: ASGIApp, settings: Settings, metrics: Metrics, templates: dict[int, str]
    ) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.templates = templates  # id(route) -> "/v1/jobs/{job_id}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        maximum = self.settings.max_body_bytes

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            declared = _content_length(scope)
            if declared is not None and declared > maximum:
                error = TooLarge(f"Request body is {declared} bytes, maximum is {maximum}", "body")
                await render(error)(scope, receive, send_recording)
                return
            with settings_in_context(self.settings):
                await self.app(scope, _limited(receive, maximum), send_recording)
        finally:
            route = scope.get("route")
            template = self.templates.get(id(route)) or getattr(route, "path", None) or "unmatched"
            self.metrics.observe_request(
                scope["method"], template, status, time.perf_counter() - started
            )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _limited(receive: Receive, maximum: int) -> Receive:
    """A receive that counts body bytes and stops a stream that outgrows `maximum`."""
    seen = 0

    async def receive_limited() -> Any:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > maximum:
                raise BodyTooLarge(maximum)
        return message

    return receive_limited
