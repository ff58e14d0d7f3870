"""The training generator: records, determinism, every stop reason, devices."""

import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from aegui.core.config.config import ConfigError, with_changes
from aegui.core.engine.records import LossBlock
from tests.batches import per_batch
from aegui.core.engine.training import prepare, resolve_device, train
from aegui.core.engine.records import EpochSummary, RunEnd, RunStart


def losses_of(records):
    return [b.loss for b in per_batch(records)]


def test_records_arrive_in_order(tiny):
    records = list(train(tiny))
    assert isinstance(records[0], RunStart) and isinstance(records[-1], RunEnd)
    batches = list(per_batch(records))
    assert [b.step for b in batches] == list(range(len(batches)))
    assert len(batches) == 2 * 4  # 512 samples / 128 = 4 batches, 2 epochs
    epochs = [r for r in records if isinstance(r, EpochSummary)]
    assert [e.epoch for e in epochs] == [0, 1]
    assert epochs[0].epoch_mean == pytest.approx(np.mean([b.loss for b in batches if b.epoch == 0]))
    end = records[-1]
    assert end.stop_reason == "max_epochs" and end.batches == 8 and end.final_loss == epochs[-1].epoch_mean


def test_same_config_same_losses(tiny):
    assert losses_of(train(tiny)) == losses_of(train(tiny))
    other = with_changes(tiny, **{"training.seed": 1})
    assert losses_of(train(other)) != losses_of(train(tiny))


def test_recent_mean_is_the_last_window(tiny):
    cfg = with_changes(tiny, **{"training.recent_window": 3})
    records = list(train(cfg))
    ep0 = [b.loss for b in per_batch(records) if b.epoch == 0]
    summary = next(r for r in records if isinstance(r, EpochSummary))
    assert summary.recent_mean == pytest.approx(np.mean(ep0[-3:]))


def test_stop_at_tol():
    cfg = with_changes(prepare_cfg(), **{"training.tol": 0.05, "training.epochs": 50, "optimizer.lr": 0.01})
    end = list(train(cfg))[-1]
    assert end.stop_reason == "tol" and end.final_loss < 0.05 and end.epochs < 50


def prepare_cfg():
    from aegui.core.config.config import RunConfig
    return with_changes(RunConfig(), **{"data.samples": 4096, "training.device": "cpu"})


def test_tol_zero_turns_the_check_off(tiny):
    cfg = with_changes(tiny, **{"training.tol": 0.0, "training.epochs": 3})
    assert list(train(cfg))[-1].stop_reason == "max_epochs"


def test_divergence_stops_at_first_non_finite_and_keeps_curve(tiny):
    cfg = with_changes(tiny, **{"data.kind": "gaussian", "data.features": 20, "optimizer.kind": "sgd",
                               "optimizer.lr": 10.0, "training.epochs": 50, "model.kind": "mlp", "model.depth": 3})
    records = list(train(cfg))
    losses = losses_of(records)
    assert records[-1].stop_reason == "diverged"
    assert not np.isfinite(losses[-1]) and np.isfinite(losses[:-1]).all()
    assert records[-1].batches == len(losses)


def test_cancel_flag_is_checked_every_batch(tiny, monkeypatch):
    from aegui.core.engine import training
    monkeypatch.setattr(training, "FLUSH_BATCHES", 1)  # every batch reaches us as soon as it is trained
    cancel = threading.Event()
    seen = []
    cfg = with_changes(tiny, **{"training.epochs": 100, "training.batch_size": 16})  # 32 batches an epoch
    for r in train(cfg, cancel):
        if isinstance(r, LossBlock):
            seen.extend(per_batch([r]))
            cancel.set()  # the loop checks before every batch: not one more is trained
        last = r
    assert last.stop_reason == "cancelled"
    assert 0 < len(seen) == last.batches < 32 * 100


def test_batch_floors_are_each_batch_mean_entropy():
    from aegui.core.engine.training import batch_floors
    h = np.arange(10, dtype=np.float32)
    perm = np.array([9, 0, 8, 1, 7, 2, 6, 3, 5, 4])
    np.testing.assert_allclose(batch_floors(h, perm, 4), [np.mean([9, 0, 8, 1]), np.mean([7, 2, 6, 3]), 4.5])


def test_run_start_reports_floor_and_device(tiny):
    start = next(iter(train(tiny)))
    assert start.floor.value == 0.0 and start.floor.claim == "exact"
    assert start.device == "cpu" and start.batches_per_epoch == 4
    assert start.sample.shape == (512, 2)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA path")
def test_cuda_asked_but_missing_is_a_clear_error():
    with pytest.raises(ConfigError, match="training.device.*CUDA is not available"):
        resolve_device("cuda")
    device, note = resolve_device("auto")
    assert device.type == "cpu" and "CUDA not available" in note


def test_bce_on_out_of_range_file_is_refused(tmp_path, tiny):
    f = tmp_path / "x.csv"
    f.write_text("0.5,3\n0.1,0.2\n")
    cfg = with_changes(tiny, **{"data.kind": "file", "data.file": str(f), "loss.kind": "bce",
                               "model.output": "sigmoid", "training.batch_size": 2})
    with pytest.raises(ConfigError, match=r"spans \[0.1, 3\]"):
        prepare(cfg)


def test_file_data_sets_features(tmp_path, tiny):
    f = tmp_path / "x.csv"
    f.write_text("\n".join("0.1,0.2,0.3" for _ in range(10)))
    cfg = with_changes(tiny, **{"data.kind": "file", "data.file": str(f), "training.batch_size": 4})
    prep = prepare(cfg)
    assert prep.config.data.features == 3 and prep.config.data.samples == 10
    assert list(train(prep))[-1].batches == 2 * 3


def test_engine_never_imports_qt():
    code = ("import sys; from aegui.core.config.config import RunConfig, with_changes; "
            "from aegui.core.engine.training import train; from aegui.core.store import store, recorder; from aegui.core.config import presets; "
            "cfg = with_changes(RunConfig(), **{'data.samples': 256, 'training.epochs': 1}); "
            "n = sum(1 for _ in train(cfg)); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]; "
            "print(n, bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_epoch_means_weight_a_partial_last_batch_by_its_samples(tiny):
    cfg = with_changes(tiny, **{"data.samples": 300, "training.batch_size": 128, "training.epochs": 1})
    records = list(train(cfg))
    batches = [b.loss for b in per_batch(records)]
    assert len(batches) == 3  # 128 + 128 + 44
    epoch = next(r for r in records if isinstance(r, EpochSummary))
    weighted = (128 * batches[0] + 128 * batches[1] + 44 * batches[2]) / 300
    assert epoch.epoch_mean == pytest.approx(weighted, rel=1e-9)
    assert epoch.epoch_mean != pytest.approx(np.mean(batches), rel=1e-9)
    assert records[-1].final_loss == epoch.epoch_mean


def test_a_cancelled_run_still_reports_eval_loss_and_a_partial_final_loss(tiny):
    cfg = with_changes(tiny, **{"data.samples": 2048, "training.epochs": 5})
    cancel = threading.Event()
    seen = []
    for r in train(cfg, cancel):
        if isinstance(r, LossBlock):
            seen.extend(b.loss for b in per_batch([r]))
            cancel.set()
        end = r
    assert end.stop_reason == "cancelled" and np.isfinite(end.eval_loss)
    assert end.final_loss == pytest.approx(np.mean(seen[:end.batches]), rel=1e-9)
