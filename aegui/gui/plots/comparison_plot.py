"""The comparison plot: stored runs overlaid, each with its floor, seed bands as median + min–max.

One unit per axis (view_rule): runs of another unit than the first go to a panel of their own, stacked under
it and sharing x, whose range covers every run. At most MAX_CURVES runs are drawn and MAX_LEGEND named, so a
10,000-run selection stays responsive.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from ...core.floors import headline
from .curves import curve_floors, thin_markers
from .plot_base import BELOW_LINE, PALETTE, UNITS, PlotBase, clamp_level, floor_text, pen, rolling_mean
from .view_rule import (batch_floor_offset, first_zero, run_floor, shared_floor_title, unit_groups, unit_of,
                        zero_note)

MAX_CURVES = 40   # curves drawn at once; a selection of thousands draws the first ones and says how many more
MAX_LEGEND = 12   # legend rows of runs; the rest are summed up as "and N more"


class ComparisonPlot(PlotBase):
    """Stored runs overlaid: one colour each, floors dashed in the run's colour, seed bands as median + min–max."""

    def __init__(self, parent=None, controls: bool = True, smoothing: int = 20):
        super().__init__(parent, controls=controls, smoothing=smoothing)
        self.runs: list = []
        self._items: list = []      # every item drawn, to remove on the next set_runs
        self._runs_items: list = []  # per run: curve, lo, hi, band, clamped, floor
        self.zero_markers: dict = {}  # run index → vertical line where that run reached 0
        self.curves: list[pg.PlotDataItem] = []
        self.left_out = 0  # runs selected but not drawn (beyond MAX_CURVES)
        self._more = None

    legend_columns = 2  # run names are long

    def set_runs(self, rows_and_losses, colours=None, total: int | None = None) -> None:
        """Show these (RunRow, losses) pairs (RunCurves carry BCE batch floors); losses (n,) or (n, copies).

        colours: one per run (a figure's panels keep each run's colour); the palette in order by default.
        total: how many runs were selected, when the caller passes only the first MAX_CURVES of them.
        """
        self.setUpdatesEnabled(False)  # one paint for the whole set, not one per layout change (7 seen)
        try:
            self._set_runs(rows_and_losses, colours, total)
        finally:
            self.setUpdatesEnabled(True)

    def _set_runs(self, rows_and_losses, colours, total) -> None:
        pairs = list(rows_and_losses)
        self.runs = pairs[:MAX_CURVES]
        self.left_out = max(len(pairs), total or 0) - len(self.runs)
        for item in self._items:
            getattr(item, "panel", self.plot_item).removeItem(item)
            if hasattr(item, "anchor"):
                getattr(item, "panel", self.plot_item).removeItem(item.anchor)
        self.legend.clear()
        self._items, self.curves, self._runs_items, self.zero_markers = [], [], [], {}
        groups = unit_groups(self.runs)
        # The first run's unit owns the main panel; each other unit gets a panel of its own, stacked under it.
        self.unit = groups[0][0] if groups else None
        self.y_unit = UNITS.get(self.runs[0][0].config.loss.kind, "loss") if self.runs else "loss"
        self.keep_panels([u for u, _ in groups[1:]])
        self.floor_titles = {unit: shared_floor_title(run_floor(self.runs[i][0].floors, self.runs[i][0].floor)[1]
                                                      for i in idx) for unit, idx in groups}
        for i, (row, losses) in enumerate(self.runs):
            self._add_run_items(row, losses, colours[i] if colours else PALETTE[i % len(PALETTE)], i < MAX_LEGEND)
        if self.left_out or len(self.runs) > MAX_LEGEND:
            more = len(self.runs) - MAX_LEGEND + self.left_out
            drawn = f" ({self.left_out:,} not drawn)" if self.left_out else ""
            self._more = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
            self.legend.addItem(self._more, f"and {more:,} more{drawn}")
        self._changed()

    def _add_run_items(self, row, losses, colour: str, named: bool) -> None:
        pi = self.panel(unit_of(row))
        zero = first_zero(np.asarray(losses, dtype=np.float64).reshape(len(losses), -1).min(axis=1)) \
            if len(losses) else None
        name = legend_name(row) + (f" · {zero_note(zero)}" if zero is not None else "")
        curve = pg.PlotDataItem(pen=pen(colour, 2.0))
        # A transparent pen, not None: with pen=None PlotDataItem builds no path, so the band stays empty.
        lo, hi = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0)), pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
        band_colour = pg.mkColor(colour)
        band_colour.setAlpha(55)
        band = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(band_colour))
        for item in (lo, hi, band, curve):
            pi.addItem(item)
            item.panel = pi
        if named:
            self.legend.addItem(curve, name)
        clamped = self.clamp_item(colour, pi=pi)
        floor = self.floor_line(colour, None, pi=pi)
        clamped.panel = pi
        if zero is not None:  # where it reached 0, in the run's colour; the legend says at which batch
            marker = self.zero_line(colour, label=False, pi=pi)
            marker.panel, marker.zero_at = pi, zero
            self.zero_markers[len(self.curves)] = marker
            self._items.append(marker)
        self.curves.append(curve)
        self._runs_items.append([curve, lo, hi, band, clamped, floor])
        self._items.extend([curve, lo, hi, band, clamped, floor])

    def redraw(self) -> None:
        """Recompute every run's curves for the current view options."""
        series = [self._series(item) for item in self.runs]
        tiny = self._shared_clamp(series)
        labelled: set = set()
        for i, ((row, _), (x, mid, lo_y, hi_y, shift)) in enumerate(zip(self.runs, series)):
            curve, lo, hi, band, clamped, floor = self._runs_items[i]
            level = tiny.get(unit_of(row))
            y, low = self.transform(mid, shift, level)
            curve.setData(x, y)
            clamped.setData(*thin_markers(x, y, low))
            band.setVisible(lo_y is not None)
            if lo_y is not None:
                lo.setData(x, self.transform(lo_y, shift, level)[0])
                hi.setData(x, self.transform(hi_y, shift, level)[0])
            self.place_floor(floor, row.floor, x)
            self._label_floor(floor, row, labelled)
            marker = self.zero_markers.get(i)
            if marker is not None and marker.zero_at < len(x):
                marker.setVisible(True)
                marker.setPos(float(x[marker.zero_at]))
        self.refit()

    def _series(self, item) -> tuple:
        """x, smoothed median (or the curve), for seed bands smoothed min and max, and the floor still to subtract.

        Excess subtracts one floor per run (view_rule.run_floor) from every curve; a BCE run's batch floors,
        raised to average to it, take out the noise of each batch's targets.
        """
        row, losses = item
        losses = np.asarray(losses, dtype=np.float64)
        shift, _ = run_floor(getattr(row, "floors", None), row.floor)
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

    def _label_floor(self, line: pg.InfiniteLine, row, labelled: set) -> None:
        # Several runs often share a floor (same data, same loss): label it once, not in a pile.
        key = None if row.floor is None else (unit_of(row), round(row.floor, 6))
        if key is None or key in labelled or not line.isVisible():
            return
        labelled.add(key)
        if not hasattr(line, "label"):
            # Stagger labels along the line: floors close in value would otherwise print over each other.
            top = headline(row.floors)
            text = floor_text(top.value, top.claim == "exact", top.name, top.claim) if top else \
                floor_text(row.floor, row.floor_exact)
            line.label = pg.InfLineLabel(line, text=text,
                                         position=0.02 + 0.22 * ((len(labelled) - 1) % 4),
                                         anchors=BELOW_LINE, color=line.pen.color(),
                                         fill=pg.mkBrush(255, 255, 255, 200))


def legend_name(row) -> str:
    """Legend text for a stored run: its name, id and, for seed bands, the copies."""
    band = f", median of {row.copies} seeds" if getattr(row, "copies", 1) > 1 else ""
    return f"#{row.run_id} {row.name}{band}"


def run_x(row, n: int, axis: str) -> np.ndarray:
    """x values for n stored batches: batch index, fractional epoch, or seconds at the run's mean rate."""
    i = np.arange(n, dtype=np.float64)
    if axis == "epoch":
        c = row.config
        per_epoch = math.ceil(c.data.samples / c.training.batch_size) if c.training.batch_size else 0
        per_epoch = per_epoch or max(row.batches // max(row.epochs, 1), 1)
        return (i + 1) / per_epoch
    if axis == "seconds":
        # The store keeps losses, not per-batch timestamps: spread the run's time evenly.
        return (i + 1) * (row.seconds or 0.0) / max(n, 1)
    return i
