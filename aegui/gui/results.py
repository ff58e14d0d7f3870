"""The results pane: every stored run in a sortable, filterable table, with rename, notes and delete."""

from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.store import RunStore
from ..core.summary import floor_fields
from .plots.curves import stored_curve

Qt = QtCore.Qt
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_COLOURS = {"running": "#0072B2", "failed": "#C0392B", "cancelled": "#B8860B", "interrupted": "#B8860B"}


def _num(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.4g}"


def _duration(s: float) -> str:
    s = s or 0.0
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)} min {int(s % 60):02d} s"


def _model(c) -> str:
    m = c.model
    shape = f"{c.data.features}→{c.encoding_dim}"
    return f"{m.kind} {shape}" + (f" ×{m.depth} {m.activation}" if m.kind == "mlp" else "") + \
        ("" if m.output == "identity" else f" {m.output}")


def _key(v):
    # None sorts after every number either way the column is ordered.
    return float("inf") if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _data(c) -> str:
    """'uniform ×2', or for a file its name and width: 'mine.csv ×7' (was 'file ×2' whatever the file)."""
    name = Path(c.data.file).name if c.data.kind == "file" and c.data.file else c.data.kind
    return f"{name} ×{c.data.features}"


def _date(r) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)) if r.created else ""


def _notes(r) -> str:
    return " ".join((r.notes or "").split())  # one line in the table; the tooltip keeps the line breaks


def _model_floor(r) -> str:
    """The model floor with its claim when it is not exact; '—' where no model floor is known."""
    model = next((f for f in r.floors if f.name == "model"), None)
    if model is None:
        return "—"
    return _num(model.value) + ("" if model.claim == "exact" else f" ({model.claim})")


def _seeds(r) -> str:
    return f"{r.copies}" if r.copies > 1 else "1"


# (title, text of a row, sort key of a row); what answers "is it at its floor?" comes first, so it shows
# without scrolling; the rest follows for sorting and detail.
COLUMNS = (
    ("name", lambda r: r.name, lambda r: r.name.lower()),
    ("status", lambda r: r.status, lambda r: r.status),
    ("loss", lambda r: r.config.loss.kind, lambda r: r.config.loss.kind),
    ("data", lambda r: _data(r.config), lambda r: _data(r.config)),
    ("final loss", lambda r: _num(r.final_loss), lambda r: _key(r.final_loss)),
    ("eval loss", lambda r: _num(r.eval_loss), lambda r: _key(r.eval_loss)),
    ("data floor", lambda r: _num(r.floor_value("data")), lambda r: _key(r.floor_value("data"))),
    ("model floor", lambda r: _model_floor(r), lambda r: _key(r.floor_value("model"))),
    ("optimizer gap", lambda r: _num(r.optimizer_gap), lambda r: _key(r.optimizer_gap)),
    ("gap to floor", lambda r: _num(r.gap), lambda r: _key(r.gap)),
    ("seeds", _seeds, lambda r: r.copies),
    ("model", lambda r: _model(r.config), lambda r: _model(r.config)),
    ("lr", lambda r: f"{r.config.optimizer.lr:g}", lambda r: r.config.optimizer.lr),
    ("batches", lambda r: f"{r.batches:,}", lambda r: r.batches),
    ("min loss", lambda r: _num(r.min_epoch_loss), lambda r: _key(r.min_epoch_loss)),
    ("stop reason", lambda r: r.stop_reason or "", lambda r: r.stop_reason or ""),
    ("duration", lambda r: _duration(r.seconds), lambda r: r.seconds or 0.0),
    ("device", lambda r: r.device, lambda r: r.device),
    ("group", lambda r: r.group_name or "", lambda r: r.group_name or ""),
    ("date", _date, lambda r: r.created or 0.0),
    ("notes", _notes, _notes),  # last: it stretches to the table's edge
)
TITLES = [c[0] for c in COLUMNS]
NAME_COLUMN, STATUS_COLUMN = TITLES.index("name"), TITLES.index("status")
RIGHT_ALIGNED = {TITLES.index(t) for t in ("final loss", "eval loss", "data floor", "model floor",
                                          "optimizer gap", "gap to floor", "seeds", "lr", "batches",
                                          "min loss", "duration")}
NAME_WIDTH = 170  # long names are elided (full name in the tooltip) so the numbers stay in view


