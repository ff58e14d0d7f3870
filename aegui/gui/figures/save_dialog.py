"""Save comparison (Ctrl+S): choose a file (PNG, SVG, PDF or CSV), a size (screen, one or two journal columns)
and a PNG width or dpi; writes atomically, says why on failure."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from . import export
from .render import DEFAULT_WIDTH, MAX_DPI, MAX_WIDTH, MIN_DPI, MIN_WIDTH
from ..file_dialogs import ask_save, default_path, overwrite_box, remember_folder

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

    def __init__(self, rows_and_losses, view: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Save comparison")
        self.rows_and_losses, self.view = list(rows_and_losses), dict(view)
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
        """Write the file now (replacing any); on failure show why (no partial file is left)."""
        try:
            if Path(path).suffix.lower() == ".csv":
                export.save_csv(self.rows_and_losses, path)
            else:
                export.save_comparison(self.rows_and_losses, path, self.width_spin.value(), self.view,
                                       self.paper_size(), self.dpi_spin.value())
        except export.ExportError as exc:
            self.error_box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "Cannot save comparison",
                                                   str(exc), QtWidgets.QMessageBox.StandardButton.Ok, self)
            self.error_box.open()  # not exec(): tests and the event loop keep running
            return False
        remember_folder(path)
        self.sigSaved.emit(path)
        self.accept()
        return True
