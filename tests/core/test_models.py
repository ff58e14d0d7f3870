"""Models: layer layout, and a seed band's copy training exactly like a plain single model."""

import numpy as np
import torch
from torch import nn

from aegui.core.config import losses
from aegui.core.config.config import RunConfig, with_changes
from aegui.core.engine.models import build, layer_sizes
from aegui.core.engine.optim import Stepper, make_optimizer


def test_seed_toy_autoencoder_layout():
    cfg = with_changes(RunConfig(), **{"model.kind": "mlp", "data.features": 5, "model.encoding_dim": 2})
    assert layer_sizes(cfg) == ([5, 5, 2, 5, 5], 2)
    assert layer_sizes(RunConfig()) == ([2, 2, 2], 1)


def test_output_activation_and_codes():
    cfg = with_changes(RunConfig(), **{"model.output": "sigmoid", "loss.kind": "bce", "model.encoding_dim": 1})
    model = build(cfg, [0, 1, 2])
    x = torch.rand(7, 2)
    out = model(x)
    assert out.shape == (3, 7, 2) and (out > 0).all() and (out < 1).all()
    assert model.encode(x).shape == (3, 7, 1)


def plain_copy(model, index, slope):
    """The reference: nn.Linear layers with copy index's initial weights, the seed's ToyAutoEncoder style."""
    layers = []
    state = model.copy_state(index)
    for j, (w, b) in enumerate(state):
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        layers.append(lin)
        if j not in (len(state) - 1, model.code_index - 1):
            layers.append(nn.LeakyReLU(slope))
    return nn.Sequential(*layers)


def test_band_copy_matches_plain_single_run():
    torch.manual_seed(0)
    cfg = with_changes(RunConfig(), **{"model.kind": "mlp", "data.features": 3, "model.encoding_dim": 2,
                                       "optimizer.lr": 1e-2})
    band = build(cfg, [10, 11, 12, 13])
    ref = plain_copy(band, 2, cfg.model.slope)
    opt_band = Stepper(make_optimizer(cfg, band.parameters()))
    opt_ref = torch.optim.Adam(ref.parameters(), lr=cfg.optimizer.lr)
    x = torch.rand(200 * 32, 3)
    band_losses, ref_losses = [], []
    for i in range(200):
        xb = x[i * 32:(i + 1) * 32]
        per_copy = losses.per_copy("mse", band(xb), xb)
        opt_band.opt.zero_grad()
        per_copy.sum().backward()
        opt_band.step()
        band_losses.append(per_copy[2].item())
        loss = nn.functional.mse_loss(ref(xb), xb)
        opt_ref.zero_grad()
        loss.backward()
        opt_ref.step()
        ref_losses.append(loss.item())
    np.testing.assert_allclose(band_losses, ref_losses, rtol=1e-5)
    assert len({round(v, 6) for v in [per_copy[i].item() for i in range(4)]}) == 4  # copies differ
