"""Grid comparison: small multiples, one plot per loss × data cell on shared log axes, saved as one figure."""

from __future__ import annotations

import html
import math
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..figures import export
from ..figures.headless import ensure_app
from ..figures.layout import LOGICAL_WIDTH
from ..figures.render import DEFAULT_WIDTH, save_figure, widget_image, with_widget
from ..plots.curves import RunCurve
from .cells import CELL_HEIGHT, Cell, fmt, grid_floor_text
from ..plots.loss_plot import EPOCH_COLOUR, FLOOR_COLOUR, RAW_COLOUR, RECENT_COLOUR
from ..plots.pacing import PacedRedraw
from ..plots.log_axis import LossAxis
from ..plots.plot_base import GRID_ALPHA, INK, UNITS, _Growable, style_axes


class GridView(QtWidgets.QWidget):
    """Small multiples of a loss × data grid: rows are losses, columns data kinds; x linked, y linked per row."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cells: list[Cell] = []
        self.excess = False
        self.header = QtWidgets.QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.header.setStyleSheet(f"color: {INK}; font-size: 9.5pt; background: white; padding: 4px 8px;")
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setBackground("w")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.layout_widget, 1)
        self.redraw_s = 0.0  # smoothed cost of one redraw; paces the live ticks as LivePlot does
        self.pacing = PacedRedraw(self, self.redraw, lambda: self.redraw_s)

    @property
    def shape(self) -> tuple[list[str], list[str]]:
        """The losses (rows) and data kinds (columns) shown, in order."""
        return (list(dict.fromkeys(c.loss for c in self.cells)), list(dict.fromkeys(c.data for c in self.cells)))

    def set_cells(self, cells: list[dict]) -> None:
        """Show these cells: dicts with loss, data and optionally row (RunRow), losses, floors, floor, floor_exact."""
        self.layout_widget.clear()
        self.cells = []
        losses = list(dict.fromkeys(c["loss"] for c in cells))
        datas = list(dict.fromkeys(c["data"] for c in cells))
        for spec in cells:
            r, c = losses.index(spec["loss"]), datas.index(spec["data"])
            plot = self._make_plot(r, c, len(losses), spec["loss"])
            self.layout_widget.addItem(plot, row=r, col=c)
            self.cells.append(Cell(spec, plot))
        self._link_axes()
        self.header.setText(self._header_html())
        self.redraw()

    def _link_axes(self) -> None:
        # x per column (one data kind): one x for the whole grid left runs that stop early on 15% of their
        # cell. y only within a row: MSE and BCE losses have different units.
        for col in self._columns():
            for cell in col[1:]:
                cell.plot.setXLink(col[0].plot)
        for row in self._rows():
            for cell in row[1:]:
                cell.plot.setYLink(row[0].plot)

    def _columns(self) -> list[list[Cell]]:
        """The cells grouped by data kind (one list per grid column), in column order."""
        return [[c for c in self.cells if c.data == data] for data in self.shape[1]]

    def _rows(self) -> list[list[Cell]]:
        """The cells grouped by loss (one list per grid row), in row order."""
        return [[c for c in self.cells if c.loss == loss] for loss in self.shape[0]]

    def set_excess(self, on: bool) -> None:
        """Draw loss − floor (BCE: each batch's own floor) instead of the loss."""
        self.excess = bool(on)
        first = self.shape[1][:1]
        for cell in (c for c in self.cells if c.data in first):  # the left column carries the y labels
            cell.plot.setLabel("left", self._y_label(cell.loss), color=INK, **{"font-size": "9.5pt"})
        self.header.setText(self._header_html())
        for cell in self.cells:
            cell.changed = True  # the y label (and floor lines) change in every row
        self.redraw()

    def _make_plot(self, r: int, c: int, rows: int, loss: str) -> pg.PlotItem:
        plot = pg.PlotItem(axisItems={"left": LossAxis("left")})
        plot.setLogMode(x=False, y=True)
        plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
        plot.setMenuEnabled(False)
        style_axes(plot, 9)  # a point smaller than the single plots: many cells share the figure
        # Shared axes: tick values only on the outer edge, as in any small-multiples figure.
        plot.getAxis("left").setStyle(showValues=c == 0)
        if c == 0:  # one width for every row's tick labels ("10⁻⁶" vs "0.5"), so the columns line up
            plot.getAxis("left").setWidth(74)
        plot.getAxis("bottom").setStyle(showValues=r == rows - 1)
        if c == 0:
            plot.setLabel("left", self._y_label(loss), color=INK, **{"font-size": "9.5pt"})
        if r == rows - 1:
            plot.setLabel("bottom", "batch", color=INK, **{"font-size": "9.5pt"})
        return plot

    def _y_label(self, loss: str) -> str:
        unit = UNITS.get(loss, "loss")
        return f"{unit} − floor" if self.excess else unit

    def _header_html(self) -> str:
        rows = [c.row for c in self.cells if c.row is not None]
        values = [v for v in (c.values() for c in self.cells) if v is not None]
        bands = any(v.ndim == 2 and v.shape[1] > 1 for v in values)
        legend = (f"<span style='color:{RAW_COLOUR}'>━</span> per-batch loss &nbsp; "
                  + (f"<span style='color:{RECENT_COLOUR}'>━</span> median over seeds, "
                     f"<span style='color:#7fb8d8'>█</span> min–max &nbsp; " if bands else "")
                  + f"<span style='color:{EPOCH_COLOUR}'>●</span> epoch mean &nbsp; "
                  + ("" if self.excess else  # excess mode draws no floor lines: each curve is measured from its own
                     f"<span style='color:{FLOOR_COLOUR}'>╌</span> floor: the tightest exact or lower-bound floor for each cell's model"))
        losses, datas = self.shape
        axes = "log y: loss − floor" if self.excess else "log y"
        title = (f"<b>aegui grid</b> · rows: loss ({len(losses)}) · columns: data ({len(datas)}) · {axes}, "
                 "shared along each row")
        if rows:
            c = rows[0].config
            title += html.escape(f" · {c.model.kind} {c.data.features}→{c.encoding_dim}, {c.data.samples:,} samples, "
                                 f"{c.optimizer.kind} lr {fmt(c.optimizer.lr)}, batch {c.training.batch_size}, "
                                 f"seed {c.training.seed}")
        return f"{title}<br><span style='color:{INK}'>{legend}</span>"

    def add_live(self, loss: str, data: str, steps, losses, floors=None) -> None:
        """Append a chunk of per-batch losses ((m,) or (m, seeds)) and BCE batch floors to a cell still training."""
        cell = self._cell(loss, data)
        values = np.asarray(losses, dtype=np.float64)
        if cell.live is None:
            cell.live = _Growable(np.float64, columns=values.shape[1] if values.ndim == 2 else 1)
            cell.live_floors = None if floors is None else _Growable(np.float64)
        cell.live.extend(values.reshape(len(values), -1))
        if floors is not None and cell.live_floors is not None:
            cell.live_floors.extend(floors)
        cell.invalidate()
        self.pacing.schedule()

    def set_cell(self, spec: dict) -> None:
        """Replace one cell's data (e.g. a finished run's row and stored losses) in place."""
        cell = self._cell(spec["loss"], spec["data"])
        cell.row = spec.get("row")
        cell.floor = spec.get("floor", getattr(cell.row, "floor", cell.floor))
        cell.floor_exact = spec.get("floor_exact", getattr(cell.row, "floor_exact", cell.floor_exact))
        cell.floor_line.label.setFormat(grid_floor_text(cell.floor, cell.floor_exact))
        cell.losses = None if spec.get("losses") is None else np.asarray(spec["losses"], dtype=np.float64)
        cell.floors = None if spec.get("floors") is None else np.asarray(spec["floors"], dtype=np.float64)
        cell.live = cell.live_floors = None
        cell.invalidate()
        self.header.setText(self._header_html())
        self.redraw()

    def _cell(self, loss: str, data: str) -> Cell:
        for cell in self.cells:
            if (cell.loss, cell.data) == (loss, data):
                return cell
        raise KeyError(f"no cell {loss} × {data} in the grid")

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Catch up on what arrived while hidden."""
        super().showEvent(event)
        self.pacing.shown()

    def redraw(self) -> None:
        """Redraw the rows whose cells changed: an x range per column, a log-y range per row from its curves and floors."""
        t0 = time.perf_counter()
        for row in self._rows():
            if any(cell.changed for cell in row):
                self._redraw_row(row)
        for col in self._columns():
            if col:
                xmax = max([len(v) for v in (c.values() for c in col) if v is not None] + [1])
                col[0].plot.setXRange(0, xmax, padding=0.02)
        self.redraw_s = 0.7 * self.redraw_s + 0.3 * (time.perf_counter() - t0)

    def _redraw_row(self, cells: list[Cell]) -> None:
        series = [cell.series(self.excess) for cell in cells]
        values = [np.ravel(a) for s in series for key in ("raw", "band") if key in s for a in s[key][1:]]
        if not self.excess:
            # A floor of 0 (MSE at full rank) has no place on a log axis and must not stretch the range.
            values += [np.array([c.floor]) for c in cells if c.floor is not None and c.floor > 0]
        allv = np.concatenate(values) if values else np.array([1.0])
        pos = allv[np.isfinite(allv) & (allv > 0)]
        tiny = float(pos.min()) / 10 if pos.size else 1e-3
        for cell, s in zip(cells, series):
            cell.draw(s, tiny, self.excess)
            cell.changed = False
        has_zero = bool((allv[np.isfinite(allv)] <= 0).any())
        lo, hi = (math.log10(tiny if has_zero else pos.min()), math.log10(pos.max())) if pos.size else (-3, 0)
        cells[0].plot.setYRange(lo, hi if hi > lo else lo + 1, padding=0.06)

    def save(self, path, width: int = DEFAULT_WIDTH) -> Path:
        """Save the cells shown (those with a stored run) as PNG or SVG; see save_grid."""
        return save_cells([{"loss": c.loss, "data": c.data, "row": c.row, "losses": c.values(),
                            "floors": c.batch_floors()} for c in self.cells], path, width, self.excess)


# ---------------------------------------------------------------- saving

def cells_from_results(store, results: list[dict]) -> list[dict]:
    """GridView cells for `aegui grid` results (dicts with loss, data, run_id), read from the store."""
    cells = []
    for res in results:
        try:
            row = store.get_run(int(res["run_id"]))
        except (KeyError, ValueError, TypeError):
            raise export.ExportError(f"no run {res.get('run_id')!r} in {store.path}") from None
        cells.append({"loss": res["loss"], "data": res["data"], "row": row, "losses": store.losses(row.run_id),
                      "floors": store.batch_floors(row.run_id)})
    return cells


def _figure(cells: list[dict], excess: bool = False) -> GridView:
    view = GridView()
    view.excess = bool(excess)
    view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)  # laid out and painted, never on screen
    view.set_cells(cells)
    losses, datas = view.shape
    logical = max(LOGICAL_WIDTH, 460 * len(datas))  # wide grids get room; fonts keep their size
    view.header.setFixedWidth(logical)
    head = view.header.heightForWidth(logical)
    view.resize(logical, head + CELL_HEIGHT * len(losses))
    view.show()
    QtWidgets.QApplication.processEvents()
    return view


def _stored(cells: list[dict]) -> list[tuple]:
    return [RunCurve(c["row"], c["losses"], c.get("floors")) for c in cells if c.get("row") is not None]


def grid_image(cells: list[dict], width: int = DEFAULT_WIDTH, excess: bool = False) -> QtGui.QImage:
    """The grid figure as a QImage `width` px wide, carrying its runs as aegui PNG metadata."""
    ensure_app()
    image = with_widget(lambda: _figure(cells, excess), lambda w: widget_image(w, width))
    image.setText(export.META_KEY, export.figure_json(_stored(cells)))
    return image


def save_cells(cells: list[dict], path, width: int = DEFAULT_WIDTH, excess: bool = False) -> Path:
    """Save grid cells as PNG (width px) or SVG (excess: loss − floor), runs embedded, atomically; format from suffix."""
    if not cells:
        raise export.ExportError(f"cannot write {path}: no grid cells to draw")
    return save_figure(path, lambda: _figure(cells, excess), export.figure_json(_stored(cells)), width,
                       "aegui grid comparison", "; ".join(f"{c['loss']} × {c['data']}" for c in cells))


def save_grid(store, results: list[dict], path, width: int = DEFAULT_WIDTH, excess: bool = False) -> Path:
    """Save `aegui grid` results (store: RunStore or its file path) as one PNG or SVG figure carrying its runs."""
    from ...core.store.store import RunStore
    own = not hasattr(store, "losses")
    db = RunStore(store) if own else store
    try:
        cells = cells_from_results(db, results)
    finally:
        if own:
            db.close()
    return save_cells(cells, path, width, excess)
