"""The process model's guards: a warm standby under spawn, Stop's patience, a frozen forkserver, a full /dev/shm."""

import errno
import os
import signal
import sys
import threading
import time

import pytest

from aegui.core.run import child, standby
from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig, with_changes
from tests import training_faults
from tests.core.test_child import watched

TINY = RunConfig(name="tiny", data=DataConfig(samples=256), training=TrainingConfig(batch_size=64, epochs=2, tol=0.0))
LONG = with_changes(TINY, name="long", **{"training.epochs": 100_000})
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forkserver and /proc are Linux's")


def until(condition, seconds: float) -> bool:
    """Poll condition until it holds or seconds pass (these are processes, not Qt signals)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def drained(proc, seconds=300.0):
    """proc's records; a hang kills the child and fails instead of stalling the suite."""
    return watched(proc, seconds)


@pytest.fixture
def spawned(monkeypatch):
    """A Standby under the spawn start method (macOS's and Windows's), closed after the test."""
    monkeypatch.setenv("AEGUI_START_METHOD", "spawn")
    keeper = standby.Standby()
    yield keeper
    keeper.close()


def test_a_standby_is_warm_before_its_run_and_trains_the_run_it_is_given(spawned):
    spawned.start()
    assert until(lambda: spawned.ready() is not None, 30)
    first = spawned.ready()
    assert until(first.is_warm, 60)  # torch imported and the engine warmed, before any Run
    proc = spawned.take()
    assert proc is first and proc.alive() and not proc.given
    proc.give(TINY, threads=1)
    t0 = time.monotonic()
    records = drained(proc)
    kinds = [type(r).__name__ for r in records]
    assert kinds[0] == "RunStart" and kinds[-2:] == ["RunEnd", "StreamDone"]  # (its exit after done is reaped)
    assert records[-2].stop_reason == "max_epochs" and time.monotonic() - t0 < 120
    # a new standby was started as soon as this one was taken
    assert until(lambda: spawned.ready() is not None and spawned.ready() is not first, 30)
    with pytest.raises(RuntimeError):
        proc.give(TINY)


def test_a_standby_that_dies_idle_is_replaced_and_close_ends_it(spawned):
    spawned.start()
    assert until(lambda: spawned.ready() is not None, 30)
    dead = spawned.ready()
    dead.process.kill()
    assert until(lambda: spawned.replaced == 1 and spawned.ready() not in (None, dead), 30)
    kept = spawned.ready()
    spawned.close()
    assert spawned.ready() is None and until(lambda: not kept.alive(), 5)
    assert spawned.take() is None  # closed: a Run then spawns its own process


def test_a_standby_never_starts_under_the_forkserver(monkeypatch):
    monkeypatch.setenv("AEGUI_START_METHOD", "forkserver")
    keeper = standby.Standby()
    keeper.start()
    assert keeper.ready() is None and keeper.take() is None


@linux
def test_stop_waits_from_stop_not_twice_the_silence_before_it(monkeypatch):
    # Before: the silence before Stop counted as the run's pace; after a 10 s stall Stop took 20 s.
    monkeypatch.setattr(child, "KILL_AFTER_S", 1.0)
    monkeypatch.setattr(training_faults.training, "train", training_faults.stuck_after_ten)
    cancel, running = child.shared_flags()
    proc = child.TrainingProcess(LONG, cancel, running, threads=1)
    proc.start()
    asked = []

    def stop_after_silence():
        time.sleep(3.0)  # three times the patience, silent, before Stop
        asked.append(time.monotonic())
        cancel.set()
    stopper = None
    with pytest.raises(child.ChildDied):  # killed: it was stuck inside a step
        for record in proc.records():
            if type(record).__name__ == "LossChunk" and stopper is None:
                stopper = threading.Thread(target=stop_after_silence)
                stopper.start()
    stopper.join()
    took = time.monotonic() - asked[0]
    assert proc.killed and took < 2.5, took


@linux
def test_a_stopped_forkserver_neither_hangs_a_run_nor_the_next_one():
    if child.start_method() != "forkserver":
        pytest.skip("runs fork from the forkserver only under it")
    standby.start_server()
    child.probe()  # warmed up
    server = child._server_pid()
    os.kill(server, signal.SIGSTOP)
    try:
        cancel, running = child.shared_flags()
        t0 = time.monotonic()
        with pytest.raises(child.ServerNotAnswering, match="stopped"):
            child.TrainingProcess(TINY, cancel, running, threads=1).start()
        assert time.monotonic() - t0 < child.STOPPED_S + 3
        assert until(lambda: not os.path.exists(f"/proc/{server}") or child._is_stopped(server) is False, 5)
    finally:
        try:
            os.kill(server, signal.SIGCONT)
        except OSError:
            pass
    cancel, running = child.shared_flags()
    proc = child.TrainingProcess(TINY, cancel, running, threads=1)
    proc.start()  # a new server
    assert [type(r).__name__ for r in drained(proc)][-2:] == ["RunEnd", "StreamDone"] and child._server_pid() != server


@linux
def test_stop_gives_up_on_a_forkserver_that_has_not_answered(monkeypatch):
    if child.start_method() != "forkserver":
        pytest.skip("runs fork from the forkserver only under it")
    blocked = threading.Event()

    class Stuck:
        def start(self):
            blocked.wait(30)  # a server that never answers, as a blocked read of its reply would
    cancel, _ = child.shared_flags()
    threading.Timer(0.3, cancel.set).start()
    t0 = time.monotonic()
    with pytest.raises(child.ServerNotAnswering, match="stopped before"):
        child._start_watched(Stuck(), cancel)
    blocked.set()
    assert time.monotonic() - t0 < 2.0


@linux
def test_no_room_for_the_shared_flags_is_an_error_that_names_the_folders_not_a_sigbus(monkeypatch):
    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(OSError) as caught:
        child.shared_flags()
    assert caught.value.errno == errno.ENOSPC and "/dev/shm" in str(caught.value)
