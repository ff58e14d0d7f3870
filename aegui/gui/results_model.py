"""The results table's model: run ids ordered and filtered by SQLite, rows parsed a page at a time as they show.

At 10,000 stored runs nothing here touches every run in Python: the store answers which runs match and in
which order (one SQL query), and only the pages the view paints are read and parsed. A refresh re-reads
only the rows whose stored facts changed.
"""

from __future__ import annotations

import dataclasses
import math
import sqlite3
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.store.store import RunStore
from ..core.floors.floors import find, is_exact
from ..core.floors.summary import floor_fields
from ..core.config.vocab import FloorName, claim_words, floor_title
from .palette import ERROR_RED

Qt = QtCore.Qt
STATUS_COLOURS = {"running": "#0072B2", "failed": ERROR_RED, "cancelled": "#B8860B", "interrupted": "#B8860B"}
INDEX_SLICE = 500  # runs read into the filter index per event: a few ms
_ROOT = QtCore.QModelIndex()  # the table's (invalid) parent index, as a default argument
PAGE = 30  # rows read and parsed at once: about a screenful (parsing a config costs about 0.5 ms)


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


def _data(c) -> str:
    """'uniform ×2', or for a file its name and width: 'mine.csv ×7' (was 'file ×2' whatever the file)."""
    name = Path(c.data.file).name if c.data.kind == "file" and c.data.file else c.data.kind
    return f"{name} ×{c.data.features}"


def _date(r) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)) if r.created else ""


def _notes(r) -> str:
    return " ".join((r.notes or "").split())  # one line in the table; the tooltip keeps the line breaks


def _optimizer_gap(r) -> str:
    """The optimizer's gap, marked when round-off holds it (explain.ROUND_OFF_SHARE of the outputs saturated)."""
    from ..core.floors.explain import ROUND_OFF_SHARE
    text = _num(r.optimizer_gap)
    return f"{text} (round-off)" if r.saturated is not None and r.saturated >= ROUND_OFF_SHARE else text


def _model_floor(r) -> str:
    """The model floor with its claim when it is not exact; '—' where no model floor is known."""
    model = find(r.floors, FloorName.MODEL)
    if model is None:
        return "—"
    return _num(model.value) + ("" if is_exact(model) else f" ({model.claim})")


@dataclasses.dataclass(frozen=True)
class Column:
    """One column: its title, a row's text, the SQL sort key (core.store_query.SORT_SQL), the header's tooltip."""

    title: str
    text: object
    sort: str
    tip: str
    sample: str = "1.234e-05"  # a typical widest cell, for the column's width

    def __getitem__(self, i):
        """(title, text, sort) by position, as the table's columns were once plain tuples."""
        return (self.title, self.text, self.sort)[i]


# What answers "is it at its floor?" comes right after the run's name, so eval loss, the floors and both gaps show
# without scrolling in the pane's 400 px at 1280 px (headers wrap onto two lines; the name cell is coloured by its
# status, which has its own column further on); the run's identity in detail, and the rest, follow.
COLUMNS = (
    Column("name", lambda r: r.name, "name", "The run's name: double-click (or F2) to rename it; coloured while "
           "running (blue), failed (red), cancelled or interrupted (amber)", ""),
    Column("eval loss", lambda r: _num(r.eval_loss), "eval_loss",
           "The final model's loss on every row of the data, in float64: the number the floors are held against"),
    Column("gap to floor", lambda r: _num(r.gap), "gap",
           "eval loss − the tightest exact or lower-bound floor: how far the final model sits above what is possible",
           "-1.234e-05"),  # float32 rounding takes a gap a hair under 0: '-0.0001…' was cut
    Column("data floor", lambda r: _num(r.floor_value("data")), "data_floor",
           "The lowest loss this data allows any model (BCE: the targets' entropy; MSE, L1: 0). A lower bound"),
    Column("model floor", _model_floor, "model_floor",
           "The lowest loss this run's model class can reach on this data (exact unless marked); "
           "'—' for models no floor is solved for"),
    Column("optimizer gap", _optimizer_gap, "optimizer_gap",
           "eval loss − model floor: what the optimizer left on the table; 'round-off' where saturated sigmoid "
           "outputs (exactly 0 or 1 in float32, zero gradient) hold it there, which no optimizer can move",
           "49.96 (round-off)"),  # the marker whole: it showed as '49.96 (r…'
    Column("status", lambda r: r.status, "status",
           "running, paused, finished, cancelled (Stop), interrupted (the app or machine went away) or failed",
           "interrupted"),
    Column("final loss", lambda r: _num(r.final_loss), "final_loss",
           "The last finished epoch's mean training loss (the partial epoch's when none finished)"),
    Column("loss", lambda r: r.config.loss.kind, "loss", "The loss function trained on", "bce_logits"),
    Column("data", lambda r: _data(r.config), "data", "The data: its kind or file name, × its number of features",
           "bernoulli ×100"),
    Column("seeds", lambda r: f"{r.copies}", "copies",
           "How many seeds were trained as one batched model (the curve is their median)", "64"),
    Column("model", lambda r: _model(r.config), "model", "The model: kind, features → code width, depth, output",
           "mlp 100→100 ×5 leaky_relu sigmoid"),
    Column("lr", lambda r: f"{r.config.optimizer.lr:g}", "lr", "The optimizer's learning rate", "0.001"),
    Column("batches", lambda r: f"{r.batches:,}", "batches", "How many batches were trained", "1,000,000"),
    Column("min loss", lambda r: _num(r.min_epoch_loss), "min_epoch_loss", "The lowest epoch mean of the run"),
    Column("stop reason", lambda r: r.stop_reason or "", "stop_reason",
           "Why the run ended: max_epochs, tol (loss below tol), cancelled, …", "max_epochs"),
    Column("duration", lambda r: _duration(r.seconds), "seconds", "How long the run trained", "10 min 00 s"),
    Column("device", lambda r: r.device, "device", "Where it trained: cpu or cuda", "cuda"),
    Column("group", lambda r: r.group_name or "", "group_name", "The grid or batch of runs this run belongs to",
           "grid 2026-01-01"),
    Column("date", _date, "created", "When the run started", "2026-01-01 00:00"),
    Column("notes", _notes, "notes", "Your notes on the run (Notes… edits them)", "notes"),  # last: it stretches
)
TITLES = [c.title for c in COLUMNS]
NAME_COLUMN, STATUS_COLUMN = TITLES.index("name"), TITLES.index("status")
RIGHT_ALIGNED = {TITLES.index(t) for t in ("final loss", "eval loss", "data floor", "model floor",
                                          "optimizer gap", "gap to floor", "seeds", "lr", "batches",
                                          "min loss", "duration")}
