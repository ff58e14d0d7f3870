"""Feeds training records into the run store, committing at least once a second."""

from __future__ import annotations

import time

import numpy as np

from .store import RunStore
from .training import BatchRecord, EpochSummary, RunEnd, RunStart

COMMIT_SECONDS = 0.5  # a killed process loses at most this much of its curve


class RunRecorder:
    """Stores one run: created on RunStart, written in chunks, finished on RunEnd or fail()."""

    def __init__(self, store: RunStore, group_name: str | None = None):
        self.store = store
        self.group_name = group_name
        self.run_id: int | None = None
        self._losses: list = []
        self._floors: list = []
        self._epochs: list[tuple] = []
        self._written = 0
        self._last_commit = time.monotonic()
        self._t0 = time.monotonic()
        self.finished = False

    def feed(self, record) -> None:
        """Take one record from train(); write when a second's worth has gathered."""
        if isinstance(record, BatchRecord):
            self._losses.append(record.copy_losses if record.copy_losses is not None else record.loss)
            if record.floor is not None:
                self._floors.append(record.floor)
        elif isinstance(record, EpochSummary):
            self._epochs.append((record.epoch, record.epoch_mean, record.recent_mean,
                                 record.batches, record.seconds))
        elif isinstance(record, RunStart):
            self._t0 = time.monotonic()
            self.run_id = self.store.create_run(record.config, device=record.device, floor=record.floor,
                                                copies=record.copies, group_name=self.group_name)
        elif isinstance(record, RunEnd):
            self.flush()
            status = "cancelled" if record.stop_reason == "cancelled" else "finished"
            self.store.finish_run(self.run_id, status, record.stop_reason, record)
            self.finished = True
            return
        if time.monotonic() - self._last_commit >= COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write what has gathered since the last commit."""
        if self.run_id is None or (not self._losses and not self._epochs):
            return
        block = np.asarray(self._losses, dtype=np.float32)
        floors = np.asarray(self._floors, dtype=np.float32) if len(self._floors) == len(block) else None
        self.store.write_progress(self.run_id, self._written, block, self._epochs, time.monotonic() - self._t0,
                                  floors)
        self._written += len(block)
        self._losses, self._floors, self._epochs = [], [], []
        self._last_commit = time.monotonic()

    def fail(self, message: str) -> None:
        """Store the run as failed with message, keeping the curve gathered so far."""
        if self.run_id is None or self.finished:
            return
        self.flush()
        self.store.finish_run(self.run_id, "failed", None, error=message)
        self.finished = True

    def cancel(self) -> None:
        """Store the run as cancelled when the generator was abandoned before its RunEnd."""
        if self.run_id is None or self.finished:
            return
        self.flush()
        self.store.finish_run(self.run_id, "cancelled", "cancelled")
        self.finished = True
