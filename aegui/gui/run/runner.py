"""RunController: owns one TrainWorker and its QThread at a time, and relays the worker's records.

It lives in the GUI thread, so the worker's records reach its bound methods queued and in order
(a lambda or a foreign callable connected to the worker would run in the worker thread).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from ...core.engine.records import RunEnd, RunFailed
from .worker import RunSignals, TrainWorker


SHUTDOWN_WAIT_S = 0.8  # closing the window waits this long for Stop before it ends a training process


class RunController(RunSignals):
    """Start, stop, pause and rerun training runs; join each worker's thread when it is done.

    It carries the worker's sigRecord (RunSignals, declared once) for the window, which connects to it
    once, whatever worker is running.
    """

    sigEnded = Signal(str)  # finished / cancelled / failed, after the thread has been joined

    def __init__(self, store_path: str | None, parent: QObject | None = None):
        super().__init__(parent)
        self.store_path = store_path
        self._thread: QThread | None = None
        self._worker: TrainWorker | None = None
        self._next_config: tuple | None = None
        self._outcome = ""

    def is_running(self) -> bool:
        """True from start() until the worker's thread has been joined."""
        return self._thread is not None

    def start(self, config, copies: int = 1, group_name: str | None = None) -> bool:
        """Train config (as `copies` seeded copies) on a fresh worker thread; False while another run is going."""
        if self.is_running():
            return False
        worker = TrainWorker(config, self.store_path, copies=copies, group_name=group_name)
        thread = QThread(self)  # parented and referenced: a collected running QThread aborts the process
        worker.moveToThread(thread)
        worker.sigRecord.connect(self._on_record)  # a bound method of a GUI-thread object: queued, in order
        worker.sigDone.connect(self._on_done)
        thread.started.connect(worker.run)
        self._worker, self._thread, self._outcome = worker, thread, ""
        thread.start()
        return True

    def stop(self) -> None:
        """Ask the run to stop; the engine sees it before its next batch, and it is stored as cancelled."""
        self._next_config = None
        if self._worker is not None:
            self._worker.stop()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the run."""
        if self._worker is not None:
            self._worker.pause() if paused else self._worker.resume()

    def restart(self, config, copies: int = 1) -> None:
        """Stop the current run, if any, and start config as soon as it has ended."""
        if not self.is_running():
            self.start(config, copies)
            return
        self.stop()
        self._next_config = (config, copies)

    def shutdown(self) -> None:
        """Stop and join now (window closing): about one batch, and at most SHUTDOWN_WAIT_S plus a poll
        for a run in a training process (one stuck in a step is ended); a run in a thread can only be
        waited for."""
        self._next_config = None
        if self._worker is not None:
            worker = self._worker
            worker.stop()
            if not worker.ended.wait(SHUTDOWN_WAIT_S):
                worker.kill()
            self._join()

    def _join(self) -> None:
        thread, self._thread, self._worker = self._thread, None, None
        if thread is None:
            return
        thread.quit()  # quit() directly: a queued quit would wait behind wait() and deadlock (see NOTES)
        thread.wait()
        thread.setParent(None)

    # ---- worker slots, run in this (GUI) thread

    def _on_record(self, record) -> None:
        # The run's end is noted for sigEnded, then relayed like every record.
        if isinstance(record, RunEnd):
            self._outcome = "cancelled" if record.stop_reason == "cancelled" else "finished"
        elif isinstance(record, RunFailed):
            self._outcome = "failed"
        self.sigRecord.emit(record)

    def _on_done(self) -> None:
        if self._thread is None:  # shutdown() already joined it
            return
        self._join()
        outcome, config, self._next_config = self._outcome, self._next_config, None
        if config is not None:
            self.start(*config)  # before sigEnded, so listeners already see the next run going
        self.sigEnded.emit(outcome)
