"""What the model reconstructs: x against x̂ on the fixed sample, and the codes of bottleneck models."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.config.losses import LOSSES
from .plot_base import GRID_ALPHA, INK, MUTED, PALETTE

X_COLOUR, XHAT_COLOUR, SEGMENT_COLOUR, CODE_COLOUR = PALETTE[0], PALETTE[1], (110, 110, 110, 70), PALETTE[2]
CODE_BINS = 40
# DejaVu Sans (often the default sans) drops U+0302 after x; its serif sibling draws x̂ correctly.
XHAT = "<span style=\"font-family:'DejaVu Serif',serif\">x\u0302</span>"
# Where x̂ comes from, for a loss whose sigmoid sits in the loss (logits) or that needs the sigmoid output.
NOTES = {**{k: f"{XHAT} = sigmoid(logits), in data units" for k, loss in LOSSES.items() if loss.sigmoid_inside},
         **{k: f"{XHAT} from the sigmoid output" for k, loss in LOSSES.items() if loss.output == "sigmoid"}}


def _style(plot: pg.PlotItem, bottom: str, left: str) -> None:
    if getattr(plot, "_aegui_labels", None) == (bottom, left):
        return  # snapshots arrive a few times a second; relabelling re-lays out the axes each time
    plot._aegui_labels = (bottom, left)
    font = QtGui.QFont()
    font.setPointSizeF(9.5)
    plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    for name, text in (("bottom", bottom), ("left", left)):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(MUTED))
        axis.setTextPen(pg.mkPen(INK))
        axis.setTickFont(font)
        axis.enableAutoSIPrefix(False)
        plot.setLabel(name, text, color=INK, **{"font-size": "10.5pt"})


def _title(plot: pg.PlotItem, text: str, colour: str = INK) -> None:
    """Set a plot's title only when it changes: setTitle re-lays out the plot."""
    if getattr(plot, "_aegui_title", None) != (text, colour):
        plot._aegui_title = (text, colour)
        plot.setTitle(text, color=colour, size="10.5pt")


def _themed_plot() -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    widget.getPlotItem().setMenuEnabled(False)
    widget.getPlotItem().layout.setContentsMargins(2, 2, 14, 2)  # room for the last x tick's label ("1.5")
    return widget


