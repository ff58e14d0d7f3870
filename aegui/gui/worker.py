"""A QObject that drives the engine's train() generator on a QThread and streams its records in chunks.

The worker only iterates the generator: cancel and pause are flags the loop checks between records,
because a busy run() never processes queued slot calls in its own thread.
"""

from __future__ import annotations

import os
import threading
import time
import traceback

import numpy as np
from PySide6.QtCore import QObject, Signal

CHUNK_INTERVAL = 1 / 30  # at most 30 chunks a second reach the GUI: the plot repaints no faster
RECON_INTERVAL = 0.5     # seconds between reconstruction snapshots: 2 a second shows x̂ move; each costs the run a forward pass


def training_threads() -> int:
    """Torch threads for a run: every core but one, which is left to the GUI."""
    return max(1, (os.cpu_count() or 2) - 1)


class _Buffer:
    """Per-batch records gathered between two chunk emits."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.seconds: list[float] = []
        self.epochs: list[int] = []
        self.copy_losses: list[np.ndarray] = []
        self.floors: list[float] = []  # BCE only: each batch's own floor, one per step
        self.epoch_rows: list[dict] = []

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The batch columns as numpy arrays; the buffer is emptied."""
        out = (np.asarray(self.steps, dtype=np.int64), np.asarray(self.losses, dtype=np.float64),
               np.asarray(self.seconds, dtype=np.float64), np.asarray(self.epochs, dtype=np.int64))
        self.steps, self.losses, self.seconds, self.epochs = [], [], [], []
        return out


