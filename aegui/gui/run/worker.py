"""A QObject that runs one training run from a QThread, stores it, and relays it as Qt signals.

The run itself is a RunStream (aegui.core.run.stream) in a training process of its own (aegui.core.run.child),
CPU and CUDA alike; the worker takes the records that come up the pipe. The child has a GIL of its
own, so the window's drawing does not slow training, and CUDA never initialises in the window's
process. With AEGUI_TRAIN_IN_THREAD=1 the stream runs right here, in the worker's thread instead.
Either way the worker stores each record (recorder.RunRecorder.feed) before it relays it, and cancel
and pause are flags the training loop reads between batches, because a busy run() never processes
queued slot calls in its own thread.
"""

from __future__ import annotations

import sys
import threading
import traceback

from PySide6.QtCore import QObject, Signal

from ...core.engine.records import RunEnd, RunFailed, RunStart, StreamDone
from ...core.engine.run_end import Tally


class RunSignals(QObject):
    """The signal of one run, declared once: the worker emits it, the RunController relays it."""

    # Each record the run's stream sent (core/engine/records.py), in order, as it is: RunStart (with the run_id and
    # stored name the recorder gave it), FloorsUpdate, LossChunk, EpochSummary, Reconstruction, Paused, and
    # last RunEnd or RunFailed. One signal, not one per kind: listeners pick the records they use.
    sigRecord = Signal(object)


class TrainWorker(RunSignals):
    """Runs one config's training; move it to a QThread and connect thread.started to run()."""

    sigDone = Signal()  # always last, after the RunEnd or RunFailed record, with the store written

    def __init__(self, config, store_path: str | None, *, threads: int | None = None, copies: int = 1,
                 group_name: str | None = None, in_child: bool | None = None):
        super().__init__()
        from ...core.run.child import shared_flags, train_in_thread
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
            from ...core.run.standby import take
            self._child = take()
        # Flags in shared memory serve both modes: the training process is handed them, and this thread
        # reads them. A standby was spawned with its own.
        self._start_error: str | None = None
        try:
            self._cancel, self._running = ((self._child.cancel, self._child.running) if self._child is not None
                                           else shared_flags())
        except OSError as exc:  # no room for them (a full /dev/shm and $TMPDIR): the run fails with why
            from ...core.run.child import SharedFlag
            memory = bytearray(2)
            self._cancel, self._running = SharedFlag(memory, 0), SharedFlag(memory, 1)
            self._running.set()
            self._start_error = f"The run could not start: {exc.strerror or exc}."
        self._recorder = None
        self._store_error: str | None = None
        self._tally = Tally()  # what the run sent, for its RunEnd should the training process be killed
        self.ended = threading.Event()  # set once run() has returned (sigDone emitted, store closed)

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
        from ...core.store.recorder import RunRecorder
        from ...core.store.store import RunStore
        store = RunStore(self.store_path, check=False)  # the window checked the file when it opened it
        self._recorder = RunRecorder(store, self.group_name, self.config)
        return store

    def _run_here(self) -> None:
        from ...core.run.stream import RunStream
        RunStream(self.config, self._take, self._cancel, self._running, threads=self.threads,
                  copies=self.copies).run()

    def _run_child(self) -> None:
        from ...core.run.child import ChildDied, ServerNotAnswering, TrainingProcess
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
            for record in child.records():
                self._take(record)
        except ChildDied as exc:
            if child.finished:
                return  # it died after its run had ended and been stored: nothing was lost
            if child.killed:  # stuck after Stop, or the window closing: the Stop the user asked for
                print(f"aegui: the training process did not answer Stop and was ended; {exc}", file=sys.stderr)
                self._take(self._tally.end("cancelled"))
                return
            self._abandoned(str(exc)[0].upper() + str(exc)[1:] + "; the curve it sent is stored with the run.")

    def _take(self, record) -> None:
        """One record from the stream: store it, then relay it (in this thread; signals are queued)."""
        if isinstance(record, StreamDone):
            return  # run() emits sigDone itself, once the store is closed
        if self._recorder is not None and self._store_error is None:
            try:
                record = self._recorder.feed(record)  # a RunStart comes back with its run_id and stored name
            except Exception as exc:  # noqa: BLE001 - a full disk: stop the run, and say so at its end
                traceback.print_exc()
                self._store_error = f"The run could not be stored ({type(exc).__name__}: {exc}); it was stopped."
                self.stop()
        if isinstance(record, RunStart):
            self.run_id = record.run_id
        self._tally.see(record)
        if isinstance(record, (RunEnd, RunFailed)) and self._store_error is not None:
            self._abandoned(self._store_error if isinstance(record, RunEnd)
                            else f"{record.message}\n\n{self._store_error}")
            return
        self.sigRecord.emit(record)

    def _abandoned(self, message: str) -> None:
        """The run ended without an end of its own (its process died, the store failed): store it as failed
        and tell the user."""
        if self._recorder is not None:
            try:
                self._recorder.end_abandoned(message)
            except Exception:  # noqa: BLE001 - the store may be what failed; the user still hears of it
                traceback.print_exc()
        self.sigRecord.emit(RunFailed(message))
