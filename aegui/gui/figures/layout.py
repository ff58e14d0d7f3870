"""The saved comparison figure, laid out for a paper: title, one panel per loss unit sharing x, the legend
under each panel, a y range that shows a flat stall, and a caption in three significant digits.

Every number the caption prints comes through sig3; its floor sentence comes from caption_floor alone.
"""

from __future__ import annotations

import html
import math

import numpy as np

from ...core.summary import floor_fields
from ..banner import sig3
from ..plots.plot_base import PALETTE
from ..plots.view_rule import UNIT_OF, unit_groups, unit_of  # noqa: F401 - one rule for every view

LOGICAL_WIDTH = 1000  # layout width in px: fonts keep their size, the image is scaled to the width asked
FIGURE_FONT = "DejaVu Sans"  # the first family of the SVG's CSS stack: Qt lays text out in its metrics
MIN_LOG_SPAN = 1.0  # decades: a flat stall keeps a decade around it, so it is neither pinned to an edge nor a tick pile
Y_MARGIN = 0.08     # of the span, above and below the data


def figure_title(rows_and_losses) -> str:
    """'Training loss: #1 a, #2 b and #3 c' (or 'of N runs' past four)."""
    names = [f"#{row.run_id} {row.name}" for row, _ in rows_and_losses]
    if len(names) > 4:
        return f"Training loss of {len(names)} runs"
    return "Training loss: " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def caption_floor(row) -> str:
    """The caption's floor part for one run, the one place it is produced: each floor with its claim, then
    the why-not-zero sentence when the final model was evaluated."""
    floors = getattr(row, "floors", None) or []
    if not floors:
        if row.floor is None or not math.isfinite(row.floor):
            return "no floor"
        return f"floor {sig3(row.floor)} ({'exact' if row.floor_exact else 'lower bound'})"
    listed = "; ".join(f"{f.name if f.name == 'linear (PCA)' else f.name + ' floor'} {sig3(f.value)} ({f.claim})"
                       for f in floors)
    why = floor_fields(row.config, floors, getattr(row, "eval_loss", None))["why_not_zero"]
    return listed + (f". Why not zero? {why}" if why else "")


def caption_html(rows_and_losses, smoothing: int, excess: bool = False) -> str:
    """Caption listing each run's config and result, each in its curve's colour, numbers in 3 significant digits."""
    shown = "y: loss − each run's floor" if excess else "dashed: each run's loss floor"
    lines = [f"<span style='color:#666'>aegui · curves: rolling mean over {smoothing} batch"
             f"{'es' if smoothing != 1 else ''} · {shown}</span>"]
    for i, (row, _) in enumerate(rows_and_losses):
        c, colour = row.config, PALETTE[i % len(PALETTE)]
        parts = [f"data {c.data.kind} ×{c.data.features}, {c.data.samples:,} samples",
                 f"model {c.model.kind} {c.data.features}→{c.encoding_dim} ({c.model.output} output)",
                 f"loss {c.loss.kind} ({unit_of(row)})", f"{c.optimizer.kind} lr {sig3(c.optimizer.lr)}",
                 f"batch {c.training.batch_size}", f"epochs {row.epochs}/{c.training.epochs}",
                 f"seed {c.training.seed}", f"final loss {sig3(row.final_loss)}", f"eval loss {sig3(getattr(row, 'eval_loss', None))}",
                 caption_floor(row)]
        # One text run per line: separate bold runs left gaps where the viewer's font differed from Qt's.
        lines.append(f"<span style='color:{colour}'>■</span> #{row.run_id} {html.escape(row.name)} — "
                     + html.escape(" · ".join(parts)))
    return "<br>".join(lines)


