"""Ctrl+S: the Save comparison dialog writes PNG at the chosen width, SVG with the legend, CSV; failures say why."""

import os
import stat

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from aegui.core.config.config import DataConfig, RunConfig, TrainingConfig
from aegui.gui.figures.layout import FigureWidget
from aegui.gui.figures.save_dialog import SaveComparisonDialog, with_suffix

TINY = RunConfig(name="tiny", data=DataConfig(samples=512), training=TrainingConfig(batch_size=64, epochs=2, tol=0.0))


def saved(qtbot, dialog) -> None:
    """Save and wait for the file: the window's dialog draws its figure between events, then writes it in the
    background."""
    with qtbot.waitSignal(dialog.sigSaved, timeout=30_000):
        assert not dialog.save()  # not written yet: it is being drawn


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
    saved(qtbot, dialog)
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
    saved(qtbot, dialog)
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
    saved(qtbot, dialog)
    assert (tmp_path / "col.pdf").read_bytes().startswith(b"%PDF")
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    dialog.size_combo.setCurrentIndex(dialog.size_combo.findData("column"))
    dialog.dpi_spin.setValue(200)
    dialog.path_edit.setText(str(tmp_path / "col.png"))
    assert dialog.dpi_spin.isEnabled()
    saved(qtbot, dialog)
    assert QtGui.QImage(str(tmp_path / "col.png")).width() == 700


def test_the_window_draws_a_figure_between_events_and_cancel_stops_it(qtbot, window, tmp_path):
    """A figure is drawn in steps with the event loop running between them, so the window never freezes for the
    whole drawing; Cancel part-way writes nothing and leaves no figure widget behind."""
    _one_run(qtbot, window)
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    dialog.path_edit.setText(str(tmp_path / "cmp.png"))
    ticks: list[int] = []
    timer = QtCore.QTimer(interval=0)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    steps_seen: list[int] = []  # the timer's ticks so far, at each step of the drawing
    step = dialog._draw_step
    dialog._draw_step = lambda: (steps_seen.append(len(ticks)), step())
    with qtbot.waitSignal(dialog.sigSaved, timeout=30_000):
        assert not dialog.save() and dialog.busy()
        assert not dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Save).isEnabled()
        assert not dialog.save()  # a second Save while one is under way is ignored
    timer.stop()
    assert len(steps_seen) >= 5 and steps_seen == sorted(set(steps_seen))  # other events ran between the steps
    assert QtGui.QImage(str(tmp_path / "cmp.png")).width() == 1600 and not dialog.busy()

    window.acts.save.trigger()
    dialog = window.files.save_dialog
    dialog.path_edit.setText(str(tmp_path / "cancelled.png"))
    def figures() -> list:
        return [w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, FigureWidget)]
    assert figures() == []
    dialog.save()
    qtbot.waitUntil(lambda: figures() != [], timeout=10_000)
    dialog.reject()  # part-way: the figure widget exists
    qtbot.waitUntil(lambda: figures() == [], timeout=10_000)
    assert not dialog.busy() and not (tmp_path / "cancelled.png").exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_a_write_failing_in_the_background_is_shown(qtbot, window, tmp_path, monkeypatch):
    from aegui.gui.figures import export
    _one_run(qtbot, window)
    window.acts.save.trigger()
    dialog = window.files.save_dialog
    dialog.path_edit.setText(str(tmp_path / "cmp.png"))
    real = export.comparison_steps

    def failing(*args, **kwargs):
        finish = yield from real(*args, **kwargs)
        del finish

        def fail():
            raise export.ExportError(f"cannot write {tmp_path / 'cmp.png'}: No space left on device", True)
        return fail
    monkeypatch.setattr(export, "comparison_steps", failing)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.error_box is not None and dialog.error_box.isVisible(), timeout=30_000)
    assert "No space left on device" in dialog.error_box.text()
    assert dialog.isVisible() and not dialog.busy()
    assert dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Save).isEnabled()
    assert not (tmp_path / "cmp.png").exists()
