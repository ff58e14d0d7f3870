"""The live plot's auto-range follows a run in steps, so its axes (and their cached pictures) hold."""

import math

import numpy as np
import pytest

from aegui.gui.plots.follow_range import FollowViewBox, snap_x, snap_y, span_up
from tests.gui.test_loss_plot import INFO


@pytest.mark.parametrize("span, expected", [(1, 1), (1.1, 1.25), (7, 8), (8.5, 10), (1234, 1250), (0.03, 0.032)])
def test_span_grows_in_steps_of_at_most_a_quarter(span, expected):
    assert span_up(span) == pytest.approx(expected)
    assert span <= span_up(span) <= 1.26 * span


def test_snapped_bounds_contain_the_data():
    assert snap_x(0, 1234) == (0, pytest.approx(1250))
    lo, hi = snap_y(math.log10(0.0123), math.log10(0.7), log=True)
    assert lo == -2.0 and hi == 0.0  # quarter decades around log10 0.0123 = -1.91 and log10 0.7 = -0.15
    lo, hi = snap_y(0.013, 0.71, log=False)
    assert lo <= 0.013 and hi >= 0.71 and (lo, hi) == (pytest.approx(0.0), pytest.approx(0.725))
    assert snap_y(0.5, 0.5, log=False)[1] > 0.5  # a flat curve still gets a range


@pytest.fixture
def plot(make_live_plot):
    return make_live_plot(INFO)


def test_live_range_holds_while_a_run_grows_a_little_and_follows_when_it_outgrows_it(qtbot, plot):
    assert isinstance(plot.plot_item.vb, FollowViewBox)
    losses = 0.5 + 0.3 * np.exp(-np.arange(1200) / 300)

    def grow(a, b):
        steps = np.arange(a, b)
        plot.append(steps, losses[a:b], steps * 0.01, steps // 100)
        plot.redraw()
        return plot.plot_item.vb.viewRange()

    x0, y0 = grow(0, 900)
    assert x0[0] <= 0 and x0[1] >= 899 and 10 ** y0[0] <= losses[:900].min() and 10 ** y0[1] >= losses[:900].max()
    assert grow(900, 950) == [x0, y0]  # 50 more batches: nothing for the axes to redraw
    x1, _ = grow(950, 1200)
    assert x1[1] >= 1199 > x0[1]       # outgrown: the range follows
