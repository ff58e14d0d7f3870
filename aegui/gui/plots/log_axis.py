"""The loss plots' log y axis: labels thinned to what fits its height, at even steps."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtGui


PLAIN_RANGE = (1e-4, 1e5)  # values printed as decimals ("0.0001", "10000") when every value in view is inside
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_labels(values, scale: float, view: tuple) -> list[str]:
    """Log tick labels in one format for the whole axis: decimals while the view stays inside PLAIN_RANGE, else
    powers of ten ("10⁻⁶", "2·10⁻⁶"); pyqtgraph chose per tick, and printed 0.0001 above 10⁻⁶."""
    low, high = sorted(float(v) for v in view)  # log10 of the view's ends: the decades in view decide
    lo, hi = 10.0 ** math.ceil(low - 1e-9) * scale, 10.0 ** math.floor(high + 1e-9) * scale
    powers = lo < PLAIN_RANGE[0] or hi >= PLAIN_RANGE[1]
    labels = []
    for v in values:
        x = 10.0 ** float(v) * scale
        exponent = math.floor(math.log10(x) + 1e-9)
        mantissa = round(x / 10.0 ** exponent)
        if mantissa == 10:
            mantissa, exponent = 1, exponent + 1
        if powers:
            labels.append(("" if mantissa == 1 else f"{mantissa}·") + "10" + str(exponent).translate(_SUPERSCRIPT))
        else:
            labels.append(f"{mantissa * 10.0 ** exponent:.{max(0, -exponent)}f}")
    return labels


class LossAxis(pg.AxisItem):
    """A y axis whose log scale labels only decades (and 2, 5 on short spans): minor labels would collide."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        """pyqtgraph's tick levels, each value in the first level that has it only: on a log axis of under
        2.5 decades the minor level repeats the decades, and their labels were drawn twice (twice in an SVG)."""
        seen: set = set()
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            fresh = [v for v in values if round(float(v), 9) not in seen]
            seen.update(round(float(v), 9) for v in values)
            levels.append((spacing, fresh))
        return levels

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        """Labels for log ticks: as many as fit the axis' height, at even steps (blank for the rest).

        pyqtgraph labels each tick level on its own (every 2nd decade, the decades between, then 2…9 within
        a decade), so on a short axis the levels' labels piled into one another at uneven steps.
        """
        strings = log_labels(values, scale, self.range)
        span = abs(self.range[1] - self.range[0])
        font = QtGui.QFontMetrics(self.style["tickFont"] or QtGui.QFont())
        room = max(2, int(self.size().height() / (2.0 * font.height())))
        mantissa = [round(10 ** (v - math.floor(v + 1e-9))) for v in values]
        if spacing is not None or span > 2.5:  # whole decades: every k-th, k from 1, 2, 3, 5, 10, …
            k = next(m * 10 ** e for e in range(4) for m in (1, 2, 3, 5) if m * 10 ** e >= span / room)
            return [text if m == 1 and round(v) % k == 0 else "" for text, v, m in zip(strings, values, mantissa)]
        sets = ([None] if span <= 1.2 else []) + [(1, 2, 5), (1,)]
        for keep in sets:
            kept = [text if keep is None or m in keep else "" for text, m in zip(strings, mantissa)]
            if 2 <= sum(bool(k) for k in kept) <= room:  # one label alone ('0.5') gives no scale to read by
                return kept
        # Less than a decade or two in view and still too many: every k-th label, so some always show.
        idx = [i for i, text in enumerate(strings) if text]
        step = max(1, -(-len(idx) // room))
        return [text if i in idx[::step] else "" for i, text in enumerate(strings)]
