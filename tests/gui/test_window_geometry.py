"""The window never clips: every part inside it at 1280×800 and 1600×1000, a small minimum width, hover and
Pause leave the layout alone, the data card shows whole, banners keep their height."""

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from aegui.core.config import config as cfg
from aegui.gui.window.layout import size_parts

SIZES = [(1280, 800), (1600, 1000)]


def _inside(window) -> list[str]:
    """Visible widgets whose rect leaves the window's (scroll areas' contents excepted: they scroll)."""
    frame = window.rect()
    out = []
    for child in window.findChildren(QtWidgets.QWidget):
        if not child.isVisible() or child.isWindow() or _scrolled(child, window):
            continue
        top_left = child.mapTo(window, QtCore.QPoint(0, 0))
        rect = QtCore.QRect(top_left, child.size())
        if not frame.contains(rect):
            out.append(f"{type(child).__name__} {child.objectName()} {rect}")
    return out


def _scrolled(widget, window) -> bool:
    w = widget.parentWidget()
    while w is not None and w is not window:
        if isinstance(w, QtWidgets.QAbstractScrollArea) and w.viewport().isAncestorOf(widget):
            return True
        w = w.parentWidget()
    return False


@pytest.mark.parametrize("size", SIZES)
def test_every_part_is_inside_the_window(qtbot, window, size):
    size_parts(window, *size)
    qtbot.waitUntil(lambda: window.size() == QtCore.QSize(*size))
    window.recon.show_reconstruction(np.random.rand(50, 4), np.random.rand(50, 4), np.random.rand(50, 1), "mse")
    QtWidgets.QApplication.processEvents()
    assert _inside(window) == []
    assert window.minimumSizeHint().width() <= 1280 and window.minimumSizeHint().height() <= 800
    # the reconstruction's plot titles fit their plots
    for plot in (window.recon.main, window.recon.code_widget):
        title = plot.getPlotItem().titleLabel
        assert title.item.boundingRect().width() <= plot.getPlotItem().vb.width() + 1


def test_the_window_can_shrink_well_below_1280(window):
    assert window.minimumSizeHint().width() <= 820  # was 1,399 px: at 2× a 1600-px screen is 800 wide


def test_save_comparison_is_on_the_toolbar_at_1280(qtbot, window):
    size_parts(window, 1280, 800)
    button = window.toolbar.widgetForAction(window.acts.save)
    qtbot.waitUntil(lambda: button.isVisible())
    assert window.toolbar.rect().contains(QtCore.QRect(button.mapTo(window.toolbar, QtCore.QPoint(0, 0)),
                                                       button.size()))


def test_a_hover_readout_does_not_move_the_splitters(qtbot, window):
    size_parts(window, 1280, 800)
    QtWidgets.QApplication.processEvents()
    before = [getattr(window.ui, n).sizes() for n in ("main_split", "top_split", "right_split")]
    window.live.readout.setText("batch 123,456 · loss 1.234567e-05 · recent mean 1.2e-05 · " * 4)
    QtWidgets.QApplication.processEvents()
    assert [getattr(window.ui, n).sizes() for n in ("main_split", "top_split", "right_split")] == before
    window.ui.top_split.setSizes([500, 500])  # dragging the splitter works both ways
    QtWidgets.QApplication.processEvents()
    assert window.ui.top_split.sizes()[1] >= 450


def test_pause_resume_keeps_the_toolbar_still(qtbot, window):
    QtWidgets.QApplication.processEvents()
    grid = window.toolbar.widgetForAction(window.acts.grid)
    x = grid.x()
    window.acts.pause.setText("Resume")
    QtWidgets.QApplication.processEvents()
    assert grid.x() == x


def test_the_banner_height_does_not_follow_its_text(qtbot, window):
    size_parts(window, 1280, 800)
    QtWidgets.QApplication.processEvents()
    top = window.live.mapTo(window, QtCore.QPoint(0, 0)).y()
    window.ui.claim.setText("short")
    QtWidgets.QApplication.processEvents()
    window.ui.claim.setText("a much longer claim that wraps onto many lines " * 12)
    QtWidgets.QApplication.processEvents()
    assert window.live.mapTo(window, QtCore.QPoint(0, 0)).y() == top


