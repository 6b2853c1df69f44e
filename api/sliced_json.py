"""JSON encoding in short slices, for large documents written beside the hot path.

`json.dumps` of a large document is one C call that holds the GIL from start to end:
a sorter snapshot of 0.5 MB kept the assignment handlers waiting 10-30 ms, the whole
p99 budget several times over. Here the document is encoded element by element (each
element still by the C encoder) and, whenever a slice has run longer than `slice_s`,
the encoding thread sleeps briefly so that waiting threads (the event loop) take the
GIL. `time.sleep(0)` would not do: the releasing thread usually takes the GIL back
before a waiter wakes, so the pause is a real, short sleep.

The result is `EncodedJson`, which the database layer stores as is (see
`api.db.types.encode_json`) instead of encoding it again in one call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from api.db.types import EncodedJson

SLICE_S = 0.0005  # longest stretch of encoding between pauses
PAUSE_S = 0.0002  # long enough for a waiting thread to wake and take the GIL
SPLIT_DEPTH = 3  # containers nested deeper than this are encoded in one call

_encode_leaf = json.JSONEncoder(separators=(",", ":")).encode


class Pacer:
    """Sleeps `pause_s` whenever `slice_s` of work has passed since the last pause: call
    `tick` between short pieces of work done beside the hot path."""

    def __init__(
        self,
        slice_s: float = SLICE_S,
        pause_s: float = PAUSE_S,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.slice_s, self.pause_s, self.clock, self.sleep = slice_s, pause_s, clock, sleep
        self.since = clock()
        self.pauses = 0

    def tick(self) -> None:
        now = self.clock()
        if now - self.since >= self.slice_s:
            self.sleep(self.pause_s)
            self.pauses += 1
            self.since = self.clock()


def encode_in_slices(
    value: Any,
    *,
    depth: int = SPLIT_DEPTH,
    slice_s: float = SLICE_S,
    pause_s: float = PAUSE_S,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> EncodedJson:
    """`value` as compact JSON text, equal to `json.dumps` of it once parsed.

    Dicts (with string keys) and lists down to `depth` levels are split; what lies
    deeper is one C call, so keep elements at that depth small (a chute, a record).
    `EncodedJson` met within those `depth` levels is copied as is, so a part encoded once
    (a plan) is reused; deeper down it would be written as a JSON string.
    """
    parts: list[str] = []
    _encode(value, depth, parts, Pacer(slice_s, pause_s, clock, sleep))
    return EncodedJson("".join(parts))


def _encode(value: Any, depth: int, parts: list[str], pacer: Pacer) -> None:
    if isinstance(value, EncodedJson):
        parts.append(value)
    elif depth > 0 and isinstance(value, dict) and value and all(type(k) is str for k in value):
        parts.append("{")
        first = True
        for key, item in value.items():
            parts.append(_encode_leaf(key) + ":" if first else "," + _encode_leaf(key) + ":")
            first = False
            _encode(item, depth - 1, parts, pacer)
        parts.append("}")
    elif depth > 0 and isinstance(value, list | tuple) and value:
        parts.append("[")
        first = True
        for item in value:
            if not first:
                parts.append(",")
            first = False
            _encode(item, depth - 1, parts, pacer)
        parts.append("]")
    else:
        parts.append(_encode_leaf(value))
        pacer.tick()
