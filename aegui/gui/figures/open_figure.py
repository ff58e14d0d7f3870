"""Reopening saved figures: list the runs a PNG / SVG carries and rerun one; drag and drop of figure files."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...core.config import config as config_mod
from ...core.config import config_io
from .export import ExportError, read_figure
from ..palette import ERROR_RED
from ..plots.plot_base import MUTED

FIGURE_SUFFIXES = (".png", ".svg")
COLUMNS = ("run", "loss", "data", "final loss", "floor", "seeds")
ERROR_STYLE = f"color: {ERROR_RED}; background: #FDEDEC; border: 1px solid #F5B7B1; padding: 8px;"


def _num(v) -> str:
    return "—" if not isinstance(v, (int, float)) or not math.isfinite(v) else f"{v:.4g}"


def named(cfg, name):
    """cfg carrying the run's name from the figure (a rename in the results pane lives on the row, not the config),
    so a rerun is stored under the name the figure shows."""
    if isinstance(name, str) and name.strip() and name != cfg.name:
        return config_mod.with_changes(cfg, name=name)
    return cfg


def figure_path(mime: QtCore.QMimeData | None) -> str | None:
    """The first local .png / .svg file in dragged data, or None."""
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in FIGURE_SUFFIXES:
            return url.toLocalFile()
    return None


def accept_figure_drop(event) -> str | None:
    """For dragEnter/dragMove/drop events: accept a figure file and return its path, else ignore and return None."""
    path = figure_path(event.mimeData())
    if path:
        event.acceptProposedAction()
    else:
        event.ignore()
    return path


class FigureDropFilter(QtCore.QObject):
    """Event filter giving any widget figure drag and drop: emits sigFigureDropped(path)."""

    sigFigureDropped = QtCore.Signal(str)

    def __init__(self, target: QtWidgets.QWidget):
        super().__init__(target)
        self.watch(target)

    def watch(self, widget: QtWidgets.QWidget) -> None:
        """Also take figure drops on widget (e.g. a plot's viewport, which would otherwise swallow them)."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        """Accept figure drags; on drop emit the path. Other drags pass on to the widget."""
        kind = event.type()
        if kind in (QtCore.QEvent.Type.DragEnter, QtCore.QEvent.Type.DragMove):
            if figure_path(event.mimeData()) is None:
                return False
            event.acceptProposedAction()
            return True
        if kind == QtCore.QEvent.Type.Drop:
            path = figure_path(event.mimeData())
            if path:
                event.acceptProposedAction()
                self.sigFigureDropped.emit(path)
                return True
        return False


class FigureDialog(QtWidgets.QDialog):
    """The runs a saved figure carries: emits sigLoad or sigRerun(RunConfig, copies). Never executes anything."""

    sigRerun = QtCore.Signal(object, int)  # once per selected run, with the seeds (copies) the figure's run had
    sigLoad = QtCore.Signal(object, int)

    def __init__(self, path=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Open figure")
        self.resize(720, 360)
        self.runs: list[dict] = []
        self.configs: list = []
        self.path_label = QtWidgets.QLabel()
        self.path_label.setStyleSheet(f"color: {MUTED};")
        self.path_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.table = self._make_table()
        self.rerun_button = QtWidgets.QPushButton("Rerun")
        self.rerun_button.setToolTip("Train the selected runs' configs again, each with its own number of seeds; "
                                     "the figure's own numbers stay as they were.")
        self.rerun_button.setDefault(True)
        self.rerun_button.clicked.connect(self.rerun_selected)
        self.load_button = QtWidgets.QPushButton("Load into panels")
        self.load_button.setToolTip("Put this run's config in the panels, to tweak it before running.")
        self.load_button.clicked.connect(self.load_selected)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.rerun_button)
        buttons.addWidget(close)
        layout = QtWidgets.QVBoxLayout(self)
        for w in (self.path_label, self.message, self.table):
            layout.addWidget(w)
        layout.addLayout(buttons)
        self.setAcceptDrops(True)  # dropping another figure onto the dialog opens that one
        if path is not None:
            self.open_path(path)
        else:
            self._show_error("No figure opened yet: drop a PNG or SVG saved by aegui here.")

    def _make_table(self) -> QtWidgets.QTableWidget:
        table = QtWidgets.QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        table.itemSelectionChanged.connect(self._update_button)
        table.cellDoubleClicked.connect(lambda *_: self.rerun_selected())
        return table

    def open_path(self, path) -> bool:
        """Read a figure's runs and list them; on any problem show why (inline) and return False."""
        self.path_label.setText(str(path))
        try:
            runs = read_figure(path)
            configs = [named(config_io.from_dict(run["config"]), run.get("name")) for run in runs]
        except (ExportError, config_mod.ConfigError, ValueError, TypeError, KeyError) as exc:
            # A figure is untrusted input: whatever is wrong with it is shown, never raised.
            self._show_error(str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - anything else still reaches the user, not stderr alone
            self._show_error(f"{path}: cannot be read as an aegui figure ({type(exc).__name__})")
            return False
        if not runs:
            self._show_error(f"{path}: the figure's aegui metadata lists no runs")
            return False
        self.runs, self.configs = runs, configs
        self._fill()
        return True

    def _show_error(self, text: str) -> None:
        self.runs, self.configs = [], []
        self.table.setRowCount(0)
        self.table.setVisible(False)
        self.message.setText(text)
        self.message.setVisible(True)
        self._update_button()

    def _fill(self) -> None:
        self.message.setVisible(False)
        self.table.setVisible(True)
        self.table.setRowCount(len(self.runs))
        for i, (run, cfg) in enumerate(zip(self.runs, self.configs)):
            summary = run.get("summary") or {}
            label = f"#{run.get('run_id', '?')} {run.get('name') or cfg.label()}"
            floor = _num(summary.get("floor")) + ("" if summary.get("floor_exact", True) else " (lower bound)")
            for j, text in enumerate((label, cfg.loss.kind, f"{cfg.data.kind} ×{cfg.data.features}",
                                      _num(summary.get("final_loss")), floor, str(self.copies(i)))):
                item = QtWidgets.QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.selectRow(0)

    def _update_button(self) -> None:
        self.rerun_button.setEnabled(self.selected_config() is not None)
        self.load_button.setEnabled(self.selected_config() is not None)

    def copies(self, i: int) -> int:
        """How many seeds run i of the figure trained (1 when the figure does not say)."""
        n = (self.runs[i].get("summary") or {}).get("copies", 1)
        return min(max(n, 1), 64) if isinstance(n, int) and not isinstance(n, bool) else 1

    def selected_indices(self) -> list[int]:
        """The selected runs' positions, in the figure's order."""
        if not self.configs:
            return []
        return sorted(index.row() for index in self.table.selectionModel().selectedRows())

    def selected_config(self):
        """The RunConfig of the first selected run, or None."""
        rows = self.selected_indices()
        return self.configs[rows[0]] if rows else None

    def rerun_selected(self) -> None:
        """Emit sigRerun(config, copies) for each selected run, in order, and close the dialog."""
        # A figure naming a data file is asked about first; a run the user declines is left out.
        rows = [i for i in self.selected_indices() if self._may_read_data(self.configs[i])]
        for i in rows:
            self.sigRerun.emit(self.configs[i], self.copies(i))
        if rows:
            self.accept()

    def _may_read_data(self, cfg) -> bool:
        """A figure naming a data file is untrusted: show the path and ask before anything reads it."""
        if cfg.data.kind != "file":
            return True
        answer = QtWidgets.QMessageBox.question(
            self, "Read a data file?",
            f"This figure's run trains on the data file\n\n{cfg.data.file}\n\nnamed inside the figure, not "
            "chosen by you. Read that file and train on it?",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
            QtWidgets.QMessageBox.StandardButton.No)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def load_selected(self) -> None:
        """Emit sigLoad(config, copies) with the first selected run and close the dialog; a data file named
        in the figure is asked about first, as for Rerun (the panels read it to describe it)."""
        rows = self.selected_indices()
        if rows and self._may_read_data(self.configs[rows[0]]):
            self.sigLoad.emit(self.configs[rows[0]], self.copies(rows[0]))
            self.accept()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Accept a dragged figure file."""
        accept_figure_drop(event)

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Open a dropped figure in this dialog."""
        path = accept_figure_drop(event)
        if path:
            self.open_path(path)


def launch_refusal(store, config, copies: int = 1) -> str:
    """Why the window must not start config (a read-only store, the memory guard), or '' when it may."""
    from ...core.data import data
    from ...core.engine import memory
    if getattr(store, "read_only", False):
        return f"The run store is open read-only: {store.notice}"
    try:
        memory.check(config, copies, None, data.shape_of(config.data))
    except config_mod.ConfigError as exc:
        return "\n".join(str(p) for p in exc.problems)
    return ""


def open_figure(parent=None, path=None) -> FigureDialog | None:
    """File ▸ Open figure: ask for a file when path is None; the dialog (shown, non-modal) or None if cancelled."""
    if path is None:
        from ..file_dialogs import ask_open
        path = ask_open(parent, "Open figure", "aegui figures (*.png *.svg)")
        if not path:
            return None
    dialog = FigureDialog(path, parent)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
