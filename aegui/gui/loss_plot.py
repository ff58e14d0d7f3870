"""Loss plots: the live plot of one training run and the comparison plot of stored runs."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from .curves import MAX_MARKERS, RollingMean, thin_markers  # noqa: F401 - thin_markers, MAX_MARKERS: old home
from .plot_base import (CLAMP_COLOUR, PALETTE, REDRAW_MS, UNITS, PlotBase, _Growable, clamp_level, floor_text,
                        pen, rolling_mean)

RAW_COLOUR, RECENT_COLOUR, EPOCH_COLOUR, FLOOR_COLOUR = "#9ecae1", "#0072B2", "#D55E00", "#444444"
BAND_RGBA = (0, 114, 178, 45)


class LivePlot(PlotBase):
    """The running run: per-batch loss, its recent (rolling) mean, epoch means and the floor."""

    def __init__(self, parent=None, controls: bool = True):
        super().__init__(parent, controls=controls, smoothing=50)
        self._info: dict = {}
        self._steps, self._losses = _Growable(np.int64), _Growable(np.float64)
        self._seconds, self._epochs = _Growable(np.float64), _Growable(np.int64)
        self._floors = _Growable(np.float64)  # BCE: each batch's own floor (its targets' entropy)
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
        self._smooth, self._smooth_floors = RollingMean(), RollingMean()
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

    def append(self, steps, losses, seconds, epochs, floors=None) -> None:
        """Add a chunk of per-batch points (and BCE batch floors); drawn at the next tick (≤ 30 Hz)."""
        if floors is not None:
            self.append_floors(floors)
        self._steps.extend(steps)
        self._losses.extend(losses)
        self._seconds.extend(seconds)
        self._epochs.extend(epochs)
        self._schedule()

    def append_floors(self, floors) -> None:
        """Add the batch floors of the chunk about to be appended (BCE runs; the worker's sigFloors)."""
        self._floors.extend(floors)

    def floor_count(self) -> int:
        """How many per-batch floors the plot holds (0 for runs without them)."""
        return self._floors.n

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
        for buf in (self._steps, self._losses, self._seconds, self._epochs, self._epoch_rows, self._floors,
                    self._lo, self._hi):
            buf.n = 0
        self._smooth.reset()
        self._smooth_floors.reset()
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
        losses, floors = self._losses.view(), self._batch_floors()
        x = self._x_of(self._steps.view(), self._seconds.view())
        y, low = self._shown(losses, floors)
        tiny = float(y[low][0]) if low.any() else None  # smoothed curves clamp to the same level
        self._x = x
        self.raw_curve.setData(x, y)
        self.clamped.setData(*thin_markers(x, y, low))
        self._legend_clamped(bool(low.any()))
        recent = self._smooth.update(losses, self.smoothing)
        # The recent mean's floor is the same window's mean of the batch floors, so the two line up.
        recent_floors = None if floors is None else self._smooth_floors.update(floors, self.smoothing)
        self.recent_curve.setData(x, self._shown(recent, recent_floors, tiny)[0])
        self._redraw_band(x, floors, tiny)
        self.recent_curve.opts["name"] = f"recent mean ({self.smoothing} batches)"
        self._redraw_epochs(floor, tiny)
        self.place_floor(self.floor, floor, x)
        self._relabel_legend()

    def _batch_floors(self) -> np.ndarray | None:
        """Per-batch floors to subtract: only in excess mode, and only when there is one for every batch."""
        if not self.excess or self._floors.n == 0 or self._floors.n != self._losses.n:
            return None
        return self._floors.view()

    def _shown(self, values: np.ndarray, floors: np.ndarray | None, tiny=None) -> tuple[np.ndarray, np.ndarray]:
        """transform() of values, less each batch's own floor when given, else less the run's floor."""
        if floors is not None:
            # loss − this batch's targets' entropy is a KL divergence: ≥ 0, so nothing is clamped on log.
            return self.transform(values - floors[: len(values)], None, tiny)
        return self.transform(values, self._info.get("floor"), tiny)

    def _legend_clamped(self, shown: bool) -> None:
        # The clamped-marker entry only when something is clamped: an unused entry reads as a warning.
        listed = any(sample.item is self.clamped for sample, _ in self.legend.items)
        if shown and not listed:
            self.legend.addItem(self.clamped, "≤ 0, clamped")
        elif listed and not shown:
            self.legend.removeItem(self.clamped)

    def _redraw_band(self, x: np.ndarray, floors, tiny) -> None:
        n = min(self._lo.n, len(x))
        self.band.setVisible(n > 0)
        self.band_lo.setData(x[:n], self._shown(self._lo.view()[:n], floors, tiny)[0])
        self.band_hi.setData(x[:n], self._shown(self._hi.view()[:n], floors, tiny)[0])

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
        floor = f" · batch floor {self._floors.view()[i]:.5g}" if i < self._floors.n else ""
        return f"step {step} · epoch {int(self._epochs.view()[i])} · {self._seconds.view()[i]:.1f} s · loss {loss:.5g}{floor}"


# The comparison plot has its own module; it is still importable from here.
from .comparison_plot import ComparisonPlot, legend_name, run_x  # noqa: E402,F401
