"""Live sorters in memory: one assigner per sorter behind its own lock, persisted off the hot path.

The assignment routes touch only this: the sorter's assigner and lock, no database.
What must survive a restart is written elsewhere and later:
- the active plan version is a document, switched atomically at activation;
- chute states, open containers and counters are a snapshot (`sorter_state`),
  written in the same transaction as each layout switch, after an activation, by a
  background thread every few seconds when assignments or chute events changed it,
  and with the per-parcel records (idempotent answers to re-sent requests) on
  shutdown;
- chute events are rows, each written (with a closed container's manifest) before
  it is answered; the snapshot says the last event it includes (`events_through`),
  and a restart replays the later ones over it. So an event costs one small write,
  not a snapshot of every open container. An event whose write failed is applied
  but not logged: until a snapshot is stored again, every event also writes the
  snapshot in its transaction (`unlogged`), so a later logged event is never
  replayed over a state that lacks the lost one;
- manifests are rows, written when their container closes; one that could not be
  written is kept and retried by the background thread.

`admin` serializes the slow changes of one sorter (layout, activation, chute events,
snapshots) so the database and memory change in the same order; `lock` guards the
assigner itself and is held for microseconds: no database call is ever made under it,
and a snapshot takes only per-chute states and container lengths under it (the plan
is encoded once per activation, each container's parcels once; the rest of the JSON is
built after the lock is released, in short slices, so a snapshot never holds the GIL
for more than a fraction of a millisecond).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from api.db.engine import Database
from api.db.types import EncodedJson
from api.errors import Conflict, NotFound
from api.metrics import AssignmentMeters, Metrics
from api.sliced_json import Pacer, encode_in_slices
from api.sorting import documents as docs
from api.sorting.manifests import ManifestRecord, store_manifests
from api.store import events_after, get_active, get_document, last_event_id, put_snapshot
from optimizer.errors import InputError
from optimizer.sorting import (
    Assigner,
    AssignerState,
    SnapshotEncoder,
    SorterLayout,
    SortPlan,
    layout_from_dict,
    plan_to_dict,
)

log = logging.getLogger("optimizer.api.sorting")


@dataclass
class SorterRuntime:
    """One sorter as the hot path sees it."""

    sorter_id: str
    layout: SorterLayout
    layout_version: int
    meters: AssignmentMeters
    assigner: Assigner | None = None
    plan_version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    admin: threading.RLock = field(default_factory=threading.RLock)
    changes: int = 0  # chute events and activations: state the snapshot must catch up with
    saved: tuple[int, int] = (-1, -1)  # (decisions, changes) in the last stored snapshot
    events_through: int = 0  # id of the last stored chute event applied to the assigner
    unlogged: bool = False  # a chute event changed the state but its row was not stored
    pending: list[ManifestRecord] = field(default_factory=list)  # manifests not yet stored
    plan_json: tuple[SortPlan | None, EncodedJson] = (None, EncodedJson("{}"))  # encoded once
    encoder: SnapshotEncoder = field(default_factory=SnapshotEncoder)  # use holding `admin`

    def live(self) -> Assigner:
        """The assigner; 409 while the sorter has no active plan."""
        assigner = self.assigner
        if assigner is None:
            raise Conflict(
                f"Sorter {self.sorter_id} has no active plan: optimize one "
                f"(POST /v1/sorters/{self.sorter_id}/plans) and activate it",
                field="sorter_id",
            )
        return assigner

    def mark_saved(self, captured: Captured) -> None:
        """A snapshot of `captured` is stored (call holding `admin`)."""
        self.saved = captured.saved
        self.unlogged = False

    def dirty(self) -> bool:
        assigner = self.assigner
        return assigner is not None and (assigner.decisions, self.changes) != self.saved

    def capture(self, include_parcels: bool = False) -> Captured:
        """The live state to store; call it holding `lock` (copied counters and chute states,
        shared container lists: no JSON, no database)."""
        assigner = self.live()
        return Captured(
            assigner.capture(include_parcels),
            (assigner.decisions, self.changes),
            self.layout_version,
            self.plan_version,
            self.events_through,
        )


@dataclass(frozen=True)
class Captured:
    """A sorter's state captured under its lock, with the marks `dirty()` compares."""

    state: AssignerState
    saved: tuple[int, int]  # (decisions, changes) it includes
    layout_version: int
    plan_version: int
    events_through: int  # the last chute event (row id) the state includes


