"""The view rule, Qt-free: one unit per axis, whole runs, one floor per run, zeros as points."""

import numpy as np
import pytest

from aegui.core.floors.floors import Floor
from aegui.gui.plots import view_rule as vr
from tests.gui.fixtures_runs import tiny


def test_units_and_labels_name_one_unit():
    assert vr.unit_of("mse") == "mean squared error"
    assert vr.unit_of("bce") == vr.unit_of("bce_logits") == "nats"
    assert vr.axis_label("nats") == "loss (nats)"
    assert vr.axis_label("nats", excess=True, floor="model floor") == "loss − model floor (nats)"
    assert vr.unit_of(tiny("bce")) == "nats"


def test_unit_groups_split_runs_by_unit_in_order():
    assert vr.unit_groups(["mse", "bce", "mse", "bce_logits", "l1"]) == [
        ("mean squared error", [0, 2]), ("nats", [1, 3]), ("mean absolute error", [4])]


@pytest.mark.parametrize("order", [1, -1])
def test_x_cover_takes_the_longest_run_in_either_order(order):
    xs = [np.arange(705), np.arange(4700), None, np.array([])][::order]
    assert vr.x_cover(xs) == (0.0, 4699.0)
    assert vr.x_cover([None]) is None


def test_one_floor_per_run_and_batch_offset():
    floors = [Floor("data", 0.5001, "lower bound", ""), Floor("model", 0.5054, "exact", "")]
    value, title = vr.run_floor([f.to_dict() for f in floors])
    assert (value, title) == (0.5054, "model floor")
    assert vr.batch_floor_offset(floors, np.array([0.49, 0.51]), value) == pytest.approx(0.0053)
    assert vr.batch_floor_offset([], np.array([0.49, 0.51]), 0.6) == pytest.approx(0.1)
    assert vr.batch_floor_offset(floors, None, value) == 0.0
    assert vr.run_floor([], 0.2) == (0.2, "floor")
    assert vr.shared_floor_title(["model floor", "data floor"]) == "each run's floor"


def test_first_zero_counts_underflow_as_zero():
    assert vr.first_zero([0.3, 0.1, 1e-43, 0.0]) == 2
    assert vr.first_zero([0.3, np.nan, 1e-12]) is None
    assert vr.zero_note(1234) == "reached 0 at batch 1,234"
