"""The hand-written backward against autograd: every gradient, every loss, and 500-step curves."""

import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch

from aegui.core.engine import backprop
from aegui.core.config import losses
from aegui.core.config.config import RunConfig, with_changes
from aegui.core.engine.models import build
from aegui.core.engine.optim import Stepper, make_optimizer
from aegui.core.config.presets import PRESETS
from tests.batches import per_batch
from aegui.core.engine.training import train

TOL = {"rtol": 1e-5, "atol": 1e-7}  # float32 rounding; the two paths agree far closer on this machine


class _NoUpdate:
    """A Stepper stand-in that leaves the parameters alone, so the gradients can be read."""

    params = None

    def step(self):
        pass


def _config(kind, activation, model, bottleneck):
    output = "sigmoid" if kind == "bce" else "identity"
    return with_changes(RunConfig(), **{
        "loss.kind": kind, "model.output": output, "model.kind": model, "model.depth": 2, "model.hidden": 6,
        "model.activation": activation, "model.code_activation": activation, "model.slope": 0.2,
        "data.features": 5, "model.encoding_dim": 2 if bottleneck else 5})


def _batch(kind, rows=37, features=5, seed=0):
    x = torch.rand(rows, features, generator=torch.Generator().manual_seed(seed))
    return x.round() if kind == "bce_logits" else x  # bce_logits on 0/1 targets, the others on U(0,1)


def _autograd_grads(model, kind, x):
    per_copy = losses.per_copy(kind, model(x), x)
    per_copy.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    for p in model.parameters():
        p.grad = None
    return per_copy.detach(), grads


def _compare(model, kind, x):
    ref_loss, ref_grads = _autograd_grads(model, kind, x)
    hand_loss = backprop.HandStep(model, _NoUpdate(), kind)(x)
    assert hand_loss.shape == (model.copies,)
    torch.testing.assert_close(hand_loss, ref_loss, **TOL)
    for p, ref in zip(model.parameters(), ref_grads):
        torch.testing.assert_close(p.grad, ref, **TOL)


CASES = list(itertools.product(backprop.LOSSES, backprop.ACTIVATIONS, ("linear", "mlp"), (True, False), (1, 3)))


@pytest.fixture(params=["packed", "stacked"])
def layout(request, monkeypatch):
    """Both layouts of HandStep: packed (one matrix product per layer for all copies) and stacked (bmm)."""
    monkeypatch.setattr(backprop, "packs", lambda copies, shapes: request.param == "packed")
    return request.param


@pytest.mark.parametrize("kind,activation,model,bottleneck,copies", CASES)
def test_every_gradient_equals_autograds(kind, activation, model, bottleneck, copies, layout):
    cfg = _config(kind, activation, model, bottleneck)
    model = build(cfg, list(range(copies)))
    assert backprop.HandStep(model, _NoUpdate(), kind).packed == (layout == "packed")
    _compare(model, kind, _batch(kind))


def test_which_layout():
    """Packed for one copy, and for bands of small layers (the seed's model at K = 16); stacked past that."""
    seed_widths = [(2, 2)] * 4
    assert backprop.packs(1, [(100, 100)] * 6)
    assert backprop.packs(16, seed_widths) and backprop.packs(8, [(8, 8)])
    assert not backprop.packs(64, seed_widths)     # measured slower packed (0.86x)
    assert not backprop.packs(4, [(16, 16)])       # likewise (0.75x)


@pytest.mark.parametrize("kind", backprop.LOSSES)
def test_one_step_object_across_batch_sizes(kind, layout):
    """An epoch's partial last batch, through the same step object as the full batches before it."""
    model = build(_config(kind, "tanh", "mlp", True), [0, 1, 2])
    step = backprop.HandStep(model, _NoUpdate(), kind)
    for rows, seed in ((37, 0), (11, 1), (37, 2)):
        x = _batch(kind, rows=rows, seed=seed)
        ref_loss, ref_grads = _autograd_grads(model, kind, x)  # it leaves .grad None: read the buffers
        torch.testing.assert_close(step(x), ref_loss, **TOL)
        for grad, ref in zip(step.gws + step.gbs, ref_grads):
            torch.testing.assert_close(grad, ref, **TOL)


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_a_diverged_copy_leaves_the_others_alone(bad, layout):
    """0·inf is NaN: the packed matrices' zero blocks must not carry one copy's inf into the others."""
    model = build(_config("mse", "relu", "mlp", True), [0, 1, 2])
    with torch.no_grad():
        model.weights[1][1].fill_(bad)  # copy 1's code layer
    x = _batch("mse")
    ref_loss, ref_grads = _autograd_grads(model, "mse", x)
    hand_loss = backprop.HandStep(model, _NoUpdate(), "mse")(x)
    assert not torch.isfinite(hand_loss[1]) and torch.isfinite(hand_loss[[0, 2]]).all()
    torch.testing.assert_close(hand_loss[[0, 2]], ref_loss[[0, 2]], **TOL)
    for p, ref in zip(model.parameters(), ref_grads):
        torch.testing.assert_close(p.grad[[0, 2]], ref[[0, 2]], **TOL)


