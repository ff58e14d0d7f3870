"""The main window: wires panels, live plot, reconstruction, grid, results and comparison to the RunController.

The window makes its parts and keeps each by name: the content parts (panels, live, recon, grid_panel,
results, comparison), the actions (acts, from actions.py), the layout around the parts (ui, from
layout.py), the Help menu, the file commands (files, from files.py), the status line, the view of the
running run (run_view, from run_view.py) and what runs next (queue: grids and figures' reruns, from
run_queue.py). Training lives in the engine, and the worker's lifetime in RunController.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMessageBox

from ...core.config import config as cfg
from ...core.config import config_io
from ...core.store.store import RunStore

from ..banner import banner_html
from ..figures.open_figure import FigureDropFilter, launch_refusal
from ..grid.run import GridPanel
from ..panels import ConfigPanels
from ..plots.comparison_plot import MAX_CURVES
from ..results_curves import StoredComparison
from ..plots.loss_plot import ComparisonPlot, LivePlot
from ..plots.recon_view import ReconstructionView
from ..results import ResultsPane
from .actions import build_actions, build_menus
from .files import FileCommands
from .layout import COMPARE_HINT, COMPARE_TAB, build_layout, restore_settings, save_settings
from ..run.run_queue import RunQueue
from ..run.run_status import RunStatus
from ..run.run_view import COMPARE_IDLE_HINT, RunView
from ..run.runner import RunController
from .toggles import sync_toggles, toggled_config
from .wheel_guard import guard_wheel


class MainWindow(QMainWindow):
    """aegui's window: configure, toggle, run (one, N seeds, or a grid), watch, compare, save."""

    sigProgress = Signal(int)  # batches shown so far in the live plot
    sigRunEnded = Signal(str)  # finished / cancelled / failed, once the worker's thread has been joined

    def __init__(self, data_dir: str | None = None, store: RunStore | None = None):
        super().__init__()
        self.setWindowTitle("aegui — why won't my loss go to zero?")
        # One checked connection for the GUI thread (the results pane uses it); workers open their own.
        self.store = store or RunStore.open(data_dir)  # creates the folder, or raises StoreError saying why not
        self.store_path = str(self.store.path)
        self.runner = RunController(self.store_path, self)
        self.closed = False  # set as closing starts: late signals then touch no dialogs and no closed store
        self.last_message = ""
        self.failure_box: QMessageBox | None = None
        self.store_notice: QMessageBox | None = None  # app.main's warning about the store, if any
        self.warm_starter = None  # app.main's warm-up, started after the first paint
        self.preset = None
        self.settings_warning = ""
        self.acts = build_actions(self)
        self.panels = ConfigPanels()
        self.live = LivePlot()
        self.recon = ReconstructionView()
        self.grid_panel = GridPanel(self.acts.save_grid)
        self.results = ResultsPane(self.store)
        self.comparison = ComparisonPlot()
        # Big stored curves are read in a background thread, as an envelope the plot's width (results_curves.py).
        self.stored_comparison = StoredComparison(self.comparison, self.store, self)
        self.ui = build_layout(self, self.panels, self.live, self.recon, self.grid_panel, self.results,
                               self.comparison)
        self.toolbar, self.help_menu = build_menus(self, self.acts)
        guard_wheel(self)
        self.status = RunStatus(self.statusBar())
        # The parts the window owns, each given what it uses.
        self.queue = RunQueue(self, self.panels, self.acts.seeds, self.runner, self.store, self.grid_panel,
                              self.ui.tabs, launch=self.launch, say=self.say, idle=self.idle,
                              set_running=self.set_running)
        self.files = FileCommands(self, self.panels, self.results, self.comparison, self.grid_panel.view,
                                  self.queue, self.store_path, say=self.say)
        self.run_view = RunView(self.ui, self.live, self.recon, self.status, self.results, say=self.say,
                                idle=self.idle, warn=self.warn, progress=self.sigProgress.emit)
        self._connect_parts()
        restore_settings(self)
        self._restore_config()
        self._sync_toggles(self.panels.config())
        self.set_running(False)
        self.idle("Ready. Choose a preset or set the panels, then Run (Ctrl+R); Ctrl+G runs a loss × data grid.")

    def _connect_parts(self) -> None:
        self.panels.sigChanged.connect(self._config_changed)
        self.panels.sigValidity.connect(self._validity_changed)
        self.panels.sigPresetChosen.connect(self.show_claim)
        self.results.sigSelectionChanged.connect(self.show_comparison)
        self.results.sigLoadConfig.connect(self.panels.set_config)
        self.ui.tabs.currentChanged.connect(self._tab_changed)
        self.run_view.connect(self.runner)
        self.runner.sigEnded.connect(self._run_ended)
        self.drops = FigureDropFilter(self)
        for widget in (self.live.plot_widget, self.comparison.plot_widget, self.grid_panel.view.layout_widget):
            self.drops.watch(widget.viewport())  # plots take drags themselves; figures dropped on them count too
        self.drops.sigFigureDropped.connect(self.files.open_figure)

    def _tab_changed(self, _index: int) -> None:
        # The grid's small multiples and the comparison's panels need the width; the reconstruction belongs
        # with the live plot.
        self.ui.recon_tabs.setVisible(self.ui.tabs.currentIndex() == 0)

    def _restore_config(self) -> None:
        text = QSettings().value("config")
        try:
            self.panels.set_config(config_io.from_json(text) if text else cfg.RunConfig())
        except Exception as exc:  # noqa: BLE001 - a broken or foreign setting must never keep the window shut
            self.panels.set_config(cfg.RunConfig())
            why = exc.problems[0] if isinstance(exc, cfg.ConfigError) else type(exc).__name__
            self.settings_warning = f"The saved config could not be used ({why}); the panels start from the defaults."
            print(f"aegui: warning: {self.settings_warning}", file=sys.stderr)
            self.say(self.settings_warning)

    # ---------------------------------------------------------------- runs

    def is_running(self) -> bool:
        """True from Run until the worker's thread has been joined."""
        return self.runner.is_running()

    def start_run(self) -> bool:
        """Start training the panels' config (× the seeds spin box); False, saying why, when it cannot."""
        problems = self.panels.problems()
        if problems:
            self.say("Cannot run: " + "; ".join(str(p) for p in problems))
            return False
        config = self.panels.config()
        QSettings().setValue("config", config_io.to_json(config))  # the panels' config, never a grid cell's
        return self.launch(config, self.acts.seeds.value())

    def launch(self, config, copies: int = 1, group: str | None = None) -> bool:
        """Start config as `copies` seeded copies, stored in group; False while another run is going, the store
        is read-only, or the memory guard refuses it (saying why in a dialog)."""
        refusal = launch_refusal(self.store, config, copies)
        if refusal:
            self.say("Cannot run: " + refusal.splitlines()[0])
            self.warn("Cannot run", refusal)
            return False
        if not self.runner.start(config, copies, group):
            return False
        if group is None:  # a single run is watched on the live plot, even when started from the Grid tab
            self.ui.tabs.setCurrentIndex(0)
        # The live plot is cleared when the run has started (start_run): until then the last run stays whole,
        # and becomes a ghost with every batch it sent.
        self.set_running(True)
        self.say(f"Starting {config.label()}…")
        return True

    def _run_ended(self, outcome: str) -> None:
        self.set_running(self.runner.is_running())  # a rerun may already have started the next one
        if not self.closed:
            self.run_view.ended()
        self.sigRunEnded.emit(outcome)
        if not self.closed and outcome != "cancelled":
            self.queue.next_queued()
        elif outcome == "cancelled":
            self.queue.clear()  # Stop stops the queue too

    def stop_run(self) -> None:
        """Stop the run (and any grid); it ends within a batch and is stored as cancelled."""
        self.runner.stop()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the run."""
        self.runner.set_paused(paused)
        self.acts.pause.setText("Resume" if paused else "Pause")

    def rerun(self) -> None:
        """Stop the current run, if any, and start the panels' config once it has ended."""
        if self.panels.is_valid() and self.queue.grid_run is None:
            self.runner.restart(self.panels.config(), self.acts.seeds.value())
            self.set_running(True)

    def set_running(self, running: bool) -> None:
        """Enable the actions that fit a run going (or none)."""
        self.acts.run.setEnabled(not running and self.panels.is_valid())
        self.acts.grid.setEnabled(not running)
        self.acts.stop.setEnabled(running)
        self.acts.pause.setEnabled(running)
        self.acts.seeds.setEnabled(not running)
        if not running:
            self.acts.pause.setChecked(False)
            self.acts.pause.setText("Pause")

    # ---------------------------------------------------------------- toggles, presets

    def _toggle_triggered(self, action: QAction) -> None:
        path, value = action.data()
        self.apply_toggle(path, value)

    def apply_toggle(self, path: str, value: str) -> bool:
        """Apply a loss or data toggle, keeping the config valid; refuse, saying why, when it cannot be."""
        new, added = toggled_config(self.panels.config(), path, value)
        if added:
            # Each problem names its field and value already: said once, not "data.kind = gaussian: data.kind = …".
            said = [p.split(": ", 1)[1] if p.startswith(f"{path} = ") else p for p in added]
            self.say(f"Refused {path} = {value}: " + "; ".join(said))
            self._sync_toggles(self.panels.config())
            return False
        self.panels.set_config(new)
        if self.acts.rerun.isChecked():
            self.rerun()
        return True

    def _sync_toggles(self, config) -> None:
        sync_toggles(self.acts.loss, config.loss.kind)
        sync_toggles(self.acts.data, config.data.kind)

    def _config_changed(self, config) -> None:
        self._sync_toggles(config)
        self._show_claim_text(config)

    def show_claim(self, preset) -> None:
        """Remember the chosen preset: its own words head the banner while the panels still hold it."""
        self.preset = preset
        self._show_claim_text(self.panels.config())

    def _show_claim_text(self, config) -> None:
        # Built from the config on screen every time: a banner frozen at the preset told BCE users "toward zero".
        if self.panels.problems():
            self.ui.claim.setText("<b>This config cannot run yet</b> — fix the fields marked in red in the panels.")
        else:
            self.ui.claim.setText(banner_html(config, self.preset, self.panels.file_card(config)))
        self.ui.claim.setVisible(True)

    def _validity_changed(self, ok: bool) -> None:
        self.acts.run.setEnabled(ok and not self.is_running())
        if not ok:
            self.statusBar().showMessage("Fix the fields marked in red to run", 5000)

    # ---------------------------------------------------------------- comparison, messages, closing

    def show_comparison(self, run_ids: list) -> None:
        """Overlay the given stored runs in the comparison plot."""
        if self.closed:  # the pane's store is closed; tearing down the table still reports selections
            return
        # Only the curves drawn are read: selecting all of a 10,000-run store must not load every curve; a big
        # one is read in the background (a 1,000,000-batch × 64-seed band froze the window 9.3 s).
        pairs = self.stored_comparison.show(list(run_ids)[:MAX_CURVES], total=len(run_ids))
        self.comparison.set_hint(None if pairs else COMPARE_HINT)
        standing = self.ui.idle_label.text()
        if run_ids and standing.endswith(COMPARE_IDLE_HINT):  # done: it would stand beside the compared runs
            self.ui.idle_label.setText(standing[: -len(COMPARE_IDLE_HINT)])
        tabs = self.ui.tabs
        tabs.setTabText(tabs.indexOf(self.comparison), f"{COMPARE_TAB} ({len(run_ids):,})" if run_ids else COMPARE_TAB)
        # Two or more runs picked in the table are picked to be compared: show them. Not on a selection the
        # window makes itself (a run's end, a refresh), which must not take the live plot away.
        if len(run_ids) >= 2 and self.results.view.hasFocus():
            tabs.setCurrentWidget(self.comparison)

    def on_warm_up(self, info: dict) -> None:
        """torch is imported (off the GUI thread): offer CUDA if it exists."""
        self.panels.set_cuda_available(bool(info.get("cuda")))
        self.say(f"torch {info['torch']} ready" if "torch" in info else f"torch failed: {info.get('error')}")

    def say(self, text: str) -> None:
        """Show text in the status bar for 10 s, and keep it as last_message."""
        self.last_message = text
        self.statusBar().showMessage(text, 10_000)

    def warn(self, title: str, text: str) -> None:
        """A warning dialog, opened (not exec(): the window keeps running behind it) unless the window is closing."""
        if not self.closed:
            self.failure_box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                                           self)
            self.failure_box.open()

    def idle(self, text: str) -> None:
        """The status bar's standing line, shown whenever no temporary message covers it."""
        self.ui.idle_label.setText(text)

    def _noop(self, *_args) -> None:
        """The rerun toggle is read when a toggle fires; nothing to do when it changes."""

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Stop a running worker (stored as cancelled) and join its thread before the window goes."""
        self.closed = True
        save_settings(self)
        QSettings().setValue("config", config_io.to_json(self.panels.config()))
        self.runner.shutdown()
        self.stored_comparison.shutdown()
        from ...core.run.standby import stop_server
        stop_server()  # the standby training process, where runs are spawned
        self.results.close_store()
        super().closeEvent(event)
