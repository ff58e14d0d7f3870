"""Open figure: list the runs a saved figure carries, rerun one, clear messages for other files, drag and drop."""

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from aegui.core.store.store import RunStore
from aegui.gui.figures.export import save_comparison
from aegui.gui.figures.open_figure import FigureDialog, FigureDropFilter, accept_figure_drop, figure_path
from aegui.gui.grid.figure import save_grid
from tests.gui.fixtures_runs import decaying, synthetic, tiny


@pytest.fixture
def figure(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    ids = [synthetic(store, tiny("mse", name="mse run"), decaying(120, 0.0) + 1e-3, floor=0.0),
           synthetic(store, tiny("bce", "uniform", name="bce run", **{"optimizer.lr": 3e-4}), decaying(100))]
    rows = [store.get_run(i) for i in ids]
    path = save_comparison([(r, store.losses(r.run_id)) for r in rows], tmp_path / "fig.png", width=600)
    yield path, rows, store
    store.close()


def dialog_for(qtbot, path):
    d = FigureDialog(path)
    qtbot.addWidget(d)
    return d


def test_lists_the_runs_of_a_saved_comparison(qtbot, figure):
    path, rows, _ = figure
    d = dialog_for(qtbot, path)
    assert d.table.rowCount() == 2 and not d.message.isVisibleTo(d)
    cells = [[d.table.item(i, j).text() for j in range(5)] for i in range(2)]
    assert cells[0][0] == f"#{rows[0].run_id} mse run" and cells[1][1:3] == ["bce", "uniform ×2"]
    assert cells[1][4] == "0.5" and cells[1][3] == f"{rows[1].final_loss:.4g}"


def test_rerun_emits_an_equal_config(qtbot, figure):
    path, rows, _ = figure
    d = dialog_for(qtbot, path)
    d.table.selectRow(1)
    with qtbot.waitSignal(d.sigRerun, timeout=2000) as blocker:
        d.rerun_button.click()
    assert blocker.args[0] == rows[1].config and blocker.args[0].optimizer.lr == 3e-4


def test_grid_figure_reopens_with_every_cell(qtbot, figure, tmp_path):
    _, rows, store = figure
    out = save_grid(store, [{"loss": r.config.loss.kind, "data": r.config.data.kind, "run_id": r.run_id}
                            for r in rows], tmp_path / "grid.svg")
    d = dialog_for(qtbot, out)
    assert d.configs == [r.config for r in rows]


def test_a_plain_png_gets_a_clear_message(qtbot, tmp_path):
    plain = tmp_path / "plain.png"
    image = QtGui.QImage(40, 30, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor("white"))
    assert image.save(str(plain))
    d = dialog_for(qtbot, plain)
    assert d.message.isVisibleTo(d) and "no aegui metadata" in d.message.text()
    assert not d.table.isVisibleTo(d) and not d.rerun_button.isEnabled()


@pytest.mark.parametrize("content", [b"not an image at all", b"\x89PNG\r\n\x1a\n broken"])
def test_unreadable_or_missing_files_never_crash(qtbot, tmp_path, content):
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    d = dialog_for(qtbot, bad)
    assert d.message.isVisibleTo(d) and str(bad) in d.message.text()
    assert not d.open_path(tmp_path / "missing.svg") and "cannot read" in d.message.text()


def test_tampered_metadata_is_refused(qtbot, tmp_path):
    fake = tmp_path / "fake.png"
    image = QtGui.QImage(10, 10, QtGui.QImage.Format.Format_RGB32)
    image.setText("aegui", '{"aegui_figure": 1, "runs": [{"config": {"loss": {"kind": "rm -rf"}}}]}')
    image.save(str(fake))
    d = dialog_for(qtbot, fake)
    assert "config is invalid" in d.message.text() and d.configs == []


def mime_with(*paths):
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_figure_path_picks_the_first_figure_file(tmp_path):
    assert figure_path(mime_with(tmp_path / "a.txt", tmp_path / "b.SVG")) == str(tmp_path / "b.SVG")
    assert figure_path(mime_with(tmp_path / "a.csv")) is None
    assert figure_path(QtCore.QMimeData()) is None


def test_drop_filter_emits_the_dropped_figure(qtbot, figure):
    path, _, _ = figure
    target = QtWidgets.QWidget()
    qtbot.addWidget(target)
    drops = FigureDropFilter(target)
    assert target.acceptDrops()
    mime = mime_with(path)
    pos, actions = QtCore.QPointF(5, 5), QtCore.Qt.DropAction.CopyAction
    buttons, mods = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier
    enter = QtGui.QDragEnterEvent(pos.toPoint(), actions, mime, buttons, mods)
    QtWidgets.QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(drops.sigFigureDropped, timeout=2000) as blocker:
        QtWidgets.QApplication.sendEvent(target, QtGui.QDropEvent(pos, actions, mime, buttons, mods))
    assert blocker.args == [str(path)]
    text_mime = mime_with("/tmp/x.txt")  # kept referenced: a QDropEvent does not own its QMimeData
    other = QtGui.QDropEvent(pos, actions, text_mime, buttons, mods)
    assert accept_figure_drop(other) is None and not other.isAccepted()


def test_dropping_a_figure_on_the_dialog_opens_it(qtbot, figure):
    path, _, _ = figure
    d = FigureDialog()
    qtbot.addWidget(d)
    assert d.message.isVisibleTo(d) and d.table.rowCount() == 0
    pos, actions = QtCore.QPointF(5, 5), QtCore.Qt.DropAction.CopyAction
    mime = mime_with(path)
    d.dropEvent(QtGui.QDropEvent(pos, actions, mime, QtCore.Qt.MouseButton.LeftButton,
                                 QtCore.Qt.KeyboardModifier.NoModifier))
    assert d.table.rowCount() == 2 and np.all([d.table.item(i, 0) is not None for i in range(2)])
