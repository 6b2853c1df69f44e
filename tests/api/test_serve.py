"""`optimizer serve` for real: uvicorn on a free local port, a development key, a first call."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_a_development_key_that_works(tmp_path):
    """First start in development prints a key once; it authenticates against the live server."""
    port = free_port()
    env = {**os.environ, "OPTIMIZER_STATE_DIR": str(tmp_path), "PORT": str(port)}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "serve", "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not any(line.startswith("Serving on") for line in lines):
            line = process.stdout.readline()
            assert line, f"serve exited early: {''.join(lines)}"
            lines.append(line)
        key = next(line.strip() for line in lines if line.strip().startswith("opk_"))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/v1/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server never answered"
                time.sleep(0.1)
        assert health.status_code == 200
        me = httpx.get(f"{base}/v1/me", headers={"X-API-Key": key}, timeout=5).json()
        assert sorted(me["roles"]) == ["admin", "planner", "wcs"]
    finally:
        process.terminate()
        process.wait(timeout=20)
    second = subprocess.run(
        [sys.executable, "-m", "optimizer", "keys", "list"], env=env, capture_output=True, text=True
    )
    assert second.stdout.count("development key") == 1
    assert (tmp_path / "dev-key").read_text().strip() == key
