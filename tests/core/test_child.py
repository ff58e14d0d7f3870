"""The forked training process: shared flags, the message stream, and where it is used."""

import os
import sys
import threading

import numpy as np
import pytest

from aegui.core import child
from aegui.core.config import DataConfig, RunConfig, TrainingConfig, with_changes
from aegui.core.recorder import StreamRecorder
from aegui.core.store import RunStore

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="training forks only on Linux")

TINY = RunConfig(name="tiny", data=DataConfig(samples=256), training=TrainingConfig(batch_size=64, epochs=2, tol=0.0))


def test_flags_start_lowered_and_running_and_wait_times_out():
    cancel, running = child.shared_flags()
    assert not cancel.is_set() and running.is_set()
    running.clear()
    assert running.wait(0.05) is False
    cancel.set()
    assert cancel.is_set() and cancel.wait(0) is True


def watched(proc, seconds=60.0):
    """proc's messages, killing the child if they take longer than seconds (a hang fails, not stalls)."""
    timer = threading.Timer(seconds, lambda: proc.process.is_alive() and proc.process.kill())
    timer.start()
    try:
        return list(proc.messages())
    finally:
        timer.cancel()


def test_a_child_streams_a_run_in_order_and_a_stream_recorder_stores_it(tmp_path):
    cancel, running = child.shared_flags()
    proc = child.TrainingProcess(TINY, cancel, running, threads=1)
    proc.start()
    messages = watched(proc)
    kinds = [m[0] for m in messages]
    assert kinds[0] == "started" and kinds[-2:] == ["finished", "done"] and "failed" not in kinds
    assert proc.process.pid != os.getpid() and proc.join(10) == 0 and not proc.killed
    steps = np.concatenate([m[1] for m in messages if m[0] == "chunk"])
    assert np.array_equal(steps, np.arange(8))
    store = RunStore(str(tmp_path / "runs.sqlite"))
    recorder = StreamRecorder(store, TINY)
    for message in messages:
        recorder.take(*message)
    run, losses = store.get_run(recorder.run_id), store.losses(recorder.run_id)
    epochs = store.epoch_means(recorder.run_id)
    store.close()
    sent = np.concatenate([m[2] for m in messages if m[0] == "chunk"])
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
    for message in proc.messages():
        seen.append(message)
        if message[0] == "chunk":
            cancel.set()
    timer.cancel()
    ends = [m[1] for m in seen if m[0] == "finished"]
    assert len(ends) == 1 and ends[0].stop_reason == "cancelled" and not proc.killed
    assert proc.join(10) == 0


def test_a_paused_child_whose_parent_died_stops():
    cancel, running = child.shared_flags()
    watch = child._WatchParent(running, cancel, parent_pid=os.getpid() + 10_000_000)  # never our parent
    running.clear()
    assert watch.wait(5.0) is True and cancel.is_set()


@pytest.mark.parametrize("device, env, expected", [
    ("cpu", None, True), ("cuda", None, False), ("cpu", "1", False)])
def test_which_runs_fork(monkeypatch, device, env, expected):
    if env is None:
        monkeypatch.delenv("AEGUI_TRAIN_IN_THREAD", raising=False)
    else:
        monkeypatch.setenv("AEGUI_TRAIN_IN_THREAD", env)
    config = with_changes(TINY, **{"training.device": device})
    assert child.fork_available(config) is expected


def test_auto_forks_where_it_picks_the_cpu(monkeypatch):
    import torch

    from aegui.core import training
    monkeypatch.delenv("AEGUI_TRAIN_IN_THREAD", raising=False)
    auto = with_changes(TINY, **{"training.device": "auto"})
    assert child.fork_available(auto) is True  # a tiny model: auto keeps the CPU, with or without a GPU
    monkeypatch.setattr(training, "CUDA_MIN_STEP_FLOPS", 0.0)
    assert child.fork_available(auto) is (not torch.cuda.is_available())  # a GPU it would pick: no fork
    from_file = with_changes(auto, **{"data.kind": "file", "data.file": "x.npy"})
    assert child.fork_available(from_file) is False  # the file sets the width, and with it the device
