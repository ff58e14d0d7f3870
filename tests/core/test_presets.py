"""Each preset shows its claim within its own epochs on a CPU."""

import math

import pytest

from aegui.core.floors.floors import find
from aegui.core.config.presets import PRESETS
from tests.core.test_floor_properties import floors_and_end as _run


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_shows_its_claim(name):
    preset = PRESETS[name]
    assert preset.config.training.epochs <= 20 and preset.claim
    floors, end = _run(preset.config)
    data = find(floors, "data").value
    loss = end.eval_loss
    assert math.isfinite(loss) and loss >= data - 1e-6
    if preset.expect == "zero":
        assert data < 1e-6 and loss < 1e-3, (loss, data)
    elif preset.expect == "floor":
        model = find(floors, "model")
        assert model.claim == "exact" and model.value > 0.01
        # it stalls at the model's own floor: within 5% above it (Adam's noise), never meaningfully below
        assert model.value * (1 - 1e-6) <= loss <= model.value * 1.05, (loss, model)
    elif preset.expect == "stuck":
        assert data < 1e-6 and loss > 10.0, loss  # near the clamp's 50 nats, nowhere near the floor
    else:  # above: over the data floor, with no model floor to split the rest
        assert find(floors, "model") is None and loss > data + 0.01, (loss, data)


def test_the_saturated_preset_and_its_logit_twin_differ_only_in_the_loss():
    a, b = PRESETS["sigmoid-bce-saturated"].config, PRESETS["logits-bce-bernoulli"].config
    assert a.data == b.data and a.optimizer == b.optimizer and a.training == b.training
    assert (a.loss.kind, a.model.output, b.loss.kind, b.model.output) == ("bce", "sigmoid", "bce_logits", "identity")


def test_glorot_init_is_keras_dense_and_torch_init_is_nn_linear():
    import torch

    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.engine.models import build
    c = with_changes(RunConfig(), **{"data.features": 100, "model.kind": "mlp", "model.hidden": 300})
    glorot = build(with_changes(c, **{"model.init": "glorot"}), [0, 1])
    for w, b in zip(glorot.weights, glorot.biases):
        fan_in, fan_out = w.shape[1], w.shape[2]
        bound = math.sqrt(6 / (fan_in + fan_out))
        top = float(w.detach().abs().max())
        assert bound * 0.95 < top <= bound
        assert float(b.detach().abs().max()) == 0.0
    default = build(c, [0])
    lin = torch.nn.Linear(100, 300)
    assert float(default.weights[0].detach().abs().max()) <= 1 / math.sqrt(100)
    assert float(default.biases[0].detach().abs().max()) > 0 and lin.weight.shape == (300, 100)


def test_the_question_preset_reproduces_the_questions_keras_curve():
    # The question's Keras model gave epoch means 0.6462 0.6170 0.6076 0.6022 0.5992 over 5 epochs.
    from aegui.core.config.config import with_changes
    from aegui.core.engine.training import train
    from aegui.core.engine.records import EpochSummary
    preset = PRESETS["question-relu-bce-uniform"].config
    assert preset.model.init == "glorot"
    fifth = []
    for seed in (0, 1, 2):
        c = with_changes(preset, **{"training.epochs": 5, "training.seed": seed, "training.device": "cpu"})
        means = [r.epoch_mean for r in train(c, threads=1) if isinstance(r, EpochSummary)]
        assert len(means) == 5 and means[0] > means[-1]
        fifth.append(means[-1])
    assert abs(sum(fifth) / 3 - 0.5992) < 0.01
