"""Issue 12: the wheel, the banner, ghosts of earlier runs, and the x axis after a zoom."""

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig, with_changes
from aegui.gui.banner import banner_html, expected_floor, sig3
from aegui.gui.plots.ghosts import MAX_GHOSTS

TINY = RunConfig(name="tiny", data=DataConfig(samples=512), training=TrainingConfig(batch_size=64, epochs=2, tol=0.0))


def wheel(widget, dy=-120):
    """Send one wheel notch (down by default) to widget, at its centre."""
    pos = QtCore.QPointF(widget.width() / 2, widget.height() / 2)
    event = QtGui.QWheelEvent(pos, widget.mapToGlobal(pos), QtCore.QPoint(), QtCore.QPoint(0, dy),
                              QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier,
                              QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_panels_and_edits_no_field_without_focus(qtbot, window):
    window.resize(1280, 600)  # short enough that the panel column scrolls
    scroll = window.ui.main_split.widget(0)
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0)
    loss, features = window.panels.fields["loss.kind"].widget, window.panels.fields["data.features"].widget
    before = window.panels.config()
    for field in (loss, features):
        assert field.focusPolicy() == QtCore.Qt.FocusPolicy.StrongFocus
        wheel(field)
    assert window.panels.config() == before
    assert scroll.verticalScrollBar().value() > 0  # the wheel went on to the scroll area
    features.setFocus()
    qtbot.waitUntil(features.hasFocus)
    wheel(features, dy=120)
    assert window.panels.config().data.features == before.data.features + 1  # focused: the wheel edits


def test_the_banner_follows_the_config_not_the_preset(qtbot, window):
    window.panels.apply_preset("linear-mse-uniform")
    assert "Linear, MSE, uniform" in window.ui.claim.text() and "toward zero" in window.ui.claim.text()
    window.apply_toggle("loss.kind", "bce")
    text = window.ui.claim.text()
    assert "toward zero" not in text and "0.5 nats" in text and "changed since" not in text
    window.apply_toggle("data.kind", "bernoulli")
    assert "almost zero" in window.ui.claim.text()
    window.panels.apply_preset("linear-mse-uniform")
    window.panels.fields["optimizer.lr"].widget.setText("0.02")
    window.panels.fields["optimizer.lr"].widget.setText(repr(0.01))  # back to the exact preset
    assert "Linear, MSE, uniform" in window.ui.claim.text()


def test_expected_floors_and_three_significant_digits():
    bottleneck = with_changes(RunConfig(), **{"data.features": 4, "model.encoding_dim": 2})
    assert abs(expected_floor(bottleneck).value - 1 / 24) < 1e-12
    assert "0.0417" in banner_html(bottleneck)
    assert sig3(2.986e-05) == "2.99e-05" and sig3(0.5004) == "0.5" and sig3(0.0) == "0"
    file_run = with_changes(RunConfig(), **{"data.kind": "file", "data.file": "/tmp/x/mine.csv", "loss.kind": "bce",
                                            "model.output": "sigmoid"})
    assert "mine.csv" in banner_html(file_run) and expected_floor(file_run).value is None


def run_to_end(qtbot, window, config):
    window.panels.set_config(config)
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000):
        assert window.start_run()


def test_earlier_runs_stay_as_labelled_ghosts_last_three_or_pinned(qtbot, window):
    names = []
    for loss, data in (("mse", "uniform"), ("bce", "uniform"), ("bce", "bernoulli")):
        config = with_changes(TINY, name="", **{"loss.kind": loss, "data.kind": data,
                                                "model.output": "sigmoid" if loss == "bce" else "identity"})
        run_to_end(qtbot, window, config)
        names.append(config.label())
    ghosts = window.live.ghosts
    assert [g.name for g in ghosts.ghosts] == names[:2]  # the running (last) one is live, not a ghost
    curves = [c for c, _ in ghosts._items]
    assert all(c.isVisible() and len(c.getData()[0]) > 0 for c in curves)
    labels = [t.toPlainText() for _, t in ghosts._items]
    assert labels[0].startswith(f"#1 {names[0]}") and labels[1].startswith(f"#2 {names[1]}")
    ghosts.pin(0)
    for _ in range(MAX_GHOSTS + 1):
        run_to_end(qtbot, window, TINY)
    assert len(ghosts.ghosts) == MAX_GHOSTS + 1 and ghosts.ghosts[0].name == names[0]  # pinned one kept
    assert [g.name for g in ghosts.ghosts[1:]] == ["tiny", "tiny (2)", "tiny (3)"]  # repeated runs: unique names


