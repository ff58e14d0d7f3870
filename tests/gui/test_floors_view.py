"""The window tells the truth about floors: a line per floor with its claim, the why-not-zero line, the data card."""

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from aegui.core.config import config as cfg
from aegui.core.config.presets import PRESETS

FLOORS = [{"name": "data", "value": 0.5004, "claim": "lower bound", "basis": "entropy"},
          {"name": "model", "value": 0.5054, "claim": "exact", "basis": "solved"},
          {"name": "linear (PCA)", "value": 0.04, "claim": "reference", "basis": "pca"}]


def test_each_floor_is_its_own_line_labelled_with_its_claim(make_live_plot):
    plot = make_live_plot({"floors": FLOORS, "label": "run", "batches_per_epoch": 10, "loss": "bce"})
    plot.append(np.arange(20), np.linspace(0.9, 0.51, 20), np.linspace(0, 1, 20), np.zeros(20, dtype=np.int64))
    plot.redraw()
    assert plot.floor.label.format == "model floor 0.5054 (exact)"  # the tightest exact-or-bound floor
    labels = {line.label.format: line for line, _ in plot.other_floors}
    assert set(labels) == {"data floor 0.5004 (lower bound)", "linear (PCA) 0.04 (reference)"}
    assert labels["linear (PCA) 0.04 (reference)"].pen.style() == QtCore.Qt.PenStyle.DotLine  # a reference looks different
    assert labels["data floor 0.5004 (lower bound)"].pen.style() == QtCore.Qt.PenStyle.DashLine
    assert all(line.isVisible() for line in labels.values())
    # a model floor solved later replaces the lines
    plot.set_floors(FLOORS[:1])
    assert plot.floor.label.format == "data floor 0.5004 (lower bound)" and plot.other_floors == []
    assert len([i for i in plot.plot_item.items if isinstance(i, pg.InfiniteLine)]) == 1


CLOSE = [{"name": "data", "value": 0.07403, "claim": "lower bound", "basis": "entropy"},
         {"name": "model", "value": 0.08137, "claim": "lower bound", "basis": "a cut-short solve"},
         {"name": "reachable", "value": 0.08159, "claim": "reachable", "basis": "the solve's best"}]


def _label_rects(lines):
    return [line.label.sceneBoundingRect() for line in lines if line.isVisible() and line.label.isVisible()]


def test_labels_of_floors_close_in_value_never_print_over_each_other(make_live_plot, qtbot):
    # A wide file's cut-short bracket: a bound and the value reached 0.3% apart, the data floor just below.
    # The labels sat at fixed shares of the width, and at 1280 × 800 each hid half the next one's words.
    plot = make_live_plot({"floors": CLOSE, "label": "run", "batches_per_epoch": 10, "loss": "bce"})
    plot.append(np.arange(150), np.linspace(0.7, 0.22, 150), np.linspace(0, 1, 150), np.zeros(150, dtype=np.int64))
    for width in (800, 560):
        plot.resize(width, 500)
        qtbot.waitUntil(lambda w=width: abs(plot.plot_item.vb.width() - (w - 100)) < 100)
        plot.redraw()
        rects = _label_rects([plot.floor] + [line for line, _ in plot.other_floors])
        assert len(rects) == 3
        assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:]), (width, plot.plot_item.vb.sceneBoundingRect().getRect(), [r.getRect() for r in rects])
        view = plot.plot_item.vb.sceneBoundingRect()
        assert all(view.left() - 1 <= r.left() and r.right() <= view.right() + 1 for r in rects)


def test_the_window_says_why_not_zero_after_a_run(qtbot, window):
    config = cfg.with_changes(PRESETS["sigmoid-bce-uniform"].config,
                              **{"data.samples": 2048, "training.epochs": 3, "training.device": "cpu"})
    window.panels.set_config(config)
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000):
        assert window.start_run()
    text = window.ui.why.text()
    assert window.ui.why.isVisible() and "Why not zero?" in text
    assert "entropy" in text and "affine + sigmoid model cannot fit" in text and "optimizer" in text
    row = window.results.store.list_runs()[0]
    assert {f.name: f.claim for f in row.floors} == {"data": "lower bound", "model": "exact"}
    assert row.eval_loss is not None and row.optimizer_gap is not None


