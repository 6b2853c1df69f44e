"""A thin caller over the in-process app: every unexpected answer stops the demo loudly."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

with warnings.catch_warnings():
    # Starlette >= 1.0 nudges towards httpx2 for its TestClient; httpx is what we pin and test
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
    from fastapi.testclient import TestClient

from optimizer.errors import OptimizerError

Say = Callable[[str], None]
FINISHED = ("succeeded", "failed", "cancelled")


class DemoFailed(OptimizerError):
    """The service answered something the demo did not expect (the body says why)."""


class DemoClient:
    """Calls under /v1 with one key; `expect` is the status the step needs."""

    def __init__(self, client: TestClient, key: str, issued: list[str] | None = None):
        self.client = client
        self.key = key
        self.issued = issued if issued is not None else []  # ids of keys issued by `scoped`

    def scoped(self, role: str, scope: str) -> DemoClient:
        """A caller with a new key of one role and scope, issued by this (admin) key."""
        grant = {"roles": [role], "scopes": [scope], "name": f"demo {scope}"}
        created = self.call("POST", "/keys", 201, json=grant)
        self.issued.append(created["id"])
        return DemoClient(self.client, str(created["key"]), self.issued)

    def revoke_issued(self) -> int:
        """Revoke the keys `scoped` issued: a demo leaves only the development key behind."""
        for key_id in self.issued:
            self.call("POST", f"/keys/{key_id}/revoke")
        count, self.issued[:] = len(self.issued), []
        return count

    def call(
        self, method: str, path: str, expect: int | tuple[int, ...] = 200, **kwargs: Any
    ) -> Any:
        response = self.raw(method, path, **kwargs)
        wanted = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in wanted:
            raise DemoFailed(
                f"{method} /v1{path} answered {response.status_code}, expected "
                f"{' or '.join(map(str, wanted))}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    def raw(self, method: str, path: str, **kwargs: Any):
        headers = {"X-API-Key": self.key, **kwargs.pop("headers", {})}
        return self.client.request(method, f"/v1{path}", headers=headers, **kwargs)

    def wait(self, path: str, say: Say, label: str, poll_s: float = 0.25) -> dict[str, Any]:
        """Poll a job-backed resource until it finishes, reporting progress as it moves."""
        last = ""
        while True:
            body = self.call("GET", path)
            status = body["status"]
            progress = f"{body.get('progress', 0):.0%} {body.get('progress_message', '')}"
            message = f"{label}: {status} {progress}"
            if message != last:
                say("  " + message.rstrip())
                last = message
            if status in FINISHED:
                if status != "succeeded":
                    raise DemoFailed(f"{label} {status}: {body.get('error')}")
                return body
            time.sleep(poll_s)
