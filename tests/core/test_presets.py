"""Each preset makes its claim visible within 20 epochs on a CPU."""

import pytest

from aegui.core.presets import PRESETS
from aegui.core.training import RunEnd, RunStart, train


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_shows_its_claim(name):
    preset = PRESETS[name]
    assert preset.config.training.epochs <= 20 and preset.claim
    records = list(train(preset.config))
    start, end = records[0], records[-1]
    assert isinstance(start, RunStart) and isinstance(end, RunEnd)
    floor = start.floor.value
    if preset.expect == "zero":
        assert floor < 1e-6 and end.final_loss < 1e-3, (end.final_loss, floor)
    else:
        assert floor > 0.01
        # it stalls: within 20% above its floor, and never meaningfully below it
        assert floor * 0.98 <= end.final_loss <= floor * 1.2, (end.final_loss, floor)