def _file_config(path, loss="mse"):
    return cfg.with_changes(cfg.RunConfig(), **{"data.kind": "file", "data.file": str(path)},
                            **({"loss.kind": "bce", "model.output": "sigmoid"} if loss == "bce" else {}))


def test_choosing_a_file_shows_its_card_and_refuses_bce_at_pick_time(qtbot, window, tmp_path):
    path = tmp_path / "gauss.npy"
    np.save(path, np.random.default_rng(0).standard_normal((200, 3)).astype(np.float32))
    card = window.panels.data_card
    with qtbot.waitSignal(card.sigCard, timeout=10_000):
        window.panels.set_config(_file_config(path))
    assert card.isVisible() and "200 rows × 3 columns" in card.text() and "bce" in card.text()
    assert window.panels.is_valid()  # MSE is fine on any values
    window.panels.set_config(_file_config(path, "bce"))
    assert not window.panels.is_valid()
    problem = next(p for p in window.panels.problems() if p.field == "loss.kind")
    assert "[0, 1]" in problem.allowed and "-" in problem.allowed  # names the range found


def test_a_file_in_range_shows_its_bce_floor(qtbot, window, tmp_path):
    path = tmp_path / "u.csv"
    np.savetxt(path, np.random.default_rng(0).random((100, 2)), delimiter=",")
    card = window.panels.data_card
    with qtbot.waitSignal(card.sigCard, timeout=10_000):
        window.panels.set_config(_file_config(path, "bce"))
    assert "BCE data floor" in card.text() and window.panels.is_valid()


def test_a_file_runs_banner_states_the_files_width_and_floor_from_its_card(qtbot, window, tmp_path):
    path = tmp_path / "wide.csv"
    np.savetxt(path, np.random.default_rng(0).random((120, 7)), delimiter=",")
    with qtbot.waitSignal(window.panels.data_card.sigCard, timeout=10_000):
        window.panels.set_config(_file_config(path, "bce"))
    text = window.ui.claim.text()
    card = window.panels.file_card()
    assert "wide.csv, 7 features" in text and "2 features" not in text  # the features field means nothing for a file
    assert f"{card.bce_floor:.3g} nats" in text


def test_a_reachable_value_is_drawn_dotted_as_an_upper_value_never_as_the_floor(make_live_plot):
    floors = [FLOORS[0], {"name": "reachable", "value": 0.5054, "claim": "reachable",
                          "basis": "contains the affine + sigmoid model: pass-through"}]
    plot = make_live_plot({"floors": floors, "label": "run", "batches_per_epoch": 10, "loss": "bce"})
    plot.append(np.arange(20), np.linspace(0.9, 0.51, 20), np.linspace(0, 1, 20), np.zeros(20, dtype=np.int64))
    plot.redraw()
    assert plot.floor.label.format == "data floor 0.5004 (lower bound)"  # the headline is a bound, never reachable
    labels = {line.label.format: line for line, _ in plot.other_floors}
    assert set(labels) == {"reachable 0.5054 (an upper value)"}
    assert labels["reachable 0.5054 (an upper value)"].pen.style() == QtCore.Qt.PenStyle.DotLine
    from aegui.gui.plots.view_rule import run_floor
    assert run_floor(floors) == (0.5004, "data floor")  # excess subtracts the bound, not the reachable value


def test_the_comparisons_labels_of_close_floors_never_print_over_each_other(qtbot, tmp_path):
    from aegui.core.store.store import RunStore
    from aegui.gui.plots.comparison_plot import ComparisonPlot
    from aegui.gui.plots.curves import stored_curve
    from tests.gui.fixtures_runs import decaying, synthetic, tiny
    store = RunStore.open(tmp_path / "close")
    # Three runs of one unit whose model floors lie within a few pixels of each other on a log axis.
    ids = [synthetic(store, tiny("mse", name=f"run {i}"), decaying(300, floor, seed=i) + 0.01, floor=floor)
           for i, floor in enumerate((0.08137, 0.08159, 0.0825))]
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.show()
    plot.set_runs([stored_curve(store, i) for i in ids])
    qtbot.waitUntil(lambda: plot.plot_item.vb.width() > 300 and plot.updatesEnabled())
    plot.grab()  # a real paint: the y range settles, and the labels are set where it puts the lines
    lines = [line for lines in plot._floor_lines.values() for line in lines if hasattr(line, "label")]
    rects = _label_rects(lines)
    assert len(rects) == 3
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:]), [r.getRect() for r in rects]
    store.close()


