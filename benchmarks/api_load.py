"""A small HTTP/1.1 load generator for latency under a fixed request rate.

Open loop: request i is due at start + i / rate whatever happened before, and
its latency is measured from that due time, so a stalled server shows up in
the percentiles instead of silently slowing the client down (no coordinated
omission). Requests go over a few persistent keep-alive connections.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines += ["Content-Type: application/json", f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass(frozen=True)
class LoadResult:
    """Latencies in seconds of every request, and what the run achieved."""

    latencies: np.ndarray
    statuses: np.ndarray
    wall_s: float
    target_rate: float | None

    @property
    def count(self) -> int:
        return int(self.latencies.size)

    @property
    def errors(self) -> int:
        return int(np.count_nonzero((self.statuses < 200) | (self.statuses >= 300)))

    @property
    def achieved_rate(self) -> float:
        return self.count / self.wall_s if self.wall_s > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _run(
    host: str,
    port: int,
    request: Request | Sequence[Request],
    total: int,
    rate: float | None,
    connections: int,
) -> LoadResult:
    requests = [request] if isinstance(request, Request) else list(request)
    payloads = [r.encode(f"{host}:{port}") for r in requests]
    latencies = np.zeros(total)
    statuses = np.zeros(total, dtype=np.int32)
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    opened = [await asyncio.open_connection(host, port) for _ in range(connections)]
    for pair in opened:
        pool.put_nowait(pair)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(i: int) -> None:
        due = start + i / rate if rate else loop.time()
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        reader, writer = await pool.get()
        if not rate:
            due = loop.time()
        writer.write(payloads[i % len(payloads)])
        statuses[i] = await _read_response(reader)
        latencies[i] = loop.time() - due
        pool.put_nowait((reader, writer))

    began = time.perf_counter()
    if rate:  # one task per request, created when it is due (not 10,000 up front)
        # Completion is counted, not gathered: gathering 10,000 tasks at the end blocks the
        # client's loop for ~15 ms while the last requests are in flight.
        left, done, failures = [total], asyncio.Event(), []

        async def counted(i: int) -> None:
            try:
                await one(i)
            except BaseException as exc:
                failures.append(exc)
                raise
            finally:
                left[0] -= 1
                if left[0] == 0 or failures:
                    done.set()

        tasks = set()
        for i in range(total):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(counted(i))
            tasks.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(tasks.discard)
        await done.wait()
        if failures:
            raise failures[0]
    else:  # closed loop: each connection sends its next request as soon as it has an answer
        counter = iter(range(total))

        async def worker() -> None:
            for i in counter:
                await one(i)

        await asyncio.gather(*(worker() for _ in range(connections)))
    wall = time.perf_counter() - began
    for _, writer in opened:
        writer.close()
    return LoadResult(latencies, statuses, wall, rate)


def run_load(
    host: str,
    port: int,
    request: Request | Sequence[Request],
    total: int,
    rate: float | None = None,
    connections: int = 8,
) -> LoadResult:
    """`total` requests at `rate` per second (None: as fast as `connections` allow).

    With several requests, request i sends `request[i % len(request)]`.
    """
    # The generator shares the process with the benchmark's data (a generated case, plans):
    # a full collection over those objects stalls the client for tens of milliseconds and
    # would be counted as server latency, so the collector waits until the run is over.
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        return asyncio.run(_run(host, port, request, total, rate, connections))
    finally:
        if enabled:
            gc.enable()
