"""Issue 16's live views: one unit per axis, whole runs, zeros marked, ghosts that keep their colour and number."""

import time

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from aegui.gui.plots.comparison_plot import MAX_CURVES, MAX_LEGEND, ComparisonPlot
from aegui.gui.run import run_status
from tests.gui.test_loss_plot import Row, held

MSE_INFO = {"floor": 0.0, "floor_exact": True, "label": "mse run", "batches_per_epoch": 10, "loss": "mse", "run_id": 1}
BCE_INFO = {"floors": [{"name": "data", "value": 0.5001, "claim": "lower bound", "basis": ""},
                       {"name": "model", "value": 0.5054, "claim": "exact", "basis": ""}],
            "label": "bce run", "batches_per_epoch": 10, "loss": "bce", "run_id": 2}


def left_label(pi) -> str:
    return pi.getAxis("left").labelText


def y_range_decades(pi) -> float:
    lo, hi = pi.vb.viewRange()[1]
    return hi - lo


def run_mse_then_bce(plot, n_mse=400, n_bce=100):
    plot.start_run(MSE_INFO)
    plot.append(np.arange(n_mse), np.geomspace(1, 1e-12, n_mse), np.linspace(0, 4, n_mse), np.arange(n_mse) // 10)
    plot.set_result(2.2e-13, 1.6e-7)  # the store's eval and final loss, as run_view hands them over
    plot.start_run(BCE_INFO)
    plot.append(np.arange(n_bce), 0.5054 + np.geomspace(0.3, 1e-4, n_bce), np.linspace(0, 1, n_bce),
                np.arange(n_bce) // 10)
    plot.flush()


def test_an_mse_ghost_never_shares_a_nats_axis_and_the_bce_stall_stays_visible(make_live_plot):
    plot = make_live_plot(MSE_INFO)
    run_mse_then_bce(plot)
    (curve, text), = plot.ghosts._items
    assert plot.panel_units() == ["nats", "mean squared error"]
    assert curve.panel is not plot.plot_item and curve.panel is plot.panel("mean squared error")
    assert left_label(plot.plot_item) == "loss (nats)" and left_label(curve.panel) == "loss (MSE)"
    # The BCE panel spans the stall, not 1e-12: its floors and curve stay apart.
    assert y_range_decades(plot.plot_item) < 3
    # One number, the stored eval loss, labelled as such.
    assert text.toPlainText() == "#1 mse run · eval 2.2e-13"
    # The main panel's x range covers the longer MSE ghost, though the BCE run is shorter.
    assert plot.plot_item.vb.viewRange()[0][1] >= 399
    plot.set_excess(True)
    assert left_label(plot.plot_item) == "loss − model floor (nats)"


@pytest.mark.parametrize("order", [1, -1])
def test_comparison_splits_units_and_covers_every_run_in_either_order(qtbot, order):
    plot = ComparisonPlot(smoothing=1)
    qtbot.addWidget(plot)
    plot.resize(800, 600)
    plot.show()
    runs = [(Row(1, "short bce"), np.linspace(0.9, 0.51, 705)),
            (Row(2, "long mse", floor=0.0, loss="mse"), np.geomspace(1, 1e-9, 4700)),
            (Row(3, "long bce"), np.linspace(0.9, 0.51, 4700))][::order]
    plot.set_runs(runs)
    units = plot.panel_units()
    assert sorted(units) == ["mean squared error", "nats"] and len(set(units)) == 2
    for pi, unit in zip(plot.panel_items(), units):
        short = {"nats": "nats", "mean squared error": "MSE"}[unit] if pi is not plot.plot_item else unit
        assert left_label(pi) == f"loss ({short})"  # one unit per axis; never "loss (nats, MSE)"
        lo, hi = pi.vb.viewRange()[0]
        assert lo <= 0 and hi >= 4699  # whole runs, the longest included
    assert plot.panel("nats").vb.viewRange()[1][0] > -1  # nats panel not stretched by the MSE run


def test_comparison_marks_a_run_that_reached_zero_and_keeps_the_axis_near_the_data(qtbot):
    plot = ComparisonPlot(smoothing=1)
    qtbot.addWidget(plot)
    plot.show()
    losses = np.geomspace(0.7, 1e-6, 300)
    losses[200:] = 0.0
    losses[150] = 1e-43
    plot.set_runs([(Row(1, "logits", floor=0.0, loss="bce_logits"), losses)])
    names = [label.text for _, label in plot.legend.items]
    assert names == ["#1 logits · reached 0 at batch 150"]
    marker = plot.zero_markers[0]
    assert marker.isVisible() and marker.value() == 150
    y = held(plot.curves[0])[1]
    assert np.isnan(y[200:]).all() and (plot._runs_items[0].clamped is None or len(held(plot._runs_items[0].clamped)[0]) == 0)  # no clamped bar
    assert plot.plot_item.vb.viewRange()[1][0] > -8  # log10: never pulled to 1e-43


def test_comparison_of_thousands_caps_curves_and_legend_rows(qtbot):
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    plot.show()
    pairs = [(Row(i, f"run {i}"), np.linspace(0.9, 0.51, 300)) for i in range(MAX_CURVES)]
    t0 = time.perf_counter()
    plot.set_runs(pairs, total=10_000)
    assert time.perf_counter() - t0 < 10
    assert len(plot.curves) == MAX_CURVES
    texts = [label.text for _, label in plot.legend.items]
    assert len(texts) == MAX_LEGEND + 1 and texts[-1] == f"and {10_000 - MAX_LEGEND:,} more ({10_000 - MAX_CURVES:,} not drawn)"


def test_ghost_colours_stay_across_toggles_and_a_deleted_runs_ghost_goes(make_live_plot):
    plot = make_live_plot(MSE_INFO)
    colours = {}
    for run_id in (1, 2, 3):
        plot.start_run({**MSE_INFO, "run_id": run_id, "label": f"r{run_id}"})
        plot.append(np.arange(50), np.geomspace(1, 1e-3, 50), np.linspace(0, 1, 50), np.arange(50) // 10)
        plot.flush()
    plot.start_run({**BCE_INFO, "run_id": 4})
    plot.append(np.arange(50), np.geomspace(1, 0.6, 50), np.linspace(0, 1, 50), np.arange(50) // 10)
    plot.flush()
    for ghost, (curve, _) in zip(plot.ghosts.ghosts, plot.ghosts._items):
        colours[ghost.run_id] = curve.opts["pen"].color().name()
    plot.start_run({**MSE_INFO, "run_id": 5})  # the oldest ghost (#1) goes, the others keep their colours
    now = {g.run_id: c.opts["pen"].color().name() for g, (c, _) in zip(plot.ghosts.ghosts, plot.ghosts._items)}
    assert now[2] == colours[2] and now[3] == colours[3] and 1 not in now
    plot.ghosts.forget_missing(lambda run_id: run_id != 3)
    assert [g.run_id for g in plot.ghosts.ghosts] == [2, 4]


def test_hover_readout_clears_on_leave_and_on_a_new_run(make_live_plot, qtbot):
    plot = make_live_plot(MSE_INFO)
    plot.append(np.arange(50), np.geomspace(1, 1e-3, 50), np.linspace(0, 1, 50), np.arange(50) // 10)
    plot.flush()
    plot.readout.setText(plot.hover_text(20, 0.1))
    assert "step 20" in plot.readout.text()
    QtWidgets.QApplication.sendEvent(plot.plot_widget, QtCore.QEvent(QtCore.QEvent.Type.Leave))
    assert plot.readout.text().strip() == ""
    plot.readout.setText(plot.hover_text(20, 0.1))
    plot.start_run(BCE_INFO)
    assert plot.readout.text().strip() == ""
    plot.readout.setText("x" * 2000)  # a long readout must not widen the pane
    assert plot.minimumSizeHint().width() < 1000


def test_end_words_are_plain():
    end = type("End", (), {"stop_reason": "tol", "epochs": 3, "batches": 705})()
    assert run_status.end_words(end) == ("stopped: loss below tol", "Stopped: loss below tol after 705 batches")
    end.stop_reason = "max_epochs"
    assert run_status.end_words(end)[0] == "finished: 3 epochs"
    end.stop_reason, end.epochs = "cancelled", 1
    assert run_status.end_words(end)[0] == "cancelled after 1 epoch"


def test_progress_never_says_epoch_zero(qtbot):
    bar = QtWidgets.QStatusBar()
    qtbot.addWidget(bar)
    status = run_status.RunStatus(bar)
    status.start(4, 100)
    assert status.progress.format() == "epoch 1 of 4"
    status._show(150, 1.0)
    assert status.progress.format() == "epoch 2 of 4"
    status._show(400, 2.0)
    assert status.progress.format() == "epoch 4 of 4"
    status.end("cancelled after 2 epochs", 250)
    assert status.progress.format() == "cancelled after 2 epochs" and status.progress.value() == 250


def test_a_low_panels_y_label_is_never_cut_it_takes_its_short_form(qtbot):
    from aegui.gui.plots.plot_base import _set_fitting_label
    import pyqtgraph as pg
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(400, 70)  # a stacked panel in the narrow comparison pane at 2×
    w.show()
    qtbot.waitUntil(lambda: w.getPlotItem().vb.height() > 0)
    pi = w.getPlotItem()
    _set_fitting_label(pi, ("loss (mean squared error)", "loss (MSE)", "(MSE)"), {"font-size": "11pt"})
    assert pi.getAxis("left").labelText in ("loss (MSE)", "(MSE)")
    w.resize(400, 600)
    qtbot.waitUntil(lambda: pi.vb.height() > 400)
    _set_fitting_label(pi, ("loss (mean squared error)", "loss (MSE)", "(MSE)"), {"font-size": "11pt"})
    assert pi.getAxis("left").labelText == "loss (mean squared error)"
