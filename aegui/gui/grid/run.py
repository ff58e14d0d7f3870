"""Running a grid: one run per cell through the RunController, one after another, filling the GridView live."""

from __future__ import annotations

import time

from PySide6 import QtCore, QtWidgets

from ...core.engine.records import LossChunk, RunStart
from .figure import GridView
from ..plots.plot_base import MUTED, hinted_stack

GRID_HINT = ("Run ▸ Grid… (Ctrl+G) trains every loss × data combination — by default the seed answer's "
             "{MSE, BCE} × {uniform, Bernoulli} — and draws them here side by side, each with its floor.")


class GridPanel(QtWidgets.QWidget):
    """The Grid tab: a hint until the first grid, then the small multiples and a Save button."""

    def __init__(self, save_action, parent=None):
        super().__init__(parent)
        self.view = GridView()
        self.status = QtWidgets.QLabel("")
        self.status.setStyleSheet(f"color: {MUTED};")
        save = QtWidgets.QToolButton()
        save.setDefaultAction(save_action)
        save.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        self.excess_box = QtWidgets.QCheckBox("Excess over floor")
        self.excess_box.setToolTip("Plot loss − floor (BCE: each batch's own floor); saved grids follow this view.")
        self.excess_box.toggled.connect(self.view.set_excess)
        for widget, stretch in ((self.status, 1), (self.excess_box, 0), (save, 0)):
            bar.addWidget(widget, stretch)
        self.stack = hinted_stack(self.view, GRID_HINT)
        self.hint = self.stack.hint_label
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

    def show_grid(self) -> None:
        """Swap the hint for the grid."""
        self.stack.setCurrentWidget(self.view)


class GridRun(QtCore.QObject):
    """Trains the accepted cells one at a time (copies each) in one stored group; emits sigDone(outcome)."""

    sigCell = QtCore.Signal(int, int, str)  # index, total, 'loss × data'
    sigDone = QtCore.Signal(str)            # finished / cancelled / failed

    def __init__(self, cells, launch, runner, store, view: GridView, copies: int = 1, parent=None):
        super().__init__(parent)
        self.cells, self.launch, self.runner, self.store, self.view = list(cells), launch, runner, store, view
        self.copies = copies
        self.group = f"grid {time.strftime('%Y-%m-%d %H:%M:%S')}"
        self.index = -1
        self.run_ids: list[int] = []
        self._run_id: int | None = None
        self._links = ((runner.sigRecord, self._on_record), (runner.sigEnded, self._on_ended))

    def start(self) -> bool:
        """Lay out the grid and start its first cell; False when a run is already going."""
        if self.runner.is_running() or not self.cells:
            return False
        self.view.set_cells([{"loss": c.loss, "data": c.data, "floor": c.floor, "floor_exact": c.floor_exact}
                             for c in self.cells])
        for signal, slot in self._links:
            signal.connect(slot)
        return self._next()

    def _next(self) -> bool:
        self.index += 1
        if self.index >= len(self.cells):
            self._finish("finished")
            return True
        cell = self.cells[self.index]
        self._run_id = None
        if not self.launch(cell.config, self.copies, self.group):
            self._finish("failed")
            return False
        self.sigCell.emit(self.index, len(self.cells), f"{cell.loss} × {cell.data}")
        return True

    def _on_record(self, record) -> None:
        if isinstance(record, RunStart):
            self._run_id = record.run_id
        elif isinstance(record, LossChunk):  # a seed band's cell draws every copy's loss
            cell = self.cells[self.index]
            values = record.copy_losses if record.copy_losses is not None else record.loss
            self.view.add_live(cell.loss, cell.data, record.steps, values, record.floors)

    def _on_ended(self, outcome: str) -> None:
        cell = self.cells[self.index]
        if self._run_id is not None:
            self.run_ids.append(self._run_id)
            self.view.set_cell({"loss": cell.loss, "data": cell.data, "row": self.store.get_run(self._run_id),
                                "losses": self.store.losses(self._run_id),
                                "floors": self.store.batch_floors(self._run_id)})
        if outcome != "finished":
            self._finish(outcome)
        else:
            self._next()

    def _finish(self, outcome: str) -> None:
        for signal, slot in self._links:
            signal.disconnect(slot)
        self.sigDone.emit(outcome)