def test_a_floor_at_the_bottom_of_a_linear_axis_keeps_its_label_in_the_view(qtbot, tmp_path):
    """Log y off, a floor of 0 is the view's bottom edge: its label hung under the x axis, cut in half."""
    from aegui.core.store.store import RunStore
    from aegui.gui.plots.comparison_plot import ComparisonPlot
    from aegui.gui.plots.curves import stored_curve
    from tests.gui.fixtures_runs import decaying, synthetic, tiny
    store = RunStore.open(tmp_path / "zero")
    ids = [synthetic(store, tiny("mse", name="to zero"), decaying(300, 0.0) + 1e-3, floor=0.0)]
    plot = ComparisonPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.show()
    plot.set_runs([stored_curve(store, i) for i in ids])
    plot.set_log(False)
    qtbot.waitUntil(lambda: plot.plot_item.vb.width() > 300)
    plot.grab()
    lines = [line for lines in plot._floor_lines.values() for line in lines if hasattr(line, "label")
             and line.isVisible()]
    assert lines
    view = plot.plot_item.vb.sceneBoundingRect()
    for rect in _label_rects(lines):
        assert view.top() <= rect.top() and rect.bottom() <= view.bottom() + 1, (rect.getRect(), view.getRect())
    store.close()


def test_a_comparisons_floor_label_keeps_clear_of_the_other_runs_curves(qtbot, tmp_path):
    # 'model floor 0.5004' hangs under its line at the left, where a Bernoulli run's curve (floor 0) falls
    # through: its white box hid that curve's first hundred batches.
    from aegui.core.store.store import RunStore
    from aegui.gui.plots.plot_base import _crosses, _scene_segments
    from tests.gui.fixtures_runs import decaying, shown_comparison, synthetic, tiny
    store = RunStore.open(tmp_path / "clear")
    ids = [synthetic(store, tiny("bce", "bernoulli", name="falls through"), decaying(1200, 0.0, 2) + 1e-3, floor=0.0),
           synthetic(store, tiny("bce", name="stays above"), decaying(2400, 0.5004), floor=0.5004)]
    plot = shown_comparison(qtbot, store, ids, 1000, 450)
    lines = [line for lines in plot._floor_lines.values() for line in lines
             if line.isVisible() and hasattr(line, "label")]
    assert lines and any("0.5004" in line.label.format for line in lines)
    segments = _scene_segments(plot.curves, plot.plot_item.vb)
    view = plot.plot_item.vb.sceneBoundingRect()
    for line in lines:
        rect = line.label.sceneBoundingRect()
        assert not _crosses(rect, segments), (line.label.format, rect.getRect())
        assert view.top() <= rect.top() and rect.bottom() <= view.bottom() + 1  # still inside the view
    store.close()


def test_a_floor_label_stays_beside_its_line_when_a_curve_runs_along_it(qtbot, tmp_path):
    # A run that trains to its floor runs along the line with its noise: no spot beside the line is clear of it.
    # The label must still sit against its line (a label a lane off was read as another value, 0.03 for 0.5).
    from PySide6 import QtCore

    from aegui.core.store.store import RunStore
    from tests.gui.fixtures_runs import decaying, shown_comparison, synthetic, tiny
    store = RunStore.open(tmp_path / "along")
    hugging = 0.5054 + np.random.default_rng(3).normal(0, 0.004, 2000) + 0.3 * np.exp(-np.arange(2000) / 30)
    ids = [synthetic(store, tiny("bce", "bernoulli", name="to zero"), decaying(2000, 0.0, 2) + 1e-4, floor=0.0),
           synthetic(store, tiny("bce", name="along its floor"), hugging, floor=0.5054)]
    plot = shown_comparison(qtbot, store, ids, 1000, 450)
    vb = plot.plot_item.vb
    lines = [line for lines in plot._floor_lines.values() for line in lines
             if line.isVisible() and hasattr(line, "label") and line.label.isVisible()]
    assert lines
    # And the run along the line is drawn over it: under the dashed line it looked missing.
    assert all(line.zValue() < curve.zValue() for line in lines for curve in plot.curves)
    for line in lines:
        y = vb.mapViewToScene(QtCore.QPointF(0, line.value())).y()
        rect = line.label.sceneBoundingRect()
        assert rect.top() - 2 <= y <= rect.bottom() + 2, (line.label.format, y, rect.getRect())
    store.close()