@pytest.mark.parametrize("shape, kind, tail", [((2000, 16), "uniform", "k=6"), ((500, 3), "gaussian", "rescale")])
def test_the_data_card_shows_whole(qtbot, window, tmp_path, shape, kind, tail):
    size_parts(window, 1280, 800)
    rng = np.random.default_rng(0)
    path = tmp_path / "d.csv"
    np.savetxt(path, rng.random(shape) if kind == "uniform" else rng.normal(size=shape), delimiter=",")
    card = window.panels.data_card
    with qtbot.waitSignal(card.sigCard, timeout=10_000):
        window.panels.set_config(cfg.with_changes(cfg.RunConfig(), **{"data.kind": "file", "data.file": str(path)}))
    assert tail in card.text()
    qtbot.waitUntil(lambda: card.height() >= card.heightForWidth(card.width()))
    assert card.height() >= card.heightForWidth(card.width()) > 4 * card.fontMetrics().lineSpacing()


def test_a_low_narrow_live_plot_shortens_its_label_and_legend(qtbot, make_live_plot):
    plot = make_live_plot({"floor": 0.5, "floor_exact": True, "label": "linear mse file", "batches_per_epoch": 10})
    plot.unit = "mean squared error"
    plot.resize(900, 600)
    qtbot.waitUntil(lambda: plot.plot_widget.height() > 400)
    plot._update_labels()
    assert "mean squared error" in plot.plot_item.getAxis("left").labelText
    plot.resize(420, 220)  # the live pane at 2× in a 1280 × 800 window
    qtbot.waitUntil(lambda: plot.plot_widget.height() < 200)
    assert "mean squared error" not in plot.plot_item.getAxis("left").labelText
    assert plot.legend.layout.preferredWidth() <= plot._legend_room()


def _compare_mse_and_bce(window) -> list[int]:
    """Store MSE and BCE runs of different lengths and select them all for the comparison."""
    from tests.gui.fixtures_runs import decaying, synthetic, tiny
    store = window.results.store
    ids = [synthetic(store, tiny("mse"), decaying(800, 0.0) + 1e-3, floor=0.0),
           synthetic(store, tiny("bce"), decaying(2400, 0.5004), floor=0.5004),
           synthetic(store, tiny("mse"), decaying(300, 0.0, 1) + 1e-4, floor=0.0),
           synthetic(store, tiny("bce", "bernoulli"), decaying(1200, 0.0, 2) + 1e-3, floor=0.0)]
    window.results.refresh()
    window.results.select_runs(ids)
    window.ui.tabs.setCurrentWidget(window.comparison)
    return ids


def _panels(window) -> list[tuple[float, str, bool, float]]:
    """Each comparison panel: its plot's height, its y label, whether the label shows, and the label's width."""
    from PySide6 import QtGui
    out = []
    for pi in window.comparison.panel_items():
        axis = pi.getAxis("left")
        font = QtGui.QFont()
        font.setPointSizeF(11 if pi is window.comparison.plot_item else 9.5)
        width = QtGui.QFontMetricsF(font).horizontalAdvance(axis.labelText)
        out.append((pi.vb.height(), axis.labelText, axis.label.isVisible(), width))
    return out


def test_the_comparisons_unit_panels_keep_their_height_at_1280_by_800(qtbot, window):
    from aegui.gui.plots.comparison_plot import MIN_PANEL
    size_parts(window, 1280, 800)
    _compare_mse_and_bce(window)
    qtbot.waitUntil(lambda: len(window.comparison.panel_items()) == 2)
    QtWidgets.QApplication.processEvents()
    panels = _panels(window)
    for height, label, shown, width in panels:
        assert height >= MIN_PANEL - 1  # was 0 for the top panel: its curves could not be seen
        assert not shown or width <= height + 1, label  # a label shows whole or not at all (it was cut to "SE)")
    assert [p[1] for p in panels] == ["loss (nats)", "loss (MSE)"]
    assert all(p[2] for p in panels)
    # In its own tab both units' panels and the legend fit whole; beside the table they were scrolled to.
    assert window.comparison.panel_scroll.verticalScrollBar().maximum() == 0
    assert window.comparison.legend.isVisible()
    legend = window.comparison.legend.sceneBoundingRect()
    assert legend.bottom() <= window.comparison.plot_widget.height()


SCALED = """
import json, sys, tempfile
from PySide6 import QtCore, QtWidgets
from aegui.gui.app import make_app
app = make_app([])
for fmt in (QtCore.QSettings.Format.NativeFormat, QtCore.QSettings.Format.IniFormat):
    QtCore.QSettings.setPath(fmt, QtCore.QSettings.Scope.UserScope, tempfile.mkdtemp())
from aegui.gui.window.main_window import MainWindow
from aegui.gui.window.layout import size_parts
from tests.gui.test_window_geometry import _compare_mse_and_bce, _panels
window = MainWindow(data_dir=tempfile.mkdtemp())
window.show()
size_parts(window, 1280, 800)
_compare_mse_and_bce(window)
for _ in range(50):
    app.processEvents()
print(json.dumps({"dpr": window.devicePixelRatioF(), "panels": _panels(window)}))
window.close()
"""


