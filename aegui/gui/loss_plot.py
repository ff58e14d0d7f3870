"""Loss plots: the live plot of one training run and the comparison plot of stored runs."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from .plot_base import (CLAMP_COLOUR, PALETTE, REDRAW_MS, UNITS, PlotBase, _Growable, clamp_level, floor_text,
                        pen, rolling_mean)

MAX_MARKERS = 2000  # markers show where clamping happens; the curve itself keeps every point
RAW_COLOUR, RECENT_COLOUR, EPOCH_COLOUR, FLOOR_COLOUR = "#9ecae1", "#0072B2", "#D55E00", "#444444"
BAND_RGBA = (0, 114, 178, 45)


class LivePlot(PlotBase):
    """The running run: per-batch loss, its recent (rolling) mean, epoch means and the floor."""

    def __init__(self, parent=None, controls: bool = True):
        super().__init__(parent, controls=controls, smoothing=50)
        self._info: dict = {}
        self._steps, self._losses = _Growable(np.int64), _Growable(np.float64)
        self._seconds, self._epochs = _Growable(np.float64), _Growable(np.int64)
        self._epoch_rows = _Growable(np.float64, columns=5)  # epoch, epoch_mean, recent_mean, step, seconds
        self._lo, self._hi = _Growable(np.float64), _Growable(np.float64)  # seed band: min, max over copies
        pi = self.plot_item
        transparent = pg.mkPen(0, 0, 0, 0)  # not None: FillBetweenItem needs the curves' paths
        self.band_lo, self.band_hi = pg.PlotDataItem(pen=transparent), pg.PlotDataItem(pen=transparent)
        self.band = pg.FillBetweenItem(self.band_lo, self.band_hi, brush=pg.mkBrush(*BAND_RGBA))
        for item in (self.band_lo, self.band_hi, self.band):
            pi.addItem(item)
        self.raw_curve = pi.plot(pen=pen(RAW_COLOUR, 1.0), name="batch loss")
        self.recent_curve = pi.plot(pen=pen(RECENT_COLOUR, 2.2), name="recent mean")
        self.epoch_curve = pi.plot(pen=pen(EPOCH_COLOUR, 1.6), symbol="o", symbolSize=7,
                                   symbolBrush=EPOCH_COLOUR, symbolPen="w", name="epoch mean")
        self.clamped = self.clamp_item(CLAMP_COLOUR, name="≤ 0, clamped")
        self.floor = self.floor_line(FLOOR_COLOUR, " ")
        self.floor.setVisible(False)
        self._smooth, self._smooth_window = _Growable(np.float64), 0
        self._x = np.empty(0)
        self._dirty = False
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._tick)

    def start_run(self, info: dict) -> None:
        """Clear and set up for a new run: info has floor, floor_exact, label, batches_per_epoch (loss, recent_window)."""
        self.clear()
        self._info = dict(info)
        self.y_unit = UNITS.get(info.get("loss", ""), "loss")
        if info.get("recent_window"):
            self.smoothing = int(info["recent_window"])
        copies = int(info.get("copies", 1) or 1)
        seeds = f" · median and min–max of {copies} seeds" if copies > 1 else ""
        self.plot_item.setTitle(info.get("label", "") + seeds, color="#2b2b2b", size="11pt")
        self.raw_curve.opts["name"] = f"batch loss (median of {copies} seeds)" if copies > 1 else "batch loss"
        floor, exact = info.get("floor"), bool(info.get("floor_exact", False))
        self.floor.label.setFormat(floor_text(floor, exact))
        # setFormat only redraws a visible label: a line hidden by the last run (floor 0 on log) kept its old text.
        self.floor.label.setText(floor_text(floor, exact))
        self._changed()

    def append(self, steps, losses, seconds, epochs) -> None:
        """Add a chunk of per-batch points; drawn at the next tick (≤ 30 Hz)."""
        self._steps.extend(steps)
        self._losses.extend(losses)
        self._seconds.extend(seconds)
        self._epochs.extend(epochs)
        self._schedule()

    def append_copies(self, block) -> None:
        """Add per-copy losses ((m, copies)) of the chunk about to be appended: the seed band's min and max."""
        block = np.asarray(block, dtype=np.float64)
        with np.errstate(all="ignore"):
            self._lo.extend(np.nanmin(block, axis=1))
            self._hi.extend(np.nanmax(block, axis=1))

    def band_count(self) -> int:
        """How many per-batch band (min–max over seeds) points the plot holds."""
        return self._lo.n

    def add_epoch(self, epoch: int, epoch_mean: float, recent_mean: float, step: int, seconds: float) -> None:
        """Add one finished epoch's mean; step is the number of batches done at its end."""
        self._epoch_rows.extend([[epoch, epoch_mean, recent_mean, step, seconds]])
        self._schedule()

    def point_count(self) -> int:
        """How many per-batch points the plot holds."""
        return self._steps.n

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the held steps and losses, as appended."""
        return self._steps.view().copy(), self._losses.view().copy()

    def clear(self) -> None:
        """Forget every point."""
        for buf in (self._steps, self._losses, self._seconds, self._epochs, self._epoch_rows, self._smooth,
                    self._lo, self._hi):
            buf.n = 0
        self.redraw()

    def _schedule(self) -> None:
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def _tick(self) -> None:
        if self._dirty:
            self.redraw()
        else:
            self._timer.stop()  # idle: no wake-ups while nothing arrives

    def _x_of(self, steps: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        if self.x_axis == "epoch":
            return (steps + 1) / max(int(self._info.get("batches_per_epoch") or 1), 1)
        return seconds if self.x_axis == "seconds" else steps.astype(np.float64)

    def redraw(self) -> None:
        """Push every held point to the curves now."""
        self._dirty = False
        floor = self._info.get("floor")
        losses = self._losses.view()
        x = self._x_of(self._steps.view(), self._seconds.view())
        y, low = self.transform(losses, floor)
        tiny = float(y[low][0]) if low.any() else None  # smoothed curves clamp to the same level
        self._x = x
        self.raw_curve.setData(x, y)
        self.clamped.setData(*thin_markers(x, y, low))
        self._legend_clamped(bool(low.any()))
        self.recent_curve.setData(x, self.transform(self._recent_mean(losses), floor, tiny)[0])
        self._redraw_band(x, floor, tiny)
        self.recent_curve.opts["name"] = f"recent mean ({self.smoothing} batches)"
        self._redraw_epochs(floor, tiny)
        self.place_floor(self.floor, floor, x)
        self._relabel_legend()

    def _legend_clamped(self, shown: bool) -> None:
        # The clamped-marker entry only when something is clamped: an unused entry reads as a warning.
        listed = any(sample.item is self.clamped for sample, _ in self.legend.items)
        if shown and not listed:
            self.legend.addItem(self.clamped, "≤ 0, clamped")
        elif listed and not shown:
            self.legend.removeItem(self.clamped)

    def _redraw_band(self, x: np.ndarray, floor, tiny) -> None:
        n = min(self._lo.n, len(x))
        self.band.setVisible(n > 0)
        self.band_lo.setData(x[:n], self.transform(self._lo.view()[:n], floor, tiny)[0])
        self.band_hi.setData(x[:n], self.transform(self._hi.view()[:n], floor, tiny)[0])

    def _recent_mean(self, losses: np.ndarray) -> np.ndarray:
        # Only the new tail is smoothed each tick: a full rolling mean of 1M points costs 20 ms.
        if self._smooth_window != self.smoothing:
            self._smooth.n, self._smooth_window = 0, self.smoothing
        done = self._smooth.n
        if done < len(losses):
            start = max(done - self.smoothing + 1, 0)
            self._smooth.extend(rolling_mean(losses[start:], self.smoothing)[done - start:])
        return self._smooth.view()

    def _redraw_epochs(self, floor, tiny) -> None:
        rows = self._epoch_rows.view()
        ex = {"epoch": rows[:, 0] + 1, "seconds": rows[:, 4], "batch": rows[:, 3]}[self.x_axis]
        self.epoch_curve.setData(ex, self.transform(rows[:, 1], floor, tiny)[0])

    def _relabel_legend(self) -> None:
        for sample, label in self.legend.items:
            if sample.item in (self.recent_curve, self.raw_curve):
                label.setText(sample.item.opts["name"])
            elif sample.item is self.clamped:
                label.setText("≤ floor, clamped" if self.excess else "≤ 0, clamped")

    def hover_text(self, x: float, y: float) -> str:
        """Nearest held batch to the mouse: its step, epoch and loss."""
        if not len(self._x):
            return super().hover_text(x, y)
        i = int(np.clip(np.searchsorted(self._x, x), 0, len(self._x) - 1))
        if i > 0 and abs(self._x[i - 1] - x) < abs(self._x[i] - x):
            i -= 1
        step, loss = int(self._steps.view()[i]), float(self._losses.view()[i])
        return f"step {step} · epoch {int(self._epochs.view()[i])} · {self._seconds.view()[i]:.1f} s · loss {loss:.5g}"


class ComparisonPlot(PlotBase):
    """Stored runs overlaid: one colour each, floors dashed in the run's colour, seed bands as median + min–max."""

    def __init__(self, parent=None, controls: bool = True, smoothing: int = 20):
        super().__init__(parent, controls=controls, smoothing=smoothing)
        self.runs: list = []
        self._items: list = []
        self.curves: list[pg.PlotDataItem] = []

    def set_runs(self, rows_and_losses) -> None:
        """Show these (RunRow, losses) pairs; losses is (n,) or (n, copies) for a seed band."""
        self.runs = list(rows_and_losses)
        for item in self._items:
            self.plot_item.removeItem(item)
            if hasattr(item, "anchor"):
                self.plot_item.removeItem(item.anchor)
        self.legend.clear()
        self._items, self.curves = [], []
        kinds = {row.config.loss.kind for row, _ in self.runs}
        self.y_unit = UNITS.get(kinds.pop(), "loss") if len(kinds) == 1 else "loss"
        for i, (row, _) in enumerate(self.runs):
            self._add_run_items(row, PALETTE[i % len(PALETTE)])
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
        series = [self._series(row, losses) for row, losses in self.runs]
        tiny = self._shared_clamp(series)
        labelled: set = set()
        for i, ((row, _), (x, mid, lo_y, hi_y)) in enumerate(zip(self.runs, series)):
            curve, lo, hi, band, clamped, floor = self._items[6 * i: 6 * i + 6]
            y, low = self.transform(mid, row.floor, tiny)
            curve.setData(x, y)
            clamped.setData(*thin_markers(x, y, low))
            band.setVisible(lo_y is not None)
            if lo_y is not None:
                lo.setData(x, self.transform(lo_y, row.floor, tiny)[0])
                hi.setData(x, self.transform(hi_y, row.floor, tiny)[0])
            self.place_floor(floor, row.floor, x)
            self._label_floor(floor, row, labelled)

    def _series(self, row, losses) -> tuple:
        """x, smoothed median (or the curve) and, for seed bands, smoothed min and max."""
        losses = np.asarray(losses, dtype=np.float64)
        x = run_x(row, len(losses), self.x_axis)
        if losses.ndim == 2:
            with np.errstate(all="ignore"):
                parts = [np.nanmedian(losses, axis=1), np.nanmin(losses, axis=1), np.nanmax(losses, axis=1)]
            return (x, *[rolling_mean(p, self.smoothing) for p in parts])
        return x, rolling_mean(losses, self.smoothing), None, None

    def _shared_clamp(self, series) -> float | None:
        # One clamp level for every run, so clamped markers line up on one row.
        if not self.log:
            return None
        levels = [clamp_level(self.shifted(s[2] if s[2] is not None else s[1], row.floor))
                  for (row, _), s in zip(self.runs, series)]
        return min(levels, default=None)

    def _label_floor(self, line: pg.InfiniteLine, row, labelled: set) -> None:
        # Several runs often share a floor (same data, same loss): label it once, not in a pile.
        key = None if row.floor is None else round(row.floor, 6)
        if key is None or key in labelled or not line.isVisible():
            return
        labelled.add(key)
        if not hasattr(line, "label"):
            # Stagger labels along the line: floors close in value would otherwise print over each other.
            line.label = pg.InfLineLabel(line, text=floor_text(row.floor, row.floor_exact),
                                         position=0.02 + 0.22 * ((len(labelled) - 1) % 4),
                                         anchors=[(0, 1), (0, 1)], color=line.pen.color(),
                                         fill=pg.mkBrush(255, 255, 255, 200))


def thin_markers(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clamped points to mark, evenly thinned to MAX_MARKERS: half a million symbols would stall the GUI."""
    idx = np.flatnonzero(mask)
    if len(idx) > MAX_MARKERS:
        idx = idx[np.linspace(0, len(idx) - 1, MAX_MARKERS).astype(np.int64)]
    return x[idx], y[idx]


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