class TrainWorker(QObject):
    """Runs one config's training; move it to a QThread and connect thread.started to run()."""

    sigStarted = Signal(object)    # dict: run_id, label, floor, floor_exact, batches_per_epoch, epochs, device, …
    sigChunk = Signal(object, object, object, object)  # steps int64, losses, seconds, epochs int64
    sigEpochs = Signal(object)     # list of dicts: epoch, epoch_mean, recent_mean, step, seconds
    sigCopies = Signal(object)     # (m, copies) per-copy losses of the chunk that follows (seed bands only)
    sigFloors = Signal(object)     # (m,) float64 batch floors of the chunk that follows (BCE only)
    sigReconstruction = Signal(object, object, object, str)  # x, x̂, codes or None, loss kind
    sigPaused = Signal(bool)
    sigFinished = Signal(object)   # the engine's RunEnd
    sigFailed = Signal(str)
    sigDone = Signal()             # always last, after sigFinished or sigFailed

    def __init__(self, config, store_path: str | None, *, threads: int | None = None, copies: int = 1,
                 group_name: str | None = None):
        super().__init__()
        self.config = config
        self.store_path = store_path
        self.threads = threads or training_threads()
        self.copies = copies
        self.group_name = group_name
        self._model = self._sample = None
        self._last_recon = 0.0
        self.run_id: int | None = None
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._t0 = time.perf_counter()
        self._last_emit = 0.0
        self._buf = _Buffer()

    # ---- controls: thread-safe, callable from the GUI thread

    def stop(self) -> None:
        """Ask the run to stop; the engine sees it before its next batch."""
        self._cancel.set()
        self._running.set()  # a paused run must wake up to notice the stop

    def pause(self) -> None:
        """Hold the run between records until resume() or stop()."""
        self._running.clear()

    def resume(self) -> None:
        """Continue a paused run."""
        self._running.set()

    def is_paused(self) -> bool:
        """True while pause() holds the run."""
        return not self._running.is_set()

    # ---- the worker thread

    def run(self) -> None:
        """Train to the end, emitting chunks; every error becomes sigFailed and a failed stored run."""
        recorder = store = None
        try:
            store, recorder = self._open_store()
            self._drive(recorder)
        except Exception as exc:  # noqa: BLE001 - any failure must reach the user, not kill the thread
            self._fail(recorder, exc)
        finally:
            if store is not None:
                store.close()
            self.sigDone.emit()

    def _open_store(self):
        if self.store_path is None:
            return None, None
        # sqlite connections are per thread: this one is opened, used and closed in the worker thread.
        from aegui.core.recorder import RunRecorder
        from aegui.core.store import RunStore
        store = RunStore(self.store_path, check=False)  # the window checked the file when it opened it
        return store, RunRecorder(store, self.group_name)

    def _drive(self, recorder) -> None:
        from aegui.core.training import BatchRecord, EpochSummary, RunEnd, RunStart, train
        records = train(self.config, self._cancel, copies=self.copies, threads=self.threads)
        for record in records:
            if recorder is not None:
                recorder.feed(record)
            if isinstance(record, BatchRecord):
                self._on_batch(record)
            elif isinstance(record, EpochSummary):
                self._on_epoch(record)
            elif isinstance(record, RunStart):
                self._on_start(record, recorder)
            elif isinstance(record, RunEnd):
                self._flush()
                self._reconstruct()  # the final weights, whatever the timer says
                self.sigFinished.emit(record)
                continue
            if time.perf_counter() - self._last_recon >= RECON_INTERVAL:
                self._reconstruct()
            self._hold_if_paused()

    def _reconstruct(self) -> None:
        """Emit x, x̂ and codes of copy 0 on the run's fixed sample (between batches, in this thread)."""
        if self._model is None:
            return
        self._last_recon = time.perf_counter()
        try:
            from aegui.core.reconstruct import reconstruct
            x, xhat, codes = reconstruct(self._model, self._sample, self.config.loss.kind)
        except Exception:  # noqa: BLE001 - a failed snapshot must not end the run it only illustrates
            traceback.print_exc()
            self._model = None
            return
        self.sigReconstruction.emit(x, xhat, codes, self.config.loss.kind)

    def _on_start(self, start, recorder) -> None:
        self._t0 = time.perf_counter()
        self.run_id = getattr(recorder, "run_id", None)
        self._model, self._sample = start.model, start.sample
        self.sigStarted.emit({
            "run_id": self.run_id, "label": start.config.label(), "config": start.config,
            "floor": float(start.floor.value), "floor_exact": bool(start.floor.exact),
            "floor_basis": start.floor.basis, "batches_per_epoch": int(start.batches_per_epoch),
            "epochs": int(start.config.training.epochs), "samples": int(start.samples),
            "device": start.device, "device_note": start.device_note, "copies": int(start.copies),
            "loss": start.config.loss.kind, "recent_window": int(start.config.training.recent_window)})

    def _on_batch(self, rec) -> None:
        now = time.perf_counter()
        buf = self._buf
        buf.steps.append(rec.step)
        buf.losses.append(rec.loss)
        buf.seconds.append(now - self._t0)
        buf.epochs.append(rec.epoch)
        if rec.copy_losses is not None:
            buf.copy_losses.append(rec.copy_losses)
        if rec.floor is not None:
            buf.floors.append(rec.floor)
        if now - self._last_emit >= CHUNK_INTERVAL:
            self._flush(now)

    def _on_epoch(self, summary) -> None:
        # Epoch rows ride with the next chunk, so the plot never sees an epoch before its batches.
        self._buf.epoch_rows.append({
            "epoch": summary.epoch, "epoch_mean": summary.epoch_mean, "recent_mean": summary.recent_mean,
            "step": summary.batches, "seconds": time.perf_counter() - self._t0})

    def _flush(self, now: float | None = None) -> None:
        """Emit what is buffered: one chunk of batches, then the epochs they finished."""
        self._last_emit = time.perf_counter() if now is None else now
        buf = self._buf
        if buf.copy_losses:
            block, buf.copy_losses = np.asarray(buf.copy_losses, dtype=np.float64), []
            self.sigCopies.emit(block)  # before its chunk, so listeners pair them up
        if buf.floors:
            # A signal of its own, not a 5th sigChunk argument: every 4-argument chunk slot keeps working.
            floors, buf.floors = np.asarray(buf.floors, dtype=np.float64), []
            self.sigFloors.emit(floors)
        if buf.steps:
            self.sigChunk.emit(*buf.arrays())
        if buf.epoch_rows:
            rows, buf.epoch_rows = buf.epoch_rows, []
            self.sigEpochs.emit(rows)

    def _hold_if_paused(self) -> None:
        if self._running.is_set() or self._cancel.is_set():
            return
        self._flush()  # show everything trained so far before holding
        self.sigPaused.emit(True)
        self._running.wait()
        self.sigPaused.emit(False)

    def _fail(self, recorder, exc: BaseException) -> None:
        self._flush()
        message = f"{type(exc).__name__}: {exc}"
        if type(exc).__name__ in ("ConfigError", "DataError"):
            message = str(exc)  # the engine's own messages already say field, value and what is allowed
        else:
            traceback.print_exc()
        if recorder is not None:
            try:
                _store_failure(recorder, self.config, message)
            except Exception:  # noqa: BLE001 - the store itself may be what failed; the user still hears of it
                traceback.print_exc()
        self.sigFailed.emit(message)


def _store_failure(recorder, config, message: str) -> None:
    """Store the run as failed, creating it first when training failed before its RunStart."""
    if recorder.run_id is None:
        from aegui.core.floors import Floor
        floor = Floor(float("nan"), False, "not computed: the run failed before training")
        recorder.run_id = recorder.store.create_run(config, device=config.training.device, floor=floor)
    recorder.fail(message)
