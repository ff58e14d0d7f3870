"""Auto-range in steps: a live plot's axes change only when the run outgrows them, not on every frame.

pyqtgraph's auto-range fits the data exactly, so while a run trains the x range grows and the y range
shrinks on every redraw, and both axes regenerate their ticks, labels and grid (about half of a live
frame's paint). Snapped outward to coarse steps, the range holds for many frames, and the cached axis
pictures are reused.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

SPAN_STEPS = (1.0, 1.25, 1.6, 2.0, 2.5, 3.2, 4.0, 5.0, 6.3, 8.0, 10.0)  # the x range grows by ≤ 25% at a time
LOG_STEP = 0.25  # decades: the log y range moves in quarter decades


def span_up(span: float) -> float:
    """The smallest step of SPAN_STEPS × 10^k that is ≥ span (span > 0)."""
    power = 10.0 ** math.floor(math.log10(span))
    for m in SPAN_STEPS:
        if m * power >= span * (1 - 1e-12):
            return m * power
    return 10.0 * power


def snap_x(lo: float, hi: float) -> tuple[float, float]:
    """x bounds with the end pushed out to a step, so the curve grows into the range, and the start
    pulled down to a 50th of it: symbols' pixel padding moves the start a little with every range."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return lo, hi
    grid = span_up(hi - lo) / 50
    lo = math.floor(lo / grid + 1e-9) * grid
    return lo, lo + span_up(hi - lo)


def snap_y(lo: float, hi: float, log: bool) -> tuple[float, float]:
    """y bounds pushed outward to quarter decades (log) or to a quarter of the span's decade (linear)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        return lo, hi
    if log:  # view coordinates are log10 already
        step = LOG_STEP
    else:
        span = hi - lo if hi > lo else max(abs(hi), 1e-12)
        step = 10.0 ** math.floor(math.log10(span)) / 4
    return math.floor(lo / step) * step, max(math.ceil(hi / step) * step, math.floor(lo / step) * step + step)


class CoverViewBox(pg.ViewBox):
    """A ViewBox whose x auto-range also covers what `cover()` returns: the runs drawn in the panels stacked
    under it (x-linked to it), so every run is whole whichever panel holds it."""

    cover = None  # a callable returning (lo, hi) or None; set by the plot that owns the panels

    def childrenBounds(self, frac=None, orthoRange=(None, None), items=None):  # noqa: N802 (pyqtgraph API)
        """The children's bounds, x widened to the other panels' runs."""
        bounds = super().childrenBounds(frac=frac, orthoRange=orthoRange, items=items)
        extra = self.cover() if self.cover is not None and items is None else None
        if extra is not None:
            x = bounds[0]
            bounds[0] = list(extra) if x is None else [min(x[0], extra[0]), max(x[1], extra[1])]
        return bounds


class FollowViewBox(CoverViewBox):
    """A ViewBox whose auto-range follows the data in steps (see the module's docstring)."""

    def childrenBounds(self, frac=None, orthoRange=(None, None), items=None):  # noqa: N802 (pyqtgraph API)
        """The children's bounds, snapped outward to steps."""
        bounds = super().childrenBounds(frac=frac, orthoRange=orthoRange, items=items)
        if bounds[0] is not None:
            bounds[0] = list(snap_x(*bounds[0]))
        if bounds[1] is not None:
            bounds[1] = list(snap_y(*bounds[1], log=bool(self.state["logMode"][1])))
        return bounds
