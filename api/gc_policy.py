"""Keep the cyclic garbage collector's pauses off the assignment tail.

The service holds many long-lived objects (plan tables, up to a million per-parcel
answers kept for idempotent re-sends). CPython's full collection walks all of them and
stops every request for as long: 100-200 ms on a busy sorter, the whole p99 budget many
times over. So, every few seconds, a background thread collects what is new since the
last pass (a short walk) and then freezes the survivors (`gc.freeze`), which full
collections skip from then on. Frozen objects are still freed by reference counting, as
the parcel records evicted from the idempotency window are; only a cycle formed among
already frozen objects would wait for the process to end, and request-time cycles are
collected before they are frozen.
"""

from __future__ import annotations

import gc
import logging
import threading

log = logging.getLogger("optimizer.api.gc")


class GcCompactor:
    """A daemon thread: `gc.collect()` then `gc.freeze()` every `interval_s`."""

    def __init__(self, interval_s: float):
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.compact()  # start-up objects (modules, schemas, restored sorters) once
        self._thread = threading.Thread(target=self._run, name="gc-compactor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        gc.unfreeze()  # a stopped app (tests build many) leaves the collector as it found it

    @staticmethod
    def compact() -> None:
        gc.collect()
        gc.freeze()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.compact()
            except Exception:  # never let housekeeping take the service down
                log.exception("gc compaction failed")