class RunTableModel(QtCore.QAbstractTableModel):
    """Stored runs as table rows; the name cell is editable and renames the run in the store."""

    def __init__(self, store: RunStore, parent=None):
        super().__init__(parent)
        self.store = store
        self.rows: list = []
        self.paused_run: int | None = None  # the store says 'running' while paused: the table says 'paused'

    def reload(self) -> None:
        """Read every run's summary from the store (never the loss curves)."""
        self.beginResetModel()
        self.rows = self.store.list_runs()
        self.endResetModel()

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 (Qt API)
        """Number of runs."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802
        """Number of columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        """Column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """Text, sort key, tooltip and colour of a cell."""
        row, (_, text, key) = self.rows[index.row()], COLUMNS[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if index.column() == STATUS_COLUMN and row.run_id == self.paused_run and row.status == "running":
                return "paused"
            return text(row)
        if role == SORT_ROLE:
            return key(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == STATUS_COLUMN and row.status in STATUS_COLOURS:
            return QtGui.QBrush(QtGui.QColor(STATUS_COLOURS[row.status]))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in RIGHT_ALIGNED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index):
        """The name cell is editable."""
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == NAME_COLUMN else base

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Rename the run when its name cell is edited."""
        name = str(value).strip()
        if index.column() != NAME_COLUMN or role != Qt.ItemDataRole.EditRole or not name:
            return False
        row = self.rows[index.row()]
        if not store_write(self.store.rename, row.run_id, name):
            return False
        self.rows[index.row()] = dataclasses.replace(row, name=name[:200])
        self.dataChanged.emit(index, index)
        return True


def store_write(write, *args) -> bool:
    """Run a store write; a full, read-only or locked store is shown in a dialog (never only on stderr)."""
    from ..core.store import StoreError
    try:
        write(*args)
        return True
    except StoreError as exc:
        QtWidgets.QMessageBox.warning(QtWidgets.QApplication.activeWindow(), "Cannot change the run store", str(exc))
        return False


def _tooltip(row) -> str:
    lines = [f"#{row.run_id} {row.name} — {row.config.label()}"]
    if row.group_name:
        lines.append(f"group: {row.group_name}")
    if row.copies > 1:
        lines.append(f"{row.copies} seeds trained as one batched model; the curve is their median")
    if row.copy_final:
        lines.append("each seed's final loss: " + ", ".join(f"{v:.4g}" for v in row.copy_final))
    for f in row.floors:
        lines.append(f"{f.name} floor {_num(f.value)} ({f.claim}): {f.basis}")
    why = floor_fields(row.config, row.floors, row.eval_loss)["why_not_zero"]
    if why:
        lines.append("why not zero? " + why)
    if row.error:
        lines.append(f"error: {row.error}")
    if row.notes:
        lines.append(f"notes: {row.notes}")
    return "\n".join(lines)


