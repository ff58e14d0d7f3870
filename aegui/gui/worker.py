"""A QObject that runs one training run from a QThread, stores it, and relays it as Qt signals.

The run itself is a RunStream (aegui.core.stream) in a training process of its own (aegui.core.child),
CPU and CUDA alike; the worker takes the messages that come up the pipe. The child has a GIL of its
own, so the window's drawing does not slow training, and CUDA never initialises in the window's
process. With AEGUI_TRAIN_IN_THREAD=1 the stream runs right here, in the worker's thread instead.
Either way the worker stores each message (recorder.RunRecorder.take) before it relays it, and cancel
and pause are flags the training loop reads between batches, because a busy run() never processes
queued slot calls in its own thread.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback

from PySide6.QtCore import QObject, Signal


class RunSignals(QObject):
    """The signals of one run, declared once: the worker emits them, the RunController relays them."""

    sigStarted = Signal(object)    # dict: run_id, label, floors, floor, batches_per_epoch, epochs, device, …
    sigChunk = Signal(object, object, object, object)  # steps int64, losses, seconds, epochs int64
    sigEpochs = Signal(object)     # list of dicts: epoch, epoch_mean, recent_mean, step, seconds
    sigCopies = Signal(object)     # (m, copies) per-copy losses of the chunk that follows (seed bands only)
    sigFloors = Signal(object)     # (m,) float64 batch floors of the chunk that follows (BCE only)
    sigRunFloors = Signal(object)  # list of floor dicts: the run's floors, with a model floor solved in the background
    sigReconstruction = Signal(object, object, object, str)  # x, x̂, codes or None, loss kind
    sigPaused = Signal(bool)
    sigFinished = Signal(object)   # the engine's RunEnd
    sigFailed = Signal(str)


# Each stream message (stream.py) and the signal that carries it.
MESSAGE_SIGNALS = {"started": "sigStarted", "chunk": "sigChunk", "epochs": "sigEpochs", "copies": "sigCopies",
                   "floors": "sigFloors", "run_floors": "sigRunFloors", "reconstruction": "sigReconstruction",
                   "paused": "sigPaused", "finished": "sigFinished", "failed": "sigFailed"}


class TrainWorker(RunSignals):
    """Runs one config's training; move it to a QThread and connect thread.started to run()."""

    sigDone = Signal()             # always last, after sigFinished or sigFailed, with the store written

    def __init__(self, config, store_path: str | None, *, threads: int | None = None, copies: int = 1,
                 group_name: str | None = None, in_child: bool | None = None):
        super().__init__()
        from ..core.child import shared_flags, train_in_thread
        self.config = config
        self.store_path = store_path
        self.threads = threads  # None: the engine's own rule (training._set_threads), as in the CLI
        self.copies = copies
        self.group_name = group_name
        self.in_child = not train_in_thread() if in_child is None else in_child  # train in a training process?
        self.run_id: int | None = None
        self.child_pid: int | None = None  # the training process's, while one runs (benchmarks read its memory)
        self._child = None  # the TrainingProcess, in child mode: a warm standby where runs are spawned
        if self.in_child:
            from ..core.standby import take
            self._child = take()
        # Flags in shared memory serve both modes: the training process is handed them, and this thread
        # reads them. A standby was spawned with its own.
        self._start_error: str | None = None
        try:
            self._cancel, self._running = ((self._child.cancel, self._child.running) if self._child is not None
                                           else shared_flags())
        except OSError as exc:  # no room for them (a full /dev/shm and $TMPDIR): the run fails with why
            from ..core.child import SharedFlag
            memory = bytearray(2)
            self._cancel, self._running = SharedFlag(memory, 0), SharedFlag(memory, 1)
            self._running.set()
            self._start_error = f"The run could not start: {exc.strerror or exc}."
        self._recorder = None
        self._store_error: str | None = None
        self._seen = {"batches": 0, "loss_sum": 0.0, "epochs": 0, "last_epoch": float("nan"),
                      "min_epoch": float("nan"), "t0": time.monotonic()}  # for a RunEnd, should the child be killed
        self.ended = threading.Event()  # set once run() has returned (sigDone emitted, store closed)
        self._relays = {kind: getattr(self, name).emit for kind, name in MESSAGE_SIGNALS.items()}

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

    def kill(self) -> None:
        """End a training process that does not answer Stop (closing the window); a thread can only be waited for."""
        if self._child is not None:
            self._child.kill()

    # ---- the worker thread

    def run(self) -> None:
        """Train to the end, storing the run and emitting it as signals; sigDone is always last."""
        store = None
        try:
            store = self._open_store()
            if self._start_error is not None:
                self._abandoned(self._start_error)
                return
            self._run_child() if self.in_child else self._run_here()
        except Exception as exc:  # noqa: BLE001 - a store, process start or pipe failure must reach the user
            traceback.print_exc()
            self._abandoned(f"{type(exc).__name__}: {exc}")
        finally:
            try:
                if store is not None:
                    store.close()  # before sigDone: listeners that read the store see the run's end
            finally:
                self.sigDone.emit()
                self.ended.set()

    def _open_store(self):
        if self.store_path is None:
            return None
        # sqlite connections are per thread: this one is opened, used and closed in the worker thread.
        from ..core.recorder import RunRecorder
        from ..core.store import RunStore
        store = RunStore(self.store_path, check=False)  # the window checked the file when it opened it
        self._recorder = RunRecorder(store, self.group_name, self.config)
        return store

    def _run_here(self) -> None:
        from ..core.stream import RunStream
        RunStream(self.config, self._take, self._cancel, self._running, threads=self.threads,
                  copies=self.copies).run()

    def _run_child(self) -> None:
        from ..core.child import ChildDied, ServerNotAnswering, TrainingProcess
        child = self._child
        if child is None:
            child = self._child = TrainingProcess(self.config, self._cancel, self._running, threads=self.threads,
                                                  copies=self.copies)
            try:
                child.start()
            except ServerNotAnswering as exc:
                self._abandoned(str(exc)[0].upper() + str(exc)[1:] + ".")
                return
        else:  # the standby, warm and waiting
            child.give(self.config, threads=self.threads, copies=self.copies)
        self.child_pid = child.process.pid
        try:
            for kind, *payload in child.messages():
                self._take(kind, *payload)
        except ChildDied as exc:
            if child.finished:
                return  # it died after its run had ended and been stored: nothing was lost
            if child.killed:  # stuck after Stop, or the window closing: the Stop the user asked for
                print(f"aegui: the training process did not answer Stop and was ended; {exc}", file=sys.stderr)
                self._take("finished", self._cancelled_end())
                return
            self._abandoned(str(exc)[0].upper() + str(exc)[1:] + "; the curve it sent is stored with the run.")

    def _cancelled_end(self):
        """A RunEnd for a run whose process was killed after Stop, from what it had sent."""
        from ..core.records import RunEnd
        seen, seconds = self._seen, time.monotonic() - self._seen["t0"]
        # final_loss as the engine defines it (RunStats.end): the last finished epoch's mean, else the mean of
        # the batches trained (was the last batch's loss: a third definition)
        final = seen["last_epoch"] if seen["epochs"] else (seen["loss_sum"] / seen["batches"] if seen["batches"]
                                                           else float("nan"))
        return RunEnd("cancelled", seen["epochs"], seen["batches"], final, seen["min_epoch"], seconds,
                      seen["batches"] / seconds if seconds > 0 else 0.0)

    def _take(self, kind: str, *payload) -> None:
        """One message from the stream: store it, then relay it (in this thread; signals are queued)."""
        if kind == "done":
            return  # run() emits sigDone itself, once the store is closed
        if self._recorder is not None and self._store_error is None:
            try:
                self._recorder.take(kind, *payload)
            except Exception as exc:  # noqa: BLE001 - a full disk: stop the run, and say so at its end
                traceback.print_exc()
                self._store_error = f"The run could not be stored ({type(exc).__name__}: {exc}); it was stopped."
                self.stop()
        if kind == "started":
            self.run_id = self._recorder.run_id if self._recorder is not None else None
            payload = ({**payload[0], "run_id": self.run_id},)
        elif kind == "chunk" and len(payload[1]):
            self._seen["batches"] += len(payload[1])
            self._seen["loss_sum"] += float(payload[1].sum(dtype="float64"))
        elif kind == "epochs" and payload[0]:
            self._seen["epochs"] = payload[0][-1]["epoch"] + 1
            self._seen["last_epoch"] = payload[0][-1]["epoch_mean"]
            means = [r["epoch_mean"] for r in payload[0]] + [self._seen["min_epoch"]]
            self._seen["min_epoch"] = float(min((m for m in means if m == m), default=float("nan")))
        if kind in ("finished", "failed") and self._store_error is not None:
            self._abandoned(self._store_error if kind == "finished" else f"{payload[0]}\n\n{self._store_error}")
            return
        self._relays[kind](*payload)

    def _abandoned(self, message: str) -> None:
        """The run ended without an end of its own (its process died, the store failed): store it as failed
        and tell the user."""
        if self._recorder is not None:
            try:
                self._recorder.end_abandoned(message)
            except Exception:  # noqa: BLE001 - the store may be what failed; the user still hears of it
                traceback.print_exc()
        self.sigFailed.emit(message)
