"""What the window trains after the current run: a grid's cells, and the runs saved figures asked to rerun.

RunQueue is a part the window owns (window.queue). It uses of the window only its parts (panels, acts,
runner, results, grid_panel, ui), launch(), is_running(), say(), idle() and set_running(); the window is
also the Qt parent of the grid dialog and the GridRun.
"""

from __future__ import annotations

from ..grid.dialog import GridDialog
from ..grid.run import GridRun


class RunQueue:
    """Grid runs and figures' reruns: started one after another, each when nothing else is running."""

    def __init__(self, window):
        self.window = window
        self.grid_dialog: GridDialog | None = None
        self.grid_run: GridRun | None = None
        self.reruns = []  # (config, copies) a figure asked to rerun, one after another

    def busy(self) -> bool:
        """True while a run or a grid is going: queued reruns wait for both."""
        return self.window.is_running() or self.grid_run is not None

    def clear(self) -> None:
        """Forget the queued reruns (Stop stops the queue too)."""
        self.reruns.clear()

    # ---------------------------------------------------------------- figures' reruns

    def load_config(self, config, copies: int = 1) -> None:
        """Put a figure's config and its seeds count in the panels and toolbar."""
        self.window.panels.set_config(config)
        self.window.acts.seeds.setValue(copies)

    def rerun_config(self, config, copies: int = 1) -> None:
        """Train a figure's run again with its own seeds count; several queue and start one after another."""
        self.reruns.append((config, copies))
        if self.busy():
            self.window.say(f"Queued {config.label()}: it starts when the current run ends "
                            f"({len(self.reruns)} waiting)")
            return
        self.next_queued()

    def next_queued(self) -> bool:
        """Start the next queued rerun, if any and nothing runs; True when one started."""
        if not self.reruns or self.busy():
            return False
        config, copies = self.reruns.pop(0)
        self.load_config(config, copies)
        panels = self.window.panels
        if panels.problems():
            self.window.say(f"Cannot rerun {config.label()}: " + "; ".join(str(p) for p in panels.problems()))
            return self.next_queued()
        return self.window.launch(config, copies)

    # ---------------------------------------------------------------- grid

    def open_grid_dialog(self) -> None:
        """Run ▸ Grid…: choose losses × data; accepted cells then train one after another."""
        w = self.window
        if w.is_running():
            w.say("Wait for the run to end (or stop it) before starting a grid")
            return
        if w.panels.problems():
            w.say("Fix the fields marked in red first: the grid starts from the panels' config")
            return
        self.grid_dialog = GridDialog(w.panels.config(), w.acts.seeds.value(), w)
        self.grid_dialog.accepted.connect(self._grid_accepted)
        self.grid_dialog.open()

    def _grid_accepted(self) -> None:
        self.start_grid(self.grid_dialog.accepted_cells())

    def start_grid(self, cells) -> bool:
        """Train these GridCells one after another into one stored group, filling the Grid tab live."""
        w = self.window
        run = GridRun(cells, w.launch, w.runner, w.results.store, w.grid_panel.view, w.acts.seeds.value(), w)
        run.sigCell.connect(self._grid_cell)
        run.sigDone.connect(self._grid_done)
        self.grid_run = run
        w.grid_panel.show_grid()
        w.ui.tabs.setCurrentWidget(w.grid_panel)
        if not run.start():
            self.grid_run = None
            return False
        return True

    def _grid_cell(self, index: int, total: int, name: str) -> None:
        self.window.grid_panel.status.setText(f"{self.grid_run.group}: cell {index + 1} of {total}, {name}")
        self.window.idle(f"Grid: training cell {index + 1} of {total} ({name}) — Esc stops the grid.")

    def _grid_done(self, outcome: str) -> None:
        w = self.window
        run, self.grid_run = self.grid_run, None
        w.grid_panel.status.setText(f"{run.group}: {len(run.run_ids)} run(s), {outcome}")
        w.set_running(w.is_running())
        w.idle(f"Grid {outcome}: {len(run.run_ids)} run(s) stored as group “{run.group}”. "
               "Ctrl+Shift+S saves the grid image.")