class SortingState:
    """Every sorter of this process, restored at start and persisted in the background."""

    def __init__(self, database: Database, metrics: Metrics, interval_s: float = 5.0) -> None:
        self.database = database
        self.metrics = metrics
        self.interval_s = interval_s
        self._sorters: dict[str, SorterRuntime] = {}
        self._admin_locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lookup

    def get(self, sorter_id: str) -> SorterRuntime:
        """The sorter's runtime; 404 when it has no layout."""
        runtime = self._sorters.get(sorter_id)
        if runtime is None:
            raise NotFound("sorter", sorter_id, field="sorter_id")
        return runtime

    def find(self, sorter_id: str) -> SorterRuntime | None:
        return self._sorters.get(sorter_id)

    def admin_lock(self, sorter_id: str) -> threading.RLock:
        """The lock serializing a sorter's slow changes (exists before its first layout)."""
        with self._guard:
            lock = self._admin_locks.get(sorter_id)
            if lock is None:
                runtime = self._sorters.get(sorter_id)
                lock = runtime.admin if runtime is not None else threading.RLock()
                self._admin_locks[sorter_id] = lock
            return lock

    def install(self, sorter_id: str, layout: SorterLayout, version: int) -> SorterRuntime:
        """A sorter's first layout: its runtime, sharing the admin lock already handed out."""
        runtime = SorterRuntime(
            sorter_id, layout, version, self.metrics.assignment_meters(sorter_id)
        )
        runtime.admin = self.admin_lock(sorter_id)
        self._sorters[sorter_id] = runtime
        return runtime

    def sorters(self) -> list[SorterRuntime]:
        return list(self._sorters.values())

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Restore every sorter from the database, then persist in the background."""
        self.restore()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sorting-persister", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background writer and store everything, parcel records included."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        for runtime in self.sorters():
            try:
                self.persist(runtime, include_parcels=True, force=True)
            except Exception:
                log.exception(
                    "could not store the state of sorter %s at shutdown", runtime.sorter_id
                )

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.persist_all()

    def persist_all(self) -> None:
        """One background pass: pending manifests, then every changed sorter's snapshot."""
        for runtime in self.sorters():
            self.flush_manifests(runtime)
            try:
                if runtime.dirty():
                    self.persist(runtime)
            except Exception:
                log.exception("could not store the state of sorter %s; retrying", runtime.sorter_id)

    def restore(self) -> None:
        """Each sorter's latest layout, active plan and last snapshot, as before the restart."""
        with self.database.session() as session:
            for sorter_id in docs.sorter_ids(session):
                stored = docs.latest_layout(session, sorter_id)
                layout = layout_from_dict(stored.body)
                runtime = self.install(sorter_id, layout, stored.version)
                active = get_active(session, docs.PLAN, sorter_id)
                if active is None:
                    continue
                snapshot = get_document(session, docs.STATE, sorter_id, 1)
                body = snapshot.body if snapshot else None
                runtime.assigner, restored = self._restored_assigner(
                    stored.version,
                    layout,
                    docs.plan_of(active),
                    dict(active.body["carriers"]),
                    body,
                )
                through = _events_through(body) if restored else 0  # a fresh state: all
                if through is None:  # a snapshot written with every event it includes
                    through = last_event_id(session, docs.CHUTE_EVENT, sorter_id)
                runtime.events_through = replay_chute_events(
                    session, runtime.assigner, sorter_id, through
                )
                runtime.plan_version = active.version
                runtime.saved = (runtime.assigner.decisions, runtime.changes)
                log.info(
                    "sorter %s restored: layout v%d, plan v%d, %d decisions so far",
                    sorter_id,
                    stored.version,
                    active.version,
                    runtime.assigner.decisions,
                )

    def _restored_assigner(
        self,
        layout_version: int,
        layout: SorterLayout,
        plan: SortPlan,
        carriers: dict[str, str],
        snapshot: dict[str, Any] | None,
    ) -> tuple[Assigner, bool]:
        """The assigner as the snapshot left it, on the latest layout and the active plan,
        and whether it came from the snapshot (False: a fresh state).

        A snapshot naming chutes the layout lacks (a layout stored, the process gone before
        its state) is restored by matching chute ids; what those chutes held is lost, and
        said at error level.
        """
        sorter_id = layout.sorter_id
        if snapshot is not None:
            try:
                data = snapshot["assigner"]
                try:
                    assigner = Assigner.restore(layout, data, carriers=carriers)
                except InputError as exc:
                    assigner, dropped = Assigner.restore_matching(layout, data, carriers=carriers)
                    log.error(
                        "sorter %s: the stored state (layout v%s) does not fit layout v%d (%s); "
                        "restored by chute id, leaving out chutes %s: parcels in their "
                        "containers are in no manifest",
                        sorter_id,
                        snapshot.get("layout_version"),
                        layout_version,
                        exc.problems[0].message,
                        ", ".join(dropped) or "(none)",
                    )
                if assigner.plan.version != plan.version:  # activated after the last snapshot
                    assigner.activate(plan, carriers)
                    assigner.newly_full.clear()  # held chutes: answered by that activation
                return assigner, True
            except (InputError, KeyError, TypeError) as exc:
                log.error("sorter %s: stored state not restored (%s); fresh state", sorter_id, exc)
        return Assigner(layout, plan, carriers=carriers), False

    # ------------------------------------------------------------ writes

    def _plan_json(self, runtime: SorterRuntime, plan: SortPlan) -> EncodedJson:
        """The plan as JSON text, encoded once per activation (plans are immutable)."""
        cached_plan, cached = runtime.plan_json
        if cached_plan is not plan:
            cached = encode_in_slices(plan_to_dict(plan))
            runtime.plan_json = (plan, cached)
        return cached

    def state_body(self, runtime: SorterRuntime, captured: Captured) -> EncodedJson:
        """The snapshot document of a captured state, built outside the hot lock: the
        sorter's encoder writes only the parcels added since its last snapshot, pausing
        between chutes (`api.sliced_json`) so the assignment handlers keep the GIL.
        Hold `runtime.admin` (the encoder serves one writer at a time)."""
        state = captured.state
        plan_text = self._plan_json(runtime, state.plan)
        assigner = runtime.encoder.encode(state, plan_text, pause=Pacer().tick)
        return encode_in_slices(
            {
                "layout_version": captured.layout_version,
                "plan_version": captured.plan_version,
                "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "with_parcels": state.records is not None,
                "events_through": captured.events_through,
                "assigner": EncodedJson(assigner),
            }
        )

    def write_state(self, session: Session, runtime: SorterRuntime, captured: Captured) -> None:
        """Replace the sorter's snapshot in the caller's transaction; after its commit the
        caller marks it saved (`runtime.mark_saved(captured)`). Hold `runtime.admin`."""
        body = self.state_body(runtime, captured)
        put_snapshot(session, docs.STATE, runtime.sorter_id, body, sorter_id=runtime.sorter_id)

    def persist(
        self, runtime: SorterRuntime, include_parcels: bool = False, force: bool = False
    ) -> None:
        """Store the sorter's snapshot now (nothing to do without an active plan)."""
        with runtime.admin:
            if runtime.assigner is None or not (force or runtime.dirty()):
                return
            with runtime.lock:
                captured = runtime.capture(include_parcels)
            with self.database.transaction() as session:
                self.write_state(session, runtime, captured)
            runtime.mark_saved(captured)

    def persist_or_defer(self, runtime: SorterRuntime) -> None:
        """Store the snapshot now; if the database refuses, the background pass retries."""
        try:
            self.persist(runtime, force=True)
        except Exception:
            log.exception("sorter %s: state not stored now; the background pass retries",
                          runtime.sorter_id)  # fmt: skip

    def flush_manifests(self, runtime: SorterRuntime) -> None:
        """Retry manifests whose first write failed, one per transaction (their ids make the
        retry idempotent); one that still fails is kept for the next pass, not the others."""
        with runtime.admin:
            for record in list(runtime.pending):
                try:
                    with self.database.transaction() as session:
                        store_manifests(session, [record])
                except Exception:
                    log.exception(
                        "sorter %s: manifest %s (chute %s, container %d) still not stored; "
                        "retrying",
                        runtime.sorter_id,
                        record.manifest_id,
                        record.manifest.chute_id,
                        record.manifest.container,
                    )
                    continue
                runtime.pending.remove(record)
                log.info("sorter %s: pending manifest %s stored", runtime.sorter_id,
                         record.manifest_id)  # fmt: skip


