"""The comparison plot: stored runs overlaid, each with its floor, seed bands as median + min–max.

One unit per axis (view_rule): runs of another unit than the first go to a panel of their own, stacked under
it and sharing x, whose range covers every run. At most MAX_CURVES runs are drawn and MAX_LEGEND named, so a
10,000-run selection stays responsive.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...core.config.vocab import Claim
from .curves import curve_floors, thin_markers
from .plot_base import (BELOW_LINE, CLAIM_STYLES, MUTED, UNITS, PlotBase, clamp_level, floor_text, pen, rolling_mean,
                        run_colours, set_log_mode, settle_layouts, spread_labels)
from .view_rule import (SHORT_UNIT, batch_floor_offset, first_zero, run_floor, run_floors, shared_floor_title,
                        unit_groups, unit_of, zero_note)

MAX_CURVES = 40   # curves drawn at once; a selection of thousands draws the first ones and says how many more
MAX_LEGEND = 12   # legend rows of runs; the rest are summed up as "and N more"
THICK_UP_TO = 8   # more runs than this are drawn with 1 px lines
MIN_PANEL = 110   # px of plot each unit's panel keeps (logical px: the same at 2×); less and the panels scroll
PANEL_CHROME = 48  # px of a panel beside its plot: the x axis' ticks and label
FLOORS_MADE_AHEAD = 4  # floor lines a panel makes while idle (a first 40-run selection made 4, for 12 ms)
SAMPLED_FROM = 8192  # points from which a curve is clipped to the view and peak-downsampled as it is drawn


class RunItems:
    """One drawn run's items on its panel, kept for the next selection: removing and making 280 items again cost
    0.7 s of a 40-run selection. A seed band's fill, clamp markers and the floor line are made when first needed."""

    def __init__(self, panel: pg.PlotItem):
        self.panel = panel
        self.curve = pg.PlotDataItem()
        self.curve.panel = panel
        panel.addItem(self.curve)
        # pyqtgraph items (untyped), made when first needed; the run's colour once drawn
        self.lo: Any = None
        self.hi: Any = None
        self.band: Any = None
        self.clamped: Any = None
        self.colour: Any = None
        self.hover: Any = None  # (x, y, floor subtracted in excess mode) as last drawn

    def items(self) -> list:
        """The items made so far."""
        return [i for i in (self.curve, self.lo, self.hi, self.band, self.clamped) if i is not None]

    def hide(self) -> None:
        """Put away (a run no longer drawn): hidden items count in no auto-range and hold no data."""
        for item in self.items():
            item.setVisible(False)
            if isinstance(item, pg.PlotDataItem):
                item.setData([], [])


