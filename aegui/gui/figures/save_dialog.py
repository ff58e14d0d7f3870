"""Save comparison (Ctrl+S): choose a file (PNG, SVG, PDF or CSV), a size (screen, one or two journal columns)
and a PNG width or dpi; writes atomically, says why on failure."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from . import export
from .atomic import check_out
from .render import DEFAULT_WIDTH, FIGURE_SUFFIXES, MAX_DPI, MAX_WIDTH, MIN_DPI, MIN_WIDTH
from ..file_dialogs import ask_save, default_path, overwrite_box, remember_folder

# Between two drawing steps: 1 ms, not 0. A 0 ms single shot is a posted call, run before the timers and input
# already waiting, so a step could follow a step with nothing between (seen in CI: two steps, no other event).
STEP_GAP_MS = 1
FORMATS = (("PNG image (*.png)", ".png"), ("SVG image (*.svg)", ".svg"), ("PDF document (*.pdf)", ".pdf"),
           ("CSV curves (*.csv)", ".csv"))
SIZE_CHOICES = (("Screen (PNG width below)", None), ("One column: 3.5 in / 89 mm, 8–9 pt text", "column"),
                ("Two columns: 7.2 in / 183 mm, 8–9 pt text", "two-column"))


def with_suffix(path: str, chosen_filter: str) -> str:
    """path with the chosen filter's suffix added when it has no known one (file dialogs often leave it off)."""
    if Path(path).suffix.lower() in {s for _, s in FORMATS}:
        return path
    suffix = dict(FORMATS).get(chosen_filter, ".png")
    return path + suffix


