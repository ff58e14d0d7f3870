"""The training process: shared flags, the record stream, its start and its end."""

import os
import sys
import threading

import numpy as np
import pytest

from aegui.core.run import child, standby
from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig
from aegui.core.store.recorder import RunRecorder
from aegui.core.engine.records import LossChunk, RunEnd
from aegui.core.store.store import RunStore

TINY = RunConfig(name="tiny", data=DataConfig(samples=256), training=TrainingConfig(batch_size=64, epochs=2, tol=0.0))


def test_flags_start_lowered_and_running_and_wait_times_out():
    cancel, running = child.shared_flags()
    assert not cancel.is_set() and running.is_set()
    running.clear()
    assert running.wait(0.05) is False
    cancel.set()
    assert cancel.is_set() and cancel.wait(0) is True


def kind(record) -> str:
    """A record's kind: its type's name."""
    return type(record).__name__


def watched(proc, seconds=60.0):
    """proc's records, killing the child if they take longer than seconds (a hang fails, not stalls)."""
    timer = threading.Timer(seconds, lambda: proc.process.is_alive() and proc.process.kill())
    timer.start()
    try:
        return list(proc.records())
    finally:
        timer.cancel()


def test_a_child_streams_a_run_in_order_and_a_stream_recorder_stores_it(tmp_path):
    cancel, running = child.shared_flags()
    proc = child.TrainingProcess(TINY, cancel, running, threads=1)
    proc.start()
    records = watched(proc)
    kinds = [kind(r) for r in records]
    assert kinds[0] == "RunStart" and kinds[-2:] == ["RunEnd", "StreamDone"] and "RunFailed" not in kinds
    assert proc.process.pid != os.getpid() and proc.join(10) == 0 and not proc.killed
    steps = np.concatenate([r.steps for r in records if isinstance(r, LossChunk)])
    assert np.array_equal(steps, np.arange(8))
    store = RunStore(str(tmp_path / "runs.sqlite"))
    recorder = RunRecorder(store, config=TINY)
    for record in records:
        recorder.feed(record)
    run, losses = store.get_run(recorder.run_id), store.losses(recorder.run_id)
    epochs = store.epoch_means(recorder.run_id)
    store.close()
    sent = np.concatenate([r.loss for r in records if isinstance(r, LossChunk)])
    assert run.status == "finished" and run.stop_reason == "max_epochs" and np.allclose(losses, sent, rtol=1e-6)
    assert len(epochs) == 2 and run.batches == 8


def test_the_parents_cancel_flag_stops_the_child():
    cancel, running = child.shared_flags()
    long = RunConfig(name="long", data=TINY.data, training=TrainingConfig(batch_size=64, epochs=100_000, tol=0.0))
    proc = child.TrainingProcess(long, cancel, running, threads=1)
    proc.start()
    seen = []
    timer = threading.Timer(60, lambda: proc.process.is_alive() and proc.process.kill())
    timer.start()
    for record in proc.records():
        seen.append(record)
        if isinstance(record, LossChunk):
            cancel.set()
    timer.cancel()
    ends = [r for r in seen if isinstance(r, RunEnd)]
    assert len(ends) == 1 and ends[0].stop_reason == "cancelled" and not proc.killed
    assert proc.join(10) == 0


WINDOW = """
import sys
from aegui.core.run import child, standby
from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig
config = RunConfig(data=DataConfig(samples=256), training=TrainingConfig(batch_size=64, epochs=100_000, tol=0.0))
cancel, running = child.shared_flags()
if sys.argv[1] == "paused":
    running.clear()
proc = child.TrainingProcess(config, cancel, running, threads=1)
proc.start()
for record in proc.records():
    if type(record).__name__ == ("Paused" if sys.argv[1] == "paused" else "LossChunk"):
        print(proc.process.pid, flush=True)
        break
import time
time.sleep(3600)  # killed by the test
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] == "Z"  # exited, not yet reaped
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("state", ["paused", "training"])
def test_a_training_process_stops_when_its_window_dies(tmp_path, state):
    """The window's process killed outright (no atexit, no Stop): its training process notices and ends."""
    import subprocess
    import time
    window = subprocess.Popen([sys.executable, "-c", WINDOW, state], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        pid = int(window.stdout.readline())  # blocks until the run is paused / training: no sleeping
        window.kill()
        window.wait(10)
        deadline = time.monotonic() + 10
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid)
    finally:
        window.kill()


def test_runs_train_in_a_process_unless_told_not_to(monkeypatch):
    monkeypatch.delenv("AEGUI_TRAIN_IN_THREAD", raising=False)
    assert child.train_in_thread() is False
    monkeypatch.setenv("AEGUI_TRAIN_IN_THREAD", "1")
    assert child.train_in_thread() is True
    assert child.start_method() == ("forkserver" if sys.platform.startswith("linux") else "spawn")


def test_the_training_processes_are_not_forks_of_this_one(monkeypatch):
    """No os.fork here (the window's process has Qt's and torch's threads), and no warning about one."""
    import warnings

    def no_fork():
        raise AssertionError("forked the parent")
    monkeypatch.setattr(os, "fork", no_fork)
    cancel, running = child.shared_flags()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proc = child.TrainingProcess(TINY, cancel, running)
        proc.start()
        kinds = [kind(r) for r in watched(proc)]
    assert kinds[-2:] == ["RunEnd", "StreamDone"] and proc.process.exitcode == 0  # reaped by records()


NO_CUDA = """
import torch
def asked(*args, **kwargs):
    raise AssertionError("the forkserver's warm-up asked CUDA")
torch.cuda.is_available = torch.cuda.device_count = torch.cuda.init = torch.cuda._lazy_init = asked
if hasattr(torch._C, "_cuda_getDeviceCount"):  # a CUDA build (adding it to a CPU build would fake one)
    torch._C._cuda_getDeviceCount = asked
import aegui.core.run.preload
print(torch.cuda.is_initialized())
"""
ONE_THREAD = """
import os
import aegui.core.run.preload  # first, as in the server: nothing has started a thread before it
print(len(os.listdir("/proc/self/task")))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forkserver runs on Linux")
def test_the_forkservers_warm_up_never_asks_cuda_and_stays_single_threaded():
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    for code, expected in ((NO_CUDA, "False"), (ONE_THREAD, "1")):  # one thread: a fork copies only one
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected


def test_probe_reports_torch_from_a_training_process():
    import torch
    info = child.probe()
    assert info == {"torch": torch.__version__, "cuda": torch.cuda.is_available()}


def test_the_spawn_path_starts_a_training_process(monkeypatch):
    # macOS and Windows always take spawn; context() once raised UnboundLocalError there
    monkeypatch.setenv("AEGUI_START_METHOD", "spawn")
    assert child.start_method() == "spawn" and child.context().get_start_method() == "spawn"
    try:
        standby.start_server()  # under spawn, a standby (test_standby.py); it must not raise
        cancel, running = child.shared_flags()
        proc = child.TrainingProcess(TINY, cancel, running, threads=1)
        proc.start()
        kinds = [kind(r) for r in watched(proc, 120.0)]
        assert kinds[0] == "RunStart" and kinds[-2:] == ["RunEnd", "StreamDone"]
        assert proc.join(10) == 0
    finally:
        standby.stop_server()
