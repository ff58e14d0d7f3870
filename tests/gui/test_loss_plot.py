"""The live and comparison plots hold exactly what they were given, clamp and mark what log scale cannot show."""

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtWidgets

from aegui.core.engine.records import LossChunk
from aegui.core.floors.floors import Floor
from aegui.gui.plots.loss_plot import ComparisonPlot, LivePlot
from aegui.gui.plots.plot_base import clamp_for_log, rolling_mean
from tests.gui.fixtures_runs import tiny

INFO = {"floor": 0.5, "floor_exact": True, "label": "mlp bce uniform", "batches_per_epoch": 100, "loss": "bce"}


@pytest.fixture
def plot(make_live_plot):
    return make_live_plot(INFO)


def feed(plot, losses, chunk=37):
    """Append losses in uneven chunks, as the worker does.

    The plot holds float32 losses (as the engine computes and the store keeps them), so callers compare with
    float32 values: f32() below.
    """
    n = len(losses)
    steps = np.arange(n, dtype=np.int64)
    for s in range(0, n, chunk):
        sl = slice(s, s + chunk)
        plot.append(steps[sl], losses[sl], steps[sl] * 0.01, steps[sl] // 100)
    return steps


def f32(values):
    """values rounded to float32, as the plot holds them."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def held(item):
    x, y = item.getOriginalDataset()
    return (np.array([]), np.array([])) if x is None else (x, y)


def test_plot_holds_exactly_the_appended_points(qtbot, plot):
    losses = f32(0.5 + np.exp(-np.arange(1000) / 200.0))
    steps = feed(plot, losses)
    qtbot.waitUntil(lambda: len(held(plot.raw_curve)[0]) == 1000, timeout=5000)
    x, y = held(plot.raw_curve)
    np.testing.assert_array_equal(x, steps)
    np.testing.assert_allclose(y, losses)
    assert plot.point_count() == 1000
    np.testing.assert_array_equal(plot.data()[1], losses)
    assert len(held(plot.clamped)[0]) == 0


def test_a_zero_is_marked_as_reached_not_drawn_as_a_level_and_negatives_are_clamped(qtbot, plot):
    losses = f32(np.full(300, 0.7))
    losses[[10, 50, 51]] = 0.0
    losses[60] = f32(1e-43)  # float32 underflow: reached 0 too, and must not pull the axis down to 1e-43
    losses[200] = f32(-1e-3)
    feed(plot, losses)
    qtbot.waitUntil(lambda: len(held(plot.raw_curve)[0]) == 300, timeout=5000)
    _, y = held(plot.raw_curve)
    assert np.isnan(y[[10, 50, 51, 60]]).all()  # a gap where it reached 0, never a level
    rest = np.delete(y, [10, 50, 51, 60])
    assert (rest > 1e-5).all() and np.isfinite(np.log10(rest)).all()
    assert plot.zero.isVisible() and plot.zero.value() == 10
    assert plot.zero.label.format == "reached 0 at batch 10"
    mx, my = held(plot.clamped)
    np.testing.assert_array_equal(mx, [200])  # only the negative one is clamped
    assert (my > 1e-5).all()
    assert plot.plot_item.vb.viewRange()[1][0] > -6  # log10: the axis stays near the data
    np.testing.assert_array_equal(plot.data()[1], losses)  # the originals are kept as given


def test_floor_is_a_dashed_labelled_line(qtbot, plot):
    plot.redraw()
    assert plot.floor.isVisible()
    assert plot.floor.value() == pytest.approx(math.log10(0.5))  # view coordinates on a log axis
    assert plot.floor.label.format == "floor 0.5 (exact)"
    assert plot.floor.pen.style() == pg.QtCore.Qt.PenStyle.DashLine
    plot.set_log(False)
    assert plot.floor.value() == pytest.approx(0.5)


def test_excess_mode_plots_loss_minus_floor(qtbot, plot):
    losses = f32(0.5 + np.geomspace(0.3, 1e-4, 400))
    feed(plot, losses)
    plot.set_excess(True)
    x, y = held(plot.raw_curve)
    np.testing.assert_allclose(y, losses - 0.5, rtol=1e-9, atol=1e-12)
    assert not plot.floor.isVisible()
    assert "− floor" in plot.plot_item.getAxis("left").labelText
    assert plot.excess_box.isChecked()


def test_excess_below_floor_is_marked(qtbot, plot):
    losses = np.array([0.6, 0.5, 0.49, 0.55])
    feed(plot, losses)
    plot.set_excess(True)
    mx, _ = held(plot.clamped)
    np.testing.assert_array_equal(mx, [1, 2])


def test_x_axis_batch_epoch_seconds(qtbot, plot):
    steps = feed(plot, np.linspace(1, 0.6, 250))
    plot.add_epoch(0, 0.8, 0.7, 100, 1.0)
    plot.set_x_axis("epoch")
    np.testing.assert_allclose(held(plot.raw_curve)[0], (steps + 1) / 100)
    assert held(plot.epoch_curve)[0][0] == 1
    plot.set_x_axis("seconds")
    np.testing.assert_allclose(held(plot.raw_curve)[0], steps * 0.01)
    assert plot.plot_item.getAxis("bottom").labelText == "seconds"
    with pytest.raises(ValueError, match="x axis"):
        plot.set_x_axis("minutes")


def test_downsampling_and_clip_to_view_are_set_on_the_plotitem(plot):
    ds, auto, mode = plot.plot_item.downsampleMode()
    assert auto and mode == "peak"
    assert plot.plot_item.clipToViewMode()
    assert plot.plot_item.ctrl.logYCheck.isChecked()


def test_recent_mean_follows_the_smoothing_control(qtbot, plot):
    losses = np.arange(10, dtype=float) + 1
    feed(plot, losses)
    plot.set_smoothing(4)
    np.testing.assert_allclose(held(plot.recent_curve)[1], rolling_mean(losses, 4))
    assert plot.smooth_spin.value() == 4


def test_hover_readout_names_the_nearest_step(qtbot, plot):
    feed(plot, np.linspace(1, 0.6, 50))
    plot.redraw()
    text = plot.hover_text(20.2, 0.8)
    assert text.startswith("step 20 ") and "loss" in text


def test_clear_forgets_points(qtbot, plot):
    feed(plot, np.ones(10))
    plot.clear()
    assert plot.point_count() == 0 and len(held(plot.raw_curve)[0]) == 0


def test_rolling_mean_and_clamp_helpers():
    y = np.array([1.0, np.nan, 3.0, 5.0])
    np.testing.assert_allclose(rolling_mean(y, 2), [1.0, 1.0, 3.0, 4.0])
    clamped, low = clamp_for_log(np.array([1.0, 0.0, 0.01, -2.0]))
    np.testing.assert_array_equal(low, [False, True, False, True])
    assert clamped[1] == clamped[3] == pytest.approx(0.001)


class Row:
    """A RunRow stand-in with what the comparison plot reads."""

    def __init__(self, run_id, name, floor=0.5, copies=1, loss="bce"):
        self.run_id, self.name, self.floor, self.floor_exact, self.copies = run_id, name, floor, True, copies
        self.floors = [Floor("model", floor, "exact", "test")]
        self.config = tiny(loss)
        self.seconds, self.batches, self.epochs, self.final_loss = 2.0, 300, 2, 0.51


def test_comparison_overlays_runs_with_legend_colours_and_seed_bands(qtbot):
    plot = ComparisonPlot(smoothing=1)
    qtbot.addWidget(plot)
    rng = np.random.default_rng(0)
    band = 0.5 + rng.uniform(0.01, 0.2, size=(300, 8))
    plot.set_runs([(Row(1, "a"), np.linspace(0.9, 0.51, 300)), (Row(2, "b", copies=8), band)])
    names = [label.text for _, label in plot.legend.items]
    assert names == ["#1 a", "#2 b, median of 8 seeds"]
    colours = {c.opts["pen"].color().name() for c in plot.curves}
    assert len(colours) == 2
    np.testing.assert_allclose(held(plot.curves[1])[1], np.median(band, axis=1))
    fills = [i for i in plot.plot_item.items if isinstance(i, pg.FillBetweenItem) and i.isVisible()]
    assert len(fills) == 1 and fills[0].curves[0].yData is not None  # the seed band's, none for the single run
    # Both runs share their floor: one dashed line for it, in the first run's colour (not two on top of each other).
    floors = [i for i in plot.plot_item.items if isinstance(i, pg.InfiniteLine) and i.isVisible()]
    assert len(floors) == 1 and all(f.pen.style() == pg.QtCore.Qt.PenStyle.DashLine for f in floors)
    assert floors[0].pen.color().name() == plot.curves[0].opts["pen"].color().name()
    plot.set_runs([(Row(3, "c"), np.ones(5))])
    assert len(plot.legend.items) == 1
    assert len([i for i in plot.plot_item.items if isinstance(i, pg.InfiniteLine) and i.isVisible()]) == 1
    assert len([i for i in plot.plot_item.items if isinstance(i, pg.PlotDataItem) and i.isVisible()
                and i.getOriginalDataset()[0] is not None and len(i.getOriginalDataset()[0])]) == 2  # the curve and its floor's anchor; the rest put away


def test_comparison_seed_band_fill_has_a_path(qtbot):
    """The band's edges need a (transparent) pen: with pen=None pyqtgraph builds no path and fills nothing."""
    plot = ComparisonPlot(smoothing=1)
    qtbot.addWidget(plot)
    band = 0.5 + np.random.default_rng(1).uniform(0.01, 0.2, size=(200, 4))
    plot.set_runs([(Row(1, "band", copies=4), band)])
    fill, = [i for i in plot.plot_item.items if isinstance(i, pg.FillBetweenItem)]
    assert fill.isVisible() and not fill.path().isEmpty()
    rect = fill.boundingRect()
    assert rect.width() > 0 and rect.height() > 0


def test_live_plot_draws_a_seed_band(qtbot):
    plot = LivePlot()
    qtbot.addWidget(plot)
    plot.start_run({"floor": 0.0, "floor_exact": True, "label": "band", "batches_per_epoch": 10, "copies": 3})
    block = np.array([[0.3, 0.5, 0.4]] * 20) * np.linspace(1, 0.5, 20)[:, None]
    plot.append_chunk(LossChunk(np.arange(20), np.median(block, 1), np.linspace(0, 1, 20),
                                np.zeros(20, dtype=np.int64), copy_losses=block))
    plot.redraw()
    assert plot.band_count() == 20 and plot.band.isVisible() and not plot.band.path().isEmpty()
    np.testing.assert_allclose(plot.band_hi.getOriginalDataset()[1], block.max(1))
    assert "3 seeds" in plot.raw_curve.opts["name"]


def test_floor_label_follows_each_run_even_after_a_hidden_floor(qtbot):
    """0.5 → 0 (hidden on log) → 0.5 again: the line returns to the same place, and must not keep '0.0000'."""
    plot = LivePlot()
    qtbot.addWidget(plot)
    for floor in (0.5004, 0.0, 0.5004):
        plot.start_run({"floor": floor, "floor_exact": True, "label": "run", "batches_per_epoch": 10})
        plot.append(np.arange(5), np.linspace(0.7, 0.51, 5), np.linspace(0, 1, 5), np.zeros(5, dtype=np.int64))
        plot.redraw()
    assert plot.floor.isVisible() and "0.5004" in plot.floor.label.toPlainText()


def test_a_new_run_draws_at_full_rate_after_a_slow_paced_one(make_live_plot, qtbot):
    from aegui.gui.plots.pacing import REDRAW_MS
    plot = make_live_plot(INFO)
    plot.pacing.timer.setInterval(500)  # where a costly 1M-point frame had paced the last run
    plot.start_run(INFO)
    plot.append(np.arange(3), np.array([0.7, 0.6, 0.55], dtype=np.float32), np.zeros(3), np.zeros(3, dtype=np.int64))
    assert plot.pacing.timer.interval() == REDRAW_MS
    qtbot.waitUntil(lambda: len(plot.raw_curve.getData()[0] if plot.raw_curve.getData()[0] is not None else [])
                    == 3, timeout=REDRAW_MS * 5)


def test_a_seed_bands_legend_stays_on_the_plot_in_a_narrow_live_pane(qtbot):
    """The live pane at 1280 × 800 is about 700 px wide: a 4-seed run's longer legend names (the band's
    included) take fewer columns, and every entry stays inside the plot; the third ran off its right edge."""
    plot = LivePlot()
    qtbot.addWidget(plot)
    plot.resize(700, 330)
    plot.show()
    plot.start_run({"floor": 0.5, "floor_exact": True, "label": "bce 4 seeds", "name": "bce 4 seeds",
                    "batches_per_epoch": 10, "copies": 4})
    block = np.array([[0.6, 0.55, 0.7, 0.65]] * 40) * np.linspace(1, 0.8, 40)[:, None]
    plot.append_chunk(LossChunk(np.arange(40), np.median(block, 1), np.linspace(0, 1, 40),
                                np.zeros(40, dtype=np.int64), copy_losses=block))
    plot.add_epoch(0, float(block.mean()), float(block.mean()), 39, 1.0)
    plot.redraw()
    QtWidgets.QApplication.processEvents()
    texts = [label.text for _, label in plot.legend.items]
    assert any("median of 4 seeds, shaded min–max" in t for t in texts)  # the band is named
    assert plot.legend.layout.preferredWidth() <= plot._legend_room()
    view = plot.plot_widget.rect()
    for _, label in plot.legend.items:
        box = plot.plot_widget.mapFromScene(label.sceneBoundingRect()).boundingRect()
        assert view.contains(box), (label.text, box, view)
