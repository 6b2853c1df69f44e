"""Real-time chute assignment: a decision in a few dict and list lookups.

Activating a plan builds an immutable `PlanTables` object (destination -> chute indices,
special chutes, size limits); the assigner swaps a single reference to it, so activation is
atomic and parcels already assigned keep their containers. Live chute state (fill, full,
swapping, disabled, container contents) belongs to the assigner, not to the plan, and can be
snapshotted off the hot path and restored after a restart.

Not thread-safe: call it from one thread (an API event loop) or behind one lock per sorter.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from optimizer.errors import InputError
from optimizer.sorting.categories import Category, parse_category
from optimizer.sorting.decision import Decision, Reason
from optimizer.sorting.jsonio import plan_from_dict, plan_to_dict
from optimizer.sorting.layout import ChuteType, SorterLayout
from optimizer.sorting.manifest import Manifest
from optimizer.sorting.plan import SortPlan
from optimizer.sorting.plan_tables import PlanTables, sorted_limits
from optimizer.sorting.scan import ParcelScan

FULL_WEIGHT_RATIO = 0.98  # a container this close to its weight limit counts as full
SNAPSHOT_FORMAT = 1
DEFAULT_MAX_TRACKED = 1_000_000

_CATEGORY = {c.value: c for c in Category}
_PLANNED, _ALTERNATE, _RECIRCULATE = Reason.PLANNED, Reason.ALTERNATE, Reason.RECIRCULATE
_NO_READ, _UNKNOWN, _OVERSIZE = Reason.NO_READ, Reason.UNKNOWN_DESTINATION, Reason.OVERSIZE
_RESTRICTED, _CHUTE_FULL = Reason.RESTRICTED, Reason.CHUTE_FULL
_REASONS = {r.value: r for r in Reason}

# container states
OPEN, FULL, SWAPPING = 0, 1, 2
_STATE_NAMES = ("open", "full", "swapping")

Item = tuple[str, float, str | None, str | None]  # parcel id, grams, sort key, carrier
Record = tuple[int, int, Decision, int, float]  # scan, chute or -1, answer, container or 0, when


class ChuteEvent(StrEnum):
    FULL = "full"  # the container is full (sensor or operator)
    SWAP_STARTED = "swap_started"  # an operator is changing the container
    CONTAINER_CLOSED = "container_closed"  # the container left: manifest, new empty container
    EMPTIED = "emptied"  # same as container_closed
    DISABLED = "disabled"  # chute out of service
    ENABLED = "enabled"  # back in service


_EVENTS = {e.value: e for e in ChuteEvent}
EVENT_VALUES = ", ".join(_EVENTS)


def parse_chute_event(value: object, field: str = "event") -> ChuteEvent:
    """The chute event named by `value`; anything else is an input error naming `field`."""
    if isinstance(value, str):
        found = _EVENTS.get(value)
        if found is not None:
            return found
    raise InputError(f"unknown event {value!r} (expected one of {EVENT_VALUES})", field=field)


class Assigner:
    """Chute decisions for one sorter, with live chute state and container contents."""

    def __init__(
        self,
        layout: SorterLayout,
        plan: SortPlan,
        *,
        max_tracked_parcels: int = DEFAULT_MAX_TRACKED,
        resend_window_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        carriers: Mapping[str, str] | None = None,
    ):
        """`resend_window_s` (default: half a loop) tells a re-sent request from a re-scan
        when the request carries no `scan` number; `clock` is injectable for tests.
        `carriers` maps the plan's sort keys to carriers (`carriers_by_destination` of its
        forecast): each parcel sorted for its destination records its carrier, so a manifest
        names the carrier of what it really holds (without a map, no carrier)."""
        if not (isinstance(max_tracked_parcels, int) and max_tracked_parcels >= 1):
            raise InputError("must be an integer >= 1", field="max_tracked_parcels")
        if resend_window_s is not None:
            if not (isinstance(resend_window_s, int | float) and resend_window_s >= 0):
                raise InputError("must be a number >= 0", field="resend_window_s")
            self._resend_window_s = float(resend_window_s)
        self._resend_explicit = resend_window_s is not None
        self._clock = clock
        self._tables = PlanTables(plan, layout)
        self._carrier_of: dict[str, str] = dict(carriers or {})
        self._bind_layout(layout)
        n = len(layout.chutes)
        self._count = [0] * n
        self._grams = [0.0] * n
        self._state = [OPEN] * n
        self._disabled = [False] * n
        self._blocked = [False] * n
        self._container = [1] * n
        # (parcel id, weight in g, sort key, carrier or None) per parcel in each container.
        # A container's list is only ever appended to; taking a parcel out or closing the
        # container replaces the list. So a capture shares the list and its length instead
        # of copying it, and a snapshot encoder can keep the text of what it already wrote.
        self._contents: list[list[Item]] = [[] for _ in range(n)]
        # parcel id -> (scan, chute index or -1, decision, container number or 0, answered at)
        self._records: dict[str, Record] = {}
        # Parcel ids in the order they were first recorded: evicting the oldest is O(1)
        # (taking the first key of a dict with many deleted entries in front is not).
        self._record_order: deque[str] = deque()
        self._max_tracked = max_tracked_parcels
        self.newly_full: list[int] = []  # chute indices that became full since last drained
        self.parcels_seen = 0
        self.decisions = 0
        self.reason_counts: dict[Reason, int] = dict.fromkeys(Reason, 0)

    def _bind_layout(self, layout: SorterLayout) -> None:
        """The per-chute constants of `layout` (new lists: a captured state keeps the old)."""
        chutes = layout.chutes
        self.layout = layout
        if not self._resend_explicit:
            self._resend_window_s = layout.loop_time_s / 2
        self._ids = [c.id for c in chutes]
        self._cap = [c.capacity_parcels for c in chutes]
        self._cap_g = [c.capacity_kg * 1000.0 for c in chutes]
        self._inv = [1.0 / c.capacity_parcels for c in chutes]
        self._limits = [sorted_limits(c) for c in chutes]
        self._handover = [c.type is ChuteType.DESTINATION for c in chutes]

    # ------------------------------------------------------------ plan

    @property
    def plan(self) -> SortPlan:
        return self._tables.plan

    def activate(
        self, plan: SortPlan, carriers: Mapping[str, str] | None = None
    ) -> tuple[str, ...]:
        """Switch to `plan` atomically; containers and parcels already assigned stay as they are.

        `carriers` is the new plan's carrier map (see `__init__`); parcels already in
        containers keep the carrier they were assigned with.

        A plan that does not fit the layout (chute types, roles, categories) raises InputError
        and changes nothing. A chute whose role changes (other destinations, or another category
        or special role) while its container holds parcels would mix two plans' parcels, maybe
        two hand-overs, in one container: it takes nothing more until that container is closed
        (state full, listed in `newly_full` for whoever dispatches operators). Returns the ids
        of those chutes.
        """
        tables = PlanTables(plan, self.layout)  # validate and build before touching anything
        before, after = self._tables.roles, tables.roles
        held = [
            i
            for i, cid in enumerate(self._ids)
            if self._contents[i] and before.get(cid) != after.get(cid)
        ]
        self._tables = tables
        self._carrier_of = dict(carriers or {})
        for i in held:
            if self._state[i] == OPEN:
                self._state[i] = FULL
                self._blocked[i] = True
                self.newly_full.append(i)
        return tuple(self._ids[i] for i in held)

    # ------------------------------------------------------------ hot path

    def assign(
        self,
        parcel_id: str,
        destination: str | None,
        weight_g: float,
        length_mm: float,
        width_mm: float,
        height_mm: float,
        category: str = "general",
        scan: int | None = None,
    ) -> Decision:
        """The chute for one scan.

        A re-sent request (same `scan` number, or without one: within `resend_window_s` of the
        answer) gets the same answer and is not counted again. A re-scan (higher `scan`, or
        without one: later, the parcel having gone round the loop) is decided again, keeping
        the parcel's chute while that chute can still take it.

        Expects validated numbers (see `assign_scan` for a `ParcelScan`); an unknown category
        is refused with an InputError.
        """
        try:
            known = category in _CATEGORY
        except TypeError:  # unhashable: certainly not a category name
            known = False
        if not known:
            parse_category(category)  # raises the InputError
        try:
            record = self._records.get(parcel_id)
        except TypeError:  # unhashable
            raise InputError("must be a non-empty string", field="parcel_id") from None
        if record is not None:
            if scan is None:
                if self._clock() - record[4] <= self._resend_window_s:
                    return record[2]  # the controller re-sent its request
                scan = record[0] + 1  # back after a loop
            elif scan <= record[0]:
                return record[2]
            self._release(record)
            preferred = record[1]
        else:
            if scan is None:
                scan = 1
            preferred = -1
            self.parcels_seen += 1
        tables = self._tables
        blocked, count, inv = self._blocked, self._count, self._inv
        grams, cap_g = self._grams, self._cap_g
        chute = -1
        carrier = (
            None  # set only while the parcel is sorted for its destination (planned, alternate)
        )
        size: tuple[float, float, float, float] | None = None  # sorted dims + weight, if needed
        if category != "general":
            reason, candidates = _RESTRICTED, tables.restricted.get(category, ())
        elif destination is None:
            reason, candidates = _NO_READ, tables.no_read
        else:
            entry = tables.destinations.get(destination)
            if entry is None:
                reason, candidates = _UNKNOWN, tables.exception
            else:
                reason, candidates = _PLANNED, entry.chutes
                carrier = self._carrier_of.get(destination)
                if (
                    weight_g > entry.quick_weight
                    or max(length_mm, width_mm, height_mm) > entry.quick_dim
                ):
                    x, y, z = sorted((length_mm, width_mm, height_mm), reverse=True)
                    a, b, c, w = entry.all_limits
                    if x > a or y > b or z > c or weight_g > w:
                        size = (x, y, z, weight_g)
                        if entry.uniform or not any(self._fits(i, size) for i in candidates):
                            reason, candidates = _OVERSIZE, tables.oversize
                            carrier = None  # re-handled, not handed over as sorted
                if reason is _PLANNED:
                    if (
                        preferred >= 0
                        and preferred in candidates
                        and not blocked[preferred]
                        and grams[preferred] + weight_g <= cap_g[preferred]
                        and (size is None or self._fits(preferred, size))
                    ):
                        chute = preferred
                    else:
                        best = 2.0
                        for i in candidates:
                            if not blocked[i]:
                                r = count[i] * inv[i]
                                if (
                                    r < best
                                    and grams[i] + weight_g <= cap_g[i]
                                    and (size is None or self._fits(i, size))
                                ):
                                    best, chute = r, i
                    if chute < 0:
                        reason, candidates = _ALTERNATE, entry.alternates
        if chute < 0:
            if size is None:
                x, y, z = sorted((length_mm, width_mm, height_mm), reverse=True)
                size = (x, y, z, weight_g)
            if (
                preferred >= 0
                and preferred in candidates
                and self._least_filled((preferred,), size) == preferred
            ):
                chute = preferred  # a re-scan keeps its chute while it can take the parcel
            else:
                chute = self._least_filled(candidates, size)
            if (
                chute < 0
                and reason is not _ALTERNATE
                and not any(self._fits(i, size) for i in candidates)
            ):
                # no chute of this kind could ever take it (none planned, or too large)
                chute = self._least_filled(tables.reject, size, False)
            if chute < 0:
                if scan > self.layout.max_recirculations:
                    chute = self._least_filled(tables.exception, size, False)
                    reason = _CHUTE_FULL if chute >= 0 else _RECIRCULATE
                    carrier = None
                else:
                    reason = _RECIRCULATE
        if chute >= 0:
            count[chute] += 1
            grams[chute] += weight_g
            self._contents[chute].append((parcel_id, weight_g, destination, carrier))
            if count[chute] >= self._cap[chute] or grams[chute] >= cap_g[chute] * FULL_WEIGHT_RATIO:
                self._state[chute] = FULL
                blocked[chute] = True
                self.newly_full.append(chute)
            decision = Decision(parcel_id, self._ids[chute], reason)
            self._records[parcel_id] = (
                scan,
                chute,
                decision,
                self._container[chute],
                self._clock(),
            )
        else:
            decision = Decision(parcel_id, None, reason)
            self._records[parcel_id] = (scan, -1, decision, 0, self._clock())
        if record is None:
            self._record_order.append(parcel_id)
            if len(self._records) > self._max_tracked:
                del self._records[self._record_order.popleft()]
        self.decisions += 1
        self.reason_counts[reason] += 1
        return decision

    def assign_scan(self, scan: ParcelScan) -> Decision:
        return self.assign(
            scan.parcel_id,
            scan.destination,
            scan.weight_g,
            scan.length_mm,
            scan.width_mm,
            scan.height_mm,
            scan.category.value,
            scan.scan,
        )

    def _fits(self, i: int, size: tuple[float, float, float, float]) -> bool:
        a, b, c, w = self._limits[i]
        return size[0] <= a and size[1] <= b and size[2] <= c and size[3] <= w

    def _least_filled(
        self,
        candidates: tuple[int, ...],
        size: tuple[float, float, float, float],
        check_size: bool = True,
    ) -> int:
        chosen, best = -1, 2.0
        for i in candidates:
            if self._blocked[i] or self._grams[i] + size[3] > self._cap_g[i]:
                continue
            if check_size and not self._fits(i, size):
                continue
            r = self._count[i] * self._inv[i]
            if r < best:
                chosen, best = i, r
        return chosen

    def _release(self, record: Record) -> bool:
        """A re-scanned parcel did not drop: take it out of the container it was counted in."""
        chute = record[1]
        if chute < 0 or self._container[chute] != record[3]:
            return False
        contents = self._contents[chute]
        for k in range(len(contents) - 1, -1, -1):
            if contents[k][0] == record[2][0]:
                self._count[chute] -= 1
                self._grams[chute] -= contents[k][1]
                self._contents[chute] = contents[:k] + contents[k + 1 :]  # never in place
                return True
        return False

    def divert_failed(self, parcel_id: str) -> bool:
        """The sorter reports that a parcel did not drop into the chute it was given.

        The parcel is taken off that chute's open container, so the container's manifest
        lists only what is in it; the parcel stays on the loop and its re-scan is decided
        again. False when there was nothing to take off (unknown parcel, no chute, or its
        container already closed: that manifest was already handed over).
        """
        if not isinstance(parcel_id, str):
            raise InputError("must be a non-empty string", field="parcel_id")
        record = self._records.get(parcel_id)
        if record is None or record[1] < 0:
            return False
        released = self._release(record)
        self._records[parcel_id] = (record[0], record[1], record[2], 0, record[4])
        return released

    # ------------------------------------------------------------ chute events

    def _chute(self, chute_id: object) -> int:
        i = self.layout.chute_index(chute_id) if isinstance(chute_id, str) else None
        if i is None:
            raise InputError(
                f"no chute {chute_id!r} in layout {self.layout.sorter_id}", field="chute_id"
            )
        return i

    def chute_event(self, chute_id: str, event: ChuteEvent | str) -> Manifest | None:
        """Apply a chute event; closing a container returns its manifest."""
        i = self._chute(chute_id)
        kind = parse_chute_event(event)
        manifest = None
        if kind == ChuteEvent.FULL:
            self._state[i] = FULL
        elif kind == ChuteEvent.SWAP_STARTED:
            self._state[i] = SWAPPING
        elif kind in (ChuteEvent.CONTAINER_CLOSED, ChuteEvent.EMPTIED):
            manifest = self._close(i)
        elif kind == ChuteEvent.DISABLED:
            self._disabled[i] = True
        else:
            self._disabled[i] = False
        self._blocked[i] = self._disabled[i] or self._state[i] != OPEN
        return manifest

    def skip_to_container(self, chute_id: str, number: int) -> tuple[str, ...]:
        """Containers up to `number` closed without this assigner hearing of it (their
        events were lost in a crash): the chute's container is now `number`, empty and open.
        Returns the ids of the parcels the assigner still held for the closed ones."""
        i = self._chute(chute_id)
        if number <= self._container[i]:
            return ()
        dropped = self._close(i).parcel_ids
        self._container[i] = number
        return dropped

    def _close(self, i: int) -> Manifest:
        contents = self._contents[i]
        destinations: dict[str, int] = {}
        carriers: set[str] = set()
        unattributed = 0
        for _, _, destination, carrier in contents:
            key = destination if destination is not None else "(no-read)"
            destinations[key] = destinations.get(key, 0) + 1
            if carrier is None:
                unattributed += 1
            else:
                carriers.add(carrier)
        if not self._handover[i]:  # a special chute's containers are re-handled
            carriers, unattributed = set(), len(contents)
        manifest = Manifest(
            sorter_id=self.layout.sorter_id,
            chute_id=self._ids[i],
            container=self._container[i],
            plan_id=self._tables.plan.plan_id,
            parcel_ids=tuple(item[0] for item in contents),
            weight_g=sum(item[1] for item in contents),
            destinations=destinations,
            carriers=tuple(sorted(carriers)),
            unattributed=unattributed,
        )
        self._contents[i] = []
        self._count[i] = 0
        self._grams[i] = 0.0
        self._container[i] += 1
        self._state[i] = OPEN
        return manifest

    # ------------------------------------------------------------ inspection and persistence

    def chute_status(self, chute_id: str) -> dict[str, Any]:
        return self._status(self._chute(chute_id))

    def chute_statuses(self) -> list[dict[str, Any]]:
        """Every chute's status in layout order (one pass, for a live view of the sorter)."""
        return [self._status(i) for i in range(len(self._ids))]

    def _status(self, i: int) -> dict[str, Any]:
        return {
            "chute_id": self._ids[i],
            "state": _STATE_NAMES[self._state[i]],
            "disabled": self._disabled[i],
            "available": not self._blocked[i],
            "container": self._container[i],
            "count": self._count[i],
            "weight_g": round(self._grams[i], 1),
            "fill": round(max(self._count[i] * self._inv[i], self._grams[i] / self._cap_g[i]), 4),
        }

    def capture(self, include_parcels: bool = True) -> AssignerState:
        """The live state, quick enough to take under the sorter's lock.

        Per-chute states and counters are copied, and with `include_parcels` the parcel
        records (one C-level dict copy). Containers' lists are shared with their lengths
        (they only grow until replaced), the plan and chute ids too (never mutated, only
        replaced); the JSON is built afterwards, outside the lock, by `AssignerState.to_dict`
        or `SnapshotEncoder`.
        """
        state, disabled, container, contents = (
            self._state,
            self._disabled,
            self._container,
            self._contents,
        )
        chutes = [
            (i, state[i], disabled[i], container[i], contents[i], len(contents[i]))
            for i in range(len(state))
            if contents[i] or state[i] != OPEN or disabled[i] or container[i] != 1
        ]
        return AssignerState(
            sorter_id=self.layout.sorter_id,
            plan=self._tables.plan,
            carriers=self._carrier_of,
            ids=self._ids,
            chutes=chutes,
            records=dict(self._records) if include_parcels else None,
            parcels_seen=self.parcels_seen,
            decisions=self.decisions,
            reasons=dict(self.reason_counts),
        )

    def snapshot(self, include_parcels: bool = True) -> dict[str, Any]:
        """Live state as plain JSON data, to persist off the hot path.

        `include_parcels=False` leaves out the per-parcel records kept for idempotent
        answers (the bulk of it); containers, chute states and counters are always in.
        """
        return self.capture(include_parcels).to_dict()

    def switch_layout(self, layout: SorterLayout) -> None:
        """Carry the live state over to another layout of this sorter, chutes matched by id.

        Containers, chute states, counters and parcel records stay; records are re-pointed
        only when a chute moved or went (a new layout that only adds chutes at the end, or
        changes their limits, copies nothing). Refused with an InputError, changing nothing,
        when the active plan does not fit `layout` or a chute with live state (parcels, full,
        swapping, disabled, containers already closed) is not in it.
        """
        if layout.sorter_id != self.layout.sorter_id:
            raise InputError(
                f"layout is for sorter {layout.sorter_id}, not {self.layout.sorter_id}",
                field="layout.sorter_id",
            )
        tables = PlanTables(self._tables.plan, layout)
        remap = [layout.chute_index(cid) for cid in self._ids]
        lost = [
            cid
            for i, cid in enumerate(self._ids)
            if remap[i] is None
            and (
                self._contents[i]
                or self._state[i] != OPEN
                or self._disabled[i]
                or self._container[i] != 1
            )
        ]
        if lost:
            raise InputError(
                f"chutes {', '.join(lost)} hold parcels or a state (full, swapping, disabled, "
                "closed containers) and are not in the new layout",
                field="layout.chutes",
            )
        n = len(layout.chutes)
        count, grams, state = [0] * n, [0.0] * n, [OPEN] * n
        disabled, container = [False] * n, [1] * n
        contents: list[list[Item]] = [[] for _ in range(n)]
        new_index = [-1 if j is None else j for j in remap]
        for i, j in enumerate(new_index):
            if j >= 0:
                count[j], grams[j], state[j] = self._count[i], self._grams[i], self._state[i]
                disabled[j], container[j] = self._disabled[i], self._container[i]
                contents[j] = self._contents[i]
        if new_index != list(range(len(new_index))):  # a chute moved or went
            self._records = {
                pid: r
                if r[1] < 0
                else (r[0], new_index[r[1]], r[2], r[3] if new_index[r[1]] >= 0 else 0, r[4])
                for pid, r in self._records.items()
            }
        self._tables = tables
        self._bind_layout(layout)
        self._count, self._grams, self._state = count, grams, state
        self._disabled, self._container, self._contents = disabled, container, contents
        self._blocked = [disabled[j] or state[j] != OPEN for j in range(n)]
        self.newly_full = [new_index[i] for i in self.newly_full if new_index[i] >= 0]

    @classmethod
    def restore(cls, layout: SorterLayout, data: dict[str, Any], **kwargs: Any) -> Assigner:
        """An assigner in the state a `snapshot()` recorded (same layout)."""
        return cls._restore(layout, data, True, kwargs)[0]

    @classmethod
    def restore_matching(
        cls, layout: SorterLayout, data: dict[str, Any], **kwargs: Any
    ) -> tuple[Assigner, tuple[str, ...]]:
        """Restore a snapshot taken on another layout of the sorter, chutes matched by id.

        Chutes of the snapshot that `layout` lacks are left out, with their containers'
        parcels: their ids come back for the caller to report. The plan must still fit.
        """
        return cls._restore(layout, data, False, kwargs)

    @classmethod
    def _restore(
        cls, layout: SorterLayout, data: dict[str, Any], strict: bool, kwargs: dict[str, Any]
    ) -> tuple[Assigner, tuple[str, ...]]:
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise InputError(
                f"not an assigner snapshot of format {SNAPSHOT_FORMAT}", field="snapshot"
            )
        if data.get("sorter_id") != layout.sorter_id:
            raise InputError(
                f"snapshot is for sorter {data.get('sorter_id')}, not {layout.sorter_id}",
                field="snapshot.sorter_id",
            )
        if "carriers" not in kwargs and isinstance(data.get("carriers"), dict):
            kwargs = {**kwargs, "carriers": data["carriers"]}
        assigner = cls(layout, plan_from_dict(data["plan"], root="snapshot.plan"), **kwargs)
        restored_at = assigner._clock()
        dropped: list[str] = []
        try:
            for item in data["chutes"]:
                i = layout.chute_index(item["chute_id"])
                if i is None:
                    if strict:
                        raise InputError(
                            f"unknown chute {item['chute_id']!r}", field="snapshot.chutes"
                        )
                    dropped.append(str(item["chute_id"]))
                    continue
                assigner._state[i] = _STATE_NAMES.index(item["state"])
                assigner._disabled[i] = bool(item["disabled"])
                assigner._container[i] = int(item["container"])
                assigner._contents[i] = [_item(*entry) for entry in item["contents"]]
                assigner._count[i] = len(assigner._contents[i])
                assigner._grams[i] = sum(entry[1] for entry in assigner._contents[i])
                assigner._blocked[i] = assigner._disabled[i] or assigner._state[i] != OPEN
            for pid, (scan, chute_id, reason, container) in data.get("parcels", {}).items():
                chute = layout.chute_index(chute_id) if chute_id is not None else -1
                if chute is None:
                    if strict:
                        raise InputError(
                            f"unknown chute {chute_id!r}", field=f"snapshot.parcels.{pid}"
                        )
                    chute, container = -1, 0  # its chute went: answered, no longer releasable
                decision = Decision(pid, chute_id, _REASONS[reason])
                if pid not in assigner._records:
                    assigner._record_order.append(pid)
                # answered before the restart: a request soon after it is taken as a re-send
                assigner._records[pid] = (int(scan), chute, decision, int(container), restored_at)
            while len(assigner._records) > assigner._max_tracked:  # a smaller cap than before
                del assigner._records[assigner._record_order.popleft()]
            counters = data["counters"]
            assigner.parcels_seen = int(counters["parcels_seen"])
            assigner.decisions = int(counters["decisions"])
            for k, v in counters["reasons"].items():
                assigner.reason_counts[_REASONS[k]] = int(v)
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"malformed snapshot ({exc!r})", field="snapshot") from None
        return assigner, tuple(dropped)


