"""A QObject that runs one training run from a QThread and relays its stream as Qt signals.

The run itself is a RunStream (aegui.core.stream). On Linux, for CPU runs, the worker forks it into a
training process (aegui.core.child) and relays the messages that come up the pipe: the child has a
GIL of its own, so the window's drawing no longer slows training. Elsewhere the stream runs right
here, in the worker's thread. Either way cancel and pause are flags the training loop reads between
batches, because a busy run() never processes queued slot calls in its own thread.
"""

from __future__ import annotations

import os
import threading
import traceback

from PySide6.QtCore import QObject, Signal

from aegui.core.stream import CHUNK_INTERVAL, RECON_INTERVAL  # noqa: F401 - the stream's pace, named here too


def training_threads() -> int:
    """Torch threads for a run: every core but one, which is left to the GUI."""
    return max(1, (os.cpu_count() or 2) - 1)


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
                 group_name: str | None = None, in_child: bool | None = None):
        super().__init__()
        self.config = config
        self.store_path = store_path
        self.threads = threads or training_threads()
        self.copies = copies
        self.group_name = group_name
        self.run_id: int | None = None
        self.child_pid: int | None = None  # the training process's, while one runs (benchmarks read its memory)
        if in_child is None:
            from aegui.core.child import fork_available
            in_child = fork_available(config, copies)
        self.in_child = in_child  # whether run() forks a training process (else it trains in this thread)
        if in_child:
            from aegui.core.child import shared_flags
            self._cancel, self._running = shared_flags()
        else:
            self._cancel, self._running = threading.Event(), threading.Event()
            self._running.set()
        self._relays = {"started": self._started, "chunk": self.sigChunk.emit, "epochs": self.sigEpochs.emit,
                        "copies": self.sigCopies.emit, "floors": self.sigFloors.emit,
                        "reconstruction": self.sigReconstruction.emit, "paused": self.sigPaused.emit,
                        "finished": self.sigFinished.emit, "failed": self.sigFailed.emit,
                        "done": self.sigDone.emit}

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
        """Train to the end, emitting the stream as signals; sigDone is always last."""
        from aegui.core.stream import RunStream
        if not self.in_child:
            RunStream(self.config, self.store_path, self._relay, self._cancel, self._running,
                      threads=self.threads, copies=self.copies, group_name=self.group_name).run()
            return
        from aegui.core.child import ChildDied, TrainingProcess
        child = TrainingProcess(self.config, self.store_path, self._cancel, self._running,
                                threads=self.threads, copies=self.copies, group_name=self.group_name)
        try:
            child.start()
            self.child_pid = child.process.pid
            for kind, *payload in child.messages():
                self._relay(kind, *payload)
        except ChildDied as exc:
            self._child_died(str(exc))
        except Exception as exc:  # noqa: BLE001 - a fork or pipe failure must reach the user, not kill the thread
            traceback.print_exc()
            self._child_died(f"{type(exc).__name__}: {exc}")

    def _relay(self, kind: str, *payload) -> None:
        self._relays[kind](*payload)

    def _started(self, info: dict) -> None:
        self.run_id = info.get("run_id")
        self.sigStarted.emit(info)

    def _child_died(self, message: str) -> None:
        """The child ended without done: store what it left as cancelled or failed, tell the user, end."""
        cancelled = self._cancel.is_set()
        try:
            _store_end(self.store_path, self.run_id, self.config, self.group_name, message, cancelled)
        except Exception:  # noqa: BLE001 - the store may be what failed; the user still hears of it
            traceback.print_exc()
        if cancelled:
            from aegui.core import child
            message = (f"The run did not stop within {child.KILL_AFTER_S:g} s of Stop, so its process was ended; "
                       "its curve up to then is stored as cancelled.")
        self.sigFailed.emit(message)
        self.sigDone.emit()


def _store_end(store_path, run_id, config, group_name, message: str, cancelled: bool) -> None:
    """Finish a run its dead child left `running`: cancelled when a stop was asked for, else failed."""
    if store_path is None:
        return
    from aegui.core.recorder import RunRecorder
    from aegui.core.store import RunStore
    from aegui.core.stream import store_failure
    store = RunStore(store_path, check=False)
    try:
        recorder = RunRecorder(store, group_name)
        recorder.run_id = run_id
        if run_id is not None and store.get_run(run_id).status != "running":
            return  # the child had stored the run's end before it died
        if cancelled:
            recorder.cancel()
        else:
            store_failure(recorder, config, message)
    finally:
        store.close()