NAME_WIDTH = 112  # long names are elided (full name in the tooltip) so the numbers stay in view
NAME_MAX_WIDTH = 240  # the name column's widest while it follows the table's width (ResultsPane)


class RunTableModel(QtCore.QAbstractTableModel):
    """Stored runs as table rows, ordered and filtered in SQL, parsed a page at a time; the name cell renames."""

    sigRenamed = QtCore.Signal(int)  # run_id: the comparison's legend names it

    def __init__(self, store: RunStore, parent=None):
        super().__init__(parent)
        self.store = store
        self.ids: list[int] = []          # the listed runs, in the table's order
        self.all_ids: list[int] = []      # every stored run in that order, before the filter
        self.stamps: dict[int, tuple] = {}  # what the store said of each when last listed
        self.cache: dict = {}             # run_id → RunRow, for the rows read so far
        self.filter_text = ""
        self.sort_key: str | None = None  # None: the store's order, newest first
        self.descending = False
        self.paused_run: int | None = None  # the store says 'running' while paused: the table says 'paused'
        self.listed = False  # nothing is listed until the first reload()
        self.search_text: dict[int, str] = {}  # run_id → the lowercased text a filter searches (build_index)
        self.index_started = self.index_done = False
        self._index_below: int | None = None
        self._index_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._index_timer.timeout.connect(self._index_slice)
        self.parsed = 0  # rows read and parsed since the model was made (lazy loading is tested on it)

    # ------------------------------------------------------------------ listing

    def reload(self) -> None:
        """List the runs again: rows that changed are read again, moved rows keep their selection."""
        self.listed = True
        listed = self.store.ordered_ids("", self.sort_key, self.descending)
        stamps = {r[0]: r[1:] for r in listed}
        changed = [i for i, s in stamps.items() if self.stamps.get(i) != s]
        for run_id in changed + list(self.cache.keys() - stamps.keys()):
            self.cache.pop(run_id, None)
        self.stamps, self.all_ids = stamps, [r[0] for r in listed]
        self._index_update(changed)
        self._show(self._filtered(), set(changed))

    def _show(self, new_ids: list[int], changed: set) -> None:
        if new_ids == self.ids:
            for r, run_id in enumerate(new_ids):
                if run_id in changed:
                    self.dataChanged.emit(self.index(r, 0), self.index(r, len(COLUMNS) - 1))
            return
        self._relist(new_ids)

    def _relist(self, new_ids: list[int]) -> None:
        # A layout change, not a reset: the view keeps each selected run selected wherever it moved to.
        self.layoutAboutToBeChanged.emit()
        where = {run_id: r for r, run_id in enumerate(new_ids)}
        before = self.persistentIndexList()
        after = []
        for idx in before:
            r = where.get(self.ids[idx.row()]) if 0 <= idx.row() < len(self.ids) else None
            after.append(QtCore.QModelIndex() if r is None else self.index(r, idx.column()))
        self.ids = new_ids
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def set_filter(self, text: str) -> None:
        """Show only runs with text in a shown cell (case-insensitive); from the filter index once it is built."""
        self.filter_text = text
        if self.listed:
            self._show(self._filtered(), set())

    def _filtered(self) -> list[int]:
        needle = self.filter_text.strip().lower()
        if not needle:
            return self.all_ids
        if self.index_done:
            index = self.search_text
            return [i for i in self.all_ids if needle in index.get(i, "")]
        # The index is still being built: SQLite answers (a scan of every row, tens of ms at 10,000 runs).
        return [r[0] for r in self.store.ordered_ids(self.filter_text, self.sort_key, self.descending)]

    # ------------------------------------------------------------------ the filter index

    def build_index(self) -> None:
        """Build the filter index a slice of runs at a time, each slice its own event (a few ms each)."""
        if not self.index_started:
            self.index_started = True
            self._index_timer.start()

    def _index_slice(self) -> None:
        try:
            rows = self.store.haystacks(self._index_below, INDEX_SLICE)
        except sqlite3.Error:  # the store was closed under us (the pane went away): no index, SQL filters
            return
        self.search_text.update((run_id, text.lower()) for run_id, text in rows)
        if len(rows) < INDEX_SLICE:
            self.index_done = True
            return
        self._index_below = rows[-1][0]
        self._index_timer.start()

    def stop_index(self) -> None:
        """Stop building the filter index (the store is closing); filters then ask SQLite."""
        self._index_timer.stop()

    def forget(self) -> None:
        """List nothing (the store is closing): a paint after it closed read the closed store."""
        self._index_timer.stop()
        self.beginResetModel()
        self.ids, self.cache = [], {}
        self.endResetModel()

    def _index_update(self, changed: list[int]) -> None:
        for run_id in self.search_text.keys() - self.stamps.keys():
            del self.search_text[run_id]
        if self.index_started and changed:  # new and changed runs: their text, read now (a few rows)
            self.search_text.update((i, t.lower()) for i, t in self.store.haystacks(run_ids=changed))

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Order by a column, in SQL; column −1 is the store's order (newest first)."""
        key = COLUMNS[column].sort if 0 <= column < len(COLUMNS) else None
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending) and self.listed:
            return  # the view asks again on setSortingEnabled and sortByColumn: one listing is enough
        self.sort_key, self.descending = key, descending
        if self.listed:
            self.reload()

    def row(self, r: int):
        """The RunRow at table row r, read with its page when not read yet."""
        run_id = self.ids[r]
        found = self.cache.get(run_id)
        if found is None:
            start = r - r % PAGE
            missing = [i for i in self.ids[start:start + PAGE] if i not in self.cache]
            read = self.store.rows_by_id(missing)
            self.parsed += len(read)
            self.cache.update(read)
            found = self.cache.get(run_id)
        return found

    def row_of(self, run_id: int | None) -> int | None:
        """The table row of a run, or None when it is not listed."""
        if run_id is None:
            return None
        try:
            return self.ids.index(run_id)
        except ValueError:
            return None

    # ------------------------------------------------------------------ Qt's model API

    def rowCount(self, parent=_ROOT) -> int:
        """Number of listed runs."""
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent=_ROOT) -> int:
        """Number of columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        """Column titles, and a tooltip saying what each column means."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tip
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """Text, tooltip and colour of a cell."""
        if not index.isValid() or index.row() >= len(self.ids):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) if column in RIGHT_ALIGNED else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.ForegroundRole):
            return None
        try:
            row = self.row(index.row())
        except sqlite3.Error:  # a store closed or failing under a paint: a blank cell, never an exception out of a
            return None       # Qt virtual (PySide crashed printing one: SIGSEGV in PepException_GetArgs)
        if row is None:  # deleted by another process since the listing
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == STATUS_COLUMN and row.run_id == self.paused_run and row.status == "running":
                return "paused"
            return COLUMNS[column].text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        if column in (STATUS_COLUMN, NAME_COLUMN) and row.status in STATUS_COLOURS:
            return QtGui.QBrush(QtGui.QColor(STATUS_COLOURS[row.status]))
        return None

    def flags(self, index):
        """The name cell is editable."""
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == NAME_COLUMN else base

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        """Rename the run when its name cell is edited; sigRenamed tells the comparison."""
        name = str(value).strip()
        if index.column() != NAME_COLUMN or role != Qt.ItemDataRole.EditRole or not name:
            return False
        row = self.row(index.row())
        if row is None or not store_write(self.store.rename, row.run_id, name):
            return False
        self.cache[row.run_id] = dataclasses.replace(row, name=name[:200])
        self.dataChanged.emit(index, index)
        self.sigRenamed.emit(row.run_id)
        return True

    def mark_paused(self, run_id: int | None) -> None:
        """Show run_id's status as 'paused' (None: no run is paused)."""
        before, self.paused_run = self.paused_run, run_id
        for rid in {before, run_id} - {None}:
            r = self.row_of(rid)
            if r is not None:
                self.dataChanged.emit(self.index(r, STATUS_COLUMN), self.index(r, STATUS_COLUMN))


def store_write(write, *args) -> bool:
    """Run a store write; a full, read-only or locked store is shown in a dialog (never only on stderr)."""
    from ..core.store.store import StoreError
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
        lines.append(f"{floor_title(f.name)} {_num(f.value)} ({claim_words(f.name, f.claim)}): {f.basis}")
    why = floor_fields(row.config, row.floors, row.eval_loss, row.saturated)["why_not_zero"]
    if why:
        lines.append("why not zero? " + why)
    if row.error:
        lines.append(f"error: {row.error}")
    if row.notes:
        lines.append(f"notes: {row.notes}")
    return "\n".join(lines)