def _item(
    parcel_id: str, weight_g: float, destination: str | None, carrier: str | None = None
) -> Item:
    """A container entry from a snapshot (snapshots before carriers had three fields)."""
    return (parcel_id, float(weight_g), destination, carrier)


@dataclass(frozen=True)
class AssignerState:
    """An assigner's live state as `Assigner.capture` took it; `to_dict` is the snapshot."""

    sorter_id: str
    plan: SortPlan
    carriers: dict[str, str]
    ids: list[str]
    # index, state, disabled, container number, the container's list, its length then
    chutes: list[tuple[int, int, bool, int, list[Item], int]]
    records: dict[str, Record] | None
    parcels_seen: int
    decisions: int
    reasons: dict[Reason, int]

    def to_dict(self, plan: Any = None) -> dict[str, Any]:
        """The snapshot as plain JSON data; pass `plan` (the plan as `plan_to_dict` gives it,
        or that already encoded) to reuse one serialization of the immutable plan."""
        return {
            **self.head(plan),
            "chutes": [
                {**self.chute_fields(entry), "contents": entry[4][: entry[5]]}
                for entry in self.chutes
            ],
            "parcels": dict(self.parcel_entries()),
            "counters": self.counters(),
        }

    def head(self, plan: Any = None) -> dict[str, Any]:
        """The snapshot's fields before its chutes."""
        return {
            "format": SNAPSHOT_FORMAT,
            "sorter_id": self.sorter_id,
            "plan": plan if plan is not None else plan_to_dict(self.plan),
            "carriers": dict(self.carriers),
        }

    def chute_fields(self, entry: tuple[int, int, bool, int, list[Item], int]) -> dict[str, Any]:
        """One chute of the snapshot but its contents."""
        i, state, disabled, container = entry[:4]
        return {
            "chute_id": self.ids[i],
            "state": _STATE_NAMES[state],
            "disabled": disabled,
            "container": container,
        }

    def parcel_entries(self) -> Iterator[tuple[str, list[Any]]]:
        """The per-parcel records as the snapshot keeps them (none unless captured)."""
        ids = self.ids
        for pid, r in (self.records or {}).items():
            yield pid, [r[0], ids[r[1]] if r[1] >= 0 else None, r[2][2].value, r[3]]

    def counters(self) -> dict[str, Any]:
        return {
            "parcels_seen": self.parcels_seen,
            "decisions": self.decisions,
            "reasons": {k.value: v for k, v in self.reasons.items()},
        }