class ReconstructionView(QtWidgets.QWidget):
    """x vs x̂: 2 features as a plane with x→x̂ segments, more as x̂ᵢ against xᵢ; bottleneck codes beside."""

    sigFeatureChanged = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._x = self._xhat = self._codes = None
        self._stale = False
        self._legend_names: tuple = ()
        self.loss_kind = "mse"
        self.feature_spin = QtWidgets.QSpinBox()
        self.feature_spin.setPrefix("feature i = ")
        self.feature_spin.setRange(1, 1)
        self.feature_spin.setToolTip("Which input feature to compare with its reconstruction (1-based).")
        self.feature_spin.valueChanged.connect(self._on_feature)
        self.readout = QtWidgets.QLabel(" ")
        self.readout.setStyleSheet(f"color: {MUTED};")
        self.readout.setTextFormat(QtCore.Qt.TextFormat.RichText)
        # Its text changes with every snapshot: if its width fed the layout, each snapshot could nudge the
        # splitter and repaint the live plot beside it too.
        self.readout.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        # Two fixed lines, wrapped: one line was cut off mid-word ("x̂ from the sigmo") in a narrow pane.
        self.readout.setWordWrap(True)
        self.readout.setFixedHeight(2 * self.readout.fontMetrics().lineSpacing() + 4)
        self.main = _themed_plot()
        self.code_widget = _themed_plot()
        self._build_items()
        self._build_layout()
        self.setMinimumWidth(min_width_for_titles())
        self.clear()

    def _build_layout(self) -> None:
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(6, 2, 6, 0)
        row.addWidget(self.feature_spin)
        row.addStretch(1)
        # The readout has the pane's whole width under the feature box: beside it, in a narrow pane (at 2×),
        # its two lines held only half of "1,000 fixed sample points · mean (x − x̂)² = 0.141".
        self.readout.setContentsMargins(6, 0, 6, 0)
        self.readout.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
        # Stacked, each the pane's width: side by side in a ~300 px pane their titles were cut
        # ("feature 1 c…", "1-D code of 1,0…"); the plane is square, so a tall narrow pane suits it anyway.
        plots = QtWidgets.QVBoxLayout()
        plots.setSpacing(2)
        plots.addWidget(self.main, 3)
        plots.addWidget(self.code_widget, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.readout)
        layout.addLayout(plots, 1)

    def _build_items(self) -> None:
        pi = self.main.getPlotItem()
        pi.setAspectLocked(True)  # x and x̂ share units: equal scales make the identity a true diagonal
        # Under the axes, in the plot's layout: inside the view it hid Bernoulli's (1, 1) corner.
        self.legend = pg.LegendItem(colCount=3, labelTextColor=INK, labelTextSize="9pt", horSpacing=16)
        pi.layout.addItem(self.legend, 4, 1)
        pi.legend = self.legend
        self.segments = pg.PlotCurveItem(pen=pg.mkPen(SEGMENT_COLOUR, width=1), connect="pairs")
        self.identity = pg.PlotDataItem(pen=pg.mkPen("#444444", width=1.2, style=QtCore.Qt.PenStyle.DashLine),
                                        name=f"{XHAT} = x")
        self.x_points = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(X_COLOUR), name="x")
        self.xhat_points = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(XHAT_COLOUR), name=XHAT)
        for item in (self.segments, self.identity, self.x_points, self.xhat_points):
            pi.addItem(item)
        cp = self.code_widget.getPlotItem()
        self.code_hist = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(CODE_COLOUR, width=1.4),
                                         brush=pg.mkBrush(0, 158, 115, 90))
        self.code_points = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(CODE_COLOUR))
        cp.addItem(self.code_hist)
        cp.addItem(self.code_points)

    # ------------------------------------------------------------ API

    def show_reconstruction(self, x, xhat, codes=None, loss_kind: str = "mse") -> None:
        """Draw a snapshot: x and x̂ (N × d, same shape), optional bottleneck codes (N × k)."""
        x, xhat = np.asarray(x, dtype=np.float64), np.asarray(xhat, dtype=np.float64)
        if x.ndim != 2 or x.shape != xhat.shape:
            raise ValueError(f"x {x.shape} and x̂ {xhat.shape}: must be the same N × d shape")
        codes = None if codes is None else np.asarray(codes, dtype=np.float64).reshape(len(x), -1)
        self._x, self._xhat, self._codes, self.loss_kind = x, xhat, codes, loss_kind
        if self._hidden():
            self._stale = True  # drawn when shown: a hidden view's redraws only cost the training thread the GIL
            return
        self._draw_all()

    def _hidden(self) -> bool:
        """True when the window shows but this view does not (the Grid tab): drawing can wait."""
        return self.window().isVisible() and not self.isVisible()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Draw the latest snapshot that arrived while hidden."""
        super().showEvent(event)
        if self._stale and self._x is not None:
            self._draw_all()

    def _draw_all(self) -> None:
        self._stale = False
        d = self._x.shape[1]
        self.feature_spin.setVisible(d > 2)
        self.feature_spin.blockSignals(True)  # a new snapshot keeps the chosen feature; no extra redraw
        self.feature_spin.setRange(1, max(d, 1))
        self.feature_spin.blockSignals(False)
        self._draw_main()
        self._draw_codes()
        # Settle auto-range now rather than while painting, where a range change asks for a second paint.
        for widget in (self.main, self.code_widget):
            widget.getPlotItem().vb.prepareForPaint()

    def clear(self) -> None:
        """Show nothing (no run, or a run whose weights are gone)."""
        self._x = self._xhat = self._codes = None
        for item in (self.segments, self.identity, self.code_hist):
            item.setData([], [])
        self.x_points.setData([], [])
        self.xhat_points.setData([], [])
        self.code_points.setData([], [])
        self.feature_spin.setVisible(False)
        self.code_widget.setVisible(False)
        _title(self.main.getPlotItem(), "reconstruction: no run", MUTED)
        self.readout.setText(" ")

    @property
    def feature(self) -> int:
        """The 0-based feature shown when there are more than 2 features."""
        return self.feature_spin.value() - 1

    def set_feature(self, index: int) -> None:
        """Show feature `index` (0-based) for data with more than 2 features."""
        self.feature_spin.setValue(int(index) + 1)

    # ------------------------------------------------------------ drawing

    def _on_feature(self, value: int) -> None:
        if self._x is not None:
            self._draw_main()
        self.sigFeatureChanged.emit(value - 1)

    def _draw_main(self) -> None:
        x, xhat = self._x, self._xhat
        pi = self.main.getPlotItem()
        n, d = x.shape
        err = float(np.mean((x - xhat) ** 2)) if x.size else float("nan")
        note = NOTES.get(self.loss_kind, "")
        self.readout.setText(f"{n:,} fixed sample points · mean (x − {XHAT})² = {err:.3g}" + (f" · {note}" if note else ""))
        if d == 2:
            self._draw_plane(pi, x, xhat)
        else:
            self._draw_feature(pi, x, xhat, min(self.feature, d - 1))

    def _draw_plane(self, pi: pg.PlotItem, x: np.ndarray, xhat: np.ndarray) -> None:
        # One item with connect='pairs' draws all N segments in one call: x0→x̂0, x1→x̂1, …
        seg = np.empty((2 * len(x), 2))
        seg[0::2], seg[1::2] = x, xhat
        self.segments.setData(seg[:, 0], seg[:, 1])
        self.segments.setVisible(True)
        self.x_points.setData(*_finite(x[:, 0], x[:, 1]))
        self.xhat_points.setData(*_finite(xhat[:, 0], xhat[:, 1]))
        self.identity.setData([], [])
        self._relegend(("x", self.x_points), (XHAT, self.xhat_points))
        _style(pi, "x₁", "x₂")
        _title(pi, f"each x joined to its {XHAT}", INK)

    def _draw_feature(self, pi: pg.PlotItem, x: np.ndarray, xhat: np.ndarray, i: int) -> None:
        xi, yi = x[:, i], xhat[:, i]
        self.segments.setData([], [])
        self.segments.setVisible(False)
        self.x_points.setData([], [])
        self.xhat_points.setData(*_finite(xi, yi))
        finite = np.concatenate([xi, yi])
        finite = finite[np.isfinite(finite)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.identity.setData([lo, hi], [lo, hi])
        self._relegend((f"{XHAT}{_sub(i + 1)}", self.xhat_points), (f"{XHAT} = x", self.identity))
        _style(pi, f"x{_sub(i + 1)} (input)", f"{XHAT}{_sub(i + 1)} (reconstruction)")
        _title(pi, f"feature {i + 1} of {x.shape[1]}", INK)  # the axes say which is x and which x̂

    def _relegend(self, *entries) -> None:
        names = tuple(name for name, _ in entries)
        if names == self._legend_names:
            return  # snapshots arrive twice a second; rebuilding an unchanged legend re-lays it out each time
        self._legend_names = names
        self.legend.clear()
        for name, item in entries:
            self.legend.addItem(item, name)

    def _draw_codes(self) -> None:
        codes, d = self._codes, self._x.shape[1]
        k = 0 if codes is None else codes.shape[1]
        # Codes only explain a bottleneck; a code as wide as the input is just another copy of x.
        show = k in (1, 2) and k < d
        self.code_widget.setVisible(show)
        if not show:
            return
        cp = self.code_widget.getPlotItem()
        if k == 1:
            z = codes[:, 0][np.isfinite(codes[:, 0])]
            counts, edges = np.histogram(z, bins=CODE_BINS) if z.size else (np.zeros(1), np.array([0.0, 1.0]))
            self.code_hist.setData(edges, counts)
            self.code_points.setData([], [])
            _style(cp, "code z", "points")
            _title(cp, f"1-D code, {len(codes):,} points", INK)
        else:
            self.code_hist.setData([], [])
            self.code_points.setData(*_finite(codes[:, 0], codes[:, 1]))
            _style(cp, "z₁", "z₂")
            _title(cp, f"2-D code, {len(codes):,} points", INK)

    def code_kind(self) -> str | None:
        """'histogram', 'scatter' or None: what the code panel shows now."""
        if not self.code_widget.isVisibleTo(self):
            return None
        return "histogram" if self._codes.shape[1] == 1 else "scatter"


LONGEST_TITLE = "feature 10,000 of 10,000"  # titles above: the pane is never narrower than they are
AXIS_ROOM = 64  # the left axis, its label and the plot's margins


def min_width_for_titles() -> int:
    """The narrowest the view may get with its plot titles (10.5 pt) still whole."""
    font = QtGui.QFont()
    font.setPointSizeF(10.5)
    return QtGui.QFontMetrics(font).horizontalAdvance(LONGEST_TITLE) + AXIS_ROOM


def _finite(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points where both coordinates are finite: a diverged model's all-NaN x̂ made pyqtgraph warn 'All-NaN slice'."""
    ok = np.isfinite(a) & np.isfinite(b)
    return (a, b) if ok.all() else (a[ok], b[ok])


def _sub(n: int) -> str:
    """n as subscript digits: 3 → '₃'."""
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
