"""Shared parts of the loss plots: theme, palette, log clamping, smoothing, floors and view controls."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from .log_axis import LossAxis
from .follow_range import CoverViewBox
from ...core.config.vocab import Claim, claim_of, claim_words, floor_title
from .view_rule import UNIT_OF, ZERO_BELOW, axis_label, x_cover
from ..flow_layout import FlowLayout
from ..palette import BAND_ALPHA, ERROR_RED, INK  # noqa: F401 - plot_base.INK and BAND_ALPHA stay importable

# Okabe–Ito, reordered so the first colours stay apart on white; yellow is left out (unreadable on white).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999933")
MUTED, GRID_ALPHA = "#8a8a8a", 0.18
# Floor lines under the curves (seed bands' fills are at -1): a run trained to its floor ran along the dashed
# line, which was drawn over it, and two of five runs in a comparison looked missing.
FLOOR_Z = -0.5


def run_colours(rows) -> list[str]:
    """One palette colour per run, which a run keeps whatever is selected with it and however the table is
    sorted: its id picks it (run #1 the first colour), and when two runs would share one the later id takes the
    next free colour (colours repeat only past the palette's size). By place in the list, a re-sorted table
    swapped every run's colour. A row without an id (a live run) counts by its place."""
    n = len(PALETTE)
    ids = [getattr(row, "run_id", None) for row in rows]
    wanted = [(i - 1) % n if isinstance(i, int) else k % n for k, i in enumerate(ids)]
    out: list[str] = [""] * len(rows)
    taken: set[int] = set()
    for k in sorted(range(len(rows)), key=lambda k: (ids[k] if isinstance(ids[k], int) else float("inf"), k)):
        colour = wanted[k]
        if len(taken) < n:
            while colour in taken:
                colour = (colour + 1) % n
        taken.add(colour)
        out[k] = PALETTE[colour]
    return out
CLAMP_COLOUR = ERROR_RED  # a value the log axis cannot show
X_AXES = ("batch", "epoch", "seconds")
# kind → axis label, from the one view rule (view_rule.py): an axis names exactly one unit.
UNITS = {kind: axis_label(unit) for kind, unit in UNIT_OF.items()}


def clamp_level(y: np.ndarray) -> float:
    """Where values ≤ 0 are drawn on a log scale: a decade under the smallest positive value (an underflowed
    one, ≤ ZERO_BELOW, does not count: it pulled the axis down to 1e-43)."""
    pos = y[(y > ZERO_BELOW) & np.isfinite(y)]
    return max(float(pos.min()) / 10.0, 1e-12) if pos.size else 1e-12


def clamp_for_log(y: np.ndarray, tiny: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """y with values ≤ 0 raised to tiny (default clamp_level(y)), and the mask of those points."""
    low = (y <= 0) & np.isfinite(y)
    if not low.any():
        return y, low
    return np.where(low, clamp_level(y) if tiny is None else tiny, y), low


def rolling_mean(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over the last `window` finite values at each point (non-finite values are skipped)."""
    if window <= 1 or y.size == 0:
        return y
    ok = np.isfinite(y)
    sums = np.concatenate(([0.0], np.cumsum(np.where(ok, y, 0.0))))
    counts = np.concatenate(([0], np.cumsum(ok)))
    hi = np.arange(1, y.size + 1)
    lo = np.maximum(hi - window, 0)
    n = counts[hi] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (sums[hi] - sums[lo]) / np.maximum(n, 1), np.nan)


def floor_text(value: float | None, exact: bool, name: str = "", claim: str | None = None) -> str:
    """'model floor 0.5054 (exact)': a floor's name, value and claim (a lower bound when not exact)."""
    if value is None or not math.isfinite(value):
        return "no floor"
    claim = claim or claim_of(exact)
    return f"{floor_title(name)} {value:.4g} ({claim_words(name, claim)})"


# How each claim is drawn: a bound is a dashed line, a reference dotted, an estimate dash-dotted; a reachable
# value (an upper value of the model's floor, which a run may go under) dotted in its own colour.
CLAIM_STYLES: dict[str, tuple[str, QtCore.Qt.PenStyle]] = {Claim.EXACT: ("#444444", QtCore.Qt.PenStyle.DashLine),
                Claim.LOWER_BOUND: ("#6b6b6b", QtCore.Qt.PenStyle.DashLine),
                Claim.ESTIMATE: ("#7a5195", QtCore.Qt.PenStyle.DashDotLine),
                Claim.REFERENCE: ("#2a7ab0", QtCore.Qt.PenStyle.DotLine),
                Claim.REACHABLE: ("#2e8b57", QtCore.Qt.PenStyle.DotLine)}


def pen(colour: str, width: float = 1.5, dashed: bool = False) -> QtGui.QPen:
    """A cosmetic pen; dashed for floors."""
    p = pg.mkPen(colour, width=width)
    if dashed:
        p.setStyle(QtCore.Qt.PenStyle.DashLine)
    return p


class _Growable:
    """A numpy array that grows by doubling, so appends stay O(1) amortised."""

    def __init__(self, dtype, columns: int = 0):
        self._shape = (columns,) if columns else ()
        self._a = np.empty((1024, *self._shape), dtype=dtype)
        self.n = 0

    def extend(self, values) -> None:
        """Append values (one row per leading index)."""
        values = np.asarray(values, dtype=self._a.dtype).reshape(-1, *self._shape)
        need = self.n + len(values)
        if need > len(self._a):
            bigger = np.empty((max(need, 2 * len(self._a)), *self._shape), dtype=self._a.dtype)
            bigger[: self.n] = self._a[: self.n]
            self._a = bigger
        self._a[self.n:need] = values
        self.n = need

    def view(self) -> np.ndarray:
        """The filled part (a view: copy before keeping it)."""
        return self._a[: self.n]


# Floor labels hang below their line: a loss cannot go below its floor, so that is where no curve is
# (above it, a label's white box hid the curves' first epochs).
BELOW_LINE = [(0, 0), (0, 0)]
LABEL_GAP_PX = 12  # between floor labels set side by side along the x axis
# Where a floor's label may go, in turn: just below its line, just above, a label's height further below, above.
LABEL_LANES = (BELOW_LINE, [(0, 1), (0, 1)], [(0, -1), (0, -1)], [(0, 2), (0, 2)])


def set_log_mode(pi: pg.PlotItem, log: bool, stacked: bool = False) -> None:
    """Log or linear y on panel pi. pyqtgraph's setLogMode turns auto-range on for both axes: a stacked panel
    then fitted x to its own runs and, linked, pulled the main panel's range with it (unticking Log y cut a
    3,000-batch run at the 300 batches of the MSE run below it). A stacked panel's x follows the main panel,
    whose range covers every panel's runs."""
    pi.setLogMode(x=False, y=log)
    if stacked:
        pi.vb.enableAutoRange(x=False)


def settle_layouts(rounds: int = 4) -> None:
    """Run the pending layout passes now (each may resize a panel and ask for another), so a plot set while its
    updates are off is painted once at its final size: a 40-run selection was painted twice per panel, at the
    old legend's height and then at the new one, 120 ms of paint where 50 suffice. (All of the app's: sent to
    each of the plot's scene items instead, it woke items whose Python side was gone, and cost more.)"""
    for _ in range(rounds):
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)


def spread_labels(lines, vb, start: float = 0.02, avoid=()) -> None:
    """Place the labels of these horizontal lines so that none prints over another: each at the first free spot,
    from the left or right after a label already placed, in the first lane that has one (LABEL_LANES: below its
    line, above it, then a label's height further off), inside the view if it can. Floors close in value (a bound
    and the value reached, 0.0814 and 0.0816) printed their labels over each other at fixed shares of the width,
    the later label's white box hiding the other's words. vb: the lines' view box. Nothing is moved while neither
    the view nor the lines changed (a live plot asks at every redraw; placing costs ~0.8 ms, a third of a
    redraw).

    avoid: curves (PlotDataItems) a label's white box should not hide: a spot clear of them is sought first, along
    the whole width (the comparison's 'model floor 0.5004' hung over another run's curve at the left edge)."""
    view = vb.sceneBoundingRect()
    width = view.width()
    if width <= 0:
        return
    curves = [c for c in avoid if c.isVisible()]
    # Where the lines are on screen now (their scene y follows the view's transform, which a range change
    # updates only at the next paint preparation), and what their labels say.
    key = (view.getRect(), start,
           tuple((id(line), line.isVisible(), round(line.scenePos().y(), 1), id(getattr(line, "label", None)),
                  getattr(getattr(line, "label", None), "format", None)) for line in lines),
           tuple((id(c), id(c.yData)) for c in curves))
    if getattr(vb, "spread_key", None) == key:
        return
    vb.spread_key = key
    segments = _scene_segments(curves, vb) if curves else None
    # With curves to avoid, more places along the width to try: clear of the curves beats leftmost.
    grid = sorted({start * width} | {f * width for f in (0.15, 0.3, 0.45, 0.6, 0.75)})
    # (clear of the curves, inside the view): each pass asks less than the one before.
    passes = ((True, True), (False, True), (False, False)) if segments is not None else ((False, True), (False, False))
    placed: list = []
    for line in lines:
        label = getattr(line, "label", None)
        if label is None or not line.isVisible():
            continue
        w = label.boundingRect().width()
        after = {r.right() - view.left() + LABEL_GAP_PX for r in placed}
        spot = None
        # First a spot inside the view (a floor at the bottom edge, 0 on a linear axis, hung its label under the
        # x axis), then any free one.
        for clear, inside in passes:
            starts = sorted(set(grid) | after) if clear else sorted({start * width} | after)
            # Clear of the curves only right beside the line: a label a lane further off read as another value
            # (a curve that runs along its own floor left no clear spot beside it, and the label went 30 px off).
            for anchors in LABEL_LANES[:2] if clear else LABEL_LANES:
                label.anchors = anchors
                for x in (x for x in starts if x + w <= width):
                    label.setPosition(x / width)
                    here = label.sceneBoundingRect()
                    if (not inside or view.top() <= here.top() and here.bottom() <= view.bottom() + 1) and \
                            not any(here.intersects(r) for r in placed) and \
                            not (clear and _crosses(here, segments)):
                        spot = x
                        break
                if spot is not None:
                    break
            if spot is not None:
                break
        if spot is None:  # no free spot in a view this narrow: below the line, at the left
            label.anchors = BELOW_LINE
            label.setPosition(start)
        placed.append(label.sceneBoundingRect())


def _scene_segments(curves, vb) -> np.ndarray:
    """The drawn curves' line segments in scene coordinates, (n, 4): x0, y0, x1, y1 (NaN across gaps)."""
    to_scene = vb.childTransform() * vb.sceneTransform()  # view → the box's own → scene (Qt: left first)
    parts = []
    for curve in curves:
        x, y = curve.getData()  # as drawn: log-mapped, and clipped or thinned to the view where it is
        if x is None or len(x) < 2:
            continue
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        sx = to_scene.m11() * x + to_scene.m21() * y + to_scene.dx()
        sy = to_scene.m12() * x + to_scene.m22() * y + to_scene.dy()
        parts.append(np.column_stack((sx[:-1], sy[:-1], sx[1:], sy[1:])))
    return np.concatenate(parts) if parts else np.empty((0, 4))


def _crosses(rect, segments: np.ndarray | None) -> bool:
    """True when a segment's bounding box meets rect (a steep segment between two points outside it counts)."""
    if segments is None or not len(segments):
        return False
    x0, y0, x1, y1 = segments.T
    with np.errstate(invalid="ignore"):
        return bool(np.any((np.fmax(x0, x1) >= rect.left()) & (np.fmin(x0, x1) <= rect.right())
                           & (np.fmax(y0, y1) >= rect.top()) & (np.fmin(y0, y1) <= rect.bottom())))


class TimedPlotWidget(pg.PlotWidget):
    """A PlotWidget that remembers how long its last paint took (the live plot paces its redraws by it)."""

    paint_s = 0.0

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Paint, timing it."""
        t0 = time.perf_counter()
        super().paintEvent(event)
        self.paint_s = 0.7 * self.paint_s + 0.3 * (time.perf_counter() - t0)


class FitLegend(pg.LegendItem):
    """A legend that drops columns when its row would be wider than the plot (at 2× 'epoch mean' was cut)."""

    room: Callable[[], float] | None = None  # the width there is; set by the plot
    fixed = False  # a caller that sets the columns itself (a saved figure's style) keeps them

    def setColumnCount(self, n: int) -> None:  # noqa: N802 (pyqtgraph API)
        """Columns chosen by a caller: kept as they are from now on."""
        self.fixed = True
        super().setColumnCount(n)

    def fit(self) -> None:
        """Use the most columns (up to the first asked for) that fit the room."""
        if self.room is None or self.fixed:
            return
        room, most = self.room(), getattr(self, "_most_columns", None) or int(self.columnCount)
        self._most_columns = most
        for n in range(most, 0, -1):
            if self.columnCount != n:
                pg.LegendItem.setColumnCount(self, n)
            if self.layout.preferredWidth() <= room:
                break

    def set_rows(self, rows: list) -> None:
        """Show exactly these rows (item, text). Rows there are pointed at the new items; rows no longer needed are
        put away and come back for a longer list: making a row (a label and a sample) costs 1-2 ms, and a 40-run
        selection after a one-run one named 12 new rows."""
        spare = self.__dict__.setdefault("_spare_rows", [])
        kept = min(len(self.items), len(rows))
        for sample, label in self.items[kept:]:
            self.layout.removeItem(sample)
            self.layout.removeItem(label)
            sample.hide()
            label.hide()
            spare.append((sample, label))
        del self.items[kept:]
        for item, text in rows[kept:]:
            if not spare:
                pg.LegendItem.addItem(self, item, text)
                continue
            sample, label = spare.pop()
            self.items.append((sample, label))
            self._addItemToLayout(sample, label)  # what LegendItem.addItem places a new row with
            sample.show()
            label.show()
        for (sample, label), (item, text) in zip(self.items, rows):
            if sample.item is not item:
                sample.item = item
                sample.update()
            if label.text != text:
                label.setText(text)
        self.updateSize()
        self.fit()

    def addItem(self, item, name) -> None:  # noqa: N802 (pyqtgraph API)
        """Add an entry, then refit."""
        super().addItem(item, name)
        self.fit()

    def removeItem(self, item) -> None:  # noqa: N802 (pyqtgraph API)
        """Remove an entry, then refit."""
        super().removeItem(item)
        self.fit()


HINT_STYLE = f"background: white; color: {MUTED}; font-size: 12pt; padding: 40px;"


class HintStack(QtWidgets.QStackedWidget):
    """A widget behind a centred hint label (index 0, shown first)."""

    def __init__(self, widget: QtWidgets.QWidget, text: str):
        super().__init__()
        self.hint_label = QtWidgets.QLabel(text)
        self.hint_label.setWordWrap(True)
        self.hint_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setStyleSheet(HINT_STYLE)
        self.addWidget(self.hint_label)
        self.addWidget(widget)


def hinted_stack(widget: QtWidgets.QWidget, text: str) -> HintStack:
    """widget behind a centred hint (index 0, shown first; the label is the stack's hint_label); the caller
    shows the widget (setCurrentWidget or setCurrentIndex(1)) once it has content."""
    return HintStack(widget, text)


def style_axes(plot_item: pg.PlotItem, point_size: float) -> None:
    """The house style of a plot's left and bottom axes: muted lines, ink tick labels of point_size, no SI prefix."""
    font = QtGui.QFont()
    font.setPointSizeF(point_size)
    for name in ("left", "bottom"):
        axis = plot_item.getAxis(name)
        axis.setPen(pg.mkPen(MUTED))
        axis.setTextPen(pg.mkPen(INK))
        axis.setTickFont(font)
        axis.enableAutoSIPrefix(False)  # "(x0.001)" on a loss axis reads as an error


class PlotBase(QtWidgets.QWidget):
    """A themed PlotItem with log / excess / x-axis / smoothing controls and a hover readout.

    Never two units on one axis (view_rule): the main panel holds runs of one unit (`unit`); runs of another
    unit go to a panel of their own (panel()), stacked under it and sharing its x range.
    """

    sigViewChanged = QtCore.Signal()
    _refit_held = False
    view_box_class = CoverViewBox  # the live plot's follows the run in steps
    legend_columns = 3

    def __init__(self, parent=None, controls: bool = True, smoothing: int = 1):
        super().__init__(parent)
        self.log, self.excess, self.x_axis, self.smoothing = True, False, "batch", smoothing
        self.y_unit = "loss"
        self.unit: str | None = None      # the main panel's unit; None until a run says
        self.floor_titles: dict = {}      # unit → which floor excess subtracts there ('model floor', …)
        self.extra_panels: dict[str, TimedPlotWidget] = {}  # unit → a stacked panel for runs of that unit
        self.plot_widget = TimedPlotWidget(background="w", axisItems={"left": LossAxis("left")},
                                           viewBox=self.view_box_class())
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.vb.cover = self._extra_x_bounds
        self._style_plot()
        self.readout = QtWidgets.QLabel(" ")
        self.readout.setStyleSheet(f"color: {MUTED};")
        # A long readout must not widen the pane for good (seen: the first hover pushed the reconstruction out).
        self.readout.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.readout.setMinimumWidth(0)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if controls:
            layout.addLayout(self._build_controls())
        self.panel_box = QtWidgets.QWidget()
        panels = self.panel_layout = QtWidgets.QVBoxLayout(self.panel_box)
        panels.setContentsMargins(0, 0, 0, 0)
        panels.setSpacing(0)
        panels.addWidget(self.plot_widget, 3)
        # An empty plot shows meaningless axes (log 2..9): until there is data, a hint says what to do.
        self.stack = hinted_stack(self.panel_box, "")
        self.hint_label = self.stack.hint_label
        self.stack.setCurrentWidget(self.panel_box)  # the plot until set_hint asks for the hint
        layout.addWidget(self.stack, 1)
        self._mouse = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        self.plot_widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        """Clear the hover readout when the mouse leaves the plot: a stale one reads as the current value."""
        if event.type() == QtCore.QEvent.Type.Leave:
            self.clear_readout()
        return super().eventFilter(obj, event)

    def clear_readout(self) -> None:
        """Empty the hover readout."""
        self.readout.setText(" ")

    # ---------------------------------------------------------------- stacked panels, one unit each

    def panel(self, unit: str | None) -> pg.PlotItem:
        """The PlotItem that draws runs of `unit`: the main one for the main unit, else a stacked panel."""
        if unit is None or unit == self.unit or self.unit is None:
            return self.plot_item
        widget = self.extra_panels.get(unit)
        if widget is None:
            widget = self.new_panel()
            widget.getPlotItem().setXLink(self.plot_item)
            self.panel_layout.addWidget(widget, 2)
            self.extra_panels[unit] = widget
            self._update_labels()
        widget.setVisible(True)
        return widget.getPlotItem()

    def new_panel(self) -> TimedPlotWidget:
        """A stacked panel, styled, not yet linked or laid out."""
        widget = TimedPlotWidget(background="w", axisItems={"left": LossAxis("left")})
        pi = widget.getPlotItem()
        self._style_item(pi)
        set_log_mode(pi, self.log, stacked=True)
        return widget

    def keep_panels(self, units) -> None:
        """Remove the stacked panels of units not in `units` (their items go with them)."""
        for unit in [u for u in self.extra_panels if u not in set(units)]:
            widget = self.extra_panels.pop(unit)
            pi = widget.getPlotItem()
            getattr(self, "_left_labels", {}).pop(id(pi), None)
            pi.setXLink(None)  # before it goes: the main panel's range signal must not reach a deleted view
            pi.clear()
            widget.hide()
            self.panel_layout.removeWidget(widget)
            widget.close()
            widget.deleteLater()
            self._update_labels()

    def panel_items(self) -> list[pg.PlotItem]:
        """Every panel's PlotItem, the main one first."""
        return [self.plot_item] + [w.getPlotItem() for w in self.extra_panels.values()]

    def panel_units(self) -> list:
        """The unit of each panel, the main one first (one unit per axis)."""
        return [self.unit] + list(self.extra_panels)

    def _extra_x_bounds(self) -> tuple[float, float] | None:
        """x bounds of what the stacked panels draw: the main panel's auto-range covers them too."""
        # From the items' whole data: clipped to view, their bounds would be the linked range itself.
        return x_cover(item.getOriginalDataset()[0] for w in self.extra_panels.values()
                       for item in w.getPlotItem().items
                       if isinstance(item, pg.PlotDataItem) and item.isVisible())

    def refit(self) -> None:
        """Redo auto-range after the stacked panels' data changed (the main panel does not see them change)."""
        if not self.extra_panels or self._refit_held:
            return  # the main panel follows its own items; or _changed refits when it has redrawn
        if self.plot_item.vb.autoRangeEnabled()[0]:
            self.plot_item.vb.updateAutoRange()
        for w in self.extra_panels.values():
            w.getPlotItem().vb.updateAutoRange()

    def set_hint(self, text: str | None) -> None:
        """Show a centred hint instead of the plot (empty plot), or the plot again (None)."""
        if text:
            self.hint_label.setText(text)
        self.stack.setCurrentWidget(self.hint_label if text else self.panel_box)

    def hint(self) -> str | None:
        """The hint shown instead of the plot, or None while the plot shows."""
        return self.hint_label.text() if self.stack.currentWidget() is self.hint_label else None

    def _style_plot(self) -> None:
        pi = self.plot_item
        self._style_item(pi)
        # The legend sits under the x axis, in the plot's own layout: inside the view it hid curves and floors.
        self.legend = FitLegend(colCount=self.legend_columns, labelTextColor=INK, labelTextSize="9pt",
                                verSpacing=-6, horSpacing=18)
        self.legend.room = self._legend_room
        pi.layout.addItem(self.legend, 4, 1)
        pi.legend = self.legend  # items added with a name join it, as with addLegend
        self._update_labels()

    @staticmethod
    def _style_item(pi: pg.PlotItem) -> None:
        pi.setDownsampling(auto=True, mode="peak")  # must be set here: plot() keywords are overridden
        pi.setClipToView(True)
        pi.setLogMode(x=False, y=True)
        pi.showGrid(x=True, y=True, alpha=GRID_ALPHA)
        style_axes(pi, 9.5)
        # Axis text and grid replayed every frame cost ~5 ms each in software: cache both axes as pixmaps
        # (pyqtgraph calls update() when the ticks change, which refreshes the cache). The live plot's
        # FollowViewBox moves its range in steps, so the caches hold across frames while a run trains.
        # Files are drawn uncached (figures/render.py, draw_uncached).
        for name in ("left", "bottom"):
            pi.getAxis(name).setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def _build_controls(self) -> FlowLayout:
        row = FlowLayout()  # wraps in a narrow pane: one line of controls set the window's minimum width
        row.setContentsMargins(6, 2, 6, 0)
        self.log_box = QtWidgets.QCheckBox("Log y")
        self.log_box.setToolTip("Log scale shows the slow last decades of convergence; zeros are clamped and marked.")
        self.excess_box = QtWidgets.QCheckBox("Excess over floor")
        self.excess_box.setToolTip("Plot loss − floor: a run sitting on its floor has converged, even at 0.5.")
        self.x_combo = QtWidgets.QComboBox()
        self.x_combo.addItems(X_AXES)
        self.smooth_spin = QtWidgets.QSpinBox()
        self.smooth_spin.setRange(1, 100_000)
        self.smooth_spin.setPrefix("smooth ")
        self.smooth_spin.setSuffix(" batches")
        self.smooth_spin.setToolTip("Window of the rolling mean; 1 shows raw batches.")
        self._sync_controls()
        self.log_box.toggled.connect(self.set_log)
        self.excess_box.toggled.connect(self.set_excess)
        self.x_combo.currentTextChanged.connect(self.set_x_axis)
        self.smooth_spin.valueChanged.connect(self.set_smoothing)
        for w in (self.log_box, self.excess_box, QtWidgets.QLabel("x:"), self.x_combo, self.smooth_spin):
            row.addWidget(w)
        row.addStretch(1)
        self.controls_row = row
        row.addWidget(self.readout)
        row.set_filler(self.readout, 100)  # the rest of the last line: hovering never moves the controls
        return row

    def _sync_controls(self) -> None:
        if not hasattr(self, "log_box"):
            return
        for w, setter, value in ((self.log_box, "setChecked", self.log), (self.excess_box, "setChecked", self.excess),
                                 (self.x_combo, "setCurrentText", self.x_axis),
                                 (self.smooth_spin, "setValue", self.smoothing)):
            w.blockSignals(True)
            getattr(w, setter)(value)
            w.blockSignals(False)

    def set_log(self, on: bool) -> None:
        """Log (True) or linear (False) y axis."""
        self.log = bool(on)
        for pi in self.panel_items():
            set_log_mode(pi, self.log, stacked=pi is not self.plot_item)
        self._changed()

    def set_excess(self, on: bool) -> None:
        """Plot loss − floor (True) or the loss itself (False)."""
        self.excess = bool(on)
        self._changed()

    def set_x_axis(self, axis: str) -> None:
        """Show batch, epoch or seconds on the x axis."""
        if axis not in X_AXES:
            raise ValueError(f"x axis {axis!r}: must be one of {', '.join(X_AXES)}")
        zoom = None
        if axis != self.x_axis and not self.plot_item.vb.autoRangeEnabled()[0]:
            # A zoomed range is in the old axis' units: carried over to the new ones, so the zoom stays.
            zoom = self.map_x_range(self.plot_item.vb.viewRange()[0], self.x_axis, axis)
        self.x_axis = axis
        if zoom is not None:  # before the redraw: the live plot draws the batches under the range
            self.plot_item.vb.setXRange(*zoom, padding=0)
        self._changed(keep_x=zoom is not None)

    def map_x_range(self, x_range, old: str, new: str):
        """The same stretch of the run(s) on the new x axis; None when the plot cannot tell (zoom then resets)."""
        return None

    def set_smoothing(self, window: int) -> None:
        """Window (batches) of the rolling mean drawn; 1 for none."""
        self.smoothing = max(1, int(window))
        self._changed()

    def _changed(self, keep_x: bool = False) -> None:
        self._sync_controls()
        self._update_labels()
        self.clear_readout()  # it read the old view: 'loss 0.50147' stayed on show after Excess was ticked
        held, self._refit_held = self._refit_held, True  # refit once, below, after auto-range is set (each
        try:                                                # costs 6-19 ms at 40 runs); a caller may hold it on
            self.redraw()
        finally:
            self._refit_held = held
        if keep_x:
            self.plot_item.enableAutoRange(x=False, y=True)
        else:
            self.plot_item.enableAutoRange()
        for w in self.extra_panels.values():
            w.getPlotItem().enableAutoRange(x=False, y=True)
        self.refit()
        self.sigViewChanged.emit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Fit the legend's columns to the new width (the y labels refit with their panels: _fit_left)."""
        super().resizeEvent(event)
        self.legend.fit()

    def _legend_room(self) -> float:
        """Width under the view box, where the legend sits."""
        return self.plot_widget.width() - self.plot_item.getAxis("left").width() - 12

    def _update_labels(self) -> None:
        style = {"color": INK, "font-size": "11pt"}
        if self.unit is not None:
            left = axis_label(self.unit, self.excess, self.floor_titles.get(self.unit))
        else:  # a caller that set y_unit itself (a figure's panel): say which floor in excess mode too
            title = next(iter(self.floor_titles.values()), "floor")
            left = self.y_unit.replace("loss", f"loss − {title}", 1) if self.excess else self.y_unit
        texts: tuple[str, ...]
        if self.unit is None:  # a saved figure's panel: its own label, never shortened
            texts = (left,)
        else:
            texts = (left, *shorter_labels(self.unit, self.excess, self.floor_titles.get(self.unit)))
        self._fit_left(self.plot_item, texts, style)
        bottom = {"seconds": "seconds", "epoch": "epoch", "batch": "batch"}[self.x_axis]
        self.plot_item.setLabel("bottom", "" if self.extra_panels else bottom, **style)  # shared x: named once, last
        for unit, w in self.extra_panels.items():
            self._label_panel(w.getPlotItem(), unit)

    def _fit_left(self, pi: pg.PlotItem, texts: tuple, style: dict) -> None:
        """Set pi's y label to the longest of texts that fits, and refit it whenever the panel's height changes."""
        if not hasattr(self, "_left_labels"):
            self._left_labels: dict[int, tuple] = {}
        if id(pi) not in self._left_labels:
            pi.vb.sigResized.connect(self._refit_labels)
        self._left_labels[id(pi)] = (pi, texts, style)
        _set_fitting_label(pi, texts, style)

    def _refit_labels(self, *_args) -> None:
        """A panel's height changed: its y label may now fit whole, or need its shorter form (left labels only:
        relabelling the bottom axis here would resize the panel again)."""
        for pi, texts, style in list(getattr(self, "_left_labels", {}).values()):
            try:
                _set_fitting_label(pi, texts, style)
            except (RuntimeError, AttributeError):  # a removed panel's items are gone
                pass

    def _label_panel(self, pi: pg.PlotItem, unit: str) -> None:
        style = {"color": INK, "font-size": "9.5pt"}  # a low panel: 11 pt labels were cut off
        # A stacked panel is low: its unit's short name fits where 'mean squared error' was cut off.
        self._fit_left(pi, shorter_labels(unit, self.excess, self.floor_titles.get(unit)), style)
        pi.setLabel("bottom", {"seconds": "seconds", "epoch": "epoch", "batch": "batch"}[self.x_axis], **style)

    def transform(self, y: np.ndarray, floor: float | None, tiny: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Display values of y for the current mode, and the mask of points clamped for the log scale.

        On a log axis a loss that reached 0 (≤ ZERO_BELOW) is a gap, not a level: the plot marks where it
        happened instead (view_rule.first_zero). Other values ≤ 0 (below the floor in excess mode) are clamped.
        """
        raw = np.asarray(y, dtype=np.float64)
        y = self.shifted(raw, floor)
        if self.log:
            zero = np.isfinite(raw) & (raw <= ZERO_BELOW) & (raw >= 0)
            if zero.any():
                y = np.where(zero, np.nan, y)
            return clamp_for_log(y, tiny)
        return y, np.zeros(y.shape, dtype=bool)

    def shifted(self, y: np.ndarray, floor: float | None) -> np.ndarray:
        """y as float64, minus the floor in excess mode."""
        y = np.asarray(y, dtype=np.float64)
        if self.excess and floor is not None and math.isfinite(floor):
            return y - floor
        return y

    def floor_line(self, colour: str, label: str | None, claim: str = Claim.EXACT,
                   position: float = 0.03, pi: pg.PlotItem | None = None) -> pg.InfiniteLine:
        """A horizontal line for a floor, styled by its claim (CLAIM_STYLES), added to the plot (or panel pi)."""
        opts = {"position": position, "color": colour, "anchors": BELOW_LINE, "fill": pg.mkBrush(255, 255, 255, 200)}
        p = pen(colour, 1.4)
        p.setStyle(CLAIM_STYLES.get(claim, CLAIM_STYLES[Claim.EXACT])[1])
        line = pg.InfiniteLine(angle=0, pen=p, movable=False, label=label, labelOpts=opts if label else None)
        line.setZValue(FLOOR_Z)
        (pi or self.plot_item).addItem(line, ignoreBounds=True)
        line.panel = pi or self.plot_item
        return line

    def place_floor(self, line: pg.InfiniteLine, value: float | None, x: np.ndarray | None = None) -> None:
        """Put a floor line at value; hide it where it has no place (excess mode, log of 0); keep it in range."""
        show = value is not None and math.isfinite(value) and not self.excess and (value > 0 or not self.log)
        line.setVisible(bool(show))
        if show:
            assert value is not None
            line.setPos(math.log10(value) if self.log else value)
        if not hasattr(line, "anchor"):
            # InfiniteLine bounds are (0, 0): an invisible two-point curve pulls auto-range to the floor instead.
            line.anchor = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
            getattr(line, "panel", self.plot_item).addItem(line.anchor)
        if x is not None and len(x) > 0 and show:
            line.anchor.setData([x[0], x[-1]], [value, value])
        else:
            line.anchor.setData([], [])

    def clamp_item(self, colour: str = CLAMP_COLOUR, name: str | None = None,
                   pi: pg.PlotItem | None = None) -> pg.PlotDataItem:
        """Markers for points clamped to show on the log scale (so none are silently dropped): small, few."""
        item = pg.PlotDataItem(pen=None, symbol="t", symbolSize=5, symbolPen=pg.mkPen(colour),
                               symbolBrush=pg.mkBrush(colour), name=name)
        (pi or self.plot_item).addItem(item)
        return item

    def zero_line(self, colour: str, label: bool = True, pi: pg.PlotItem | None = None) -> pg.InfiniteLine:
        """A dotted vertical line where a run reached 0 (hidden until placed); labelled 'reached 0 at batch N'."""
        p = pen(colour, 1.2)
        p.setStyle(QtCore.Qt.PenStyle.DotLine)
        opts = {"position": 0.92, "color": colour, "anchors": [(0, 0), (0, 0)], "fill": pg.mkBrush(255, 255, 255, 200)}
        line = pg.InfiniteLine(angle=90, pen=p, movable=False, label=" " if label else None,
                               labelOpts=opts if label else None)
        line.setVisible(False)
        (pi or self.plot_item).addItem(line, ignoreBounds=True)
        return line

    def _on_mouse(self, event) -> None:
        pos = event[0]
        vb = self.plot_item.vb
        if not self.plot_item.sceneBoundingRect().contains(pos):
            self.clear_readout()
            return
        p = vb.mapSceneToView(pos)
        y = 10 ** p.y() if self.log else p.y()
        self.readout.setText(self.hover_text(p.x(), y))

    def hover_text(self, x: float, y: float) -> str:
        """Readout for the mouse at view x and data y."""
        return f"{self.x_axis} {x:.4g} · {'excess' if self.excess else 'loss'} {y:.4g}"

    def redraw(self) -> None:
        """Push data to the items (subclasses)."""


def shorter_labels(unit: str, excess: bool, floor: str | None) -> tuple[str, ...]:
    """A low panel's y labels, longest first, each keeping the unit: 'loss (MSE)', '(MSE)'; in excess mode
    'loss − model floor (MSE)', 'loss − floor (MSE)', 'excess (MSE)' (at 1280 × 800 the stacked panels cut
    '− model floor (nats)' to '− model floor (na')."""
    short = axis_label(unit, excess, floor, short=True)
    plain = axis_label(unit, False, None, short=True)  # 'loss (MSE)'
    if not excess:
        return short, plain.replace("loss (", "(")
    # Not '− model floor (MSE)': read alone, it looked like a negative floor, not the loss minus one.
    return short, plain.replace("loss", "loss − floor", 1), plain.replace("loss", "excess", 1)


# Slack beside a y label's text: an 11 pt "(MSE)" is drawn 12.8 px longer than its advance, 8 of them its text
# item's blank margins (which may overhang the axis' ends) and 4.8 its glyphs.
LABEL_ENDS_PX = 4


def _set_fitting_label(pi: pg.PlotItem, texts, style: dict) -> None:
    """The left label: the first of texts (longest first) that fits the panel's height, else the last. A low
    panel, at 2× or in the narrow comparison pane, cut 'loss (nats)' to 'loss (nat'."""
    if pi.vb is None:
        return  # the panel was removed
    font = QtGui.QFont()
    font.setPointSizeF(float(str(style.get("font-size", "11pt")).rstrip("pt")))
    metrics = QtGui.QFontMetricsF(font)
    room = pi.vb.height() if pi.vb.height() > 0 else float("inf")
    text = next((t for t in texts if metrics.horizontalAdvance(t) + LABEL_ENDS_PX <= room), None)
    axis = pi.getAxis("left")
    if text is None:  # not even the shortest fits: no label rather than a cut one ("SE)" for "(MSE)")
        if axis.label.isVisible():
            axis.showLabel(False)
        return
    if axis.labelText != text or not axis.label.isVisible():
        pi.setLabel("left", text, **style)
        # pyqtgraph centres the label on its axis only when the axis is resized: a shorter text kept the place
        # of the longer one, and at 1280 × 800 ran off the panel's top ('− model floor (na').
        axis.resizeEvent()