class ComparisonPlot(PlotBase):
    """Stored runs overlaid: one colour each, floors dashed in the run's colour, seed bands as median + min–max."""

    def __init__(self, parent=None, controls: bool = True, smoothing: int = 20):
        super().__init__(parent, controls=controls, smoothing=smoothing)
        self.runs: list = []
        self._pool: list[RunItems] = []  # every run's items made so far, drawn or put away, for reuse
        self._free: dict[int, list[RunItems]] = {}
        self._runs_items: list[RunItems] = []  # per drawn run
        self._floor_lines: dict[int, list] = {}  # panel → its floor lines, one per floor value, reused
        self._used_floor_lines: dict[int, int] = {}  # panel → how many of them the selection draws
        self._spread_held = False  # while a selection is set: its labels are placed once, at the end
        self._unit_panels: dict = {}  # unit → its panel, for the selection being set
        self.plot_item.vb.sigResized.connect(self._spread_floor_labels)  # stacked panels share its width
        self.plot_item.vb.sigRangeChanged.connect(self._spread_floor_labels)  # which labels meet depends on y
        self._markers: list = []
        self.zero_markers: dict = {}  # run index → vertical line where that run reached 0
        self.curves: list[pg.PlotDataItem] = []
        self.left_out = 0  # runs selected but not drawn (beyond MAX_CURVES)
        self._more = None
        self._todo: list = []  # what prepare() still has to make
        self._per_slice = 4
        self._parked: dict = {}  # unit → a stacked panel not needed by this selection, kept with its items
        self._legend_rows: list = []  # (curve, text) of the runs named in the legend
        self._clamp_key: Any = None  # the clamp markers' legend sample, made when first needed
        self._spare_panel: Any = None  # a stacked panel with its items, made while idle for the first second unit
        # The panels scroll when the pane is too short for each to keep MIN_PANEL px of plot: at 1280 × 800 (and
        # at 2×) two stacked units left the top panel 0 px and cut its y label to "SE)".
        self.stack.removeWidget(self.panel_box)
        self.panel_scroll = QtWidgets.QScrollArea()
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.panel_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.panel_scroll.setWidget(self.panel_box)
        self.stack.addWidget(self.panel_scroll)
        self.stack.setCurrentWidget(self.panel_scroll)
        self.plot_item.vb.sigResized.connect(self._fit_heights)

    legend_columns = 2  # run names are long

    def set_runs(self, rows_and_losses, colours=None, total: int | None = None) -> None:
        """Show these (RunRow, losses) pairs (RunCurves carry BCE batch floors); losses (n,) or (n, copies).

        colours: one per run (a figure's panels keep each run's colour); by default each run's own (run_colours).
        total: how many runs were selected, when the caller passes only the first MAX_CURVES of them.
        """
        self.setUpdatesEnabled(False)  # one paint for the whole set, not one per layout change (7 seen)
        try:
            # Auto-range once, at the panels' final sizes: fitted before the layout settled, each panel's range
            # was fitted again at its paint (a resize queues it), 11 ms more at 40 runs.
            held, self._refit_held, self._spread_held = self._refit_held, True, True
            try:
                self._set_runs(rows_and_losses, colours, total)
                if self.isVisible():  # a figure's panel is laid out by the figure, its legend first fitted
                    settle_layouts()
            finally:
                self._refit_held = held
            self.refit()
        finally:
            self._spread_held = False
            self._spread_floor_labels()
            self._paint_later()

    def _paint_later(self) -> None:
        """Turn updates back on once the events already waiting have run: the selection's work (~40 ms at 40
        runs) and its paint (~40 ms more) then block the GUI thread in two turns, not one; until then the
        panels keep showing the last selection, whole. A plot not shown (a figure's) paints when asked."""
        if not self.isVisible():
            self.setUpdatesEnabled(True)
            return
        # 1 ms, not 0: a 0 ms single shot is a posted call, run before the timers and input already waiting.
        QtCore.QTimer.singleShot(1, self, self._resume_painting)

    def _resume_painting(self) -> None:
        self.setUpdatesEnabled(True)
        # Painted now, not left to the update setUpdatesEnabled asks for: a plot that is its own window, set
        # while its window's paint was already asked for, was never painted again (that request ran while
        # updates were off, and Qt posted no other).
        self.repaint()

    def _set_runs(self, rows_and_losses, colours, total) -> None:
        pairs = list(rows_and_losses)
        self.runs = pairs[:MAX_CURVES]
        self.left_out = max(len(pairs), total or 0) - len(self.runs)
        for marker in self._markers:
            if marker.scene() is not None:
                marker.panel.removeItem(marker)
        self._legend_rows = []
        self.curves, self._runs_items, self.zero_markers, self._markers = [], [], {}, []
        groups = unit_groups(self.runs)
        # The first run's unit owns the main panel; each other unit gets a panel of its own, stacked under it.
        self.unit = groups[0][0] if groups else None
        self.y_unit = UNITS.get(self.runs[0][0].config.loss.kind, "loss") if self.runs else "loss"
        self.keep_panels([u for u, _ in groups[1:]])
        kept = list(self._parked.values()) + ([self._spare_panel] if self._spare_panel is not None else [])
        alive = {id(pi) for pi in self.panel_items()} | {id(w.getPlotItem()) for w in kept}
        self._pool = [s for s in self._pool if id(s.panel) in alive]  # a removed panel took its items with it
        self._floor_lines = {k: v for k, v in self._floor_lines.items() if k in alive}
        self._free = {}
        for s in self._pool:
            self._free.setdefault(id(s.panel), []).append(s)
        self.floor_titles = {unit: shared_floor_title(run_floor(self.runs[i][0].floors, self.runs[i][0].floor)[1]
                                                      for i in idx) for unit, idx in groups}
        self._unit_panels = {unit: self.panel(unit) for unit, _ in groups}  # once a unit, not once a run (4 ms)
        colours = colours or run_colours([row for row, _ in self.runs])
        for i, (row, losses) in enumerate(self.runs):
            self._add_run_items(row, losses, colours[i], i < MAX_LEGEND)
        for spare in self._free.values():
            for s in spare:
                s.hide()
        if self.left_out or len(self.runs) > MAX_LEGEND:
            more = len(self.runs) - MAX_LEGEND + self.left_out
            drawn = f" ({self.left_out:,} not drawn)" if self.left_out else ""
            if self._more is None:
                self._more = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
            self._legend_rows.append((self._more, f"and {more:,} more{drawn}"))
        self._changed()  # its redraw sets the legend's rows (_set_legend)
        self._fit_heights()

    def panel(self, unit: str | None) -> pg.PlotItem:
        """The PlotItem for runs of `unit`; a parked panel of that unit comes back with its items, and a new unit
        takes the spare panel made while idle."""
        if unit is not None and self.unit is not None and unit != self.unit and unit not in self.extra_panels:
            widget = self._parked.pop(unit, None)
            if widget is None and self._spare_panel is not None:
                widget, self._spare_panel = self._spare_panel, None
            if widget is not None:
                pi = widget.getPlotItem()
                set_log_mode(pi, self.log, stacked=True)  # the log box may have changed while it was put away
                pi.setXLink(self.plot_item)
                self.panel_layout.addWidget(widget, 2)
                self.extra_panels[unit] = widget
                self._update_labels()
        return super().panel(unit)

    def keep_panels(self, units) -> None:
        """Park the stacked panels of units not in `units`: hidden, unlinked, kept with their items for a later
        selection (making a panel and its runs' items again cost 100 ms and more)."""
        for unit in [u for u in self.extra_panels if u not in set(units)]:
            widget = self.extra_panels.pop(unit)
            widget.getPlotItem().setXLink(None)
            widget.hide()
            self.panel_layout.removeWidget(widget)
            self._parked[unit] = widget
            self._update_labels()

    def set_hint(self, text: str | None) -> None:
        """Show a centred hint instead of the plot (empty plot), or the panels again (None)."""
        if text:
            self.hint_label.setText(text)
        self.stack.setCurrentWidget(self.hint_label if text else self.panel_scroll)

    def hint(self) -> str | None:
        """The hint shown instead of the plot, or None while the plot shows."""
        return self.hint_label.text() if self.stack.currentWidget() is self.hint_label else None

    def _fit_heights(self, *_args) -> None:
        """Each panel at least MIN_PANEL px of plot, the main one with its legend and axes besides; the panels
        scroll when the pane is shorter than that."""
        chrome = PANEL_CHROME + (self.legend.boundingRect().height() if self.legend.isVisible() else 0)
        least = int(MIN_PANEL + chrome) if self.extra_panels else 0
        if self.plot_widget.minimumHeight() != least:
            self.plot_widget.setMinimumHeight(least)
        for widget in self.extra_panels.values():
            if widget.minimumHeight() != MIN_PANEL + PANEL_CHROME:
                widget.setMinimumHeight(MIN_PANEL + PANEL_CHROME)

    def prepare(self, count: int = MAX_CURVES, per_slice: int = 4) -> None:
        """Make, while the window is idle and a few at a time, what the first big selection would otherwise make:
        the main panel's items for `count` runs, a spare stacked panel with items for half as many, and the
        legend's rows. A first 40-run selection of two units spent 22 ms making its second panel, 15 ms on its
        items and 15 ms on legend rows."""
        self._todo = [self.plot_item] * (count - len(self._pool))
        self._todo += ["floor"] * (FLOORS_MADE_AHEAD - len(self._floor_lines.get(id(self.plot_item), [])))
        if self._spare_panel is None and not self.extra_panels and not self._parked:
            self._todo += ["panel"] + ["spare"] * (count // 2) + ["spare floor"] * FLOORS_MADE_AHEAD + ["legend"]
        self._per_slice = per_slice
        self._prepare_slice()

    def _prepare_slice(self) -> None:
        for _ in range(self._per_slice):
            if not self._todo:
                return
            what = self._todo.pop(0)
            if what == "panel":
                self._spare_panel = self.new_panel()
                self._spare_panel.setParent(self.panel_box)  # owned by the plot, as a parked panel is
                self._spare_panel.hide()
                break  # a slice of its own: it is the biggest piece
            if what == "legend":
                if not self.legend.items:  # not while a selection shows
                    self.legend.set_rows([(pg.PlotDataItem(), "")] * (MAX_LEGEND + 1))
                    self.legend.set_rows([])
                break
            if what in ("spare", "spare floor") and self._spare_panel is None:
                continue  # taken by a selection meanwhile
            if what in ("floor", "spare floor"):
                pi = self.plot_item if what == "floor" else self._spare_panel.getPlotItem()
                lines = self._floor_lines.setdefault(id(pi), [])
                if len(lines) < FLOORS_MADE_AHEAD and not any(line.isVisible() for line in lines):
                    line = self.floor_line(MUTED, None, pi=pi)
                    self.place_floor(line, None)  # hidden, with its auto-range anchor made
                    lines.append(line)
                continue
            pi = self._spare_panel.getPlotItem() if what == "spare" else what
            made = RunItems(pi)
            made.hide()
            self._pool.append(made)
            self._free.setdefault(id(pi), []).append(made)
        if self._todo:
            QtCore.QTimer.singleShot(20, self, self._prepare_slice)  # dropped if the plot is gone

    def _run_items(self, pi: pg.PlotItem) -> RunItems:
        """A put-away set of items on panel pi, or a new one."""
        spare = self._free.get(id(pi))
        if spare:
            return spare.pop(0)
        made = RunItems(pi)
        self._pool.append(made)
        return made

    def _add_run_items(self, row, losses, colour: str, named: bool) -> None:
        unit = unit_of(row)
        pi = self._unit_panels.get(unit) or self.panel(unit)
        zero = self._first_zero(losses)
        name = legend_name(row) + (f" · {zero_note(zero)}" if zero is not None else "")
        if getattr(losses, "pending", False):
            name += f" · reading {len(losses):,} batches…"  # a big stored curve, read in the background
        items = self._run_items(pi)
        items.colour = colour
        # Many curves at once: thin cosmetic lines (thick ones cost the most to draw, and hide each other).
        line = pen(colour, 2.0 if len(self.runs) <= THICK_UP_TO else 1.0)
        if items.curve.opts["pen"] != line:  # setPen redraws the item with the last selection's data
            items.curve.setPen(line)
        items.curve.setVisible(True)
        for item in (items.lo, items.hi, items.band, items.clamped):
            if item is not None:
                item.setVisible(False)
        if named:
            self._legend_rows.append((items.curve, name))
        if zero is not None:  # where it reached 0, in the run's colour; the legend says at which batch
            marker = self.zero_line(colour, label=False, pi=pi)
            marker.panel, marker.zero_at = pi, zero
            self.zero_markers[len(self.curves)] = marker
            self._markers.append(marker)
        self.curves.append(items.curve)
        self._runs_items.append(items)

    @staticmethod
    def _first_zero(losses) -> int | None:
        """The first batch where the run reached 0 (its least copy), or None; a reduced stored curve knows it."""
        if hasattr(losses, "zero"):
            return losses.zero
        if not len(losses):
            return None
        return first_zero(np.asarray(losses, dtype=np.float64).reshape(len(losses), -1).min(axis=1))

    def _band_items(self, items: RunItems) -> None:
        """A seed band's min and max curves and the fill between them, made on first use."""
        if items.band is None:
            # A transparent pen, not None: with pen=None PlotDataItem builds no path, so the band stays empty.
            items.lo, items.hi = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0)), pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
            items.band = pg.FillBetweenItem(items.lo, items.hi)
            for item in (items.lo, items.hi, items.band):
                items.panel.addItem(item)
                item.panel = items.panel
                item.setZValue(-1)  # under the curves
        band_colour = pg.mkColor(items.colour)
        band_colour.setAlpha(55)
        items.band.setBrush(pg.mkBrush(band_colour))

    def redraw(self) -> None:
        """Recompute every run's curves for the current view options."""
        series = [self._series(item) for item in self.runs]
        tiny = self._shared_clamp(series)
        self._draw_floors(series)
        for i, ((row, _), (x, mid, lo_y, hi_y, shift)) in enumerate(zip(self.runs, series)):
            items = self._runs_items[i]
            level = tiny.get(unit_of(row))
            y, low = self.transform(mid, shift, level)
            items.hover = (x, mid, shift)  # what the readout reads at the mouse: the value, not its clamp
            _sampling(items.curve, len(x))
            items.curve.setData(x, y)
            marks = thin_markers(x, y, low)
            if len(marks[0]) and items.clamped is None:
                items.clamped = self.clamp_item(items.colour, pi=items.panel)
                items.clamped.panel = items.panel
            if items.clamped is not None:
                items.clamped.setSymbolPen(pg.mkPen(items.colour))
                items.clamped.setSymbolBrush(pg.mkBrush(items.colour))
                items.clamped.setData(*marks)
                items.clamped.setVisible(bool(len(marks[0])))
            if lo_y is not None:
                self._band_items(items)
                _sampling(items.lo, len(x))
                _sampling(items.hi, len(x))
                items.lo.setData(x, self.transform(lo_y, shift, level)[0])
                items.hi.setData(x, self.transform(hi_y, shift, level)[0])
            for item in (items.lo, items.hi, items.band):
                if item is not None:
                    item.setVisible(lo_y is not None)
            marker = self.zero_markers.get(i)
            n = len(self.runs[i][1])
            if marker is not None and marker.zero_at < n:
                # At the batch itself: a reduced curve's points are not one a batch.
                marker.setVisible(True)
                marker.setPos(float(run_x(row, n, self.x_axis, at=marker.zero_at)))
        self._set_legend()
        self.refit()

    def new_panel(self):
        """A stacked panel whose hover readout names the run under the mouse, as the main panel's does."""
        widget = super().new_panel()
        pi = widget.getPlotItem()
        widget.mouse_proxy = pg.SignalProxy(widget.scene().sigMouseMoved, rateLimit=30,
                                            slot=lambda event, pi=pi: self._on_panel_mouse(pi, event))
        widget.installEventFilter(self)  # leaving it clears the readout
        return widget

    def _on_mouse(self, event) -> None:
        self._on_panel_mouse(self.plot_item, event)

    def _on_panel_mouse(self, pi: pg.PlotItem, event) -> None:
        if pi.vb is None or not pi.sceneBoundingRect().contains(event[0]):
            self.clear_readout()
            return
        p = pi.vb.mapSceneToView(event[0])
        self.readout.setText(self.run_at(pi, p.x(), p.y()) or self._plain_at(pi, p.x(), p.y()))

    def _plain_at(self, pi: pg.PlotItem, x: float, y_view: float) -> str:
        """The readout where no run is drawn: the axes' values, in whole batches and with the panel's unit
        ('batch -33.93 · loss 0.672' had neither); nothing left of the first batch."""
        if x < 0 or (x == 0 and self.x_axis != "batch"):
            return " "
        unit = self.unit if pi is self.plot_item else next(
            (u for u, w in self.extra_panels.items() if w.getPlotItem() is pi), None)
        where = self._x_text(x)
        value = 10 ** y_view if self.log else y_view
        unit_text = f" {SHORT_UNIT.get(unit, unit)}" if unit else ""
        return f"{where} · {'excess' if self.excess else 'loss'} {value:.4g}{unit_text} (no run here)"

    def _x_text(self, x: float) -> str:
        """x as the readout says it: a whole batch, or an epoch or seconds to 4 digits."""
        return {"epoch": f"epoch {x:.4g}", "seconds": f"{x:.4g} s"}.get(self.x_axis, f"batch {round(x):,}")

    def run_at(self, pi: pg.PlotItem, x: float, y_view: float) -> str | None:
        """The readout for the mouse at view (x, y) on panel pi: the run drawn nearest it (by height on the
        screen, at that x), its batch (or epoch, or seconds) and its value there with the unit; None when no run
        spans that x. A bare 'batch 1234.5 · loss 0.51' named no run, and no unit."""
        y_lo, y_hi = pi.vb.viewRange()[1]
        span = (y_hi - y_lo) or 1.0
        best = None
        for (row, _), items in zip(self.runs, self._runs_items):
            if items.panel is not pi or items.hover is None or not items.curve.isVisible():
                continue
            xs, ys, shift = items.hover
            if not len(xs) or not xs[0] <= x <= xs[-1]:
                continue
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            value = float(self.shifted(ys[i:i + 1], shift)[0])
            if not math.isfinite(value):
                continue
            drawn = (math.log10(value) if value > 0 else y_lo) if self.log else value  # ≤ 0: at the axis' foot
            gap = abs(drawn - y_view) / span
            if best is None or gap < best[0]:
                best = (gap, row, float(xs[i]), value)
        if best is None:
            return None
        _, row, at, value = best
        where = self._x_text(at)
        unit = unit_of(row)
        what = ("median " if getattr(row, "copies", 1) > 1 else "") + ("excess" if self.excess else "loss")
        smooth = f", mean of {self.smoothing} batches" if self.smoothing > 1 else ""
        return f"#{row.run_id} {row.name} · {where} · {what} {value:.5g} {SHORT_UNIT.get(unit, unit)}{smooth}"

    def _set_legend(self) -> None:
        """The runs' legend rows, and one for the clamp markers while any run shows them: on a log axis in excess
        mode, a batch at or under its floor is drawn on a flat row at the axis' foot, which read as "excess
        reaches 4e-8". Set only when they change (a redraw asks at every view change)."""
        rows = list(self._legend_rows)
        if any(items.clamped is not None and items.clamped.isVisible() for items in self._runs_items):
            if self._clamp_key is None:  # the legend's sample only: a grey marker like the runs' own
                self._clamp_key = pg.PlotDataItem(pen=None, symbol="t", symbolSize=6, symbolPen=pg.mkPen(MUTED),
                                                  symbolBrush=pg.mkBrush(MUTED))
            rows.append((self._clamp_key, "≤ floor, clamped to the axis' foot" if self.excess
                         else "≤ 0, clamped to the axis' foot"))
        if [(s.item, lab.text) for s, lab in self.legend.items] != rows:
            self.legend.set_rows(rows)

    def _draw_floors(self, series) -> None:
        """One dashed line per floor and panel (the data's and the model's, as the live plot and a saved figure
        draw them), in the colour of the first run with it, styled by its claim: runs sharing a floor (same
        data, same loss) drew 40 lines on top of each other, and making them cost most of a selection."""
        used: dict[int, int] = {}
        labelled: set = set()
        drawn: dict = {}
        for (row, _), items, s in zip(self.runs, self._runs_items, series):
            for name, value, claim in run_floors(row):
                key = (id(items.panel), name, round(value, 6), claim)
                if key in drawn:
                    continue
                lines = self._floor_lines.setdefault(id(items.panel), [])
                k = used.get(id(items.panel), 0)
                used[id(items.panel)] = k + 1
                if k == len(lines):
                    lines.append(self.floor_line(items.colour, None, pi=items.panel))
                line = drawn[key] = lines[k]
                if getattr(line, "colour", None) != items.colour or getattr(line, "labelled_as", None) != key[1:]:
                    line.setPen(_floor_pen(items.colour, claim))
                    line.colour = items.colour
                    _drop_label(line)
                self.place_floor(line, value, s[0])
                self._label_floor(line, key, floor_text(value, claim == Claim.EXACT, name, claim), labelled)
                line.labelled_as = key[1:] if hasattr(line, "label") else None
        for pid, lines in self._floor_lines.items():
            for line in lines[used.get(pid, 0):]:
                line.setVisible(False)
                _drop_label(line)
                line.labelled_as = None
                if hasattr(line, "anchor"):
                    line.anchor.setData([], [])
        self._used_floor_lines = used
        self._spread_floor_labels()

    def _spread_floor_labels(self, *_) -> None:
        """Each panel's floor labels one after another along its lines (plot_base.spread_labels); once, at the
        end, while a selection is set (its range and size change several times on the way: 5 ms more)."""
        if self._spread_held:
            return
        used = self._used_floor_lines
        for pid, lines in self._floor_lines.items():
            if lines and used.get(pid, 0):
                curves = [items.curve for items in self._runs_items if id(items.panel) == pid]
                spread_labels(lines[:used[pid]], lines[0].panel.vb, avoid=curves)

    def _series(self, item) -> tuple:
        """x, smoothed median (or the curve), for seed bands smoothed min and max, and the floor still to subtract.

        Excess subtracts one floor per run (view_rule.run_floor) from every curve; a BCE run's batch floors,
        raised to average to it, take out the noise of each batch's targets.
        """
        row, losses = item
        shift, _ = run_floor(getattr(row, "floors", None), row.floor)
        if hasattr(losses, "envelope"):  # a big stored curve, read as an envelope (results_curves.py)
            index, series, subtracted = losses.envelope()
            x = run_x(row, len(losses), self.x_axis, at=index)
            shift = None if subtracted else shift
            return (x, series[0], series[1], series[2], shift) if len(series) == 3 else \
                (x, series[0], None, None, shift)
        losses = np.asarray(losses, dtype=np.float64)
        floors = curve_floors(item)
        if self.excess and floors is not None and len(floors) == len(losses) and shift is not None:
            per_batch = floors + batch_floor_offset(row.floors, floors, shift)
            losses = losses - (per_batch[:, None] if losses.ndim == 2 else per_batch)
            zero = np.asarray(item[1], dtype=np.float64) <= 0  # reached 0 stays a gap, whatever the floor
            losses = np.where(zero, 0.0, losses)
            shift = None  # nothing left to subtract
        x = run_x(row, len(losses), self.x_axis)
        if losses.ndim == 2:
            with np.errstate(all="ignore"):
                parts = [np.nanmedian(losses, axis=1), np.nanmin(losses, axis=1), np.nanmax(losses, axis=1)]
            return (x, *[rolling_mean(p, self.smoothing) for p in parts], shift)
        return x, rolling_mean(losses, self.smoothing), None, None, shift

    def _shared_clamp(self, series) -> dict:
        # One clamp level for the runs of a panel, so clamped markers line up on one row there.
        if not self.log:
            return {}
        levels: dict = {}
        for (row, _), s in zip(self.runs, series):
            level = clamp_level(self.shifted(s[2] if s[2] is not None else s[1], s[4]))
            unit = unit_of(row)
            levels[unit] = min(levels.get(unit, level), level)
        return levels

    def map_x_range(self, x_range, old: str, new: str):
        """The zoomed stretch on the new x axis, read through the first run's batches."""
        if not self.runs:
            return None
        row, losses = self.runs[0]
        n = len(losses)
        if n < 2:
            return None
        before, after = run_x(row, n, old), run_x(row, n, new)
        lo, hi = (float(np.interp(v, before, after)) for v in x_range)
        return (lo, hi) if hi > lo else None

    def _label_floor(self, line: pg.InfiniteLine, key, text: str, labelled: set) -> None:
        # Each floor labelled once per panel, not in a pile; only while its line shows.
        if key in labelled or not line.isVisible():
            return
        labelled.add(key)
        if not hasattr(line, "label"):
            line.label = pg.InfLineLabel(line, text=text, position=0.02,  # spread_labels sets it apart
                                         anchors=BELOW_LINE, color=line.pen.color(),
                                         fill=pg.mkBrush(255, 255, 255, 200))


