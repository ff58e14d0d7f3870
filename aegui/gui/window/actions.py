"""The main window's actions, menus and toolbar: built here so the window itself keeps only behaviour."""

from __future__ import annotations

from functools import partial

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QSpinBox, QToolBar, QWidget

from .help_menu import build_help
from .toggles import DATA_TOGGLES, LOSS_TOGGLES, toggle_group

MAX_SEEDS = 64


def make_action(window, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
    """A window action with its shortcut shown in the tooltip."""
    action = QAction(text, window)
    action.setCheckable(checkable)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
    action.setStatusTip(tip)
    (action.toggled if checkable else action.triggered).connect(slot)
    return action


def build_actions(w) -> None:
    """Create every action of window w as attributes (run_action, save_action, …)."""
    a = partial(make_action, w)
    w.run_action = a("Run", w.start_run, "Ctrl+R", "Train the config in the panels")
    w.stop_action = a("Stop", w.stop_run, "Esc", "Stop the run (or the grid); it is stored as cancelled")
    w.pause_action = a("Pause", w.set_paused, "Ctrl+P", "Hold the run; again to resume", True)
    w.rerun_action = a("Rerun on toggle", w._noop, None,
                       "A loss or data toggle stops the run and starts the new one", True)
    w.grid_action = a("Grid…", w.open_grid_dialog, "Ctrl+G",
                      "Train every loss × data combination and compare them side by side")
    w.import_action = a("Import config…", w.import_config, QKeySequence.StandardKey.Open,
                        "Load a config JSON file into the panels")
    w.export_action = a("Export config…", w.export_config, "Ctrl+E", "Save the panels' config as JSON")
    w.open_figure_action = a("Open figure…", w.open_figure, "Ctrl+Shift+O",
                             "Read the runs a saved aegui PNG or SVG carries, to rerun them")
    w.save_action = a("Save comparison…", w.save_comparison, QKeySequence.StandardKey.Save,
                      "Save the selected runs' curves as PNG, SVG or CSV")
    w.save_grid_action = a("Save grid image…", w.save_grid_image, "Ctrl+Shift+S",
                           "Save the grid's small multiples as one PNG or SVG")
    w.quit_action = a("Quit", w.close, QKeySequence.StandardKey.Quit, "Close aegui")
    w.about_action = a("About aegui", w.show_about, None, "Versions and where runs are stored")
    w.loss_actions = toggle_group(w, LOSS_TOGGLES, "loss.kind", "Loss", w._toggle_triggered)
    w.data_actions = toggle_group(w, DATA_TOGGLES, "data.kind", "Data", w._toggle_triggered)


def _fill(menu, actions) -> None:
    for act in actions:
        menu.addAction(act) if act else menu.addSeparator()


def build_menus(w) -> None:
    """The menu bar and the run toolbar (with the seeds spin box) of window w."""
    bar = w.menuBar()
    _fill(bar.addMenu("&File"), (w.import_action, w.export_action, None, w.open_figure_action, None,
                                 w.save_action, w.save_grid_action, None, w.quit_action))
    run_menu = bar.addMenu("&Run")
    _fill(run_menu, (w.run_action, w.stop_action, w.pause_action, None, w.grid_action, None, w.rerun_action))
    run_menu.addMenu("Loss").addActions(list(w.loss_actions.values()))
    run_menu.addMenu("Data").addActions(list(w.data_actions.values()))
    build_help(w, bar.addMenu("&Help"))
    tools = QToolBar("Run")
    tools.setObjectName("run_toolbar")
    tools.setMovable(False)
    tools.addActions([w.run_action, w.stop_action, w.pause_action])
    tools.addWidget(_seeds_box(w))
    for label, group in (("Loss", w.loss_actions), ("Data", w.data_actions)):
        tools.addSeparator()
        tools.addWidget(_muted(f" {label}: "))
        tools.addActions(list(group.values()))
    tools.addSeparator()
    tools.addActions([w.rerun_action, w.grid_action, w.save_action])
    w.addToolBar(tools)
    w.toolbar = tools


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: #8a8a8a;")
    return label


class SeedsSpin(QSpinBox):
    """'Repeat × N seeds', 1 to MAX_SEEDS, with the right plural."""

    def __init__(self):
        super().__init__()
        self.setRange(1, MAX_SEEDS)
        self.setPrefix("Repeat × ")
        self.valueChanged.connect(self._plural)
        self._plural(self.value())

    def _plural(self, value: int) -> None:
        self.setSuffix(" seed" if value == 1 else " seeds")


def _seeds_box(w) -> QWidget:
    spin = SeedsSpin()
    spin.setToolTip("Train N copies from N seeds as one batched model: the plot shows their median and "
                    "min–max band, so you can tell a real difference from seed noise.")
    spin.setObjectName("seeds_spin")
    w.seeds_spin = spin
    return spin