def _events_through(snapshot: dict[str, Any] | None) -> int | None:
    """The last chute event a stored snapshot includes: 0 without a snapshot (replay them
    all), None for a snapshot from before events were replayed (it includes every event
    stored until then)."""
    if snapshot is None:
        return 0
    through = snapshot.get("events_through")
    return through if isinstance(through, int) else None


def replay_chute_events(session: Session, assigner: Assigner, sorter_id: str, after_id: int) -> int:
    """Apply the chute events stored after the snapshot's last one; the last event's id.

    Each event names the container it met; one whose container is no longer at the chute
    is already in the state and is skipped, so replaying is safe even over a snapshot
    taken after some of them. Manifests are not rebuilt: they were stored with the events.
    An event meeting a later container than the state's says closes were lost (a failed
    write, then a crash before any snapshot): the chute moves on to that container.
    """
    last = after_id
    for event in events_after(session, docs.CHUTE_EVENT, sorter_id, after_id):
        last = event.id
        body = event.body
        try:
            chute_id, container = body["chute_id"], int(body["container"])
            current = assigner.chute_status(chute_id)["container"]
            if current == container:
                assigner.chute_event(chute_id, body["event"])
            elif current < container:
                lost = assigner.skip_to_container(chute_id, container)
                log.error(
                    "sorter %s: chute event %d (%s at %s) met container %d, the state has %d: "
                    "closes were lost; %d parcels of the containers in between are in no "
                    "manifest (%s)",
                    sorter_id, event.id, body["event"], chute_id, container, current,
                    len(lost), ", ".join(lost[:20]),
                )  # fmt: skip
                assigner.chute_event(chute_id, body["event"])
        except (InputError, KeyError, TypeError, ValueError) as exc:
            log.error("sorter %s: chute event %d not replayed (%s)", sorter_id, event.id, exc)
    return last
