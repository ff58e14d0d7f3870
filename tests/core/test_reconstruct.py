"""Reconstruction snapshots: shapes, data units per loss, codes only for bottlenecks, no Qt."""

import numpy as np
import pytest
import torch

from aegui.core.config.config import RunConfig, with_changes
from aegui.core.engine.models import build
from aegui.core.engine.reconstruct import reconstruct
from aegui.core.engine.training import train
from aegui.core.engine.records import RunStart


def tiny(**changes) -> RunConfig:
    """A config that trains in well under a second."""
    return with_changes(RunConfig(), **{"data.samples": 512, "training.epochs": 2, "training.tol": 0.0,
                                        "training.batch_size": 64, "training.device": "cpu", **changes})


def test_matches_the_models_forward_for_mse():
    cfg = tiny()
    model = build(cfg, [0, 1])
    sample = torch.rand(50, 2)
    x, xhat, codes = reconstruct(model, sample, "mse", copy=1)
    assert x.shape == xhat.shape == (50, 2) and codes is None
    np.testing.assert_allclose(x, sample.numpy(), rtol=1e-6)
    np.testing.assert_allclose(xhat, model(sample)[1].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_bce_logits_reconstruction_is_in_data_units():
    model = build(tiny(**{"loss.kind": "bce_logits"}))
    sample = torch.rand(40, 2)
    _, xhat, _ = reconstruct(model, sample, "bce_logits")
    np.testing.assert_allclose(xhat, torch.sigmoid(model(sample)[0]).detach().numpy(), rtol=1e-5)
    assert ((xhat > 0) & (xhat < 1)).all()


def test_sigmoid_output_is_applied_once_for_bce():
    model = build(tiny(**{"loss.kind": "bce", "model.output": "sigmoid"}))
    sample = torch.rand(30, 2)
    _, xhat, _ = reconstruct(model, sample, "bce")
    np.testing.assert_allclose(xhat, model(sample)[0].detach().numpy(), rtol=1e-5)


@pytest.mark.parametrize("k", [1, 2])
def test_bottleneck_codes_have_the_code_width(k):
    model = build(tiny(**{"data.features": 4, "model.encoding_dim": k, "data.kind": "redundant"}))
    x, xhat, codes = reconstruct(model, torch.rand(20, 4), "mse")
    assert codes.shape == (20, k) and xhat.shape == (20, 4)
    np.testing.assert_allclose(codes, model.encode(torch.from_numpy(x).float())[0].detach().numpy(), rtol=1e-5)


def test_out_of_range_copy_names_the_range():
    with pytest.raises(IndexError, match="copies 0 to 1"):
        reconstruct(build(tiny(), [0, 1]), torch.rand(5, 2), "mse", copy=2)


def test_snapshot_during_training_is_a_copy_not_a_view():
    gen = train(tiny(), threads=1)
    start = next(gen)
    assert isinstance(start, RunStart)
    x, before, _ = reconstruct(start.model, start.sample, "mse")
    kept = before.copy()
    for _ in gen:
        pass
    _, after, _ = reconstruct(start.model, start.sample, "mse")
    np.testing.assert_array_equal(before, kept)   # training did not write through into the snapshot
    assert not np.allclose(before, after)          # ... although the model moved
    assert x.shape[0] == min(512, 1000)


def test_module_imports_no_qt():
    import aegui.core.engine.reconstruct as mod
    text = open(mod.__file__, encoding="utf-8").read()
    assert "PySide6" not in text and "pyqtgraph" not in text
