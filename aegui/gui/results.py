"""The results pane: every stored run in a table ordered and filtered by SQLite, with rename, notes and delete.

The model (results_model.py) lists run ids in SQL and parses only the pages on screen, so a 10,000-run
store opens, filters, sorts and selects without stalling the GUI thread.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.store.store import RunStore
from .figures.export import chunked_curve
from .plots.curves import stored_curve
from .results_curves import SYNC_VALUES
from .results_model import (
    COLUMNS,
    NAME_COLUMN,
    NAME_MAX_WIDTH,
    NAME_WIDTH,
    RunTableModel,
    store_write,
)

Qt = QtCore.Qt
WATCH_MS = 2000  # how often the pane looks for runs another process stored
COMPARE_LIMIT = 40  # curves read for the comparison at once: selecting 10,000 runs must not read 10,000 curves
DELETE_TIP = "Delete the selected runs, after asking"


class ComparedRuns(list):
    """The RunCurves read for a comparison (at most COMPARE_LIMIT), and how many runs were selected (.total)."""

    total: int = 0

    @property
    def left_out(self) -> int:
        """Selected runs whose curves were not read."""
        return self.total - len(self)


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
        self.proxy = self.model  # tests and callers index the table through .proxy; the model sorts and filters
        self.model.sigRenamed.connect(self._renamed)
        self._running: set[int] = set()
        self.view = self._build_view()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_bar())
        layout.addWidget(self.view, 1)
        self.refresh()
        self.model.build_index()  # in slices, after the first paint: then a filter keystroke needs no SQL
        # Runs stored by the CLI or another window show without a click: SQLite's data_version says when
        # another connection committed (one PRAGMA a tick); only a new, deleted or ended run relists.
        self._data_version = None
        self._watch = QtCore.QTimer(self, interval=WATCH_MS)
        self._watch.timeout.connect(self._check_outside)
        self._watch.start()

    def _build_view(self) -> QtWidgets.QTableView:
        view = QtWidgets.QTableView(self)
        view.setModel(self.model)
        view.setSortingEnabled(True)
        view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the store's order (newest first) until asked
        view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.DoubleClicked
                             | QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        vertical = view.verticalHeader()
        vertical.setVisible(False)
        # Fixed heights and widths: measuring cells to fit them would read every run of a big store.
        vertical.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(22)
        header = view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setTextElideMode(Qt.TextElideMode.ElideNone)  # titles wrap (see _size_columns), never cut
        # A header paints each section as 'selected' or not by asking every selected row's flags (Qt does it
        # even with highlighting off): 0.45 s per paint at 10,000 runs selected. It gets an empty selection of its own.
        header.setHighlightSections(False)
        self._header_selection = QtCore.QItemSelectionModel(self.model, self)
        header.setSelectionModel(self._header_selection)
        self._size_columns(view)
        self._name_dragged = False  # once the user drags the name column's edge, its width is theirs
        self._sizing_name = False
        header.sectionResized.connect(self._name_resized)
        view.viewport().installEventFilter(self)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        return view

    @staticmethod
    def _size_columns(view: QtWidgets.QTableView) -> None:
        """Titles wrap onto two lines; each column as wide as its longest title word or typical widest cell."""
        cell, head = QtGui.QFontMetrics(view.font()), QtGui.QFontMetrics(view.horizontalHeader().font())
        header = view.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap)
        header.setMinimumHeight(2 * head.lineSpacing() + 8)
        for i, column in enumerate(COLUMNS):
            word = max(head.horizontalAdvance(w) for w in column.title.split())
            width = max(word + 16, cell.horizontalAdvance(column.sample) + 10)
            header.resizeSection(i, NAME_WIDTH if i == NAME_COLUMN else width)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        """Fit the name column to the table's width as the table is resized."""
        view = getattr(self, "view", None)  # the viewport may be resized before __init__ has kept the view
        if event.type() == QtCore.QEvent.Type.Resize and view is not None and obj is view.viewport():
            self._fit_name_column()
        return super().eventFilter(obj, event)

    def _fit_name_column(self) -> None:
        """The name column takes a fifth of the table's width, NAME_WIDTH to NAME_MAX_WIDTH px, until the user
        drags it: at 112 px, what a 418 px pane allowed, names such as "sigmoid bce, 4 seeds" were cut in a
        table 1,000 px wide (the Compare tab gave it the window's width), with the numbers still far from the
        edge."""
        if self._name_dragged:
            return
        width = max(NAME_WIDTH, min(NAME_MAX_WIDTH, self.view.viewport().width() // 5))
        header = self.view.horizontalHeader()
        if header.sectionSize(NAME_COLUMN) != width:
            self._sizing_name = True
            try:
                header.resizeSection(NAME_COLUMN, width)
            finally:
                self._sizing_name = False

    def _name_resized(self, column: int, _old: int, _new: int) -> None:
        if column == NAME_COLUMN and not self._sizing_name:
            self._name_dragged = True

    def _build_bar(self) -> QtWidgets.QHBoxLayout:
        bar = QtWidgets.QHBoxLayout()
        self.filter_edit = QtWidgets.QLineEdit(placeholderText="Filter runs (any column)…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.set_filter)
        bar.addWidget(self.filter_edit, 1)
        self.actions_by_name = {}
        for name, slot, tip in (("Load config", self.load_config, "Put this run's config in the panels to rerun or tweak"),
                                ("Rename", self.rename_selected, "Edit the run's name (or double-click it)"),
                                ("Notes…", self.edit_notes, "Write notes on this run"),
                                ("Delete…", self.delete_selected, DELETE_TIP)):
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

    # ------------------------------------------------------------------ listing, filter, selection

    def refresh(self) -> None:
        """List the runs again; only changed rows are re-read, and the selection stays on its runs."""
        self._relisted(self.model.reload)
        self._outside_key = self._listing_key()

    def set_filter(self, text: str) -> None:
        """Show only the runs with text in a shown cell (the filter box calls this on each keystroke)."""
        self._relisted(lambda: self.model.set_filter(text))

    def _relisted(self, relist) -> None:
        keep = self.selected_run_ids()
        # Quietly: the same runs still selected must not make the window re-read every selected curve.
        sm = self.view.selectionModel()
        was = sm.blockSignals(True)
        try:
            relist()
            # A new run listed above a selected range shifted it without its last row (the layout change moves
            # each range's ends, and a changed row count cut the bottom one): select the same runs again.
            listed = set(self.model.ids)
            still = [i for i in keep if i in listed]
            if set(self.selected_run_ids()) != set(still):
                self.select_runs(still)
        finally:
            sm.blockSignals(was)
        self.view.viewport().update()  # the view missed the blocked signals: repaint the selection
        # The listing's stamps carry each run's status: no second scan of the store to know which are training.
        self._running = {i for i, stamp in self.model.stamps.items() if stamp[1] == "running"}
        if set(self.selected_run_ids()) != set(keep):  # e.g. a selected run was deleted, or filtered out
            self._selection_changed()
        else:
            self._update_actions()

    def select_runs(self, run_ids) -> None:
        """Select exactly these runs (one selection range per block of adjacent rows)."""
        where = {run_id: r for r, run_id in enumerate(self.model.ids)}
        rows = sorted(where[i] for i in set(run_ids) if i in where)
        sel, last = QtCore.QItemSelection(), len(COLUMNS) - 1
        start = 0
        for k in range(1, len(rows) + 1):
            if k == len(rows) or rows[k] != rows[k - 1] + 1:
                sel.select(self.model.index(rows[start], 0), self.model.index(rows[k - 1], last))
                start = k
        flags = QtCore.QItemSelectionModel.SelectionFlag
        self.view.selectionModel().select(sel, flags.ClearAndSelect | flags.Rows)

    def selected_run_ids(self) -> list[int]:
        """Ids of the selected runs, in table order; read from the selection's ranges, never cell by cell."""
        spans = sorted((r.top(), r.bottom()) for r in self.view.selectionModel().selection())
        ids = self.model.ids
        return list(dict.fromkeys(i for top, bottom in spans for i in ids[top:bottom + 1]))

    def selected_rows(self) -> list:
        """RunRows of the selected runs, in table order (parsed: for a few runs, not for all of a big store)."""
        found = self.store.rows_by_id(self.selected_run_ids())
        return [found[i] for i in self.selected_run_ids() if i in found]

    def rows_and_losses(self, run_ids=None, limit: int | None = COMPARE_LIMIT) -> ComparedRuns:
        """RunCurves (row, losses, .floors) of the given (default: selected) runs, as set_runs takes them.

        Only the first `limit` runs' curves are read (None: all); `.total` says how many were asked for.
        """
        ids = self.selected_run_ids() if run_ids is None else list(run_ids)
        chosen = ids if limit is None else ids[:limit]
        counts = self.store.value_counts(chosen)
        # A big run (a 1,000,000-batch × 64-seed band is 256 MB) is read a chunk at a time when drawn: a saved
        # figure's memory follows the figure (figures/envelope.py), not the curve.
        out = ComparedRuns(stored_curve(self.store, i) if counts.get(i, 0) <= SYNC_VALUES else
                           chunked_curve(self.store, i) for i in chosen)
        out.total = len(ids)
        return out

    def _selection_changed(self, *_):
        self._update_actions()
        self.sigSelectionChanged.emit(self.selected_run_ids())

    def _renamed(self, run_id: int) -> None:
        # The comparison's legend names the selected runs: show the new name now, not at the next selection.
        if run_id in self.selected_run_ids():
            self.sigSelectionChanged.emit(self.selected_run_ids())

    def _update_actions(self) -> None:
        """Delete is off while every selected run is training; its tooltip says why."""
        selected = self.selected_run_ids()
        training = [i for i in selected if i in self._running] if self._running else []
        delete = self.actions_by_name["Delete…"]
        delete.setEnabled(not selected or len(training) < len(selected))
        if training:
            delete.setToolTip(f"{_ids(training)} {'is' if len(training) == 1 else 'are'} training: stop it first "
                              "(Esc); a running run cannot be deleted")
        else:
            delete.setToolTip(DELETE_TIP)

    # ------------------------------------------------------------------ actions

    def load_config(self) -> None:
        """Emit sigLoadConfig with the first selected run's config."""
        ids = self.selected_run_ids()
        if ids:
            self.sigLoadConfig.emit(self.store.get_run(ids[0]).config)

    def rename_selected(self) -> None:
        """Start editing the first selected run's name."""
        ids = self.selected_run_ids()
        r = self.model.row_of(ids[0]) if ids else None
        if r is not None:
            self.view.edit(self.model.index(r, NAME_COLUMN))

    def edit_notes(self) -> None:
        """Ask for the first selected run's notes and store them."""
        ids = self.selected_run_ids()
        if not ids:
            return
        row = self.store.get_run(ids[0])
        text, ok = QtWidgets.QInputDialog.getMultiLineText(self, "Run notes", f"Notes on #{row.run_id} {row.name}:",
                                                           row.notes)
        if ok and store_write(self.store.set_notes, row.run_id, text):
            self.refresh()

    def delete_selected(self) -> None:
        """Delete the selected runs once the user confirms; a run still training is never deleted."""
        ids = self.selected_run_ids()
        if not ids:
            return
        training = self.store.running_ids()  # asked now: the run may have started since the last listing
        kept = [i for i in ids if i in training]
        ids = [i for i in ids if i not in training]
        if not ids:
            QtWidgets.QMessageBox.information(
                self, "Delete runs", f"{_ids(kept)} {'is' if len(kept) == 1 else 'are'} training and cannot be "
                "deleted: its losses are still being stored. Stop it first (Esc), then delete it.")
            return
        rows = self.store.rows_by_id(ids[:10])
        names = "\n".join(f"#{i} {rows[i].name}" for i in ids[:10] if i in rows) + ("\n…" if len(ids) > 10 else "")
        also = f"\n\n{_ids(kept)} is training and is kept: stop it first to delete it." if kept else ""
        buttons = QtWidgets.QMessageBox.StandardButton
        answer = QtWidgets.QMessageBox.question(self, "Delete runs",
                                                f"Delete {len(ids)} run(s) and their curves? This cannot be undone."
                                                f"\n\n{names}{also}", buttons.Yes | buttons.No, buttons.No)
        if answer != buttons.Yes:
            return
        for run_id in ids:
            if not store_write(self.store.delete, run_id):
                break
        self.view.clearSelection()
        self.refresh()

    def _listing_key(self):
        try:
            return tuple(self.store.db.execute(
                "SELECT count(*), max(run_id), sum(status='running') FROM runs").fetchone())
        except (sqlite3.Error, AttributeError):  # a closed or damaged store: nothing to follow
            return None

    def _check_outside(self) -> None:
        try:
            version = self.store.db.execute("PRAGMA data_version").fetchone()[0]
        except (sqlite3.Error, AttributeError):
            return
        if version == self._data_version:
            return
        self._data_version = version
        key = self._listing_key()
        if key is not None and key != self._outside_key:
            self._outside_key = key
            self.refresh()

    def close_store(self) -> None:
        """Close the store connection (call when the pane goes away)."""
        self._watch.stop()
        self.model.forget()  # before the store closes: the table's next paint must not read it
        self.store.close()

    def mark_paused(self, run_id: int | None, paused: bool) -> None:
        """Show run_id's status as 'paused' (the store keeps 'running') until unpaused or another run."""
        self.model.mark_paused(run_id if paused else None)


def _ids(run_ids: list[int]) -> str:
    """'#12' or '#12, #13 and 2 more'."""
    shown = ", ".join(f"#{i}" for i in run_ids[:3])
    return shown + (f" and {len(run_ids) - 3} more" if len(run_ids) > 3 else "")