def test_at_2x_the_comparisons_unit_panels_keep_their_height(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    from aegui.gui.plots.comparison_plot import MIN_PANEL
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2", "PYTHONPATH": str(root),
           "AEGUI_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SCALED], capture_output=True, text=True, env=env, cwd=root,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["dpr"] == 2.0
    assert len(seen["panels"]) == 2
    for height, _label, shown, width in seen["panels"]:
        assert height >= MIN_PANEL - 1, seen
        assert shown and width <= height + 1, seen


def test_runs_picked_in_the_table_open_the_compare_tab_and_a_runs_end_does_not(qtbot, window):
    """Ctrl-clicking a second run in the table shows the Compare tab (its label counts the runs, and the
    reconstruction makes room); a selection the window makes itself leaves the live plot where it is."""
    from PySide6 import QtCore
    from tests.gui.fixtures_runs import decaying, synthetic, tiny
    size_parts(window, 1280, 800)
    store = window.results.store
    for name in ("a", "b", "c"):
        synthetic(store, tiny("mse", name=name), decaying(300, 0.0) + 1e-3, floor=0.0)
    window.results.refresh()
    tabs, view = window.ui.tabs, window.results.view
    assert tabs.currentIndex() == 0
    window.results.select_runs([r.run_id for r in store.list_runs()][:2])  # not the user's doing
    assert tabs.currentIndex() == 0 and tabs.tabText(tabs.indexOf(window.comparison)) == "Compare (2)"
    view.clearSelection()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    def click(row: int, modifier=QtCore.Qt.KeyboardModifier.NoModifier) -> None:
        rect = view.visualRect(view.model().index(row, 0))
        qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, modifier, rect.center())
    click(0)
    assert tabs.currentIndex() == 0  # one run: perhaps to rename or delete it
    click(2, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentWidget() is window.comparison and len(window.comparison.runs) == 2
    assert tabs.tabText(tabs.currentIndex()) == "Compare (2)"
    assert not window.ui.recon_tabs.isVisible()
    tabs.setCurrentIndex(0)
    assert window.ui.recon_tabs.isVisible()
    view.clearSelection()
    assert tabs.tabText(tabs.indexOf(window.comparison)) == "Compare"


def test_in_excess_mode_each_panels_y_label_shows_whole_with_its_unit(qtbot, window):
    """At 1280 × 800 the stacked panels cut '− model floor (nats)' to '− model floor (na': a label that does not
    fit takes a shorter form that keeps the unit, or none at all."""
    from aegui.gui.plots.plot_base import LABEL_ENDS_PX
    size_parts(window, 1280, 800)
    _compare_mse_and_bce(window)
    window.comparison.set_excess(True)
    qtbot.waitUntil(lambda: len(window.comparison.panel_items()) == 2)
    QtWidgets.QApplication.processEvents()
    panels = _panels(window)
    for (height, label, shown, width), unit in zip(panels, ("(nats)", "(MSE)")):
        assert shown and label.endswith(unit), panels
        assert not label.startswith("−"), panels  # '− model floor (nats)' read as a negative floor
        assert width + LABEL_ENDS_PX <= height + 1, panels
    for pi in window.comparison.panel_items():  # and drawn where it fits: centred on its panel, not where a
        text = pi.getAxis("left").label          # longer text was
        box, view = text.mapRectToScene(text.boundingRect()), pi.vb.sceneBoundingRect()
        assert view.top() - 6 <= box.top() and box.bottom() <= view.bottom() + 6, (box.getRect(), view.getRect())


def test_the_standing_hint_to_select_runs_goes_once_runs_are_selected(qtbot, window):
    from aegui.gui.run.run_view import COMPARE_IDLE_HINT
    from tests.gui.fixtures_runs import decaying, synthetic, tiny
    window.idle("Finished: 3 epochs; final loss 0.5." + COMPARE_IDLE_HINT)
    run_id = synthetic(window.results.store, tiny("mse", name="a"), decaying(100, 0.0) + 1e-3, floor=0.0)
    window.results.refresh()
    window.results.select_runs([run_id])
    assert window.ui.idle_label.text() == "Finished: 3 epochs; final loss 0.5."
