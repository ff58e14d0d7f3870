"""Ctrl+S: the Save comparison dialog writes PNG at the chosen width, SVG with the legend, CSV; failures say why."""

import os
import stat

import pytest
from PySide6 import QtGui, QtWidgets

from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig
from aegui.gui.figures.save_dialog import SaveComparisonDialog, with_suffix

TINY = RunConfig(name="tiny", data=DataConfig(samples=512), training=TrainingConfig(batch_size=64, epochs=2, tol=0.0))


def _one_run(qtbot, window):
    window.panels.set_config(TINY)
    with qtbot.waitSignal(window.sigRunEnded, timeout=30_000):
        window.start_run()
    window.results.view.selectAll()


def test_no_selection_says_what_to_do(window):
    window.acts.save.trigger()
    assert window.files.save_dialog is None and "Select one or more runs" in window.last_message


def test_ctrl_s_saves_png_at_the_chosen_width_with_the_view_settings(qtbot, window, tmp_path, monkeypatch):
    _one_run(qtbot, window)
    window.comparison.set_excess(True)
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    assert isinstance(dialog, SaveComparisonDialog) and dialog.width_spin.value() == 1600
    assert dialog.view["excess"] is True
    target = tmp_path / "cmp"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "PNG image (*.png)")))
    dialog.browse()
    assert dialog.path_edit.text() == str(target) + ".png" and dialog.width_spin.isEnabled()
    dialog.width_spin.setValue(900)
    assert dialog.save()
    image = QtGui.QImage(str(target) + ".png")
    assert image.width() == 900 and image.height() > 300
    assert window.last_message == f"Saved {target}.png"


def test_svg_carries_the_legend_and_csv_the_curve(qtbot, window, tmp_path, monkeypatch):
    _one_run(qtbot, window)
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "cmp"), "SVG image (*.svg)")))
    dialog.browse()
    assert not dialog.width_spin.isEnabled()
    assert dialog.save()
    text = (tmp_path / "cmp.svg").read_text(encoding="utf-8")
    assert "tiny" in text and 'id="aegui-runs"' in text
    window.acts.save.trigger()
    window.files.save_dialog.path_edit.setText(str(tmp_path / "curves.csv"))
    assert window.files.save_dialog.save()
    assert (tmp_path / "curves.csv").read_text().startswith("step,")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_folder_shows_why_and_leaves_no_file(qtbot, window, tmp_path):
    _one_run(qtbot, window)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        window.acts.save.trigger()
        dialog = window.files.save_dialog
        dialog.path_edit.setText(str(locked / "cmp.png"))
        assert not dialog.save()
        assert dialog.isVisible() and "cannot write" in dialog.error_box.text()
        assert list(locked.iterdir()) == []
        dialog.error_box.close()
        dialog.reject()
    finally:
        locked.chmod(stat.S_IRWXU)


def test_missing_folder_is_a_clear_message(qtbot, window, tmp_path):
    _one_run(qtbot, window)
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    dialog.path_edit.setText(str(tmp_path / "nope" / "cmp.svg"))
    assert not dialog.save() and "does not exist" in dialog.error_box.text()
    dialog.error_box.close()
    dialog.reject()


def test_suffix_follows_the_chosen_filter():
    assert with_suffix("/a/b", "SVG image (*.svg)") == "/a/b.svg"
    assert with_suffix("/a/b.csv", "PNG image (*.png)") == "/a/b.csv"


def test_a_folder_in_the_way_is_a_clear_message_and_leaves_no_temp_file(qtbot, window, tmp_path):
    _one_run(qtbot, window)
    (tmp_path / "cmp.png").mkdir()  # unwritable even for root: a folder where the file should go
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    dialog.path_edit.setText(str(tmp_path / "cmp.png"))
    assert not dialog.save() and "cannot write" in dialog.error_box.text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".cmp")) == []
    dialog.error_box.close()
    dialog.reject()


def test_save_dialog_writes_a_column_pdf_and_a_column_png_at_its_dpi(qtbot, window, tmp_path):
    _one_run(qtbot, window)
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    dialog.size_combo.setCurrentIndex(dialog.size_combo.findData("column"))
    dialog.path_edit.setText(str(tmp_path / "col.pdf"))
    assert not dialog.width_spin.isEnabled()
    assert dialog.save() and (tmp_path / "col.pdf").read_bytes().startswith(b"%PDF")
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    dialog.size_combo.setCurrentIndex(dialog.size_combo.findData("column"))
    dialog.dpi_spin.setValue(200)
    dialog.path_edit.setText(str(tmp_path / "col.png"))
    assert dialog.dpi_spin.isEnabled() and dialog.save()
    assert QtGui.QImage(str(tmp_path / "col.png")).width() == 700
