"""The training worker on a real QThread: chunks, stop, pause, failure, and what reaches the store."""

import signal
import time

import numpy as np
import pytest
from PySide6.QtCore import QObject, QThread, Signal

from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig, with_changes
from aegui.core.engine.records import EpochSummary, LossChunk, Paused, RunEnd, RunFailed, RunStart
from aegui.core.store.store import RunStore
from aegui.core.run.stream import CHUNK_INTERVAL
from aegui.gui.run.worker import TrainWorker
from tests import training_faults as faults

TINY = RunConfig(name="tiny", data=DataConfig(samples=512),
                 training=TrainingConfig(batch_size=64, epochs=3, tol=0.0))
LONG = with_changes(TINY, **{"training.epochs": 100_000})


class Collector(QObject):
    """Lives in the GUI thread, so the worker's records reach it queued, in order.

    Tests wait on its relayed signals: qtbot's own slots, connected straight to the worker, would run
    in the worker thread.
    """

    sigChunk = Signal()
    sigPaused = Signal(bool)
    sigFailed = Signal(str)
    sigDone = Signal()

    def __init__(self):
        super().__init__()
        self.started, self.chunks, self.epochs, self.ends, self.failures = [], [], [], [], []

    def on_record(self, record):
        """One record from the worker, sorted by kind (the waits relay chunks, pauses and failures)."""
        if isinstance(record, RunStart):
            self.started.append(record)
        elif isinstance(record, LossChunk):
            self.chunks.append(record)
            self.sigChunk.emit()
        elif isinstance(record, EpochSummary):
            self.epochs.append(record)
        elif isinstance(record, Paused):
            self.sigPaused.emit(record.paused)
        elif isinstance(record, RunEnd):
            self.ends.append(record)
        elif isinstance(record, RunFailed):
            self.failures.append(record.message)
            self.sigFailed.emit(record.message)

    def on_done(self):
        self.sigDone.emit()

    def steps(self):
        return np.concatenate([c.steps for c in self.chunks]) if self.chunks else np.empty(0, np.int64)


@pytest.fixture(params=["child", "thread"])
def launch(request, qtbot, data_dir):
    """Start workers on QThreads, training in a training process or in the worker's own thread; stop, quit
    and wait every one at teardown."""
    running = []

    def start(config, in_child=request.param == "child", before=None):
        worker = TrainWorker(config, str(data_dir / "runs.sqlite"), in_child=in_child)
        if before is not None:
            before(worker)  # e.g. stop() or pause() before the thread, and any training process, has started
        thread = QThread()
        worker.moveToThread(thread)
        got = Collector()
        worker.sigRecord.connect(got.on_record)
        worker.sigDone.connect(got.on_done)
        thread.started.connect(worker.run)
        running.append((worker, thread, got))
        thread.start()
        return worker, got

    yield start
    for worker, thread, _ in running:
        worker.stop()
        thread.quit()
        assert thread.wait(10_000)


def stored(data_dir, run_id):
    store = RunStore(data_dir / "runs.sqlite")
    try:
        return store.get_run(run_id), store.losses(run_id)
    finally:
        store.close()


def test_tiny_run_delivers_every_batch_once(qtbot, launch, data_dir):
    worker, got = launch(TINY)
    with qtbot.waitSignal(got.sigDone, timeout=30_000):
        pass
    assert not got.failures
    end = got.ends[0]
    assert end.stop_reason == "max_epochs"
    assert np.array_equal(got.steps(), np.arange(end.batches)) and end.batches == 3 * 8
    assert [row.epoch for row in got.epochs] == [0, 1, 2]
    assert got.epochs[-1].batches == end.batches
    info = got.started[0]
    assert info.batches_per_epoch == 8 and info.floor.value == 0.0 and info.run_id == worker.run_id
    row, losses = stored(data_dir, worker.run_id)
    assert row.status == "finished" and len(losses) == end.batches
    sent = np.concatenate([c.loss for c in got.chunks])
    assert np.allclose(losses.astype(np.float64), sent, rtol=1e-6)


def test_chunks_are_rate_limited(qtbot, launch):
    worker, got = launch(with_changes(LONG, **{"training.epochs": 60}))
    with qtbot.waitSignal(got.sigDone, timeout=60_000):
        pass
    seconds = got.ends[0].seconds
    assert len(got.chunks) <= seconds / CHUNK_INTERVAL + 3
    assert np.array_equal(got.steps(), np.arange(got.ends[0].batches))


