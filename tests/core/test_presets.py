"""Each preset shows its claim within its own epochs on a CPU."""

import math

import pytest

from aegui.core.floors import find
from aegui.core.presets import PRESETS
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
