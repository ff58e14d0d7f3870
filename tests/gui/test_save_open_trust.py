"""Issue 12: Open figure keeps each run's seeds and takes several rows; saves ask before replacing, remember
the folder, and default to a unique name built from the runs' names."""

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from aegui.core.engine.records import RunStart
from aegui.core.store.store import RunStore
from aegui.gui import file_dialogs
from aegui.gui.figures.export import save_comparison
from aegui.gui.figures.open_figure import FigureDialog
from aegui.gui.figures.save_dialog import SaveComparisonDialog
from tests.gui.fixtures_runs import decaying, synthetic, tiny


@pytest.fixture
def two_runs(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    ids = [synthetic(store, tiny("mse", name="one seed"), decaying(120, 0.0) + 1e-3, floor=0.0),
           synthetic(store, tiny("bce", name="four seeds"), np.stack([decaying(100, seed=s) for s in range(4)], 1))]
    pairs = [(store.get_run(i), store.losses(i)) for i in ids]
    yield pairs
    store.close()


def test_figure_rows_multi_select_and_keep_their_seeds(qtbot, two_runs, tmp_path):
    path = save_comparison(two_runs, tmp_path / "fig.png", width=600)
    d = FigureDialog(path)
    qtbot.addWidget(d)
    assert d.table.selectionMode() == QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection
    d.table.selectAll()
    got = []
    d.sigRerun.connect(lambda config, copies: got.append((config.name, copies)))
    d.rerun_selected()
    assert got == [("one seed", 1), ("four seeds", 4)]


def test_window_reruns_a_figure_with_its_seeds_not_the_toolbars(qtbot, window, two_runs, tmp_path):
    path = save_comparison(two_runs, tmp_path / "fig.png", width=600)
    window.acts.seeds.setValue(8)
    window.files.open_figure(str(path))
    d = window.files.figure_dialog
    d.table.selectAll()
    started = []
    window.runner.sigRecord.connect(
        lambda r: started.append((r.config.label(), r.copies)) if isinstance(r, RunStart) else None)
    d.rerun_selected()
    qtbot.waitUntil(lambda: len(started) == 2 and not window.is_running(), timeout=60_000)
    assert started == [("one seed", 1), ("four seeds", 4)]


def test_default_names_are_unique_and_built_from_the_runs(qtbot, two_runs, tmp_path):
    file_dialogs.remember_folder(str(tmp_path / "x.png"))
    d = SaveComparisonDialog(two_runs, {})
    qtbot.addWidget(d)
    first = d.path_edit.text()
    assert first == str(tmp_path / "one-seed_vs_four-seeds.png")
    assert d.write(first)
    again = SaveComparisonDialog(two_runs, {})
    qtbot.addWidget(again)
    assert again.path_edit.text() == str(tmp_path / "one-seed_vs_four-seeds-2.png")


def test_saving_over_a_file_asks_first(qtbot, two_runs, tmp_path):
    target = tmp_path / "taken.png"
    target.write_bytes(b"keep me")
    d = SaveComparisonDialog(two_runs, {})
    qtbot.addWidget(d)
    d.path_edit.setText(str(target))
    assert not d.save()  # nothing written yet: the question is open
    assert d.overwrite_box.isVisible() and target.read_bytes() == b"keep me"
    d.overwrite_box.button(QtWidgets.QMessageBox.StandardButton.No).click()
    assert target.read_bytes() == b"keep me" and not d.result()
    d.save()
    with qtbot.waitSignal(d.sigSaved, timeout=10_000):
        d.overwrite_box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_every_chooser_starts_in_the_last_folder(qtbot, window, tmp_path, monkeypatch, settings_dir):
    seen = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda parent, title, start, filters: (seen.append(start), ("", ""))[1]))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, title, start, *a: (seen.append(start), ("", ""))[1]))
    folder = tmp_path / "figures"
    folder.mkdir()
    file_dialogs.remember_folder(str(folder / "a.png"))
    window.files.import_config()
    window.files.open_figure()
    window.files.export_config()
    assert seen[0] == seen[1] == str(folder) and seen[2].startswith(str(folder))
    assert QtCore.QSettings().fileName().startswith(str(settings_dir))  # never the user's own settings