def legend_name(row) -> str:
    """Legend text for a stored run: its name, id and, for seed bands, the copies."""
    band = f", median of {row.copies} seeds" if getattr(row, "copies", 1) > 1 else ""
    return f"#{row.run_id} {row.name}{band}"


def run_x(row, n: int, axis: str, at=None) -> np.ndarray:
    """x values for n stored batches: batch index, fractional epoch, or seconds at the run's mean rate.

    at: only the x of these batch indices (a scalar or an array), not of all n."""
    i = np.arange(n, dtype=np.float64) if at is None else np.asarray(at, dtype=np.float64)
    if axis == "epoch":
        c = row.config
        per_epoch = math.ceil(c.data.samples / c.training.batch_size) if c.training.batch_size else 0
        per_epoch = per_epoch or max(row.batches // max(row.epochs, 1), 1)
        return (i + 1) / per_epoch
    if axis == "seconds":
        # The store keeps losses, not per-batch timestamps: spread the run's time evenly.
        return (i + 1) * (row.seconds or 0.0) / max(n, 1)
    return i


def _floor_pen(colour: str, claim: str = Claim.EXACT):
    """A run's floor line: in its colour, dashed or dotted by its claim (as PlotBase.floor_line draws it)."""
    p = pen(colour, 1.4)
    p.setStyle(CLAIM_STYLES.get(claim, CLAIM_STYLES[Claim.EXACT])[1])
    return p


def _drop_label(line: pg.InfiniteLine) -> None:
    """Take a reused floor line's label away: the next redraw labels the lines it picks."""
    label = getattr(line, "label", None)
    if label is not None:
        if label.scene() is not None:
            label.scene().removeItem(label)
        label.setParentItem(None)
        del line.label


def _sampling(item: pg.PlotDataItem, n: int) -> None:
    """Clip and downsample a long curve to the view; a short one (an envelope) is drawn as it is: 40 curves each
    recomputing their shown points at every range change cost more than drawing them."""
    on = n >= SAMPLED_FROM
    if item.opts["clipToView"] != on or item.opts["autoDownsample"] != on:
        item.setClipToView(on)
        item.setDownsampling(auto=on, method="peak")
