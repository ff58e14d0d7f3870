"""Grid… : choose losses × data kinds; every cell is validated by the engine first, refused cells say why."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.config import config as cfg

from ..banner import sig3
from ...core.config.losses import LOSSES
from ...core.config.presets import GRID_DATA as DEFAULT_DATA, GRID_LOSSES as DEFAULT_LOSSES  # the seed answer's design
from ...core.config.vocab import Claim
from ..palette import ERROR_RED
from .cells import LOSS_NAMES

GRID_LOSSES = tuple(LOSSES)  # what the dialog offers; the defaults above are ticked
GRID_DATA = ("uniform", "bernoulli", "redundant", "gaussian")
OK_COLOUR, REFUSED_COLOUR = "#1E7B34", ERROR_RED


@dataclass
class GridCell:
    """One loss × data cell: its config and floor when the engine accepts it, else the reason it refuses."""

    loss: str
    data: str
    config: cfg.RunConfig
    floor: float | None = None
    floor_exact: bool = False
    refused: str = ""
    claim: str = Claim.LOWER_BOUND  # what the floor is for this cell's model (floors.py's claims)


def grid_cells(base: cfg.RunConfig, losses, datas) -> list[GridCell]:
    """Every cell's config, checked by the engine's validate() and its floor estimated from the config alone.

    No data is generated: building each cell's data on the GUI thread froze the window for 13–15 s per
    checkbox at 2M × 20 samples. What only the data can show (a file's value range) is checked when the
    cell starts, and its floor is then measured on the data.
    """
    from ...core.floors.expected import expected_floor
    cells = []
    for loss in losses:
        for data in datas:
            config = cfg.with_changes(cfg.apply_data(cfg.apply_loss(base, loss), data), name=f"{loss} · {data}")
            problems = cfg.validate(config)
            if not problems and data != "file" and config.training.batch_size > config.data.samples:
                problems.append(cfg.Problem("training.batch_size", config.training.batch_size,
                                            f"must be at most the {config.data.samples} samples"))
            if problems:
                cells.append(GridCell(loss, data, config, refused="; ".join(_reason(p) for p in problems)))
                continue
            floor = expected_floor(config)
            cells.append(GridCell(loss, data, config, floor.value, floor.exact, claim=floor.claim))
    return cells


def _reason(problem) -> str:
    # The cell's name already says which loss and data: the field's own message is enough.
    return problem.allowed if problem.field in ("data.kind", "loss.kind") else str(problem)


class GridDialog(QtWidgets.QDialog):
    """Pick the grid's losses and data kinds; lists each cell as accepted (with its floor) or refused (why)."""

    def __init__(self, base: cfg.RunConfig, copies: int = 1, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Grid comparison")
        self.base, self.copies = base, copies
        self.cells: list[GridCell] = []
        self.loss_boxes = self._boxes(GRID_LOSSES, DEFAULT_LOSSES, LOSS_NAMES)
        self.data_boxes = self._boxes(GRID_DATA, DEFAULT_DATA, {})
        self.cell_list = QtWidgets.QListWidget()
        self.cell_list.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        # A refusal is a sentence: wrapped in the list, never behind a horizontal scroll bar.
        self.cell_list.setWordWrap(True)
        self.cell_list.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cell_list.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.run_button = self.buttons.addButton("Run grid", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        self.validate()

    def _boxes(self, values, checked, names) -> dict[str, QtWidgets.QCheckBox]:
        boxes = {}
        for value in values:
            box = QtWidgets.QCheckBox(names.get(value, value))
            box.setChecked(value in checked)
            box.toggled.connect(self.validate)
            boxes[value] = box
        return boxes

    def _lay_out(self) -> None:
        intro = QtWidgets.QLabel(
            "Train every loss × data combination from the panels' config (its samples, features and model), one "
            "after another, and show them as small multiples on shared axes. The default is the seed answer's "
            "own design.")
        intro.setWordWrap(True)
        choose = QtWidgets.QHBoxLayout()
        for title, boxes in (("Losses (rows)", self.loss_boxes), ("Data (columns)", self.data_boxes)):
            group = QtWidgets.QGroupBox(title)
            col = QtWidgets.QVBoxLayout(group)
            for box in boxes.values():
                col.addWidget(box)
            choose.addWidget(group)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(choose)
        layout.addWidget(QtWidgets.QLabel("Cells, as the engine sees them:"))
        layout.addWidget(self.cell_list, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(640, 520)

    def chosen(self) -> tuple[list[str], list[str]]:
        """The checked losses and data kinds, in display order."""
        return ([k for k, b in self.loss_boxes.items() if b.isChecked()],
                [k for k, b in self.data_boxes.items() if b.isChecked()])

    def validate(self, *_args) -> None:
        """Re-check every chosen cell and list it; Run grid needs at least one accepted cell."""
        losses, datas = self.chosen()
        self.cells = grid_cells(self.base, losses, datas)
        self.cell_list.clear()
        for cell in self.cells:
            self.cell_list.addItem(self._item(cell))
        ok = self.accepted_cells()
        refused = len(self.cells) - len(ok)
        seeds = f" × {self.copies} seeds each" if self.copies > 1 else ""
        text = f"{len(ok)} cell(s) will train{seeds}." if ok else "Choose at least one loss and one data kind that fit."
        if refused:
            text += f" {refused} refused cell(s) are skipped."
        self.summary.setText(text)
        self.run_button.setEnabled(bool(ok))

    @staticmethod
    def _item(cell: GridCell) -> QtWidgets.QListWidgetItem:
        name = f"{LOSS_NAMES.get(cell.loss, cell.loss)} × {cell.data}"
        if cell.refused:
            item = QtWidgets.QListWidgetItem(f"✗  {name} — refused: {cell.refused}")
            item.setForeground(QtGui.QBrush(QtGui.QColor(REFUSED_COLOUR)))
        else:
            floor = "measured on the data" if cell.floor is None else \
                f"{sig3(cell.floor)} ({cell.claim})"
            # The shape comes from the panels (a loaded file's 784 features too): say it before it trains.
            d = cell.config.data
            shape = f"{d.samples:,} × {d.features:,}, {cell.config.model.kind} {d.features}→{cell.config.encoding_dim}"
            item = QtWidgets.QListWidgetItem(f"✓  {name} ({shape}) — floor {floor}")
            item.setForeground(QtGui.QBrush(QtGui.QColor(OK_COLOUR)))
        item.setToolTip(item.text())
        item.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
        return item

    def accepted_cells(self) -> list[GridCell]:
        """The cells the engine accepts, row by row."""
        return [c for c in self.cells if not c.refused]