def test_stop_cancels_and_stores_cancelled(qtbot, launch, data_dir):
    worker, got = launch(LONG)
    qtbot.waitUntil(lambda: len(got.chunks) > 0, timeout=30_000)
    with qtbot.waitSignal(got.sigDone, timeout=5_000):
        worker.stop()
    end = got.ends[0]
    assert end.stop_reason == "cancelled"
    assert np.array_equal(got.steps(), np.arange(end.batches))
    row, losses = stored(data_dir, worker.run_id)
    assert row.status == "cancelled" and len(losses) == end.batches


def test_pause_holds_and_resume_continues(qtbot, launch):
    worker, got = launch(LONG)
    qtbot.waitUntil(lambda: len(got.chunks) > 0, timeout=30_000)
    with qtbot.waitSignal(got.sigPaused, timeout=5_000, check_params_cb=lambda p: p is True):
        worker.pause()
    assert worker.is_paused()
    held = len(got.steps())
    qtbot.assertNotEmitted(got.sigChunk, wait=300)
    assert len(got.steps()) == held
    with qtbot.waitSignal(got.sigChunk, timeout=5_000):
        worker.resume()
    worker.pause()
    with qtbot.waitSignal(got.sigDone, timeout=5_000):
        worker.stop()  # a paused run still stops at once
    assert got.ends[0].stop_reason == "cancelled"
    assert np.array_equal(got.steps(), np.arange(got.ends[0].batches))


def test_exception_before_training_is_reported_and_stored(qtbot, launch, data_dir, monkeypatch):
    import aegui.core.engine.training as training
    monkeypatch.setattr(training, "train", faults.fails_at_start)
    worker, got = launch(TINY)
    with qtbot.waitSignals([got.sigFailed, got.sigDone], order="strict", timeout=30_000):
        pass
    assert got.failures == ["RuntimeError: boom"]
    store = RunStore(data_dir / "runs.sqlite")
    rows = store.list_runs()
    store.close()
    assert [r.status for r in rows] == ["failed"] and "boom" in rows[0].error


def test_exception_mid_run_keeps_the_curve(qtbot, launch, data_dir, monkeypatch):
    import aegui.core.engine.training as training
    monkeypatch.setattr(training, "train", faults.fails_after_ten)
    worker, got = launch(TINY)
    with qtbot.waitSignals([got.sigFailed, got.sigDone], order="strict", timeout=30_000):
        pass
    assert got.failures == ["FloatingPointError: the model blew up"] and not got.ends
    row, losses = stored(data_dir, worker.run_id)
    assert row.status == "failed" and len(losses) == len(got.steps()) == 9  # RunStart, 8 batches, 1 epoch, 1 batch


def test_bad_data_file_fails_with_the_engines_message(qtbot, launch, data_dir):
    worker, got = launch(with_changes(TINY, **{"data.kind": "file", "data.file": str(data_dir / "missing.csv")}))
    with qtbot.waitSignal(got.sigDone, timeout=30_000):
        pass
    assert len(got.failures) == 1 and "no such file" in got.failures[0] and "data.file" in got.failures[0]


# ---- the training process: what the thread mode cannot go through


@pytest.mark.parametrize("launch", ["child"], indirect=True)
@pytest.mark.parametrize("env, forks", [(None, True), ("1", False)])
def test_runs_train_in_a_training_process_unless_told_not_to(qtbot, launch, monkeypatch, env, forks):
    if env is None:
        monkeypatch.delenv("AEGUI_TRAIN_IN_THREAD", raising=False)
    else:
        monkeypatch.setenv("AEGUI_TRAIN_IN_THREAD", env)
    worker, got = launch(TINY, in_child=None)
    with qtbot.waitSignal(got.sigDone, timeout=30_000):
        pass
    assert worker.in_child is forks and (worker.child_pid is not None) is forks
    assert got.ends[0].stop_reason == "max_epochs"


def test_stop_asked_before_the_thread_starts_ends_the_run_at_once(qtbot, launch, data_dir):
    worker, got = launch(LONG, before=lambda w: w.stop())
    with qtbot.waitSignal(got.sigDone, timeout=30_000):
        pass
    assert got.ends[0].stop_reason == "cancelled" and got.ends[0].batches == 0 and not got.failures
    row, _ = stored(data_dir, worker.run_id)
    assert row.status == "cancelled"


