"""Floors against closed forms."""

import numpy as np
import pytest

from aegui.core import data
from aegui.core.config import DataConfig, RunConfig, with_changes
from aegui.core.floors import binary_entropy, floor_for, pca_floor


def test_uniform_bce_floor_is_half_a_nat():
    x = data.generate(DataConfig(samples=200_000, features=2), 0)
    assert binary_entropy(x) == pytest.approx(0.5, abs=0.003)


def test_binary_targets_have_zero_entropy():
    assert binary_entropy(np.array([[0.0, 1.0], [1.0, 1.0]])) == 0.0


@pytest.mark.parametrize("d,k", [(4, 2), (8, 3), (5, 1)])
def test_iid_uniform_bottleneck_floor(d, k):
    x = data.generate(DataConfig(samples=200_000, features=d), 1)
    assert pca_floor(x, k) == pytest.approx((d - k) / (12 * d), rel=0.02)


def test_floor_for_reports_exactness():
    base = with_changes(RunConfig(), **{"data.features": 4, "data.samples": 5000})
    x = data.generate(base.data, 0)
    assert floor_for(base, x).value == 0.0 and floor_for(base, x).exact
    linear = with_changes(base, **{"model.encoding_dim": 2})
    assert floor_for(linear, x).exact and floor_for(linear, x).value > 0.03
    mlp = with_changes(linear, **{"model.kind": "mlp"})
    assert not floor_for(mlp, x).exact
    bce = with_changes(base, **{"loss.kind": "bce", "model.output": "sigmoid"})
    assert floor_for(bce, x).exact and floor_for(bce, x).value == pytest.approx(0.5, abs=0.02)


def test_redundant_data_has_no_floor_at_its_latent_dim():
    cfg = with_changes(RunConfig(), **{"data.kind": "redundant", "data.features": 4, "model.encoding_dim": 1})
    x = data.generate(cfg.data, 0)
    assert floor_for(cfg, x).value < 1e-9
