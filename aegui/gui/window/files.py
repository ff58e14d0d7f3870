"""The main window's commands that open dialogs: config files, save comparison / grid, open figure, grid, about."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from ...core import config as cfg

from ..figures import export
from ..file_dialogs import ask_open, ask_save, default_path, remember_folder
from ..figures.open_figure import open_figure as open_figure_dialog
from ..grid.dialog import GridDialog
from ..grid.run import GridRun
from ..figures.save_dialog import SaveComparisonDialog


class WindowFiles:
    """Mixin for MainWindow: every command that asks the user for a file or a choice."""

    save_dialog = grid_dialog = figure_dialog = error_box = None
    rerun_queue: list

    def import_config(self) -> None:
        """Ask for a config JSON file and load it into the panels."""
        path = ask_open(self, "Import config", "Config JSON (*.json)")
        if path:
            try:
                self.panels.load_file(path)
            except cfg.ConfigError as exc:
                QMessageBox.warning(self, "Cannot import config", str(exc))

    def export_config(self) -> None:
        """Ask for a path and save the panels' config there as JSON."""
        path, _ = ask_save(self, "Export config", default_path([self.panels.config().label()], ".json", "config"),
                           "Config JSON (*.json)")
        if path:
            try:
                self.panels.save_file(path)
            except export.ExportError as exc:
                QMessageBox.warning(self, "Cannot export config", str(exc))

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
        self.save_dialog = SaveComparisonDialog(self.results.rows_and_losses(run_ids), self.comparison_view(), self)
        self.save_dialog.sigSaved.connect(self._saved)
        self.save_dialog.open()

    def save_grid_image(self) -> None:
        """Save the grid's small multiples as one PNG (1600 px) or SVG carrying its runs."""
        view = self.grid_panel.view
        if not any(c.row is not None for c in view.cells):
            self._say("Run a grid first (Run ▸ Grid…, Ctrl+G); its finished cells are what gets saved")
            return
        names = ["grid"] + [c.row.group_name or "" for c in view.cells if c.row is not None][:1]
        path, chosen = ask_save(self, "Save grid image", default_path(names, ".png", "grid"),
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
        self.error_box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        self.error_box.open()

    # ---------------------------------------------------------------- figures that carry their runs

    def open_figure(self, path: str | None = None) -> None:
        """File ▸ Open figure (or a dropped PNG / SVG): list the runs it carries, to load or rerun."""
        dialog = open_figure_dialog(self, path or None)
        if dialog is None:
            return
        self.figure_dialog = dialog
        dialog.sigLoad.connect(self.load_config)
        dialog.sigRerun.connect(self.rerun_config)

    def load_config(self, config, copies: int = 1) -> None:
        """Put a figure's config and its seeds count in the panels and toolbar."""
        self.panels.set_config(config)
        self.seeds_spin.setValue(copies)

    def rerun_config(self, config, copies: int = 1) -> None:
        """Train a figure's run again with its own seeds count; several queue and start one after another."""
        self.rerun_queue.append((config, copies))
        if self.is_running() or self.grid_run is not None:
            self._say(f"Queued {config.label()}: it starts when the current run ends "
                      f"({len(self.rerun_queue)} waiting)")
            return
        self.next_queued()

    def next_queued(self) -> bool:
        """Start the next queued rerun, if any and nothing runs; True when one started."""
        if not self.rerun_queue or self.is_running() or self.grid_run is not None:
            return False
        config, copies = self.rerun_queue.pop(0)
        self.load_config(config, copies)
        if self.panels.problems():
            self._say(f"Cannot rerun {config.label()}: " + "; ".join(str(p) for p in self.panels.problems()))
            return self.next_queued()
        return self.launch(config, copies)

    # ---------------------------------------------------------------- grid

    def open_grid_dialog(self) -> None:
        """Run ▸ Grid…: choose losses × data; accepted cells then train one after another."""
        if self.is_running():
            self._say("Wait for the run to end (or stop it) before starting a grid")
            return
        if self.panels.problems():
            self._say("Fix the fields marked in red first: the grid starts from the panels' config")
            return
        self.grid_dialog = GridDialog(self.panels.config(), self.seeds_spin.value(), self)
        self.grid_dialog.accepted.connect(self._grid_accepted)
        self.grid_dialog.open()

    def _grid_accepted(self) -> None:
        self.start_grid(self.grid_dialog.accepted_cells())

    def start_grid(self, cells) -> bool:
        """Train these GridCells one after another into one stored group, filling the Grid tab live."""
        run = GridRun(cells, self.launch, self.runner, self.results.store, self.grid_panel.view,
                      self.seeds_spin.value(), self)
        run.sigCell.connect(self._grid_cell)
        run.sigDone.connect(self._grid_done)
        self.grid_run = run
        self.grid_panel.show_grid()
        self.tabs.setCurrentWidget(self.grid_panel)
        if not run.start():
            self.grid_run = None
            return False
        return True

    def _grid_cell(self, index: int, total: int, name: str) -> None:
        self.grid_panel.status.setText(f"{self.grid_run.group}: cell {index + 1} of {total}, {name}")
        self._idle(f"Grid: training cell {index + 1} of {total} ({name}) — Esc stops the grid.")

    def _grid_done(self, outcome: str) -> None:
        run, self.grid_run = self.grid_run, None
        self.grid_panel.status.setText(f"{run.group}: {len(run.run_ids)} run(s), {outcome}")
        self._set_running(self.is_running())
        self._idle(f"Grid {outcome}: {len(run.run_ids)} run(s) stored as group “{run.group}”. "
                   "Ctrl+Shift+S saves the grid image.")

    def show_about(self) -> None:
        """The About box, with the versions a bug report needs."""
        lines = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in versions().items())
        QMessageBox.about(self, "About aegui",
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
