"""The main window's file commands: import / export config, save comparison or grid image, open figure, about.

FileCommands is a part the window owns (window.files): it keeps the dialogs it opens, and is given what it
uses: the dialogs' parent, the panels, the results pane, the comparison plot, the grid's view, the queue
(a figure's runs are loaded or rerun there), the store's path and the window's say().
"""

from __future__ import annotations

from typing import Any
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from ...core.config import config as cfg

from ..figures import export
from ..file_dialogs import ask_open, ask_save, default_path, remember_folder
from ..figures.open_figure import open_figure as open_figure_dialog
from ..figures.save_dialog import SaveComparisonDialog
from ..results_curves import figure_envelopes


class FileCommands:
    """Every window command that asks the user for a file: the window's actions call these."""

    def __init__(self, parent, panels, results, comparison, grid_view, queue, store_path: str, *,
                 say: Callable[[str], None]):
        self.parent = parent  # the dialogs' parent widget
        self.panels, self.results, self.comparison, self.grid_view = panels, results, comparison, grid_view
        self.queue, self.store_path, self._say = queue, store_path, say
        self.save_dialog: SaveComparisonDialog | None = None
        self.figure_dialog: Any = None  # the open FigureDialog, kept referenced while it shows
        self.error_box: QMessageBox | None = None

    def import_config(self) -> None:
        """Ask for a config JSON file and load it into the panels."""
        path = ask_open(self.parent, "Import config", "Config JSON (*.json)")
        if path:
            try:
                self.panels.load_file(path)
            except cfg.ConfigError as exc:
                QMessageBox.warning(self.parent, "Cannot import config", str(exc))

    def export_config(self) -> None:
        """Ask for a path and save the panels' config there as JSON."""
        start = default_path([self.panels.config().label()], ".json", "config")
        path, _ = ask_save(self.parent, "Export config", start, "Config JSON (*.json)")
        if path:
            try:
                self.panels.save_file(path)
            except export.ExportError as exc:
                QMessageBox.warning(self.parent, "Cannot export config", str(exc))

    # ---------------------------------------------------------------- saving figures

    def comparison_view(self) -> dict:
        """The comparison plot's current view settings, as export.save_comparison takes them."""
        c = self.comparison
        return {"log": c.log, "excess": c.excess, "x_axis": c.x_axis, "smoothing": c.smoothing}

    def save_comparison(self) -> None:
        """Ctrl+S: the Save comparison dialog for the selected runs, drawn as the comparison plot shows them."""
        run_ids = self.results.selected_run_ids()
        if not run_ids:
            self._say("Select one or more runs in the results table to save their comparison")
            return
        self.save_dialog = SaveComparisonDialog(self.results.rows_and_losses(run_ids), self.comparison_view(),
                                               self.parent, reader=figure_envelopes)
        self.save_dialog.sigSaved.connect(self._saved)
        self.save_dialog.open()

    def save_grid_image(self) -> None:
        """Save the grid's small multiples as one PNG (1600 px) or SVG carrying its runs."""
        view = self.grid_view
        if not any(c.row is not None for c in view.cells):
            self._say("Run a grid first (Run ▸ Grid…, Ctrl+G); its finished cells are what gets saved")
            return
        group = next((c.row.group_name for c in view.cells if c.row is not None and c.row.group_name), "")
        names = [group if group.lower().startswith("grid") else f"grid {group}".strip()]  # not 'grid_vs_grid-…'
        path, chosen = ask_save(self.parent, "Save grid image", default_path(names, ".png", "grid"),
                                "PNG image (*.png);;SVG image (*.svg)")
        if not path:
            return
        if Path(path).suffix.lower() not in (".png", ".svg"):
            path += ".svg" if chosen.startswith("SVG") else ".png"
        try:
            view.save(path)
        except export.ExportError as exc:
            self._error("Cannot save grid image", str(exc))
            return
        self._saved(path)

    def _saved(self, path: str) -> None:
        remember_folder(path)
        self._say(f"Saved {path}")

    def _error(self, title: str, text: str) -> None:
        self.error_box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                                     self.parent)
        self.error_box.open()

    # ---------------------------------------------------------------- figures that carry their runs

    def open_figure(self, path: str | None = None) -> None:
        """File ▸ Open figure (or a dropped PNG / SVG): list the runs it carries, to load or rerun."""
        dialog = open_figure_dialog(self.parent, path or None)
        if dialog is None:
            return
        self.figure_dialog = dialog
        dialog.sigLoad.connect(self.queue.load_config)
        dialog.sigRerun.connect(self.queue.rerun_config)

    def show_about(self) -> None:
        """The About box, with the versions a bug report needs."""
        lines = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in versions().items())
        QMessageBox.about(self.parent, "About aegui",
                          "<b>aegui</b>: why won't my autoencoder's loss go to zero? Run the experiment."
                          f"<table>{lines}</table><p>Runs are stored in {self.store_path}</p>")


def versions() -> dict:
    """Versions for the About box, read without importing torch."""
    from importlib import metadata  # here, not at start-up: it costs the first paint ~20 ms

    import numpy
    import PySide6
    import pyqtgraph

    from ... import __version__
    torch = sys.modules.get("torch")
    try:
        torch_version = torch.__version__ if torch else metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "not installed"
    return {"aegui": __version__, "torch": torch_version, "numpy": numpy.__version__,
            "PySide6": PySide6.__version__, "pyqtgraph": pyqtgraph.__version__,
            "Python": sys.version.split()[0]}
