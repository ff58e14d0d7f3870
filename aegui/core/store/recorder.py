"""Stores a run as it trains, committing at least twice a second, from its records: the engine's own (the
CLI) or those a RunStream sends (the window: LossChunks instead of LossBlocks, and Paused and RunFailed)."""

from __future__ import annotations

import time
from dataclasses import replace
from collections.abc import Callable

import numpy as np

from ..floors.floors import Floor
from ..engine.records import EpochSummary, FloorsUpdate, LossBlock, LossChunk, Paused, RunEnd, RunFailed, RunStart
from .store import RunStore

COMMIT_SECONDS = 0.5  # a killed process loses at most this much of its curve


class RunRecorder:
    """Stores one run: created on RunStart, written in chunks, finished on RunEnd or fail()."""

    def __init__(self, store: RunStore, group_name: str | None = None, config=None):
        """config: the run's config, for a failure stored before the run could start (a RunFailed first)."""
        self.store = store
        self.group_name = group_name
        self.config = config
        self.copies = 1
        self.run_id: int | None = None
        self._losses: list[np.ndarray] = []  # blocks of (m,) losses, or (m, copies) for a seed band
        self._floors: list[np.ndarray] = []  # blocks of (m,) BCE batch floors
        self._pending = 0  # batches gathered since the last commit
        self._epochs: list[tuple] = []
        self._written = 0
        self._last_commit = time.monotonic()
        self._t0 = time.monotonic()
        self.finished = False
        # Compaction after the run's end: progress(done, total) and stop() hooks (the CLI prints one and
        # wires Ctrl-C to the other); compact_note says why the losses were left unpacked, if they were.
        self.compact_progress: Callable[[int, int], None] | None = None  # (groups done, groups) while compacting
        self.compact_stop: Callable[[], bool] | None = None  # True: stop compacting (the run stays as it ended)
        self.compact_note: str | None = None

    def feed(self, record):
        """Store what one record says; write when half a second's worth has gathered. Returns the record as
        stored: a RunStart comes back with the run's id and its stored name (the store makes names unique),
        which is how the window learns them; any other record comes back as it was."""
        if isinstance(record, (LossBlock, LossChunk)):
            band = record.copy_losses is not None  # a seed band stores every copy's loss
            self.add(losses=record.copy_losses if band else record.loss,
                     floors=record.floors if record.floors is not None else ())
        elif isinstance(record, EpochSummary):
            self._epochs.append((record.epoch, record.epoch_mean, record.recent_mean,
                                 record.batches, record.seconds))
        elif isinstance(record, RunStart):
            self.start(record.config, record.device, record.floors, record.copies)
            return replace(record, run_id=self.run_id, name=self.store.get_run(self.run_id).name)
        elif isinstance(record, FloorsUpdate):
            self.set_floors(record.floors)
        elif isinstance(record, RunEnd):
            self.finish(record)
            return record
        elif isinstance(record, RunFailed):
            store_failure(self, self.config, record.message)
            return record
        elif isinstance(record, Paused) and record.paused:
            self.flush()  # a pause may last: everything shown so far is stored now
            return record
        self.commit_if_due()
        return record

    # ---- the steps, for a caller that has the run in another shape

    def start(self, config, device: str, floors: list[Floor], copies: int = 1) -> None:
        """Create the run in the store, as running."""
        self._t0 = time.monotonic()
        self.config, self.copies = config, copies
        self.run_id = self.store.create_run(config, device=device, floors=floors, copies=copies,
                                            group_name=self.group_name)

    def set_floors(self, floors: list[Floor]) -> None:
        """Store the run's floors again, now with a model floor solved in the background."""
        if self.run_id is not None:
            self.store.set_floors(self.run_id, floors)

    def add(self, losses=(), floors=(), epochs=()) -> None:
        """Gather batches' losses (or (m, copies) rows), their floors and finished epochs' rows."""
        # Blocks stay arrays until the commit joins them: no Python object per batch.
        losses, floors = np.asarray(losses, dtype=np.float32), np.asarray(floors, dtype=np.float32)
        if len(losses):
            self._losses.append(losses)
            self._pending += len(losses)
        if len(floors):
            self._floors.append(floors)
        self._epochs.extend(epochs)

    def commit_if_due(self) -> None:
        """Write what has gathered if the last commit is COMMIT_SECONDS old."""
        if time.monotonic() - self._last_commit >= COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write what has gathered since the last commit."""
        if self.run_id is None or (not self._losses and not self._epochs):
            return
        block = np.concatenate(self._losses) if self._losses else np.zeros(0, dtype=np.float32)
        floors = np.concatenate(self._floors) if self._floors else None
        floors = floors if floors is not None and len(floors) == len(block) else None
        self.store.write_progress(self.run_id, self._written, block, self._epochs, time.monotonic() - self._t0,
                                  floors)
        self._written += len(block)
        self._losses, self._floors, self._epochs, self._pending = [], [], [], 0
        self._last_commit = time.monotonic()

    def finish(self, end: RunEnd) -> None:
        """Write the rest and store the run's end: cancelled, or finished with its stop reason."""
        if self.run_id is None:
            return  # stopped before it was created: nothing to store
        self.flush()
        status = "cancelled" if end.stop_reason == "cancelled" else "finished"
        self.store.finish_run(self.run_id, status, end.stop_reason, end, compact_now=False)
        self.finished = True  # from here the run is ended: nothing that befalls the compaction changes that
        self._compact()

    def _compact(self) -> None:
        # After the end is committed, in transactions of its own: see store_compact.
        assert self.run_id is not None  # a run that ended was started
        self.compact_note = self.store.compact_run(self.run_id, self.compact_progress, self.compact_stop)

    def fail(self, message: str) -> None:
        """Store the run as failed with message, keeping the curve gathered so far."""
        self._end("failed", None, message)

    def cancel(self) -> None:
        """Store the run as cancelled when the generator was abandoned before its RunEnd."""
        self._end("cancelled", "cancelled", None)

    def _end(self, status: str, stop_reason: str | None, error: str | None) -> None:
        if self.run_id is None or self.finished:
            return
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - a full disk: the status must still be written if it can be
            lost = f"the last {self._pending:,} batches could not be stored ({type(exc).__name__}: {exc})"
            error = f"{error}; {lost}" if error else lost
        self.store.finish_run(self.run_id, status, stop_reason, error=error, compact_now=False)
        self.finished = True
        self._compact()


    def end_abandoned(self, message: str) -> None:
        """The stream ended without RunEnd or RunFailed (its process died, the store failed): store it failed."""
        if not self.finished:
            store_failure(self, self.config, message)


def store_failure(recorder: RunRecorder, config, message: str) -> None:
    """Store the run as failed, creating it first when training failed before its RunStart."""
    if recorder.run_id is None:
        recorder.run_id = recorder.store.create_run(config, device=config.training.device, floors=[],
                                                    group_name=recorder.group_name)
    recorder.fail(message)
