"""Where job functions execute: a local process pool (default) or a Ray cluster."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from optimizer.errors import InputError

log = logging.getLogger("optimizer.api.jobs")


class Backend(Protocol):
    name: str
    workers: int

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]: ...

    def worker_lost(self, exc: BaseException) -> bool:
        """True when `exc` means the process running the task died."""
        ...

    def shutdown(self) -> None: ...


class LocalBackend:
    """A ProcessPoolExecutor started on first use and rebuilt if a worker dies.

    Workers are spawned, not forked: the API process has threads (uvicorn,
    the database pool), and forking a threaded process can deadlock the child.
    """

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        with self._lock:
            for _ in range(2):
                if self._executor is None:
                    self._executor = ProcessPoolExecutor(
                        max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
                    )
                try:
                    return self._executor.submit(fn, *args)
                except BrokenProcessPool:
                    log.warning("job process pool was broken; starting a new one")
                    self._executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = None
            raise RuntimeError("could not start a job process pool")

    def worker_lost(self, exc: BaseException) -> bool:
        return isinstance(exc, BrokenProcessPool)

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:  # a running job would otherwise outlive the server
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)


class RayBackend:
    """Tasks on a Ray cluster (`RAY_ADDRESS`; 'local' starts a private one).

    Workers reach the job's database themselves: with a remote cluster, use a
    PostgreSQL DATABASE_URL that the cluster's nodes can reach.
    """

    name = "ray"

    def __init__(self, address: str, workers: int) -> None:
        ray = import_ray()
        self.workers = workers
        self._ray = ray
        self._started_here = not ray.is_initialized()
        if self._started_here:
            ray.init(
                address=None if address == "local" else address,
                include_dashboard=False,
                log_to_driver=False,
                num_cpus=workers if address == "local" else None,
            )
        self._remotes: dict[Callable[..., Any], Any] = {}

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        remote = self._remotes.get(fn)
        if remote is None:
            remote = self._remotes[fn] = self._ray.remote(max_retries=0)(fn)
        return remote.remote(*args).future()

    def worker_lost(self, exc: BaseException) -> bool:
        exceptions = self._ray.exceptions
        return isinstance(exc, exceptions.WorkerCrashedError | exceptions.NodeDiedError)

    def shutdown(self) -> None:
        if self._started_here and self._ray.is_initialized():
            self._ray.shutdown()


def import_ray() -> Any:
    """Ray is an optional extra; say how to get it when RAY_ADDRESS asks for it."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "is set but ray is not installed: pip install 'parcel-optimizer[ray]'",
            field="RAY_ADDRESS",
        ) from None
    return ray


def make_backend(ray_address: str | None, workers: int) -> Backend:
    if ray_address:
        return RayBackend(ray_address, workers)
    return LocalBackend(workers)
