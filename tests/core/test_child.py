"""The forked training process: shared flags, the message stream, and where it is used."""

import os
import sys

import numpy as np
import pytest

from aegui.core import child
from aegui.core.config import DataConfig, RunConfig, TrainingConfig, with_changes
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


def test_a_child_streams_a_run_in_order_and_stores_it(tmp_path):
    cancel, running = child.shared_flags()
    path = str(tmp_path / "runs.sqlite")
    RunStore(path).close()
    proc = child.TrainingProcess(TINY, path, cancel, running, threads=1)
    proc.start()
    messages = list(proc.messages())
    kinds = [m[0] for m in messages]
    assert kinds[0] == "started" and kinds[-1] == "done" and kinds[-2] == "finished"
    assert proc.process.pid != os.getpid() and proc.join(10) == 0
    steps = np.concatenate([m[1] for m in messages if m[0] == "chunk"])
    assert np.array_equal(steps, np.arange(8))
    store = RunStore(path)
    run = store.get_run(messages[0][1]["run_id"])
    losses = store.losses(run.run_id)
    store.close()
    sent = np.concatenate([m[2] for m in messages if m[0] == "chunk"])
    assert run.status == "finished" and np.allclose(losses, sent, rtol=1e-6)


def test_the_parents_cancel_flag_stops_the_child():
    cancel, running = child.shared_flags()
    long = RunConfig(name="long", data=TINY.data, training=TrainingConfig(batch_size=64, epochs=100_000, tol=0.0))
    proc = child.TrainingProcess(long, None, cancel, running, threads=1)
    proc.start()
    for message in proc.messages():
        if message[0] == "chunk":
            cancel.set()
        if message[0] == "finished":
            assert message[1].stop_reason == "cancelled"
    assert proc.join(10) == 0


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