def test_pause_asked_before_the_thread_starts_holds_the_run_from_its_start(qtbot, launch):
    worker, got = launch(LONG, before=lambda w: w.pause())
    with qtbot.waitSignal(got.sigPaused, timeout=30_000, check_params_cb=lambda p: p is True):
        pass
    assert len(got.steps()) == 0  # the loop holds after its first record, RunStart, before any batch
    with qtbot.waitSignal(got.sigChunk, timeout=5_000):
        worker.resume()
    with qtbot.waitSignal(got.sigDone, timeout=5_000):
        worker.stop()
    assert got.ends[0].stop_reason == "cancelled"


@pytest.mark.parametrize("launch", ["child", "thread"], indirect=True)
def test_a_run_that_cannot_be_stored_stops_and_says_why(qtbot, launch, data_dir, monkeypatch):
    real = RunStore.write_progress
    calls = []

    def disk_full_on_the_second_commit(self, *args, **kwargs):
        calls.append(1)
        if len(calls) >= 2:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(RunStore, "write_progress", disk_full_on_the_second_commit)
    worker, got = launch(LONG)
    with qtbot.waitSignals([got.sigFailed, got.sigDone], order="strict", timeout=30_000):
        pass
    assert "could not be stored" in got.failures[0] and "No space left" in got.failures[0] and not got.ends
    row, _ = stored(data_dir, worker.run_id)
    assert row.status == "failed" and "could not be stored" in row.error  # never left 'running'


@pytest.mark.parametrize("launch", ["child"], indirect=True)
def test_a_killed_child_is_a_failed_run_with_its_curve_kept(qtbot, launch, data_dir, monkeypatch):
    import aegui.core.engine.training as training
    monkeypatch.setattr(training, "train", faults.killed_after_a_second)  # in the child: the window lives on
    worker, got = launch(LONG)
    with qtbot.waitSignals([got.sigFailed, got.sigDone], order="strict", timeout=30_000):
        pass
    assert "ended unexpectedly" in got.failures[0] and str(-signal.SIGKILL) in got.failures[0]
    row, losses = stored(data_dir, worker.run_id)
    assert row.status == "failed" and "ended unexpectedly" in row.error
    # The window stores what it was sent: every batch it showed, and nothing else.
    shown = np.concatenate([c.loss for c in got.chunks])
    assert len(losses) == len(shown) > 0 and np.allclose(losses, shown, rtol=1e-6)


@pytest.mark.parametrize("launch", ["child"], indirect=True)
def test_a_child_stuck_in_a_step_is_ended_after_stop_and_stored_cancelled(qtbot, launch, data_dir, monkeypatch,
                                                                          stuck_training):
    import aegui.core.run.child as child
    monkeypatch.setattr(child, "KILL_AFTER_S", 0.5)
    worker, got = launch(LONG)
    qtbot.waitUntil(lambda: len(got.chunks) > 0, timeout=30_000)
    t0 = time.monotonic()
    with qtbot.waitSignal(got.sigDone, timeout=10_000):
        worker.stop()
    assert time.monotonic() - t0 < 5
    # The Stop the user asked for: a cancelled end, not a failure, with every batch it had sent.
    assert not got.failures and got.ends[0].stop_reason == "cancelled" and got.ends[0].batches == len(got.steps())
    row, losses = stored(data_dir, worker.run_id)
    assert row.status == "cancelled" and row.batches == len(losses) == len(got.steps())
    # final_loss as the engine defines it: no epoch finished, so the mean of the batches trained
    shown = np.concatenate([c.loss for c in got.chunks])
    assert got.ends[0].final_loss == pytest.approx(float(shown.astype("float64").mean()), rel=1e-6)


@pytest.mark.parametrize("launch", ["child"], indirect=True)
def test_the_windows_process_never_forks_and_its_training_process_is_reaped_at_done(qtbot, launch, monkeypatch):
    import os
    import warnings

    def no_fork():
        raise AssertionError("the window's process forked")
    monkeypatch.setattr(os, "fork", no_fork)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Python 3.12 warns on each fork of a multi-threaded process
        worker, got = launch(TINY)
        with qtbot.waitSignal(got.sigDone, timeout=60_000):
            pass
    assert not got.failures and got.ends[0].stop_reason == "max_epochs"
    assert worker.child_pid != os.getpid() and worker._child.process.exitcode == 0
    assert not os.path.exists(f"/proc/{worker.child_pid}")  # exited and reaped before sigDone
