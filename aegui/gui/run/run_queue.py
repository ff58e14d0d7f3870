"""What the window trains after the current run: a grid's cells, and the runs saved figures asked to rerun.

RunQueue is a part the window owns (window.queue). It is given what it uses: the Qt parent of the grid
dialog and the GridRun, the panels (a grid starts from their config), the seeds spin box, the
RunController, the store, the Grid tab and the tabs that show it, and the window's launch, say, idle and
set_running. A figure's rerun is checked by the engine's validate(), not by the panels' widgets.
"""

from __future__ import annotations

from collections.abc import Callable

from ...core.config.config import validate
from ..grid.dialog import GridDialog
from ..grid.run import GridRun


class RunQueue:
    """Grid runs and figures' reruns: started one after another, each when nothing else is running."""

    def __init__(self, parent, panels, seeds, runner, store, grid_panel, tabs, *,
                 launch: Callable[..., bool], say: Callable[[str], None], idle: Callable[[str], None],
                 set_running: Callable[[bool], None]):
        self.parent, self.panels, self.seeds, self.runner, self.store = parent, panels, seeds, runner, store
        self.grid_panel, self.tabs = grid_panel, tabs
        self.launch, self.say, self.idle, self.set_running = launch, say, idle, set_running
        self.grid_dialog: GridDialog | None = None
        self.grid_run: GridRun | None = None
        self.reruns: list = []  # (config, copies) a figure asked to rerun, one after another

    def busy(self) -> bool:
        """True while a run or a grid is going: queued reruns wait for both."""
        return self.runner.is_running() or self.grid_run is not None

    def clear(self) -> None:
        """Forget the queued reruns (Stop stops the queue too)."""
        self.reruns.clear()

    # ---------------------------------------------------------------- figures' reruns

    def load_config(self, config, copies: int = 1) -> None:
        """Put a figure's config and its seeds count in the panels and toolbar."""
        self.panels.set_config(config)
        self.seeds.setValue(copies)

    def rerun_config(self, config, copies: int = 1) -> None:
        """Train a figure's run again with its own seeds count; several queue and start one after another."""
        self.reruns.append((config, copies))
        if self.busy():
            self.say(f"Queued {config.label()}: it starts when the current run ends "
                            f"({len(self.reruns)} waiting)")
            return
        self.next_queued()

    def next_queued(self) -> bool:
        """Start the next queued rerun, if any and nothing runs; True when one started."""
        if not self.reruns or self.busy():
            return False
        config, copies = self.reruns.pop(0)
        problems = validate(config)
        if problems:
            self.say(f"Cannot rerun {config.label()}: " + "; ".join(str(p) for p in problems))
            return self.next_queued()
        self.load_config(config, copies)  # the panels show the run it starts (never asked whether it is valid)
        return self.launch(config, copies)

    # ---------------------------------------------------------------- grid

    def open_grid_dialog(self) -> None:
        """Run ▸ Grid…: choose losses × data; accepted cells then train one after another."""
        if self.runner.is_running():
            self.say("Wait for the run to end (or stop it) before starting a grid")
            return
        if self.panels.problems():
            self.say("Fix the fields marked in red first: the grid starts from the panels' config")
            return
        self.grid_dialog = GridDialog(self.panels.config(), self.seeds.value(), self.parent)
        self.grid_dialog.accepted.connect(self._grid_accepted)
        self.grid_dialog.open()

    def _grid_accepted(self) -> None:
        assert self.grid_dialog is not None  # its own accepted signal called
        self.start_grid(self.grid_dialog.accepted_cells())

    def start_grid(self, cells) -> bool:
        """Train these GridCells one after another into one stored group, filling the Grid tab live."""
        run = GridRun(cells, self.launch, self.runner, self.store, self.grid_panel.view, self.seeds.value(),
                      self.parent)
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
        assert self.grid_run is not None  # its own signal called
        self.grid_panel.status.setText(f"{self.grid_run.group}: cell {index + 1} of {total}, {name}")
        self.idle(f"Grid: training cell {index + 1} of {total} ({name}) — Esc stops the grid.")

    def _grid_done(self, outcome: str) -> None:
        run, self.grid_run = self.grid_run, None
        assert run is not None  # its own signal called
        self.grid_panel.status.setText(f"{run.group}: {len(run.run_ids)} run(s), {outcome}")
        self.set_running(self.runner.is_running())
        self.idle(f"Grid {outcome}: {len(run.run_ids)} run(s) stored as group “{run.group}”. "
               "Ctrl+Shift+S saves the grid image.")
