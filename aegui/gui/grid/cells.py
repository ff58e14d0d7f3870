"""Grid cells: one loss × data plot's data and items, and the thinning that keeps large runs quick to draw."""

from __future__ import annotations

import contextlib
import html
import math
import warnings

import numpy as np
import pyqtgraph as pg

from ...core.config.losses import LOSSES
from ..plots.curves import excess
from ..plots.loss_plot import EPOCH_COLOUR, FLOOR_COLOUR, RAW_COLOUR, RECENT_COLOUR
from ..palette import BAND_ALPHA
from ..plots.plot_base import INK, MUTED, _Growable, clamp_for_log, pen

LOSS_NAMES = {kind: loss.short for kind, loss in LOSSES.items()}
MAX_POINTS = 1500      # per cell: a few hundred pixels wide, so more points only cost paint time
CELL_HEIGHT = 330      # logical px per row in saved figures
BAND_RGBA = (0, 114, 178, BAND_ALPHA)
MAX_EPOCH_MARKERS = 60


def fmt(v) -> str:
    """A loss for a title in three significant digits, the one rule of every figure's text (banner.sig3)."""
    from ..banner import sig3
    return sig3(v)


def peak_thin(y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """x and y thinned to about max_points by keeping each block's min and max, so spikes stay visible."""
    n = len(y)
    if n <= max_points:
        return np.arange(n, dtype=np.float64), y
    b = math.ceil(n / (max_points // 2))
    pad = np.full(math.ceil(n / b) * b, np.nan)
    pad[:n] = y
    blocks = pad.reshape(-1, b)
    with _quiet():
        lo, hi = np.nanmin(blocks, 1), np.nanmax(blocks, 1)
    x = np.repeat(np.arange(len(blocks)) * b + b / 2, 2)
    return x, np.column_stack([lo, hi]).ravel()


def band_series(losses: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, ...]:
    """x, median, min and max over seeds (rows = batches), block-reduced to at most max_points."""
    with _quiet():
        mid, lo, hi = np.nanmedian(losses, 1), np.nanmin(losses, 1), np.nanmax(losses, 1)
    b = max(1, math.ceil(len(mid) / max_points))
    if b == 1:
        return np.arange(len(mid), dtype=np.float64), mid, lo, hi
    m = len(mid) // b * b  # the last partial block is dropped: at most b of many thousand batches
    with _quiet():
        parts = (np.nanmean(mid[:m].reshape(-1, b), 1), np.nanmin(lo[:m].reshape(-1, b), 1),
                 np.nanmax(hi[:m].reshape(-1, b), 1))
    return (np.arange(m // b) * b + b / 2, *parts)


@contextlib.contextmanager
def _quiet():
    # All-NaN blocks (a diverged seed, the padded tail) are expected here, not worth a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def epoch_points(config, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (batch at each epoch's end) and mean loss of each full epoch (median over seeds)."""
    per = max(1, math.ceil(config.data.samples / max(config.training.batch_size, 1)))
    full = len(losses) // per
    if full == 0:
        return np.empty(0), np.empty(0)
    means = np.asarray(losses[: full * per], dtype=np.float64).reshape(full, per, -1).mean(axis=1)
    x, y = np.arange(1, full + 1, dtype=np.float64) * per - 1, np.median(means, axis=1)
    step = max(1, math.ceil(full / MAX_POINTS))  # thousands of epochs: every step-th is enough to draw
    return x[::step], y[::step]


def grid_floor_text(value, exact: bool) -> str:
    """'floor 0.505 (exact)': a cell's floor label, in the titles' three significant digits."""
    if value is None or not math.isfinite(value):
        return "no floor"
    return f"floor {fmt(value)} ({'exact' if exact else 'lower bound'})"


def cell_title(loss: str, data: str, row, floor, running: bool = True) -> str:
    """'BCE × uniform — final 0.505, floor 0.500' and a muted second line with the gap and stop reason."""
    head = f"<b>{html.escape(LOSS_NAMES.get(loss, loss))} × {html.escape(data)}</b>"
    if row is None:
        if floor is None:
            return f"{head} — not run"
        return f"{head} — running…" if running else f"{head} — waiting, floor {fmt(floor)}"
    gap = None if row.final_loss is None or floor is None else row.final_loss - floor
    seeds = f" · median of {row.copies} seeds" if row.copies > 1 else ""
    sub = f"gap {fmt(gap)} · {row.batches:,} batches · {row.stop_reason or row.status}{seeds}"
    return (f"{head} — final {fmt(row.final_loss)}, floor {fmt(floor)}"
            f"<br><span style='color:{MUTED}; font-size:9pt'>{html.escape(sub)}</span>")


class Cell:
    """One loss × data plot and its data: a finished run (row + losses) or a live one being appended to."""

    def __init__(self, spec: dict, plot: pg.PlotItem):
        self.loss, self.data, self.row, self.plot = spec["loss"], spec["data"], spec.get("row"), plot
        self.floor = spec.get("floor", getattr(self.row, "floor", None))
        self.floor_exact = spec.get("floor_exact", getattr(self.row, "floor_exact", False))
        losses, floors = spec.get("losses"), spec.get("floors")
        self.losses = None if losses is None else np.asarray(losses, dtype=np.float64)
        self.floors = None if floors is None else np.asarray(floors, dtype=np.float64)  # BCE batch floors
        self.live: _Growable | None = None
        self.live_floors: _Growable | None = None
        self._series: dict[bool, dict] = {}  # series(excess_mode) of the data held now; emptied by invalidate()
        self.changed = True                   # drawn data out of date: the next redraw draws this cell's row
        self.raw = pg.PlotDataItem(pen=pen(RAW_COLOUR, 1.0))
        # A transparent pen, not None: with pen=None PlotDataItem never builds the path FillBetweenItem fills.
        self.lo, self.hi = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0)), pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
        self.band = pg.FillBetweenItem(self.lo, self.hi, brush=pg.mkBrush(*BAND_RGBA))
        self.median = pg.PlotDataItem(pen=pen(RECENT_COLOUR, 1.8))
        self.epochs = pg.PlotDataItem(pen=pen(EPOCH_COLOUR, 1.4), symbol="o", symbolSize=6,
                                      symbolBrush=EPOCH_COLOUR, symbolPen="w")
        for item in (self.lo, self.hi, self.band, self.raw, self.median, self.epochs):
            plot.addItem(item)
        # Below the line, at the right: a loss never goes under an exact floor, so no curve hides the label.
        opts = {"position": 0.98, "color": FLOOR_COLOUR, "anchors": [(1, 0), (1, 0)],
                "fill": pg.mkBrush(255, 255, 255, 210)}
        self.floor_line = pg.InfiniteLine(angle=0, pen=pen(FLOOR_COLOUR, 1.3, dashed=True), movable=False,
                                          label=grid_floor_text(self.floor, self.floor_exact), labelOpts=opts)
        plot.addItem(self.floor_line, ignoreBounds=True)

    def values(self) -> np.ndarray | None:
        """All losses held: the stored curve, or the live points appended so far."""
        if self.live is not None:
            return self.live.view()
        return self.losses

    def batch_floors(self) -> np.ndarray | None:
        """Each held batch's own floor (BCE runs), stored or live; None when there are none."""
        if self.live is not None:
            return None if self.live_floors is None else self.live_floors.view()
        return self.floors

    def invalidate(self) -> None:
        """The held data (or its floors) changed: recompute the series and redraw the row at the next redraw."""
        self._series.clear()
        self.changed = True

    def series(self, excess_mode: bool = False) -> dict:
        """Display arrays: per-batch (thinned) or band, epoch means; in excess mode each less its floor.

        Cached until invalidate(): a finished cell costs nothing on the ticks of the cell still training."""
        key = bool(excess_mode)
        if key not in self._series:
            self._series[key] = self._compute_series(key)
        return self._series[key]

    def _compute_series(self, excess_mode: bool) -> dict:
        y = self.values()
        if y is None or len(y) == 0:
            return {}
        raw = y
        if excess_mode:
            # Per batch: that batch's own floor where the run recorded one; epoch means: the data set's floor.
            y = excess(y, self.batch_floors(), self.floor)
        out: dict = {}
        if y.ndim == 2 and y.shape[1] > 1:
            out["band"] = band_series(y)
        else:
            out["raw"] = peak_thin(y.reshape(len(y)))
        if self.row is not None:
            ex, ey = epoch_points(self.row.config, raw if raw.ndim == 2 else raw[:, None])
            out["epochs"] = (ex, excess(ey, None, self.floor) if excess_mode else ey)
        return out

    def draw(self, s: dict, tiny: float, excess_mode: bool = False) -> None:
        """Push display arrays to the items; values ≤ 0 sit at tiny (a decade under the smallest)."""
        clamp = lambda v: clamp_for_log(np.asarray(v, dtype=np.float64), tiny)[0]  # noqa: E731
        x, y = s.get("raw", ([], []))
        self.raw.setData(x, clamp(y))
        band = s.get("band")
        self.band.setVisible(band is not None)
        self.median.setData(band[0] if band else [], clamp(band[1]) if band else [])
        self.lo.setData(band[0] if band else [], clamp(band[2]) if band else [])
        self.hi.setData(band[0] if band else [], clamp(band[3]) if band else [])
        ex, ey = s.get("epochs", ([], []))
        # Markers help up to a few dozen epochs; beyond that they merge into a smear over the curve.
        self.epochs.setSymbol("o" if len(ex) <= MAX_EPOCH_MARKERS else None)
        self.epochs.setData(ex, clamp(ey))
        # In excess mode every curve is already measured from its floor: a floor line would only mislead.
        show = not excess_mode and self.floor is not None and math.isfinite(self.floor) and self.floor > 0
        self.floor_line.setVisible(bool(show))
        if show:
            assert self.floor is not None
            self.floor_line.setPos(math.log10(self.floor))
        self.plot.setTitle(cell_title(self.loss, self.data, self.row, self.floor, self.live is not None), color=INK, size="10.5pt")