def test_mixed_activations_per_layer(layout):
    cfg = with_changes(_config("mse", "tanh", "mlp", True), **{"model.code_activation": "relu"})
    model = build(cfg, [4, 5])
    assert model.activations[1] == "tanh" and model.activations[2] == "relu"
    _compare(model, "mse", _batch("mse"))


@pytest.mark.parametrize("kind", ["mse", "l1"])
def test_sigmoid_output_under_other_losses(kind, layout):
    cfg = with_changes(_config(kind, "leaky_relu", "mlp", True), **{"model.output": "sigmoid"})
    _compare(build(cfg, [0, 1]), kind, _batch(kind))


def test_saturated_bce_uses_the_same_log_clamp(layout):
    model = build(_config("bce", "identity", "linear", True), [0, 1])
    with torch.no_grad():
        model.weights[-1].mul_(1e4)  # sigmoid rounds to exactly 0 and 1: log is clamped at -100
    x = _batch("bce").round()
    out = model(x)
    assert ((out == 0) | (out == 1)).float().mean() > 0.5
    ref_loss, _ = _autograd_grads(model, "bce", x)
    assert (ref_loss > 10).all()  # the clamp, not a small loss, sets these figures
    _compare(model, "bce", x)


def test_each_copy_gets_only_its_own_gradient(layout):
    cfg = _config("mse", "relu", "mlp", True)
    band, alone = build(cfg, [3, 8]), build(cfg, [8])
    x = _batch("mse")
    backprop.HandStep(band, _NoUpdate(), "mse")(x)
    backprop.HandStep(alone, _NoUpdate(), "mse")(x)
    for pb, pa in zip(band.parameters(), alone.parameters()):
        torch.testing.assert_close(pb.grad[1], pa.grad[0], **TOL)


def _curve(config, copies, monkeypatch, autograd):
    monkeypatch.setenv(backprop.AUTOGRAD_ENV, "1" if autograd else "0")
    rows = [b.copy_losses if copies > 1 else [b.loss] for b in per_batch(train(config, copies=copies))]
    return np.asarray(rows, dtype=np.float64)


def _short(config, steps=500):
    """The preset with fewer samples and enough epochs for exactly `steps` batches, no early stop."""
    t = config.training
    samples = 50 * t.batch_size
    data = replace(config.data, samples=samples)
    return replace(config, data=data, training=replace(t, epochs=steps // 50, tol=0.0, device="cpu"))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_curves_match_autograd_over_500_steps(name, monkeypatch):
    cfg = _short(PRESETS[name].config)
    assert backprop.covers(build(cfg), cfg.loss.kind)  # else both curves would be autograd's
    hand = _curve(cfg, 1, monkeypatch, autograd=False)
    ref = _curve(cfg, 1, monkeypatch, autograd=True)
    assert hand.shape == ref.shape == (500, 1)
    np.testing.assert_allclose(hand, ref, **TOL)


@pytest.mark.parametrize("changes", [{"optimizer.kind": "sgd", "optimizer.lr": 0.05, "optimizer.momentum": 0.9},
                                     {"loss.kind": "l1"}])
def test_sgd_and_seed_band_curves_match_autograd(changes, monkeypatch, layout):
    cfg = _short(with_changes(PRESETS["deep-leaky-mse-uniform"].config, **changes), steps=200)
    hand = _curve(cfg, 4, monkeypatch, autograd=False)
    ref = _curve(cfg, 4, monkeypatch, autograd=True)
    assert hand.shape == ref.shape == (200, 4)
    np.testing.assert_allclose(hand, ref, **TOL)
    assert hand[-1].mean() < hand[0].mean()  # it trained


def test_autograd_is_selectable_and_the_fallback(monkeypatch):
    cfg = _config("mse", "relu", "mlp", True)
    model = build(cfg)
    opt = Stepper(make_optimizer(cfg, model.parameters()))
    monkeypatch.delenv(backprop.AUTOGRAD_ENV, raising=False)
    assert isinstance(backprop.make_step(model, opt, "mse"), backprop.HandStep)
    monkeypatch.setenv(backprop.AUTOGRAD_ENV, "1")
    assert backprop.make_step(model, opt, "mse").func is backprop.autograd_step
    monkeypatch.delenv(backprop.AUTOGRAD_ENV)
    model.activations[0] = "gelu"  # a layer the hand path does not know
    assert backprop.make_step(model, opt, "mse").func is backprop.autograd_step
