"""The Huber loss (smooth L1, δ = 1), added by its registry record alone: its formula, gradient, floors and a run."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from aegui.cli import main
from aegui.core.engine import backprop
from aegui.core.data import data
from aegui.core.config import losses
from aegui.core.config.config import RunConfig, validate, with_changes
from aegui.core.floors.explain import why_not_zero
from aegui.core.floors.floors import find, floors_for, headline
from aegui.core.config.vocab import Claim, FloorName


def _cfg(**changes) -> RunConfig:
    return with_changes(RunConfig(), **{"data.samples": 4000, "loss.kind": "huber", **changes})


def test_its_elements_are_torchs_smooth_l1_with_beta_1():
    out, t = torch.randn(3, 50, 4) * 3, torch.randn(50, 4)
    assert torch.equal(losses.elements("huber", out, t),
                       F.smooth_l1_loss(out, t.expand_as(out), reduction="none", beta=1.0))


def test_its_hand_written_gradient_is_autograds():
    out, t = (torch.randn(2, 64, 3) * 2).requires_grad_(), torch.rand(64, 3)
    losses.per_copy("huber", out, t).sum().backward()
    assert "huber" in backprop.LOSSES
    torch.testing.assert_close(backprop.loss_grad("huber", out.detach().clone(), t), out.grad)


def test_any_output_and_any_data_are_valid():
    for output in ("identity", "sigmoid"):
        for kind in ("uniform", "gaussian", "redundant", "bernoulli"):
            assert not validate(_cfg(**{"model.output": output, "data.kind": kind}))


def test_its_data_floor_is_zero_and_an_affine_model_without_bottleneck_reaches_it():
    floors = floors_for(_cfg(), data.generate(_cfg().data, 0))
    assert find(floors, FloorName.DATA).value == 0 and find(floors, FloorName.DATA).claim == Claim.LOWER_BOUND
    model = find(floors, FloorName.MODEL)
    assert model.value == 0 and model.claim == Claim.EXACT


def test_a_sigmoid_output_is_bounded_by_the_huber_distance_to_its_range():
    cfg = _cfg(**{"data.kind": "gaussian", "model.output": "sigmoid"})
    x = data.generate(cfg.data, 0).astype(np.float64)
    gap = np.maximum(x - 1, 0) + np.maximum(-x, 0)
    by_hand = np.where(gap <= 1, gap ** 2 / 2, gap - 0.5).mean()  # Huber grows with |residual| ≥ gap
    bound = headline(floors_for(cfg, x))
    assert bound.name == FloorName.OUTPUT_RANGE and bound.claim == Claim.LOWER_BOUND
    assert bound.value == pytest.approx(by_hand) and 0 < bound.value < find(floors_for(
        with_changes(cfg, **{"loss.kind": "mse"}), x), FloorName.OUTPUT_RANGE).value


def test_with_a_bottleneck_no_floor_above_zero_is_claimed():
    cfg = _cfg(**{"data.features": 4, "model.encoding_dim": 2})
    floors = floors_for(cfg, data.generate(cfg.data, 0))
    assert [f.name for f in floors] == [FloorName.DATA] and headline(floors).value == 0


def test_why_not_zero_names_it():
    floors = floors_for(_cfg(), data.generate(_cfg().data, 0))
    assert why_not_zero(floors, 0.01, "huber", "an affine model").startswith("Of a Huber loss of 0.01")


def test_the_cli_trains_it_end_to_end(capsys, data_dir):
    assert main(["run", "--loss", "huber", "--samples", "2000", "--epochs", "30", "--lr", "0.05", "--device", "cpu",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["loss"]["kind"] == "huber" and out["floor"] == 0 and out["floor_exact"]
    assert out["eval_loss"] < 1e-3  # an affine model copies 2 uniform features: the exact floor 0 is reached
