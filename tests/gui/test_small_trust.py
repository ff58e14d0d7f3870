"""Issue 12's smaller points: Grid-tab runs, pause time, the table while paused, date and notes, file runs,
Help, the grid's x per column and its cheap validation, and refusals said once and wrapped."""

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from aegui.core.data import data as data_mod
from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig, with_changes
from aegui.core.floors.floors import Floor
from aegui.gui.run import run_status
from aegui.gui.window import help_menu
from aegui.gui.grid.dialog import GridDialog
from aegui.gui.grid.figure import GridView
from aegui.gui.results import COLUMNS, ResultsPane
from aegui.gui.results_model import TITLES

TINY = RunConfig(name="tiny", data=DataConfig(samples=512), training=TrainingConfig(batch_size=64, epochs=2, tol=0.0))


def test_run_from_the_grid_tab_shows_the_live_plot(qtbot, window):
    window.ui.tabs.setCurrentWidget(window.grid_panel)
    window.panels.set_config(TINY)
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000):
        assert window.start_run()
    assert window.ui.tabs.currentIndex() == 0 and window.ui.recon_tabs.isVisible()


def test_pause_time_is_left_out_and_the_first_eta_waits(qtbot, monkeypatch):
    bar = QtWidgets.QStatusBar()
    qtbot.addWidget(bar)
    status = run_status.RunStatus(bar)
    status.start(10, 100)
    status._show(20, 0.5)
    assert status.eta.text() == "ETA …"  # not a number from the start-up's rate
    status._show(100, 2.0)
    assert status.eta.text() == "ETA 0:18" and status.rate.text() == "50 batches/s"
    clock = [1000.0]
    monkeypatch.setattr(run_status.time, "monotonic", lambda: clock[0])
    status.set_paused(True)
    assert status.eta.text() == "paused"
    clock[0] += 5.0
    status.set_paused(False)
    status._show(200, 4.0)  # the stream's clock leaves the 5 s pause out (stream.RunStream.paused_s)
    assert status.elapsed.text() == "elapsed 0:04" and status.rate.text() == "50 batches/s"


def test_the_table_says_paused_and_shows_date_and_notes(qtbot, data_dir):
    pane = ResultsPane(str(data_dir))
    qtbot.addWidget(pane)
    run_id = pane.store.create_run(TINY, device="cpu", floors=[Floor("model", 0.0, "exact", "test")])
    pane.store.set_notes(run_id, "first try\nlr too high")
    pane.refresh()
    model = pane.model
    cell = lambda title: model.data(model.index(0, TITLES.index(title)))  # noqa: E731
    assert cell("status") == "running"
    pane.mark_paused(run_id, True)
    assert cell("status") == "paused"
    pane.mark_paused(None, False)
    assert cell("status") == "running"
    assert cell("notes") == "first try lr too high" and cell("date")[:2] == "20"
    assert TITLES[-1] == "notes"


def test_a_file_run_shows_the_files_name_and_width(tmp_path):
    data_column = dict((c[0], c[1]) for c in COLUMNS)["data"]
    row = type("Row", (), {"config": with_changes(TINY, **{"data.kind": "file", "data.file": str(tmp_path / "mine.csv"),
                                                           "data.features": 7})})()
    assert data_column(row) == "mine.csv ×7"


def test_help_links_the_answer_lists_shortcuts_and_tours_the_experiments(qtbot, window, monkeypatch):
    opened = []
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    window.help_menu.answer.trigger()
    assert opened == ["https://stats.stackexchange.com/a/441767"]
    box = help_menu.show_shortcuts(window)
    assert "Ctrl+R" in box.text() and "Ctrl+G" in box.text() and "Run" in box.text()
    box.close()
    tour = help_menu.show_tour(window)
    assert tour.list.count() == len(window.panels.presets)
    assert tour.list.item(1).text().startswith("2. Sigmoid, BCE, uniform")
    tour.list.setCurrentRow(1)
    tour.load()
    assert window.panels.config().loss.kind == "bce" and "0.5 nats" in window.ui.claim.text()
    tour.close()


def test_the_grid_x_axis_goes_per_column(qtbot):
    view = GridView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    short, long = np.geomspace(1, 1e-6, 100), np.full(2000, 0.5)
    view.set_cells([{"loss": "mse", "data": "uniform", "losses": short}, {"loss": "mse", "data": "bernoulli", "losses": long},
                    {"loss": "bce", "data": "uniform", "losses": short}, {"loss": "bce", "data": "bernoulli", "losses": long}])
    view.redraw()
    ranges = [c.plot.vb.viewRange()[0][1] for c in view.cells]
    assert ranges[0] == ranges[2] < 200 and ranges[1] == ranges[3] > 1900


def test_the_grid_dialog_validates_without_building_data(qtbot, monkeypatch):
    def never(*_a, **_k):
        raise AssertionError("the grid dialog generated data")
    monkeypatch.setattr(data_mod, "generate", never)
    big = with_changes(TINY, **{"data.samples": 2_000_000, "data.features": 20})
    timer = QtCore.QElapsedTimer()
    timer.start()
    dialog = GridDialog(big)
    qtbot.addWidget(dialog)
    for box in dialog.data_boxes.values():
        box.setChecked(True)
    assert timer.elapsed() < 1000 and len(dialog.cells) == 8
    refused = [c for c in dialog.cells if c.refused]
    assert refused and refused[0].refused.startswith("loss 'bce' needs targets in [0, 1]")  # said once
    assert dialog.cell_list.wordWrap()
    assert dialog.cell_list.horizontalScrollBarPolicy() == QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff


def test_a_refused_toggle_says_its_reason_once(window):
    window.panels.set_config(TINY)
    window.apply_toggle("loss.kind", "bce")
    assert not window.apply_toggle("data.kind", "gaussian")
    assert window.last_message.count("data.kind") == 1 and "[0, 1]" in window.last_message


def test_inline_errors_get_their_full_height(qtbot, window):
    field = window.panels.fields["data.features"]
    field.widget.setValue(0)
    qtbot.waitUntil(lambda: field.error.isVisible())
    qtbot.waitUntil(lambda: field.error.height() >= field.error.heightForWidth(field.error.width()))


def test_a_slow_pace_reads_right():
    from aegui.core.engine.pace import rate_text
    assert rate_text(4431.2) == "4,431 batches/s" and rate_text(12.4) == "12 batches/s"
    assert rate_text(1.0) == "1.0 batches/s"  # was "1 batches/s"
    assert rate_text(0.25) == "4.0 s/batch"  # was "0 batches/s"
    assert rate_text(0.0) == "" and rate_text(float("nan")) == ""
