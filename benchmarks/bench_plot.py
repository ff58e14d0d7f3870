"""Times redraws of the live plot holding a 1,000,000-batch curve (target ≤ 20 ms) and prints the ratio.

The plot holds every batch but draws a min/max envelope of at most a few thousand points, so the
figures say how many points a paint actually drew: they time the app's redraw, not a million-point paint.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6 import QtWidgets  # noqa: E402

TARGET_MS = 20.0
POINTS = 1_000_000
REPEATS = 15


def _median_ms(action, app) -> float:
    """Median wall time of action() and the paint it schedules (run by processEvents), in ms."""
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        action()
        app.processEvents()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure() -> dict:
    """Build a 1M-point live plot; median ms of a repaint, a full redraw, a live tick and an excess redraw."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    from aegui.gui.plots.loss_plot import LivePlot
    plot = LivePlot()
    plot.resize(1200, 700)
    plot.show()
    plot.start_run({"floor": 0.5, "floor_exact": True, "label": "1M points", "batches_per_epoch": 235, "loss": "bce"})
    steps = np.arange(POINTS, dtype=np.int64)
    losses = 0.5 + 0.3 * np.exp(-steps / 2e5) + np.random.default_rng(0).normal(0, 0.01, POINTS)
    plot.append(steps, losses, steps / 700.0, steps // 235)
    plot.redraw()
    app.processEvents()
    viewport = plot.plot_widget.viewport()
    repaint = _median_ms(viewport.update, app)
    drawn = drawn_points(plot)
    full = _median_ms(plot.redraw, app)
    chunk = iter(range(POINTS, POINTS + 500 * (REPEATS + 1), 500))

    def live_tick():
        s = np.arange(next(chunk), dtype=np.int64)[-500:]
        plot.append(s, np.full(500, 0.51), s / 700.0, s // 235)
        plot.redraw()
    tick = _median_ms(live_tick, app)
    plot.set_excess(True)
    excess = _median_ms(plot.redraw, app)
    points = plot.point_count()
    plot.close()
    return {"points": points, f"repaint, live plot holding 1,000,000 batches ({drawn:,} points drawn)": repaint,
            "full redraw (setData from buffers + paint)": full,
            "live tick (append 500 points + redraw + paint)": tick, "full redraw in excess mode": excess}


def drawn_points(plot) -> int:
    """How many points the plot's visible curves hand to the painter (after decimation and clipping)."""
    total = 0
    for item in plot.plot_item.listDataItems():
        x, _ = item.getData()
        if item.isVisible() and x is not None:
            total += len(x)
    return total


def rows() -> list:
    """The redraw figures as rows for run_all: the repaint is the target; the others are shown against it."""
    from _rows import at_most
    found = measure()
    return [at_most(name, ms, TARGET_MS, "ms") for name, ms in found.items() if name != "points"]


def main() -> int:
    """Print repaint and full-redraw times of a 1M-point live plot against the 20 ms target."""
    found = measure()
    print(f"points held: {found.pop('points'):,} (batch loss, recent mean, epoch mean, floor)")
    for name, ms in found.items():
        print(f"{name}: {ms:.1f} ms · reference (target) {TARGET_MS:.0f} ms · ratio {ms / TARGET_MS:.2f}")
    return 0 if all(ms <= TARGET_MS for ms in found.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
