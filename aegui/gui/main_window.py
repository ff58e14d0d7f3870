"""The main window: panels, live plot, results and comparison; it owns the worker's lifetime, not training."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QMainWindow, QMessageBox, QScrollArea, QSplitter, QToolBar)

from aegui.core import config as cfg
from aegui.core.store import RunStore

from .loss_plot import ComparisonPlot, LivePlot
from .panels import ConfigPanels
from .results import ResultsPane
from .run_status import RunStatus
from .toggles import DATA_TOGGLES, LOSS_TOGGLES, sync_toggles, toggle_group, toggled_config
from .runner import RunController

SPLITTERS = ("main_split", "right_split", "bottom_split")


class MainWindow(QMainWindow):
    """aegui's window: configure, toggle, run, watch, compare, save."""

    sigProgress = Signal(int)  # batches shown so far in the live plot
    sigRunEnded = Signal(str)  # finished / cancelled / failed, once the worker's thread has been joined

    def __init__(self, data_dir: str | None = None):
        super().__init__()
        self.setWindowTitle("aegui — why won't my loss go to zero?")
        store = RunStore.open(data_dir)  # creates the folder, or raises StoreError saying why not
        self.store_path = str(store.path)
        store.close()
        self.runner = RunController(self.store_path, self)
        self._closed = False
        self.last_message = ""
        self.failure_box: QMessageBox | None = None
        self._build_parts()
        self._connect_parts()
        self._build_actions()
        self._build_menus_and_toolbar()
        self.status = RunStatus(self.statusBar())
        self._restore_settings()
        self._sync_toggles(self.panels.config())
        self._set_running(False)

    # ---------------------------------------------------------------- layout

    def _build_parts(self) -> None:
        self.panels = ConfigPanels()
        scroll = QScrollArea()
        scroll.setWidget(self.panels)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.panels.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
                               + 2 * scroll.frameWidth())
        self.live = LivePlot()
        self.results = ResultsPane(self.store_path)
        self.comparison = ComparisonPlot()
        self.bottom_split = QSplitter(Qt.Orientation.Horizontal)
        self.bottom_split.addWidget(self.results)
        self.bottom_split.addWidget(self.comparison)
        self.right_split = QSplitter(Qt.Orientation.Vertical)
        self.right_split.addWidget(self.live)
        self.right_split.addWidget(self.bottom_split)
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(scroll)
        self.main_split.addWidget(self.right_split)
        self.main_split.setStretchFactor(1, 1)
        self.setCentralWidget(self.main_split)

    def _connect_parts(self) -> None:
        self.panels.sigChanged.connect(self._sync_toggles)
        self.panels.sigValidity.connect(self._validity_changed)
        self.results.sigSelectionChanged.connect(self.show_comparison)
        self.results.sigLoadConfig.connect(self.panels.set_config)
        r = self.runner
        for signal, slot in ((r.sigStarted, self._on_started), (r.sigChunk, self._on_chunk),
                             (r.sigEpochs, self._on_epochs), (r.sigPaused, self._on_paused),
                             (r.sigFinished, self._on_finished), (r.sigFailed, self._on_failed),
                             (r.sigEnded, self._on_ended)):
            signal.connect(slot)

    def _action(self, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setCheckable(checkable)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
        action.setStatusTip(tip)
        (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.run_action = a("Run", self.start_run, "Ctrl+R", "Train the config in the panels")
        self.stop_action = a("Stop", self.stop_run, "Esc", "Stop the run; it is stored as cancelled")
        self.pause_action = a("Pause", self.set_paused, "Ctrl+P", "Hold the run; again to resume", True)
        self.rerun_action = a("Rerun on toggle", self._noop, None,
                              "A loss or data toggle stops the run and starts the new one", True)
        self.import_action = a("Import config…", self.import_config, QKeySequence.StandardKey.Open,
                               "Load a config JSON file into the panels")
        self.export_action = a("Export config…", self.export_config, "Ctrl+E", "Save the panels' config as JSON")
        self.save_action = a("Save comparison…", self.save_comparison, QKeySequence.StandardKey.Save,
                             "Save the selected runs' curves as PNG, SVG or CSV")
        self.quit_action = a("Quit", self.close, QKeySequence.StandardKey.Quit, "Close aegui")
        self.about_action = a("About aegui", self.show_about, None, "Versions and where runs are stored")
        self.loss_actions = toggle_group(self, LOSS_TOGGLES, "loss.kind", "Loss", self._toggle_triggered)
        self.data_actions = toggle_group(self, DATA_TOGGLES, "data.kind", "Data", self._toggle_triggered)

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for act in (self.import_action, self.export_action, None, self.save_action, None, self.quit_action):
            file_menu.addAction(act) if act else file_menu.addSeparator()
        run_menu = bar.addMenu("&Run")
        for act in (self.run_action, self.stop_action, self.pause_action, None, self.rerun_action):
            run_menu.addAction(act) if act else run_menu.addSeparator()
        run_menu.addMenu("Loss").addActions(list(self.loss_actions.values()))
        run_menu.addMenu("Data").addActions(list(self.data_actions.values()))
        bar.addMenu("&Help").addAction(self.about_action)
        tools = QToolBar("Run")
        tools.setObjectName("run_toolbar")
        tools.addActions([self.run_action, self.stop_action, self.pause_action])
        for group in (self.loss_actions, self.data_actions):
            tools.addSeparator()
            tools.addActions(list(group.values()))
        tools.addSeparator()
        tools.addActions([self.rerun_action, self.save_action])
        self.addToolBar(tools)

    # ---------------------------------------------------------------- runs

    def is_running(self) -> bool:
        """True from Run until the worker's thread has been joined."""
        return self.runner.is_running()

    def start_run(self) -> bool:
        """Start training the panels' config; False (saying why) when it is invalid or a run is going."""
        problems = self.panels.problems()
        if problems:
            self._say("Cannot run: " + "; ".join(str(p) for p in problems))
            return False
        config = self.panels.config()
        if not self.runner.start(config):
            return False
        QSettings().setValue("config", cfg.to_json(config))
        self.live.clear()
        self._set_running(True)
        self._say(f"Starting {config.label()}…")
        return True

    def stop_run(self) -> None:
        """Stop the run; it ends within a batch and is stored as cancelled."""
        self.runner.stop()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the run."""
        self.runner.set_paused(paused)
        self.pause_action.setText("Resume" if paused else "Pause")

    def rerun(self) -> None:
        """Stop the current run, if any, and start the panels' config once it has ended."""
        if self.panels.is_valid():
            self.runner.restart(self.panels.config())
            self.live.clear()
            self._set_running(True)

    def _set_running(self, running: bool) -> None:
        self.run_action.setEnabled(not running and self.panels.is_valid())
        self.stop_action.setEnabled(running)
        self.pause_action.setEnabled(running)
        if not running:
            self.pause_action.setChecked(False)
            self.pause_action.setText("Pause")

    # ---------------------------------------------------------------- run signals (GUI thread)

    def _on_started(self, info: dict) -> None:
        self.live.start_run(info)
        self.status.start(info)
        self._say(f"Training {info['label']} on {info['device']}. {info.get('device_note', '')}".strip())

    def _on_chunk(self, steps, losses, seconds, epochs) -> None:
        self.live.append(steps, losses, seconds, epochs)
        self.status.update(int(steps[-1]) + 1, float(seconds[-1]))
        self.sigProgress.emit(self.live.point_count())

    def _on_epochs(self, rows: list) -> None:
        for row in rows:
            self.live.add_epoch(**row)

    def _on_paused(self, paused: bool) -> None:
        self._say("Paused: Ctrl+P resumes" if paused else "Resumed")

    def _on_finished(self, end) -> None:
        self.status.end(f"{end.stop_reason}: {end.epochs} epochs")
        self._say(f"Run {end.stop_reason} after {end.batches:,} batches; final loss {end.final_loss:.4g}")

    def _on_failed(self, message: str) -> None:
        self.status.end("failed")
        self._say("Run failed: " + message.splitlines()[0])
        if not self._closed:
            self.failure_box = QMessageBox(QMessageBox.Icon.Warning, "Run failed", message,
                                           QMessageBox.StandardButton.Ok, self)
            self.failure_box.open()  # not exec(): the window keeps running behind it

    def _on_ended(self, outcome: str) -> None:
        self._set_running(self.runner.is_running())  # a rerun may already have started the next one
        if not self._closed:
            self.results.refresh()
        self.sigRunEnded.emit(outcome)

    # ---------------------------------------------------------------- toggles

    def _toggle_triggered(self, action: QAction) -> None:
        path, value = action.data()
        self.apply_toggle(path, value)

    def apply_toggle(self, path: str, value: str) -> bool:
        """Apply a loss or data toggle, keeping the config valid; refuse, saying why, when it cannot be."""
        new, added = toggled_config(self.panels.config(), path, value)
        if added:
            self._say(f"Refused {path} = {value}: " + "; ".join(added))
            self._sync_toggles(self.panels.config())
            return False
        self.panels.set_config(new)
        if self.rerun_action.isChecked():
            self.rerun()
        return True

    def _sync_toggles(self, config) -> None:
        sync_toggles(self.loss_actions, config.loss.kind)
        sync_toggles(self.data_actions, config.data.kind)

    def _validity_changed(self, ok: bool) -> None:
        self.run_action.setEnabled(ok and not self.is_running())
        if not ok:
            self.statusBar().showMessage("Fix the fields marked in red to run", 5000)

    # ---------------------------------------------------------------- files, comparison, about

    def show_comparison(self, run_ids: list) -> None:
        """Overlay the given stored runs in the comparison plot."""
        if self._closed:  # the pane's store is closed; tearing down the table still reports selections
            return
        self.comparison.set_runs(self.results.rows_and_losses(run_ids))

    def import_config(self) -> None:
        """Ask for a config JSON file and load it into the panels."""
        path, _ = QFileDialog.getOpenFileName(self, "Import config", "", "Config JSON (*.json)")
        if path:
            try:
                self.panels.load_file(path)
            except cfg.ConfigError as exc:
                QMessageBox.warning(self, "Cannot import config", str(exc))

    def export_config(self) -> None:
        """Ask for a path and save the panels' config there as JSON."""
        path, _ = QFileDialog.getSaveFileName(self, "Export config", "config.json", "Config JSON (*.json)")
        if path:
            try:
                self.panels.save_file(path)
            except OSError as exc:
                QMessageBox.warning(self, "Cannot export config", f"{path}: {exc.strerror or exc}")

    def save_comparison(self) -> None:
        """Save the selected runs (Ctrl+S) through the export dialog."""
        run_ids = self.results.selected_run_ids()
        if not run_ids:
            self._say("Select one or more runs in the results table to save their comparison")
            return
        from .export import export_dialog
        export_dialog(self, self.results.store, run_ids)

    def show_about(self) -> None:
        """The About box, with the versions a bug report needs."""
        from .app import versions
        lines = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in versions().items())
        QMessageBox.about(self, "About aegui",
                          "<b>aegui</b>: why won't my autoencoder's loss go to zero? Run the experiment."
                          f"<table>{lines}</table><p>Runs are stored in {self.store_path}</p>")

    def on_warm_up(self, info: dict) -> None:
        """torch is imported (off the GUI thread): offer CUDA if it exists."""
        self.panels.set_cuda_available(bool(info.get("cuda")))
        self._say(f"torch {info['torch']} ready" if "torch" in info else f"torch failed: {info.get('error')}")

    def _say(self, text: str) -> None:
        self.last_message = text
        self.statusBar().showMessage(text, 10_000)

    def _noop(self, *_args) -> None:
        """The rerun toggle is read when a toggle fires; nothing to do when it changes."""

    # ---------------------------------------------------------------- settings and closing

    def _restore_settings(self) -> None:
        s = QSettings()
        if s.value("geometry") is not None:
            self.restoreGeometry(s.value("geometry"))
            self.restoreState(s.value("state"))
        else:
            self.resize(1400, 860)
            self.main_split.setSizes([400, 1000])
            self.right_split.setSizes([480, 380])
            self.bottom_split.setSizes([560, 480])
        for name in SPLITTERS:
            if s.value(name) is not None:
                getattr(self, name).restoreState(s.value(name))
        self.rerun_action.setChecked(s.value("rerun_on_toggle", False, type=bool))
        try:
            self.panels.set_config(cfg.from_json(s.value("config")) if s.value("config") else cfg.RunConfig())
        except cfg.ConfigError:
            pass  # a config from another version: start from the defaults

    def _save_settings(self) -> None:
        s = QSettings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("state", self.saveState())
        for name in SPLITTERS:
            s.setValue(name, getattr(self, name).saveState())
        s.setValue("rerun_on_toggle", self.rerun_action.isChecked())
        s.setValue("config", cfg.to_json(self.panels.config()))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Stop a running worker (stored as cancelled) and join its thread before the window goes."""
        self._closed = True
        self._save_settings()
        self.runner.shutdown()
        self.results.close_store()
        super().closeEvent(event)

