"""The main window's actions, menus and toolbar: built here, handed back as a WindowActions the window keeps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QSpinBox, QToolBar

from ...core.config.schema import MAX_SEEDS
from .help_menu import HelpMenu
from .toggles import DATA_TOGGLES, LOSS_TOGGLES, toggle_group



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


class SeedsSpin(QSpinBox):
    """'Repeat × N seeds', 1 to MAX_SEEDS, with the right plural."""

    def __init__(self):
        super().__init__()
        self.setRange(1, MAX_SEEDS)
        self.setPrefix("Repeat × ")
        self.setToolTip("Train N copies from N seeds as one batched model: the plot shows their median and "
                        "min–max band, so you can tell a real difference from seed noise.")
        self.setObjectName("seeds_spin")
        self.valueChanged.connect(self._plural)
        self._plural(self.value())

    def _plural(self, value: int) -> None:
        self.setSuffix(" seed" if value == 1 else " seeds")


@dataclass
class WindowActions:
    """Every action of the window (its menus and toolbar share them), the toggles and the seeds box."""

    run: QAction
    stop: QAction
    pause: QAction
    rerun: QAction  # checkable: a loss or data toggle reruns
    grid: QAction
    import_config: QAction
    export_config: QAction
    open_figure: QAction
    save: QAction
    save_grid: QAction
    quit: QAction
    about: QAction
    loss: dict[str, QAction]  # loss.kind → its toggle
    data: dict[str, QAction]  # data.kind → its toggle
    seeds: SeedsSpin


def build_actions(w) -> WindowActions:
    """The actions of window w, each connected to the window's slot, its file commands (w.files) or its queue.

    Built before those parts, which are given some of these actions (the seeds box, Save grid image): the
    parts' commands are looked up when an action fires."""
    a = partial(make_action, w)

    def files(name: str):
        return lambda *_: getattr(w.files, name)()
    return WindowActions(
        run=a("Run", w.start_run, "Ctrl+R", "Train the config in the panels"),
        stop=a("Stop", w.stop_run, "Esc", "Stop the run (or the grid); it is stored as cancelled"),
        pause=a("Pause", w.set_paused, "Ctrl+P", "Hold the run; again to resume", True),
        rerun=a("Rerun on toggle", w._noop, None, "A loss or data toggle stops the run and starts the new one", True),
        grid=a("Grid…", lambda *_: w.queue.open_grid_dialog(), "Ctrl+G",
               "Train every loss × data combination and compare them side by side"),
        import_config=a("Import config…", files("import_config"), QKeySequence.StandardKey.Open,
                        "Load a config JSON file into the panels"),
        export_config=a("Export config…", files("export_config"), "Ctrl+E", "Save the panels' config as JSON"),
        open_figure=a("Open figure…", files("open_figure"), "Ctrl+Shift+O",
                      "Read the runs a saved aegui PNG or SVG carries, to rerun them"),
        save=a("Save comparison…", files("save_comparison"), QKeySequence.StandardKey.Save,
               "Save the selected runs' curves as PNG, SVG or CSV"),
        save_grid=a("Save grid image…", files("save_grid_image"), "Ctrl+Shift+S",
                    "Save the grid's small multiples as one PNG or SVG"),
        quit=a("Quit", w.close, QKeySequence.StandardKey.Quit, "Close aegui"),
        about=a("About aegui", files("show_about"), None, "Versions and where runs are stored"),
        loss=toggle_group(w, LOSS_TOGGLES, "loss.kind", "Loss", w._toggle_triggered),
        data=toggle_group(w, DATA_TOGGLES, "data.kind", "Data", w._toggle_triggered),
        seeds=SeedsSpin(),
    )


def _fill(menu, actions) -> None:
    for act in actions:
        menu.addAction(act) if act else menu.addSeparator()


def build_menus(w, acts: WindowActions) -> tuple[QToolBar, HelpMenu]:
    """The menu bar and the run toolbar (with the seeds spin box) of window w; returns the toolbar and Help."""
    bar = w.menuBar()
    _fill(bar.addMenu("&File"), (acts.import_config, acts.export_config, None, acts.open_figure, None,
                                 acts.save, acts.save_grid, None, acts.quit))
    run_menu = bar.addMenu("&Run")
    _fill(run_menu, (acts.run, acts.stop, acts.pause, None, acts.grid, None, acts.rerun))
    run_menu.addMenu("Loss").addActions(list(acts.loss.values()))
    run_menu.addMenu("Data").addActions(list(acts.data.values()))
    help_menu = HelpMenu(w, bar.addMenu("&Help"), acts.about)
    tools = QToolBar("Run")
    tools.setObjectName("run_toolbar")
    tools.setMovable(False)
    # Run, its seeds, Grid and Save first: a narrow window's » overflow then takes the toggles' tail,
    # which the Run ▸ Loss and Run ▸ Data menus also hold (it used to hide "Save comparison…").
    tools.addActions([acts.run, acts.stop, acts.pause])
    tools.addWidget(acts.seeds)
    tools.addActions([acts.grid, acts.save])
    tools.addSeparator()
    tools.addAction(acts.rerun)
    for label, group in (("Loss", acts.loss), ("Data", acts.data)):
        tools.addSeparator()
        tools.addWidget(_muted(f" {label}: "))
        tools.addActions(list(group.values()))
    _steady_width(tools, acts.pause, ("Pause", "Resume"))
    w.addToolBar(tools)
    return tools, help_menu


def _steady_width(tools: QToolBar, action: QAction, texts) -> None:
    """Give action's button the width of its widest text: Pause → Resume shifted the whole toolbar."""
    button = tools.widgetForAction(action)
    shown = action.text()
    widths = []
    for text in texts:
        action.setText(text)
        widths.append(button.sizeHint().width())
    action.setText(shown)
    button.setMinimumWidth(max(widths))


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: #8a8a8a;")
    return label