def fit_y(plot) -> None:
    """Set the y range from the drawn curves with a margin, at least MIN_LOG_SPAN decades on a log axis."""
    ys = []
    for item in plot.curves:
        y = item.getData()[1]  # view coordinates: log10 values on a log axis
        if y is not None and len(y):
            ys.append(np.asarray(y, dtype=np.float64)[np.isfinite(y)])
    for line in plot._items:
        if hasattr(line, "pos") and hasattr(line, "angle") and line.isVisible():
            ys.append(np.array([line.pos().y()]))  # floors stay in view
    ys = [y for y in ys if y.size]
    if not ys:
        return
    lo, hi = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
    span = hi - lo
    least = MIN_LOG_SPAN if plot.log else max(abs(hi), 1e-12) * 0.5
    if span < least:
        mid = (lo + hi) / 2
        lo, hi, span = mid - least / 2, mid + least / 2, least
    plot.plot_item.setYRange(lo - Y_MARGIN * span, hi + Y_MARGIN * span, padding=0)


def _for_paper(plot) -> None:
    """Curves as one path each, thinned to about two points a pixel: a 1 MB SVG of 10,000 polylines before."""
    for item in plot.plot_item.items:
        if hasattr(item, "setDownsampling") and hasattr(item, "curve"):
            item.opts["autoDownsampleFactor"] = 1.0
            item.setDownsampling(auto=True, method="peak")
            item.curve.setSegmentedLineMode("off")


def _panel(fig, rows_and_losses, indices, unit, view, last: bool):
    from ..plots.comparison_plot import ComparisonPlot
    plot = ComparisonPlot(fig, controls=False)
    for key, setter in (("log", plot.set_log), ("excess", plot.set_excess), ("x_axis", plot.set_x_axis),
                        ("smoothing", plot.set_smoothing)):
        if view and key in view:
            setter(view[key])
    plot.set_runs([rows_and_losses[i] for i in indices], colours=[PALETTE[i % len(PALETTE)] for i in indices])
    plot.y_unit = f"loss ({unit})"
    plot._update_labels()
    if not last:
        plot.plot_item.setLabel("bottom", "")  # panels share x: one label, under the last
    _for_paper(plot)
    return plot


def build_figure(rows_and_losses, view: dict | None):
    """The figure widget: title, a panel per unit (x shared), legends under the panels, the caption."""
    from PySide6 import QtCore, QtGui, QtWidgets
    fig = QtWidgets.QWidget()
    fig.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)  # laid out and painted, never on screen
    fig.setStyleSheet("background: white;")
    if FIGURE_FONT in QtGui.QFontDatabase.families():
        fig.setFont(QtGui.QFont(FIGURE_FONT, 10))
    layout = QtWidgets.QVBoxLayout(fig)
    layout.setContentsMargins(12, 12, 12, 12)
    title = QtWidgets.QLabel(html.escape(figure_title(rows_and_losses)))
    title.setWordWrap(True)
    title.setStyleSheet("color: #2b2b2b; font-size: 13pt; font-weight: bold;")
    layout.addWidget(title)
    groups = unit_groups(rows_and_losses)
    panel_h = max(int(LOGICAL_WIDTH * 0.56 / len(groups)), int(LOGICAL_WIDTH * 0.32))
    plots = []
    for g, (unit, indices) in enumerate(groups):
        plot = _panel(fig, rows_and_losses, indices, unit, view, g == len(groups) - 1)
        plot.setFixedHeight(panel_h + 24 * ((len(indices) + 1) // 2))  # room for its legend rows
        if plots:
            plot.plot_item.setXLink(plots[0].plot_item)
        plots.append(plot)
        layout.addWidget(plot)
    smoothing, excess = plots[0].smoothing, plots[0].excess
    caption = QtWidgets.QLabel(caption_html(rows_and_losses, smoothing, excess))
    caption.setWordWrap(True)
    caption.setStyleSheet("color: #2b2b2b; font-size: 9pt;")
    layout.addWidget(caption)
    height = (title.heightForWidth(LOGICAL_WIDTH - 24) + sum(p.height() for p in plots)
              + caption.heightForWidth(LOGICAL_WIDTH - 24) + 24 + 8 * (len(plots) + 2))
    fig.resize(LOGICAL_WIDTH, height)
    fig.show()
    QtWidgets.QApplication.processEvents()  # layout, then the ViewBoxes' auto-range
    for plot in plots:
        plot.plot_item.vb.updateAutoRange()
        fit_y(plot)
    QtWidgets.QApplication.processEvents()
    fig.panels = plots
    return fig
