"""A big stored run in the comparison (issue 18 §11): selecting it never blocks the GUI thread, what is drawn is
the curve's true envelope, zooming in reads the stretch again finer, and 40 runs are all drawn."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from aegui.core.store.store import RunStore
from aegui.gui.plots.comparison_plot import ComparisonPlot
from aegui.gui.results_curves import SYNC_VALUES, ReducedLosses, StoredComparison

from .big_run import add_big_run


@pytest.fixture
def big_store(tmp_path):
    """A store holding one 120,000-batch × 64-seed run (7.7 million values: read in the background)."""
    store = RunStore.open(tmp_path / "big")
    run_id = add_big_run(store, batches=120_000, copies=64)
    assert 120_000 * 64 > SYNC_VALUES
    yield store, run_id
    store.close()


def shown_comparison(qtbot, store, smoothing=1):
    plot = ComparisonPlot(smoothing=smoothing)
    qtbot.addWidget(plot)
    plot.resize(900, 500)
    plot.show()
    stored = StoredComparison(plot, store)
    return plot, stored


def test_selecting_a_big_run_keeps_the_gui_thread_responsive(qtbot, big_store):
    store, run_id = big_store
    plot, stored = shown_comparison(qtbot, store)
    ticks: list[float] = []
    timer = QtCore.QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    t0 = time.perf_counter()
    pairs = stored.show([run_id])
    shown_in = time.perf_counter() - t0
    assert isinstance(pairs[0][1], ReducedLosses) and pairs[0][1].pending  # listed now, its curve read behind
    assert "reading 120,000 batches" in plot.legend.items[0][1].text
    assert stored.busy()
    qtbot.waitUntil(lambda: len(ticks) >= 3, timeout=5000)  # the event loop runs while the curve is read
    assert stored.busy(), "the read ended before the timer ticked: the test no longer shows it is off the GUI thread"
    qtbot.waitUntil(lambda: not stored.busy(), timeout=60_000)
    timer.stop()
    assert stored.error is None
    assert shown_in < 1.0  # a listing and a legend row, not 30 MB of losses
    losses = plot.runs[0][1]
    assert not losses.pending and len(losses) == 120_000
    x, y = plot.curves[0].getOriginalDataset()
    assert 0 < len(x) <= 2 * stored._buckets() + 2  # an envelope at the plot's resolution, not 120,000 points
    assert "reading" not in plot.legend.items[0][1].text
    stored.shutdown()


def test_the_drawn_envelope_holds_the_curves_min_and_max(qtbot, big_store):
    store, run_id = big_store
    plot, stored = shown_comparison(qtbot, store)
    plot.set_log(False)
    with qtbot.waitSignal(stored.sigShown, timeout=60_000):
        stored.show([run_id])
    data = store.losses(run_id).astype(np.float64)
    items = plot._runs_items[0]
    lo, hi = items.lo.getOriginalDataset()[1], items.hi.getOriginalDataset()[1]
    assert np.nanmin(lo) == pytest.approx(data.min(axis=1).min(), rel=1e-12)
    assert np.nanmax(hi) == pytest.approx(data.max(axis=1).max(), rel=1e-12)
    median = np.median(data, axis=1)
    mid = plot.curves[0].getOriginalDataset()[1]
    assert np.nanmax(mid) == pytest.approx(median.max(), rel=1e-12)
    assert np.nanmin(mid) == pytest.approx(median.min(), rel=1e-12)
    stored.shutdown()


def test_zooming_in_reads_the_stretch_finer(qtbot, big_store):
    store, run_id = big_store
    plot, stored = shown_comparison(qtbot, store)
    with qtbot.waitSignal(stored.sigShown, timeout=60_000):
        stored.show([run_id])
    x, _ = plot.curves[0].getOriginalDataset()
    before = np.count_nonzero((x >= 50_000) & (x < 50_600))
    with qtbot.waitSignal(stored.sigShown, timeout=60_000):
        plot.plot_item.vb.setXRange(50_000, 50_600, padding=0)
    x, y = plot.curves[0].getOriginalDataset()
    inside = (x >= 50_000) & (x < 50_600)
    assert np.count_nonzero(inside) >= 600 > 10 * before  # every batch of the stretch, where a few points were
    data = store.losses(run_id)[50_000:50_600].astype(np.float64)
    np.testing.assert_allclose(y[inside], np.median(data, axis=1), rtol=1e-12)
    assert x.min() < 1_000 and x.max() > 119_000  # the rest of the run is still drawn, coarsely
    stored.shutdown()


def test_a_new_selection_supersedes_a_read_in_progress(qtbot, big_store, tmp_path):
    store, run_id = big_store
    plot, stored = shown_comparison(qtbot, store)
    stored.show([run_id])
    first = stored.job
    small = add_big_run(store, batches=2_000, copies=4, name="small")
    stored.show([small])  # read at once: small
    assert first["cancel"].is_set() and not stored.busy()
    assert [row.run_id for row, _ in plot.runs] == [small] and isinstance(plot.runs[0][1], np.ndarray)
    stored.shutdown()


def test_forty_runs_are_all_drawn(qtbot, tmp_path):
    store = RunStore.open(tmp_path / "forty")
    ids = [add_big_run(store, batches=500 + 10 * i, copies=1, loss="bce" if i % 3 else "mse", name=f"r{i}", seed=i)
           for i in range(45)]
    plot, stored = shown_comparison(qtbot, store)
    stored.show(ids)
    assert len(plot.curves) == 40 and plot.left_out == 5
    drawn = [c for c in plot.curves if c.isVisible() and _points(c) > 0]
    assert len(drawn) == 40
    assert len(plot.extra_panels) == 1  # MSE and nats: one panel each
    assert plot.legend.items[-1][1].text.startswith("and 33 more")
    stored.show(ids[5:])  # reused items: still every run, none left over from the last selection
    visible = [c for pi in plot.panel_items() for c in pi.items if c in plot.curves and c.isVisible()]
    assert len(visible) == 40
    stored.shutdown()
    store.close()


def _points(item) -> int:
    x = item.getOriginalDataset()[0]
    return 0 if x is None else len(x)


def _figure_series(qtbot, curve, smoothing, excess):
    from aegui.gui.figures.layout import panel_class
    figure = QtWidgets.QWidget()  # parented as build_figure parents its panels
    qtbot.addWidget(figure)
    plot = panel_class()(figure, controls=False)
    plot.set_smoothing(smoothing)
    plot.excess = excess
    return plot._series(curve)


@pytest.mark.parametrize("smoothing,excess", [(1, False), (25, True)])
def test_a_figures_envelope_read_in_the_background_is_the_one_it_would_draw(qtbot, big_store, smoothing, excess):
    from aegui.gui.figures.export import chunked_curve
    from aegui.gui.results_curves import figure_envelopes
    store, run_id = big_store
    chunked = chunked_curve(store, run_id)
    [read] = figure_envelopes([chunked], {"smoothing": smoothing, "excess": excess})
    assert isinstance(read[1], ReducedLosses) and len(read[1]) == 120_000
    here, there = _figure_series(qtbot, chunked, smoothing, excess), _figure_series(qtbot, read, smoothing, excess)
    assert len(here) == len(there) == 5 and len(here[0]) <= 2 * 1000 + 2
    for a, b in zip(here[:4], there[:4]):
        np.testing.assert_array_equal(a, b)
    assert here[4] == there[4]


def _save_dialog(qtbot, store, run_id, target):
    from aegui.gui.figures.export import chunked_curve
    from aegui.gui.figures.save_dialog import SaveComparisonDialog
    from aegui.gui.results_curves import figure_envelopes
    view = {"log": True, "excess": False, "x_axis": "batch", "smoothing": 1}
    dialog = SaveComparisonDialog([chunked_curve(store, run_id)], view, reader=figure_envelopes)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(target))
    return dialog


def test_saving_a_big_runs_figure_reads_it_off_the_gui_thread(qtbot, big_store, tmp_path):
    from aegui.gui.figures.export import read_figure
    store, run_id = big_store
    target = tmp_path / "big.png"
    dialog = _save_dialog(qtbot, store, run_id, target)
    ticks: list[float] = []
    timer = QtCore.QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    with qtbot.waitSignal(dialog.sigSaved, timeout=60_000):
        assert dialog.save() is False  # not written yet: the run is being read in the background
        assert not target.exists() and "Reading 1 long run" in dialog.hint.text()
        assert not dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Save).isEnabled()
        qtbot.waitUntil(lambda: len(ticks) >= 3, timeout=5000)  # the event loop runs during the read
    timer.stop()
    assert target.is_file() and [e["run_id"] for e in read_figure(target)] == [run_id]


def test_cancel_stops_a_save_that_is_still_reading(qtbot, big_store, tmp_path):
    import threading
    store, run_id = big_store
    target = tmp_path / "never.png"
    dialog = _save_dialog(qtbot, store, run_id, target)
    saved: list = []
    dialog.sigSaved.connect(saved.append)
    dialog.save()
    reading = dialog.reading
    assert reading is not None
    dialog.reject()
    assert reading.is_set()
    qtbot.waitUntil(lambda: not any(t.name == "aegui-save-read" for t in threading.enumerate()), timeout=30_000)
    QtCore.QCoreApplication.processEvents()  # a queued outcome, had one been sent, arrives now
    assert not target.exists() and saved == []


def test_the_legend_follows_each_selection_when_its_rows_are_reused(qtbot, tmp_path):
    """Rows are pointed at the new curves in place: after 40, 2, 40 and 13 runs each row still names its own
    curve, in its colour, and no row is left over or stacked on another."""
    store = RunStore.open(tmp_path / "legend")
    ids = [add_big_run(store, batches=300 + i, copies=1, loss="bce" if i % 2 else "mse", name=f"run{i:02d}", seed=i)
           for i in range(45)]
    plot, stored = shown_comparison(qtbot, store)
    heights = {}
    for selection in (ids[:40], ids[40:42], ids[3:43], ids[10:23], ids[:1], ids[:2], ids[5:45]):
        stored.show(selection)
        plot.legend.layout.activate()
        heights.setdefault(len(plot.legend.items), set()).add(round(plot.legend.boundingRect().height()))
        named = [(row, curve) for (row, _), curve in zip(plot.runs, plot.curves)][:12]
        runs_rows = [(s, lab) for s, lab in plot.legend.items if s.item is not plot._more]
        assert len(runs_rows) == len(named)
        for (sample, label), (row, curve) in zip(runs_rows, named):
            assert sample.item is curve and row.name in label.text
            assert sample.item.opts["pen"].color() == curve.opts["pen"].color()
        more = len(selection) - 12
        assert (plot.legend.items[-1][1].text.startswith(f"and {more} more")) == (more > 0)
        spots = [(round(lab.pos().x()), round(lab.pos().y())) for _, lab in plot.legend.items]
        assert len(set(spots)) == len(spots)  # no two rows in one place
        plot.legend.layout.activate()
        assert plot.legend.layout.count() == 2 * len(plot.legend.items)
        assert all(lab.isVisible() for _, lab in plot.legend.items)
    assert all(len(h) == 1 for h in heights.values()), heights  # rows put away leave no empty rows behind
    stored.shutdown()
    store.close()
