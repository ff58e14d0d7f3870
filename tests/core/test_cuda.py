"""The CUDA path (skipped where no GPU is present)."""

import numpy as np
import pytest
import torch

from aegui.core.config.config import with_changes
from tests.batches import per_batch
from aegui.core.engine.training import train
from aegui.core.engine.records import RunEnd, RunStart

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_cuda_run_matches_cpu_closely(tiny):
    gpu = list(train(with_changes(tiny, **{"training.device": "cuda"})))
    cpu = list(train(tiny))
    assert isinstance(gpu[0], RunStart) and gpu[0].device.startswith("cuda")
    g = [b.loss for b in per_batch(gpu)]
    c = [b.loss for b in per_batch(cpu)]
    assert len(g) == len(c)
    np.testing.assert_allclose(g, c, rtol=1e-3)
    assert gpu[-1].stop_reason == "max_epochs"


def test_auto_picks_cuda_for_big_models_and_cpu_for_tiny_ones(tiny):
    big = with_changes(tiny, **{"training.device": "auto", "data.features": 512, "model.kind": "mlp",
                               "model.hidden": 1024})
    start = next(iter(train(big)))
    assert start.device.startswith("cuda") and start.device_note == ""
    small = next(iter(train(with_changes(tiny, **{"training.device": "auto"}))))
    assert small.device == "cpu" and "CPU is faster" in small.device_note


def test_seed_band_on_cuda(tiny):
    end = list(train(with_changes(tiny, **{"training.device": "cuda"}), copies=8))[-1]
    assert isinstance(end, RunEnd) and len(end.copy_final) == 8


def test_cuda_then_cpu_runs_both_train_in_training_processes(tiny):
    """After CUDA has run in this process, CPU and CUDA runs still train in training processes (a fork of
    this process failed its first backward: "Unable to handle autograd's threading ... fork")."""
    from aegui.core.run import child
    assert list(train(with_changes(tiny, **{"training.device": "cuda"})))[-1].stop_reason == "max_epochs"
    for device in ("cuda", "cpu", "cuda", "cpu"):
        cancel, running = child.shared_flags()
        proc = child.TrainingProcess(with_changes(tiny, **{"training.device": device}), cancel, running)
        proc.start()
        records = list(proc.records())
        assert [r for r in records if type(r).__name__ == "RunFailed"] == []
        started = next(r for r in records if type(r).__name__ == "RunStart")
        finished = next(r for r in records if type(r).__name__ == "RunEnd")
        assert started.device.startswith(device) and finished.stop_reason == "max_epochs"
        assert proc.process.exitcode == 0


def _losses(config, copies=1, graphs="1", monkeypatch=None):
    monkeypatch.setenv("AEGUI_CUDA_GRAPHS", graphs)
    records = list(train(config, copies=copies))
    return records[0], np.array([b.copy_losses if copies > 1 else [b.loss] for b in per_batch(records)]), records[-1]


@pytest.mark.parametrize("copies", [1, 4])
def test_captured_steps_equal_eager_steps_including_a_partial_last_batch(tiny, monkeypatch, copies):
    # 520 rows at batch 64: 8 full batches (captured after 3 eager warm-up steps) and a partial one of 8.
    cfg = with_changes(tiny, **{"training.device": "cuda", "data.samples": 520, "training.epochs": 3,
                                "training.batch_size": 64,
                                "model.kind": "mlp", "loss.kind": "bce_logits", "data.kind": "bernoulli"})
    start, graphed, end = _losses(cfg, copies, "1", monkeypatch)
    assert start.step_mode == "cuda graph"
    eager_start, eager, eager_end = _losses(cfg, copies, "0", monkeypatch)
    assert eager_start.step_mode == "autograd" and graphed.shape == eager.shape == (27, copies)
    np.testing.assert_allclose(graphed, eager, rtol=1e-5, atol=1e-7)
    assert end.eval_loss == pytest.approx(eager_end.eval_loss, rel=1e-5)


def test_cancel_acts_within_one_captured_batch(tiny, monkeypatch):
    import threading
    from aegui.core.engine.records import LossBlock
    monkeypatch.setenv("AEGUI_CUDA_GRAPHS", "1")
    cancel, seen = threading.Event(), 0
    cfg = with_changes(tiny, **{"training.device": "cuda", "training.epochs": 1000})
    for r in train(cfg, cancel):
        if isinstance(r, LossBlock):
            seen += len(r)
            cancel.set()
        end = r
    assert end.stop_reason == "cancelled" and end.batches == seen
