"""The comparison's hover readout names the run under the mouse, on every panel, with its unit."""

import math

from PySide6 import QtCore


def _point_on(plot, pi, run_index: int, at: int):
    """Viewport coordinates (of pi's widget) of run_index's drawn point `at`."""
    xs, ys, shift = plot._runs_items[run_index].hover
    y = float(plot.shifted(ys[at:at + 1], shift)[0])
    scene = pi.vb.mapViewToScene(QtCore.QPointF(float(xs[at]), math.log10(y) if plot.log else y))
    widget = plot.plot_widget if pi is plot.plot_item else next(
        w for w in plot.extra_panels.values() if w.getPlotItem() is pi)
    return widget, widget.mapFromScene(scene), float(xs[at]), y


def test_the_readout_names_the_nearest_run_its_batch_and_unit_on_each_panel(qtbot, tmp_path):
    from aegui.core.store.store import RunStore
    from tests.gui.fixtures_runs import decaying, shown_comparison, synthetic, tiny
    store = RunStore.open(tmp_path / "hover")
    ids = [synthetic(store, tiny("mse", name="the mse run"), decaying(400, 0.0) + 1e-3, floor=0.0),
           synthetic(store, tiny("bce", name="the bce run"), decaying(300, 0.5004) + 0.2, floor=0.5004),
           synthetic(store, tiny("mse", name="a lower mse run"), decaying(400, 0.0, 1) * 0.01 + 1e-4, floor=0.0)]
    plot = shown_comparison(qtbot, store, ids, 800, 600)
    bce_panel = next(iter(plot.extra_panels.values())).getPlotItem()
    for index, pi, name, unit in ((0, plot.plot_item, "#1 the mse run", "MSE"),
                                  (2, plot.plot_item, "#3 a lower mse run", "MSE"),
                                  (1, bce_panel, "#2 the bce run", "nats")):
        widget, pos, x, y = _point_on(plot, pi, index, 150)
        qtbot.mouseMove(widget.viewport(), pos)
        qtbot.waitUntil(lambda name=name: plot.readout.text().startswith(name))
        text = plot.readout.text()
        assert f"batch {round(x):,}" in text and unit in text, text
        shown = float(text.split(" · loss ")[1].split()[0])
        assert math.isclose(shown, y, rel_tol=1e-4), text  # its value at the mouse, not another run's
    assert plot.run_at(bce_panel, 1e9, 0.0) is None  # past the end of every run: the plain x and y
    store.close()


def test_a_change_of_view_clears_the_readout(qtbot, tmp_path):
    from aegui.core.store.store import RunStore
    from tests.gui.fixtures_runs import decaying, shown_comparison, synthetic, tiny
    store = RunStore.open(tmp_path / "stale")
    run = synthetic(store, tiny("bce", name="a bce run"), decaying(300, 0.5004) + 0.01, floor=0.5004)
    plot = shown_comparison(qtbot, store, [run], 800, 500)
    widget, pos, _, _ = _point_on(plot, plot.plot_item, 0, 100)
    qtbot.mouseMove(widget.viewport(), pos)
    qtbot.waitUntil(lambda: " · loss " in plot.readout.text())
    plot.set_excess(True)  # the value under the mouse is now another number: the old one must not stay
    assert plot.readout.text().strip() == ""
    qtbot.mouseMove(widget.viewport(), QtCore.QPoint(pos.x() + 1, pos.y()))
    qtbot.waitUntil(lambda: " · excess " in plot.readout.text())
    store.close()


def test_away_from_every_run_the_readout_says_so_in_whole_batches_and_the_unit(qtbot, tmp_path):
    from aegui.core.store.store import RunStore
    from tests.gui.fixtures_runs import decaying, shown_comparison, synthetic, tiny
    store = RunStore.open(tmp_path / "away")
    ids = [synthetic(store, tiny("mse", name="short"), decaying(100, 0.0) + 1e-3, floor=0.0),
           synthetic(store, tiny("bce", name="long"), decaying(400, 0.5004) + 0.01, floor=0.5004)]
    plot = shown_comparison(qtbot, store, ids, 800, 600)
    below = next(iter(plot.extra_panels.values())).getPlotItem()  # nats: the first run's MSE has the main one
    text = plot._plain_at(plot.plot_item, 250.4, -1.0)  # the MSE panel, past its 100-batch run
    assert text.startswith("batch 250 · loss 0.1 MSE") and "no run" in text, text
    assert plot.run_at(plot.plot_item, 250.4, -1.0) is None
    assert plot.run_at(below, 250.4, -1.0).startswith("#2 long")  # the 400-batch run below spans it
    assert plot._plain_at(plot.plot_item, -33.9, 0.0).strip() == ""  # left of the first batch: nothing
    store.close()