class ResultsPane(QtWidgets.QWidget):
    """The runs table over the store, with filter, rename, notes, delete and load-config actions."""

    sigSelectionChanged = QtCore.Signal(list)
    sigLoadConfig = QtCore.Signal(object)

    def __init__(self, store, parent=None):
        """store: an open RunStore (the window's), or a store file or data folder to open."""
        super().__init__(parent)
        if isinstance(store, RunStore):
            self.store = store
        else:
            path = Path(store)
            self.store = RunStore.open(path) if path.is_dir() else RunStore(os.fspath(path))
        self.model = RunTableModel(self.store, self)
        self.proxy = QtCore.QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)  # the filter matches any column
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.view = self._build_view()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_bar())
        layout.addWidget(self.view, 1)
        self.refresh()

    def _build_view(self) -> QtWidgets.QTableView:
        view = QtWidgets.QTableView(self)
        view.setModel(self.proxy)
        view.setSortingEnabled(True)
        view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the store's order (newest first) until asked
        view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.DoubleClicked
                             | QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed)
        view.setAlternatingRowColors(True)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(22)
        view.horizontalHeader().setStretchLastSection(True)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        return view

    def _build_bar(self) -> QtWidgets.QHBoxLayout:
        bar = QtWidgets.QHBoxLayout()
        self.filter_edit = QtWidgets.QLineEdit(placeholderText="Filter runs (any column)…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        bar.addWidget(self.filter_edit, 1)
        self.actions_by_name = {}
        for name, slot, tip in (("Load config", self.load_config, "Put this run's config in the panels to rerun or tweak"),
                                ("Rename", self.rename_selected, "Edit the run's name (or double-click it)"),
                                ("Notes…", self.edit_notes, "Write notes on this run"),
                                ("Delete…", self.delete_selected, "Delete the selected runs, after asking")):
            action = QtGui.QAction(name, self, toolTip=tip)
            action.triggered.connect(slot)
            self.view.addAction(action)
            self.actions_by_name[name] = action
            button = QtWidgets.QToolButton(self)
            button.setDefaultAction(action)
            bar.addWidget(button)
        self.actions_by_name["Delete…"].setShortcut(QtGui.QKeySequence.StandardKey.Delete)
        self.actions_by_name["Delete…"].setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        return bar

    def refresh(self) -> None:
        """Reload the runs from the store, keeping the selection where the runs still exist."""
        keep = set(self.selected_run_ids())
        # Quietly: a reset and re-select of the same runs would make the window re-read every selected curve.
        sm = self.view.selectionModel()
        was = sm.blockSignals(True)
        try:
            self.model.reload()
            if len(self.model.rows) <= 200:  # measuring every cell of a big store costs more than it helps
                self.view.resizeColumnsToContents()
                header = self.view.horizontalHeader()
                header.resizeSection(NAME_COLUMN, min(header.sectionSize(NAME_COLUMN), NAME_WIDTH))
            if keep:
                self.select_runs(keep)
        finally:
            sm.blockSignals(was)
        self.view.viewport().update()  # the view missed the blocked signals: repaint the selection
        if set(self.selected_run_ids()) != keep:  # e.g. a selected run was deleted
            self._selection_changed()

    def select_runs(self, run_ids) -> None:
        """Select exactly these runs."""
        wanted, sel = set(run_ids), QtCore.QItemSelection()
        for r, row in enumerate(self.model.rows):
            if row.run_id in wanted:
                idx = self.proxy.mapFromSource(self.model.index(r, 0))
                if idx.isValid():
                    sel.select(idx, idx)
        flags = QtCore.QItemSelectionModel.SelectionFlag
        self.view.selectionModel().select(sel, flags.ClearAndSelect | flags.Rows)

    def selected_rows(self) -> list:
        """RunRows of the selected runs, in table order."""
        rows = sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.model.rows[self.proxy.mapToSource(i).row()] for i in rows]

    def selected_run_ids(self) -> list[int]:
        """Ids of the selected runs, in table order."""
        return [r.run_id for r in self.selected_rows()]

    def rows_and_losses(self, run_ids=None) -> list:
        """(RunRow, losses) RunCurves (with .floors) for the given (default: selected) runs, as set_runs takes them."""
        ids = self.selected_run_ids() if run_ids is None else list(run_ids)
        return [stored_curve(self.store, i) for i in ids]

    def _selection_changed(self, *_):
        self.sigSelectionChanged.emit(self.selected_run_ids())

    def load_config(self) -> None:
        """Emit sigLoadConfig with the first selected run's config."""
        rows = self.selected_rows()
        if rows:
            self.sigLoadConfig.emit(rows[0].config)

    def rename_selected(self) -> None:
        """Start editing the first selected run's name."""
        idx = self.view.selectionModel().selectedRows(NAME_COLUMN)
        if idx:
            self.view.edit(idx[0])

    def edit_notes(self) -> None:
        """Ask for the first selected run's notes and store them."""
        rows = self.selected_rows()
        if not rows:
            return
        row = rows[0]
        text, ok = QtWidgets.QInputDialog.getMultiLineText(self, "Run notes", f"Notes on #{row.run_id} {row.name}:",
                                                           row.notes)
        if ok and store_write(self.store.set_notes, row.run_id, text):
            self.refresh()

    def delete_selected(self) -> None:
        """Delete the selected runs once the user confirms."""
        rows = self.selected_rows()
        if not rows:
            return
        names = "\n".join(f"#{r.run_id} {r.name}" for r in rows[:10]) + ("\n…" if len(rows) > 10 else "")
        buttons = QtWidgets.QMessageBox.StandardButton
        answer = QtWidgets.QMessageBox.question(self, "Delete runs",
                                                f"Delete {len(rows)} run(s) and their curves? This cannot be undone.\n\n{names}",
                                                buttons.Yes | buttons.No, buttons.No)
        if answer != buttons.Yes:
            return
        for r in rows:
            if not store_write(self.store.delete, r.run_id):
                break
        self.view.clearSelection()
        self.refresh()

    def close_store(self) -> None:
        """Close the store connection (call when the pane goes away)."""
        self.store.close()

    def mark_paused(self, run_id: int | None, paused: bool) -> None:
        """Show run_id's status as 'paused' (the store keeps 'running') until unpaused or another run."""
        self.model.paused_run = run_id if paused else None
        rows = self.model.rowCount()
        if rows:
            self.model.dataChanged.emit(self.model.index(0, STATUS_COLUMN), self.model.index(rows - 1, STATUS_COLUMN))