class SaveComparisonDialog(QtWidgets.QDialog):
    """Where to save the selected runs' comparison, as what, and how wide; emits sigSaved(path) on success."""

    sigSaved = QtCore.Signal(str)
    _sigRead = QtCore.Signal(object)  # a background read's outcome, delivered to the GUI thread
    _sigWritten = QtCore.Signal(object)  # a background write's outcome (the path, or an error), likewise

    def __init__(self, rows_and_losses, view: dict, parent=None, reader=None):
        """reader(rows_and_losses, view, cancel) -> rows_and_losses, run in a background thread before a figure
        is drawn when some curve is read a chunk at a time (export.StoredLosses): it returns the curves as the
        figure draws them (envelopes), so a long run's reading never freezes the window.

        With a reader (the window's dialog), a figure is also drawn in steps between events and its file written
        in a background thread: Save returns False and sigSaved follows. Without one, Save writes at once."""
        super().__init__(parent)
        self.setWindowTitle("Save comparison")
        self.rows_and_losses, self.view = list(rows_and_losses), dict(view)
        self.reader = reader
        self.reading: threading.Event | None = None  # set to cancel the background read under way
        self._sigRead.connect(self._read_done)
        self.drawing: Generator[None, None, Any] | None = None  # the figure's steps while it is drawn
        self.drawing_path = ""  # where that figure goes
        self._sigWritten.connect(self._written)
        self.error_box: QtWidgets.QMessageBox | None = None
        self.overwrite_box: QtWidgets.QMessageBox | None = None
        names = ", ".join(f"#{row.run_id}" for row, _ in self.rows_and_losses[:8])
        more = " …" if len(self.rows_and_losses) > 8 else ""
        intro = QtWidgets.QLabel(f"{len(self.rows_and_losses)} run(s): {names}{more}. Figures carry the runs' "
                                 "configs, so File ▸ Open figure can rerun them later.")
        intro.setWordWrap(True)
        self.path_edit = QtWidgets.QLineEdit(default_path([row.name for row, _ in self.rows_and_losses], ".png"))
        self.path_edit.textChanged.connect(self._update)
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        self.size_combo = QtWidgets.QComboBox()
        for text, size in SIZE_CHOICES:
            self.size_combo.addItem(text, size)
        self.size_combo.setToolTip("A journal size lays the figure out at that width with 8–9 pt text, as it "
                                   "will print; Screen lays it out for a slide or a web page.")
        self.size_combo.currentIndexChanged.connect(self._update)
        self.dpi_spin = QtWidgets.QSpinBox()
        self.dpi_spin.setRange(MIN_DPI, MAX_DPI)
        self.dpi_spin.setSingleStep(50)
        self.dpi_spin.setValue(export.DEFAULT_DPI)
        self.dpi_spin.setSuffix(" dpi")
        self.dpi_spin.setToolTip("PNG resolution at a journal size.")
        self.width_spin = QtWidgets.QSpinBox()
        self.width_spin.setRange(MIN_WIDTH, MAX_WIDTH)
        self.width_spin.setSingleStep(100)
        self.width_spin.setValue(DEFAULT_WIDTH)
        self.width_spin.setSuffix(" px")
        self.width_spin.setToolTip("PNG width at screen size; below 1000 px the figure is laid out narrower, "
                                   "so its text keeps its size.")
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Save
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self._lay_out(intro, browse)
        self._update()

    def _lay_out(self, intro, browse) -> None:
        path_row = QtWidgets.QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form = QtWidgets.QFormLayout()
        form.addRow("File", path_row)
        form.addRow("Size", self.size_combo)
        form.addRow("PNG width", self.width_spin)
        form.addRow("PNG resolution", self.dpi_spin)
        self.hint = QtWidgets.QLabel()
        self.hint.setStyleSheet("color: #8a8a8a;")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.resize(620, self.sizeHint().height())

    def browse(self) -> None:
        """The file chooser, with PNG / SVG / CSV filters; the suffix follows the chosen filter."""
        filters = ";;".join(f for f, _ in FORMATS)
        current = self.path_edit.text()
        chosen = next((f for f, s in FORMATS if current.lower().endswith(s)), FORMATS[0][0])
        path, picked = ask_save(self, "Save comparison as", current, filters, chosen)
        if path:
            self.path_edit.setText(with_suffix(path, picked or chosen))

    def _update(self, *_args) -> None:
        suffix = Path(self.path_edit.text()).suffix.lower()
        sized = self.paper_size() is not None
        self.size_combo.setEnabled(suffix != ".csv")
        self.width_spin.setEnabled(suffix == ".png" and not sized)
        self.dpi_spin.setEnabled(suffix == ".png" and sized)
        self.hint.setText({".png": "PNG: plot, legend and a caption listing each run's config.",
                           ".svg": "SVG: the same figure as vectors, for papers and slides.",
                           ".pdf": "PDF: vectors with fonts embedded, for LaTeX (\\includegraphics); it does not "
                                   "carry the runs (a PNG or SVG does).",
                           ".csv": "CSV: one column per curve (median, min, max for seed bands)."}.get(
            suffix, "The name must end in .png, .svg, .pdf or .csv."))
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Save).setEnabled(
            suffix in (".png", ".svg", ".pdf", ".csv"))

    def paper_size(self) -> str | None:
        """The chosen size preset ('column', 'two-column'), or None for the screen layout."""
        return self.size_combo.currentData()

    def save(self) -> bool:
        """Write the file, after asking before replacing one; on failure show why and keep the dialog open.

        False when nothing was written (yet): a failure, or the replace question still open.
        """
        path = self.path_edit.text().strip()
        if Path(path).is_file():  # a folder in the way is write()'s to explain
            self.overwrite_box = overwrite_box(self, path)
            self.overwrite_box.accepted.connect(lambda: self.write(path))
            self.overwrite_box.open()  # not exec(): Yes writes, No leaves the dialog open to pick another name
            return False
        return self.write(path)

    def write(self, path: str) -> bool:
        """Write the file (replacing any); on failure show why (no partial file is left).

        A figure of long runs is drawn once their envelopes are read in the background: False until then."""
        if self.busy():
            return False  # one save at a time: this one ends with sigSaved or an error
        if (self.reader is not None and Path(path).suffix.lower() != ".csv"
                and any(isinstance(losses, export.StoredLosses) for _, losses in self.rows_and_losses)):
            self._read_then_write(path)
            return False
        return self._write_now(path)

    def busy(self) -> bool:
        """Whether a save is under way: its curves read, its figure drawn or its file written."""
        return self.reading is not None or self.drawing is not None

    def _read_then_write(self, path: str) -> None:
        if self.busy():
            return  # a save is under way already
        self.reading = cancel = threading.Event()
        long_runs = sum(isinstance(losses, export.StoredLosses) for _, losses in self.rows_and_losses)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.hint.setText(f"Reading {long_runs} long run(s) from the store for the figure… the window stays "
                          "usable; Cancel stops it.")
        pairs, view, reader, relay = self.rows_and_losses, self.view, self.reader, self._sigRead

        def read() -> None:
            try:
                outcome: dict = {"path": path, "cancel": cancel, "pairs": reader(pairs, view, cancel)}
            except Exception as exc:  # noqa: BLE001 - told to the user; a cancelled read just ends
                outcome = {"path": path, "cancel": cancel, "error": f"{type(exc).__name__}: {exc}"}
            try:
                relay.emit(outcome)
            except RuntimeError:  # the dialog is gone (the window closed): nobody is waiting
                pass
        threading.Thread(target=read, name="aegui-save-read", daemon=True).start()

    def _read_done(self, outcome: dict) -> None:
        reading = self.reading
        if reading is None or reading is not outcome["cancel"] or reading.is_set():
            return  # cancelled, or a stale read
        self.reading = None
        self._update()
        if "error" in outcome:
            self._show_error(f"Cannot read the runs for {outcome['path']}: {outcome['error']}")
            return
        self.rows_and_losses = outcome["pairs"]  # envelopes from now on: a second Save draws at once
        try:
            self._write_now(outcome["path"])
        except Exception as exc:  # noqa: BLE001 - in a queued slot it would reach no one: say it here
            self._show_error(f"Cannot save {outcome['path']}: {type(exc).__name__}: {exc}")

    def _draw_in_steps(self, path: str) -> bool:
        """Draw the figure a step at a time between events (each tens of ms: a panel, a layout pass, the paint),
        then write its file in a background thread: drawn at once, a 1600 px PNG froze the window 200 ms."""
        try:
            check_out(path, FIGURE_SUFFIXES)  # a folder missing or locked is said now, not after drawing
            self.drawing = export.comparison_steps(self.rows_and_losses, path, self.width_spin.value(), self.view,
                                                   self.paper_size(), self.dpi_spin.value())
        except export.ExportError as exc:
            self._show_error(str(exc))
            return False
        self.drawing_path = path
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.hint.setText(f"Drawing the figure for {Path(path).name}… Cancel stops it.")
        QtCore.QTimer.singleShot(STEP_GAP_MS, self, self._draw_step)
        return False

    def _draw_step(self) -> None:
        steps, path = self.drawing, self.drawing_path
        if steps is None:
            return  # cancelled
        try:
            next(steps)
        except StopIteration as done:
            self._write_in_background(path, done.value)
            return
        except Exception as exc:  # noqa: BLE001 - in a timer slot it would reach no one: say it here
            self.drawing = None
            self._update()
            self._show_error(str(exc) if isinstance(exc, export.ExportError)
                             else f"Cannot save {path}: {type(exc).__name__}: {exc}")
            return
        QtCore.QTimer.singleShot(STEP_GAP_MS, self, self._draw_step)

    def _write_in_background(self, path: str, finish) -> None:
        self.hint.setText(f"Writing {Path(path).name}…")
        steps, relay = self.drawing, self._sigWritten

        def write() -> None:
            try:
                finish()
                outcome: dict = {"steps": steps, "path": path}
            except Exception as exc:  # noqa: BLE001 - told to the user
                outcome = {"steps": steps, "path": path,
                           "error": str(exc) if isinstance(exc, export.ExportError)
                           else f"Cannot save {path}: {type(exc).__name__}: {exc}"}
            try:
                relay.emit(outcome)
            except RuntimeError:  # the dialog is gone: nobody is waiting
                pass
        threading.Thread(target=write, name="aegui-save-write", daemon=True).start()

    def _written(self, outcome: dict) -> None:
        if self.drawing is not outcome["steps"]:
            return  # cancelled meanwhile (the file, written whole, stays)
        self.drawing = None
        self._update()
        if "error" in outcome:
            self._show_error(outcome["error"])
            return
        self._saved(outcome["path"])

    def reject(self) -> None:
        """Cancel: also stops a background read (at its next chunk) or the figure being drawn."""
        reading, self.reading = self.reading, None
        if reading is not None:
            reading.set()
        drawing, self.drawing = self.drawing, None
        if drawing is not None:
            drawing.close()  # the half-built figure widget goes with it
        super().reject()

    def _show_error(self, text: str) -> None:
        self.error_box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "Cannot save comparison",
                                               text, QtWidgets.QMessageBox.StandardButton.Ok, self)
        self.error_box.open()  # not exec(): tests and the event loop keep running

    def _write_now(self, path: str) -> bool:
        if self.reader is not None and Path(path).suffix.lower() != ".csv":
            return self._draw_in_steps(path)
        try:
            if Path(path).suffix.lower() == ".csv":
                export.save_csv(self.rows_and_losses, path)
            else:
                export.save_comparison(self.rows_and_losses, path, self.width_spin.value(), self.view,
                                       self.paper_size(), self.dpi_spin.value())
        except export.ExportError as exc:
            self._show_error(str(exc))
            return False
        self._saved(path)
        return True

    def _saved(self, path: str) -> None:
        remember_folder(path)
        self.sigSaved.emit(path)
        self.accept()
