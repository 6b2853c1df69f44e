"""Successive snapshots of one assigner as JSON text, each container's parcels encoded once.

A service stores the sorter's snapshot every few seconds.
Encoding every parcel of every open container each time costs about a microsecond per
parcel, tens of milliseconds on a busy sorter, all of it competing with the assignment
hot path. A container's list only grows until the container is closed (then it is
replaced, see `Assigner`), so while a chute holds the same list object the text of its
first n parcels stays valid: a snapshot then encodes only the parcels added since the
previous one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from optimizer.sorting.assigner import AssignerState, Item

_encode = json.JSONEncoder(separators=(",", ":")).encode
RECORDS_PER_PIECE = 2000  # per-parcel records encoded between two calls of `pause`


Written = tuple[list[Item], int, str, tuple[Any, ...] | None, str]


def _no_pause() -> None:
    return None


class SnapshotEncoder:
    """One per assigner lineage (a sorter); not thread-safe: call it from one writer at a time.

    `pause` is called between pieces of work (a chute, a run of records) so a caller can
    let other threads run; the text is the same JSON as `json.dumps(state.to_dict(...))`.
    """

    def __init__(self) -> None:
        # chute id -> (the container's list, how many of its parcels the text holds, their
        # text, the chute's other fields, the chute's whole text)
        self._written: dict[str, Written] = {}

    def encode(
        self,
        state: AssignerState,
        plan_text: str | None = None,
        pause: Callable[[], None] = _no_pause,
    ) -> str:
        """The snapshot of `state` as JSON text; `plan_text` is the plan already encoded."""
        head = state.head(plan_text)  # with the text as the plan, none is built
        encoded = [
            _encode(key)
            + ":"
            + (value if key == "plan" and plan_text is not None else _encode(value))
            for key, value in head.items()
        ]
        parts = ["{", ",".join(encoded), ',"chutes":[']
        written: dict[str, Written] = {}
        ids = state.ids
        for k, entry in enumerate(state.chutes):
            chute_id, items, count, fields = ids[entry[0]], entry[4], entry[5], entry[1:4]
            before = self._written.get(chute_id)
            if before is None or before[0] is not items or before[1] != count:
                text = self._contents_text(before, items, count)
                before = (items, count, text, None, "")
            if before[3] != fields:  # a new state, or new parcels: the chute's text again
                head = _encode(state.chute_fields(entry))[:-1]
                before = (items, count, before[2], fields, f'{head},"contents":[{before[2]}]}}')
            written[chute_id] = before
            if k:
                parts.append(",")
            parts.append(before[4])
            pause()
        parts.append('],"parcels":{')
        piece: dict[str, list[Any]] = {}
        pieces = 0
        for pid, entry in state.parcel_entries():
            piece[pid] = entry
            if len(piece) == RECORDS_PER_PIECE:
                parts += ["," if pieces else "", _encode(piece)[1:-1]]
                pieces += 1
                piece = {}
                pause()
        if piece:
            parts += ["," if pieces else "", _encode(piece)[1:-1]]
        parts += ['},"counters":', _encode(state.counters()), "}"]
        self._written = written  # chutes empty now (or gone) are forgotten
        return "".join(parts)

    @staticmethod
    def _contents_text(before: Written | None, items: list[Item], count: int) -> str:
        """The container's first `count` parcels as JSON array elements (no brackets)."""
        if before is not None and before[0] is items and before[1] <= count:
            done, text = before[1], before[2]
            if done == count:
                return text
            more = _encode(items[done:count])[1:-1]
            return f"{text},{more}" if text else more
        return _encode(items[:count])[1:-1]