def test_ghosts_follow_the_x_axis_and_excess(make_live_plot):
    plot = make_live_plot({"floor": 0.5, "floor_exact": True, "label": "first", "batches_per_epoch": 10,
                           "loss": "bce", "run_id": 7})
    n = 100
    plot.append(np.arange(n), 0.5 + np.linspace(0.4, 0.01, n), np.linspace(0, 2, n), np.arange(n) // 10)
    plot.flush()
    plot.start_run({"floor": 0.0, "floor_exact": True, "label": "second", "batches_per_epoch": 10, "loss": "mse"})
    (curve, text), = plot.ghosts._items
    assert curve.getData()[0][-1] == n - 1 and "#7 first" in text.toPlainText()
    plot.set_x_axis("epoch")
    assert abs(curve.getData()[0][-1] - n / 10) < 1e-9
    plot.set_log(False)
    plot.set_excess(True)
    assert 0 < curve.getData()[1][-1] < 0.2  # loss − the ghost's own floor (the loss itself is ~0.6)


def test_zoom_then_switching_the_x_axis_keeps_the_zoom(make_live_plot):
    plot = make_live_plot({"floor": 0.0, "floor_exact": True, "label": "zoom", "batches_per_epoch": 100})
    n = 5000
    plot.append(np.arange(n), np.linspace(1, 0.01, n), np.linspace(0, 10, n), np.arange(n) // 100)
    plot.flush()
    plot.plot_item.vb.setXRange(100, 300, padding=0)  # zoomed in, in batches
    plot.redraw()
    plot.set_x_axis("epoch")
    lo, hi = plot.plot_item.vb.viewRange()[0]
    assert lo == pytest.approx(1.01, abs=0.02) and hi == pytest.approx(3.01, abs=0.02)  # the same batches
    for curve in (plot.raw_curve, plot.recent_curve):
        x = curve.getData()[0]
        assert x[0] <= lo + 0.02 and x[-1] >= hi - 0.02  # the curves fill the kept range
    plot.set_x_axis("seconds")
    lo, hi = plot.plot_item.vb.viewRange()[0]
    assert lo == pytest.approx(0.2, abs=0.02) and hi == pytest.approx(0.6, abs=0.02)


def test_at_1280x800_the_live_plot_gets_700x300(qtbot, window):
    from aegui.gui.window.layout import size_parts
    size_parts(window, 1280, 800)
    run_to_end(qtbot, window, TINY)  # with the banner and the "Why not zero?" line under the plot
    area = window.live.stack  # the plot, or the hint that stands in for it until a run starts
    qtbot.waitUntil(lambda: area.width() >= 700 and area.height() >= 300)


def test_at_1280x800_the_why_not_zero_answer_shows_whole(qtbot, window):
    # The answer is what the app is for: at 2 lines its third ('…is left to / the optimizer') was under a scroll bar.
    from aegui.gui.window.layout import size_parts
    size_parts(window, 1280, 800)
    run_to_end(qtbot, window, TINY)
    why = window.ui.why
    box = why.parentWidget().parentWidget()  # the scroll area that holds it at a fixed height
    metrics = why.fontMetrics()
    width = why.contentsRect().width()
    words = ("Of 0.5054 nats, 0.5004 is the data's entropy (no model can do better), 0.004957 is what an affine "
             "+ sigmoid model cannot fit, and 5.337e-05 is left to the optimizer. " * 4).split()
    text = "Why not zero?"
    for word in words:  # the answer as long as three lines of this label hold, whatever the font
        longer = f"{text} {word}"
        if metrics.boundingRect(0, 0, width, 10_000, int(QtCore.Qt.TextFlag.TextWordWrap), longer).height() > \
                3 * metrics.lineSpacing():
            break
        text = longer
    why.setText(text)
    qtbot.waitUntil(lambda: box.viewport().height() >= why.heightForWidth(why.width()))  # no part under a scroll
    assert window.live.stack.height() >= 300


def test_the_reconstruction_header_wraps_instead_of_being_cut(qtbot, window):
    window.recon.show_reconstruction(np.random.rand(50, 2), np.random.rand(50, 2), None, "bce")
    label = window.recon.readout
    assert label.wordWrap() and label.height() >= 2 * label.fontMetrics().lineSpacing()


def test_log_ticks_on_a_short_narrow_axis_do_not_pile_up(make_live_plot):
    plot = make_live_plot({"floor": 0.5, "floor_exact": True, "label": "narrow", "batches_per_epoch": 10})
    axis = plot.plot_item.getAxis("left")
    axis.resize(60, 80)
    axis.setRange(np.log10(0.19), np.log10(0.95))
    values = np.log10([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    shown = [s for s in axis.logTickStrings(values, 1.0, None) if s]  # pyqtgraph: None for the 2…9 level
    room = 80 / (2 * QtGui.QFontMetrics(axis.style["tickFont"] or QtGui.QFont()).height())
    assert 1 <= len(shown) <= max(2, int(room))


def test_log_decade_labels_go_in_even_steps_that_fit(make_live_plot):
    plot = make_live_plot({"floor": 0.0, "floor_exact": True, "label": "deep", "batches_per_epoch": 10})
    axis = plot.plot_item.getAxis("left")
    axis.resize(60, 150)
    axis.setRange(-12, 0)
    shown = [round(v) for v, s in zip(range(-12, 1), axis.logTickStrings(list(range(-12, 1)), 1.0, 1.0)) if s]
    steps = {b - a for a, b in zip(shown, shown[1:])}
    assert len(steps) == 1 and len(shown) <= 150 / (2 * QtGui.QFontMetrics(QtGui.QFont()).height()) + 1


def test_the_earlier_runs_menu_pins_hides_and_clears(make_live_plot):
    from aegui.gui.plots.ghosts import fill_ghost_menu
    plot = make_live_plot({"floor": 0.0, "floor_exact": True, "label": "one", "batches_per_epoch": 10})
    for label in ("two", "three"):
        plot.append(np.arange(50), np.linspace(1, 0.1, 50), np.linspace(0, 1, 50), np.arange(50) // 10)
        plot.start_run({"floor": 0.0, "floor_exact": True, "label": label, "batches_per_epoch": 10})
    menu = QtWidgets.QMenu()
    fill_ghost_menu(menu, plot.ghosts)
    actions = {a.text().split(" · ")[0]: a for a in menu.actions() if a.text()}
    assert "Pin one" in actions and "Pin two" in actions
    actions["Pin one"].trigger()
    assert plot.ghosts.ghosts[0].pinned and "pinned" in plot.ghosts._items[0][1].toPlainText()
    actions["Show earlier runs"].trigger()
    assert not plot.ghosts._items[0][0].isVisible()
    actions["Clear earlier runs"].trigger()
    assert plot.ghosts.ghosts == [] and plot.ghosts._items == []


def test_a_ghost_label_never_covers_a_floor_label(make_live_plot, qtbot):
    import pyqtgraph as pg
    plot = make_live_plot({"floor": 0.0, "floor_exact": True, "label": "fast mse", "batches_per_epoch": 10})
    plot.resize(700, 300)
    n = 80
    plot.append(np.arange(n), np.geomspace(1, 2e-12, n), np.linspace(0, 1, n), np.arange(n) // 10)
    plot.start_run({"floor": None, "label": "next", "batches_per_epoch": 10})
    end = float(plot.ghosts.ghosts[0].y[-1])  # the floor's label hangs just where the ghost's label would go
    plot.start_run({"floors": [{"name": "model", "value": end * 1.5, "claim": "exact", "basis": "solved"}],
                    "label": "slow", "batches_per_epoch": 10})  # the ghost's unit: it shares this axis
    m = 1000
    plot.append(np.arange(m), np.geomspace(1, 1e-5, m), np.linspace(0, 2, m), np.arange(m) // 10)
    plot.flush()
    qtbot.wait(50)
    plot.redraw()
    (_, text), = plot.ghosts._items[:1]
    floors = [i.label.sceneBoundingRect() for i in plot.plot_item.items
              if isinstance(i, pg.InfiniteLine) and i.isVisible() and getattr(i, "label", None) is not None]
    assert floors and not any(text.sceneBoundingRect().intersects(f) for f in floors)
    assert plot.plot_item.vb.sceneBoundingRect().contains(text.sceneBoundingRect())


def test_what_to_try_is_not_modal_and_follows_the_preset_list(qtbot, window):
    tour = window.help.show_tour() if hasattr(window, "help") else None
    if tour is None:
        from aegui.gui.window.help_menu import show_tour
        tour = show_tour(window)
    qtbot.addWidget(tour)
    assert tour.isVisible() and not tour.isModal()  # the toolbar's Rerun on toggle stays reachable
    keys = [tour.list.item(i).data(0x0100) for i in range(tour.list.count())]
    assert keys == list(window.panels.presets)


def test_the_banner_says_features_and_plurals_in_words():
    from aegui.core.config.config import RunConfig, with_changes
    from aegui.gui.banner import banner_html
    text = banner_html(with_changes(RunConfig(), **{"data.features": 2}))
    assert "uniform, 2 features" in text and "×" not in text
    one = with_changes(RunConfig(), **{"data.kind": "redundant", "data.features": 4, "model.encoding_dim": 1})
    assert "1 factor fit" in banner_html(one) and "factor(s)" not in banner_html(one)
    zero = with_changes(RunConfig(), **{"training.tol": 0.0})
    assert "stops the run there" not in banner_html(zero)


def test_a_log_axis_under_a_decade_labels_at_least_two_ticks(make_live_plot):
    # A stacked nats panel of 0.45 to 0.92 labelled only '0.5': no scale to read a value by.
    plot = make_live_plot({"floor": 0.5, "floor_exact": True, "label": "short", "batches_per_epoch": 10})
    axis = plot.plot_item.getAxis("left")
    axis.resize(60, 110)
    axis.setRange(np.log10(0.45), np.log10(0.92))
    values = np.log10([0.5, 0.6, 0.7, 0.8, 0.9])
    shown = [s for s in axis.logTickStrings(values, 1.0, None) if s]
    room = 110 / (2 * QtGui.QFontMetrics(axis.style["tickFont"] or QtGui.QFont()).height())
    assert 2 <= len(shown) <= max(2, int(room)), shown
