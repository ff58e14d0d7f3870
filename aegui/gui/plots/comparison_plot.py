"""The comparison plot: stored runs overlaid, each with its floor, seed bands as median + min–max."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from ...core.floors import headline
from .curves import curve_floors, excess, thin_markers
from .plot_base import BELOW_LINE, PALETTE, UNITS, PlotBase, clamp_level, floor_text, pen, rolling_mean


class ComparisonPlot(PlotBase):
    """Stored runs overlaid: one colour each, floors dashed in the run's colour, seed bands as median + min–max."""

    def __init__(self, parent=None, controls: bool = True, smoothing: int = 20):
        super().__init__(parent, controls=controls, smoothing=smoothing)
        self.runs: list = []
        self._items: list = []
        self.curves: list[pg.PlotDataItem] = []

    legend_columns = 2  # run names are long

    def set_runs(self, rows_and_losses, colours=None) -> None:
        """Show these (RunRow, losses) pairs (RunCurves carry BCE batch floors); losses (n,) or (n, copies).

        colours: one per run (a figure's panels keep each run's colour); the palette in order by default.
        """
        self.runs = list(rows_and_losses)
        for item in self._items:
            self.plot_item.removeItem(item)
            if hasattr(item, "anchor"):
                self.plot_item.removeItem(item.anchor)
        self.legend.clear()
        self._items, self.curves = [], []
        units = list(dict.fromkeys(UNITS.get(row.config.loss.kind, "loss") for row, _ in self.runs))
        # Mixed units share this axis on screen (a saved figure splits them): the label names both.
        short = {"loss (mean squared error)": "MSE", "loss (mean absolute error)": "MAE", "loss (nats)": "nats"}
        self.y_unit = units[0] if len(units) == 1 else "loss (" + ", ".join(short.get(u, u) for u in units) + ")"
        for i, (row, _) in enumerate(self.runs):
            self._add_run_items(row, colours[i] if colours else PALETTE[i % len(PALETTE)])
        self._changed()

    def _add_run_items(self, row, colour: str) -> None:
        curve = pg.PlotDataItem(pen=pen(colour, 2.0), name=legend_name(row))
        # A transparent pen, not None: with pen=None PlotDataItem builds no path, so the band stays empty.
        lo, hi = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0)), pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
        band_colour = pg.mkColor(colour)
        band_colour.setAlpha(55)
        band = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(band_colour))
        for item in (lo, hi, band, curve):
            self.plot_item.addItem(item)
        clamped = self.clamp_item(colour)
        floor = self.floor_line(colour, None)
        self.curves.append(curve)
        self._items.extend([curve, lo, hi, band, clamped, floor])

    def redraw(self) -> None:
        """Recompute every run's curves for the current view options."""
        series = [self._series(item) for item in self.runs]
        tiny = self._shared_clamp(series)
        labelled: set = set()
        for i, ((row, _), (x, mid, lo_y, hi_y, shift)) in enumerate(zip(self.runs, series)):
            curve, lo, hi, band, clamped, floor = self._items[6 * i: 6 * i + 6]
            y, low = self.transform(mid, shift, tiny)
            curve.setData(x, y)
            clamped.setData(*thin_markers(x, y, low))
            band.setVisible(lo_y is not None)
            if lo_y is not None:
                lo.setData(x, self.transform(lo_y, shift, tiny)[0])
                hi.setData(x, self.transform(hi_y, shift, tiny)[0])
            self.place_floor(floor, row.floor, x)
            self._label_floor(floor, row, labelled)

    def _series(self, item) -> tuple:
        """x, smoothed median (or the curve), for seed bands smoothed min and max, and the floor still to subtract."""
        row, losses = item
        losses, shift = np.asarray(losses, dtype=np.float64), row.floor
        floors = curve_floors(item)
        if self.excess and floors is not None and len(floors) == len(losses):
            # Each batch less its own targets' entropy (≥ 0), before smoothing; nothing left to subtract.
            losses, shift = excess(losses, floors, None), None
        x = run_x(row, len(losses), self.x_axis)
        if losses.ndim == 2:
            with np.errstate(all="ignore"):
                parts = [np.nanmedian(losses, axis=1), np.nanmin(losses, axis=1), np.nanmax(losses, axis=1)]
            return (x, *[rolling_mean(p, self.smoothing) for p in parts], shift)
        return x, rolling_mean(losses, self.smoothing), None, None, shift

    def _shared_clamp(self, series) -> float | None:
        # One clamp level for every run, so clamped markers line up on one row.
        if not self.log:
            return None
        levels = [clamp_level(self.shifted(s[2] if s[2] is not None else s[1], s[4])) for s in series]
        return min(levels, default=None)

    def _label_floor(self, line: pg.InfiniteLine, row, labelled: set) -> None:
        # Several runs often share a floor (same data, same loss): label it once, not in a pile.
        key = None if row.floor is None else round(row.floor, 6)
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
