"""The saved comparison figure, laid out for a paper: title, one panel per loss unit sharing x, the legend
under each panel, a y range that shows a flat stall, and a caption in three significant digits.

Every number the caption prints comes through fig3; its floor sentence comes from caption_floor alone.
"""

from __future__ import annotations

import html
from collections.abc import Generator
from typing import TypeVar
import math
import re

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.floors.summary import floor_fields
from ...core.config.vocab import Claim, claim_words, floor_title
from ..palette import INK
from ..plots.plot_base import FLOOR_Z, run_colours
from ..plots.view_rule import SHORT_UNIT, axis_label, run_floors, unit_groups, unit_of, zero_note

LOGICAL_WIDTH = 1000  # layout width in px: fonts keep their size, the image is scaled to the width asked
FIGURE_FONT = "DejaVu Sans"  # the first family of the SVG's CSS stack: Qt lays text out in its metrics
MIN_LOG_SPAN = 1.0  # decades: a flat stall keeps a decade around it, so it is neither pinned to an edge nor a tick pile
Y_MARGIN = 0.08     # of the span, above and below the data


def fig3(value: float | None) -> str:
    """Three significant digits with their trailing zeros ('0.500', '2.99e-05', '1.23e+03'): a figure states
    its precision, and '0.5' read as one digit."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    text = f"{value:#.3g}"  # '#' keeps the zeros; it also keeps a bare point ('100.'), dropped here
    return text.replace(".e", "e") if ".e" in text else text.rstrip(".")


def figure_title(rows_and_losses) -> str:
    """'Training loss: mse, bce stall and bce bern' in the runs' own names (or 'of N runs' past four)."""
    names = [row.name or row.config.label() for row, _ in rows_and_losses]
    if len(names) > 4:
        return f"Training loss of {len(names)} runs"
    return "Training loss: " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


ELLIPSIS = "…"
LEGEND_LINES = 2  # lines a legend entry may take before it is elided


def wrap_text(text: str, metrics: QtGui.QFontMetricsF, width: float, max_lines: int = 3) -> list[str]:
    """text broken into lines at most width wide, at spaces only (Qt's wrap broke run names at their hyphens);
    a word wider than a line, or text past max_lines, is shortened with '…'."""
    def fit(line: str) -> str:
        if metrics.horizontalAdvance(line) <= width:
            return line
        while line and metrics.horizontalAdvance(line + ELLIPSIS) > width:
            line = line[:-1]
        return line.rstrip() + ELLIPSIS

    lines: list[str] = []
    for word in text.split(" "):
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and metrics.horizontalAdvance(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    if len(lines) > max_lines:
        # The rest is wider than a line (the greedy wrap left it there), so fit() shortens it with '…'.
        lines = lines[:max_lines - 1] + [" ".join(lines[max_lines - 1:])]
    return [fit(line) for line in lines]


def run_label(row) -> str:
    """A run as the legend and caption name it: its name, and for a seed band what the band shows."""
    copies = getattr(row, "copies", 1) or 1
    return row.name + (f" (median and min–max of {copies} seeds)" if copies > 1 else "")


def caption_floor(row) -> str:
    """The caption's floor part for one run, the one place it is produced: each floor with its claim, then
    the why-not-zero sentence when the final model was evaluated."""
    floors = getattr(row, "floors", None) or []
    if not floors:
        if row.floor is None or not math.isfinite(row.floor):
            return "no floor"
        return f"floor {fig3(row.floor)} ({'exact' if row.floor_exact else 'lower bound'})"
    listed = "; ".join(f"{floor_title(f.name)} {fig3(f.value)} ({claim_words(f.name, f.claim)})" for f in floors)
    why = floor_fields(row.config, floors, getattr(row, "eval_loss", None), getattr(row, "saturated", None))["why_not_zero"]
    return listed + (f". Why not zero? {fig3_numbers(why)}" if why else "")


_NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?:e[-+]?\d+)?|(?<![\w.])\d+e[-+]?\d+")


def fig3_numbers(text: str) -> str:
    """Every decimal number in text in three significant digits: the core's sentences print more."""
    return _NUMBER.sub(lambda m: fig3(float(m.group())), text)


def seeds_text(row) -> str:
    """'seed 0' for one run, '8 seeds (0–7)' for a band of copies."""
    seed, copies = row.config.training.seed, getattr(row, "copies", 1) or 1
    return f"seed {seed}" if copies <= 1 else f"{copies} seeds ({seed}–{seed + copies - 1})"


def caption_html(rows_and_losses, smoothing: int, excess: bool = False, compact: bool = False) -> str:
    """Caption listing each run's config and result, each in its curve's colour, numbers in 3 significant digits;
    compact (a journal column): the result and floors only, the config being the paper's to state."""
    if compact:
        colours = run_colours([row for row, _ in rows_and_losses])
        return "<br>".join(f"<span style='color:{colours[i]}'>■</span> "
                           + html.escape(f"{row.name}: {row.config.loss.kind} on {row.config.data.kind}, "
                                         f"{seeds_text(row)}, final {fig3(row.final_loss)}; "
                                         + "; ".join(floor_label(*f) for f in run_floors(row)))
                           for i, (row, _) in enumerate(rows_and_losses))
    shown = "y: loss − each run's floor" if excess else "dashed: each run's floors, labelled with their claims"
    lines = [f"<span style='color:#666'>aegui · curves: rolling mean over {smoothing} batch"
             f"{'es' if smoothing != 1 else ''} · {shown}</span>"]
    colours = run_colours([row for row, _ in rows_and_losses])  # as the window's comparison colours them
    for i, (row, _) in enumerate(rows_and_losses):
        c, colour = row.config, colours[i]
        # The learning rate is a setting, exact as typed: trailing zeros ("0.00100") would claim a measurement.
        parts = [f"data {c.data.kind} ×{c.data.features}, {c.data.samples:,} samples",
                 f"model {c.model.kind} {c.data.features}→{c.encoding_dim} ({c.model.output} output)",
                 f"loss {c.loss.kind} ({unit_of(row)})", f"{c.optimizer.kind} lr {c.optimizer.lr:.3g}",
                 f"batch {c.training.batch_size}", f"epochs {row.epochs}/{c.training.epochs}",
                 seeds_text(row), f"final loss {fig3(row.final_loss)}", f"eval loss {fig3(getattr(row, 'eval_loss', None))}",
                 caption_floor(row)]
        # One text run per line: separate bold runs left gaps where the viewer's font differed from Qt's.
        lines.append(f"<span style='color:{colour}'>■</span> {html.escape(row.name)} (run {row.run_id}) — "
                     + html.escape(" · ".join(parts)))
    return "<br>".join(lines)


def fit_y(plot) -> None:
    """Set the y range from the drawn curves with a margin, at least MIN_LOG_SPAN decades on a log axis."""
    ys = []
    for item in plot.curves:
        y = item.getData()[1]  # view coordinates: log10 values on a log axis
        if y is not None and len(y):
            ys.append(np.asarray(y, dtype=np.float64)[np.isfinite(y)])
    for line in getattr(plot, "floor_lines", []):
        if line.isVisible():
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
    bottom, top = lo - Y_MARGIN * span, hi + Y_MARGIN * span
    # A floor label above its line needs its own height of room under the top edge, or it is cut.
    above = [line for line in getattr(plot, "floor_lines", []) if getattr(line, "label_above", False)]
    height = plot.plot_item.vb.height()
    if above and height > 0:
        r = min((above[0].label.boundingRect().height() + 4) / height, 0.5)  # the label's share of the height
        y = max(line.pos().y() for line in above)
        top = max(top, (y - bottom * r) / (1 - r))  # solves (top − y) = r · (top − bottom)
    plot.plot_item.setYRange(bottom, top, padding=0)


def x_extent(plots) -> float:
    """The largest x any panel's curves reach: every run is drawn whole, whichever panel came last."""
    ends = [float(np.nanmax(x)) for plot in plots for item in plot.curves
            for x in [item.getOriginalDataset()[0]] if x is not None and len(x)]
    return max(ends, default=1.0)


def _for_paper(plot, style) -> None:
    """Curves as one path each, every point of their envelope (at most 2 × BUCKETS): pyqtgraph's own thinning
    works in layout pixels, a staircase at 300 dpi. At a journal size curves are 1 px (0.26 mm) wide."""
    import pyqtgraph as pg
    plot.plot_item.setDownsampling(auto=False, ds=1)
    plot.plot_item.setClipToView(False)
    for item in plot.plot_item.items:
        if hasattr(item, "setDownsampling") and hasattr(item, "curve"):
            item.setDownsampling(ds=1, auto=False)
            item.setClipToView(False)
            item.curve.setSegmentedLineMode("off")
    if style.inches is not None:
        for item in plot.curves:
            p = pg.mkPen(item.opts["pen"])
            p.setWidthF(style.curve_px)
            item.setPen(p)


def panel_class():
    """The figure's panel: a ComparisonPlot drawing each run's envelope (envelope.py) and every floor it has."""
    from ..plots.comparison_plot import ComparisonPlot, run_x
    from ..plots.curves import curve_floors
    from ..plots.view_rule import batch_floor_offset, run_floor
    from .envelope import chunks_of, first_zero_chunked, reduce_curve

    class FigurePlot(ComparisonPlot):
        """A comparison panel for files: curves reduced to an envelope; floors drawn by draw_floors, not per run."""

        floor_lines: list = []

        def _add_run_items(self, row, losses, colour, named) -> None:
            # The base class scans the whole curve (as float64) for where it reached 0: hand it the answer
            # (an envelope read beforehand, in the background, knows it already).
            zero = losses.zero if hasattr(losses, "envelope") else first_zero_chunked(_chunks(losses))
            probe = np.ones(1) if zero is None else np.concatenate((np.ones(zero), [0.0]))
            super()._add_run_items(row, probe, colour, named)

        def _series(self, item) -> tuple:
            row, losses = item
            if hasattr(losses, "envelope"):  # read for this view already (results_curves.figure_envelopes)
                return super()._series(item)
            shift, _ = run_floor(getattr(row, "floors", None), row.floor)
            floors = curve_floors(item)
            offset = None
            if self.excess and shift is not None and floors is not None and len(floors) == len(losses):
                offset = batch_floor_offset(row.floors, floors, shift)  # one floor per run, as on screen
            index, series, subtracted = reduce_curve(_chunks(losses, floors), len(losses), self.smoothing,
                                                     offset)
            shift = None if subtracted else shift
            x = run_x(row, len(losses), self.x_axis)[index.astype(np.int64)] if len(index) else index
            if len(series) == 3:
                return x, series[0], series[1], series[2], shift
            return x, series[0], None, None, shift

        def place_floor(self, line, value, x=None) -> None:
            line.setVisible(False)  # one line per floor value, from draw_floors

        def _label_floor(self, line, key, text, labelled) -> None:
            return

    def _chunks(losses, floors=None):
        source = getattr(losses, "chunks", None)
        return source() if source else chunks_of(np.asarray(losses), floors)

    return FigurePlot


def floor_label(name: str, value: float, claim: str) -> str:
    """'data floor 0.5 (lower bound)', in three significant digits like every number in a figure."""
    return f"{floor_title(name)} {fig3(value)} ({claim_words(name, claim)})"


def draw_floors(plot, rows, colours, style) -> None:
    """Every floor of the panel's runs, one dashed line per value (shared by runs with the same floor), each
    labelled by text alone: a filled box over a curve hid it."""
    import pyqtgraph as pg
    from ..plots.plot_base import BELOW_LINE, CLAIM_STYLES, INK, pen
    for line in plot.floor_lines:
        plot.plot_item.removeItem(line)
    plot.floor_lines = []
    if plot.excess:
        return  # excess mode measures each curve from its own floor: the floors are the axis' zero
    seen: dict[str, list] = {}
    for row, colour in zip(rows, colours):
        for name, value, claim in run_floors(row):
            if plot.log and value <= 0:
                continue  # 0 has no place on a log axis: the caption states it
            key = f"{name}|{fig3(value)}|{claim}"
            seen.setdefault(key, [name, value, claim, []])[3].append(colour)
    listed = sorted(seen.values(), key=lambda f: f[1])
    for k, (name, value, claim, used) in enumerate(listed):
        colour = used[0] if len(set(used)) == 1 else INK
        p = pen(colour, 1.2)
        p.setStyle(CLAIM_STYLES.get(claim, CLAIM_STYLES[Claim.EXACT])[1])
        # The lowest floor's label under its line, the next above its own, then staggered along x: floors
        # 0.5 and 0.505 sit a hair apart on a log axis, and a label below a higher line hid the curve.
        below = k % 2 == 0 and (k == 0 or len(listed) > 2)
        opts = {"position": 0.03 + 0.31 * ((k // 2) % 3), "color": colour,
                "anchors": BELOW_LINE if below else [(0, 1), (0, 1)]}
        line = pg.InfiniteLine(angle=0, pen=p, movable=False, label=floor_label(name, value, claim), labelOpts=opts)
        line.setZValue(FLOOR_Z)  # under the curves, as in the window
        font = QtGui.QFont(line.label.textItem.font())
        font.setPointSizeF(style.floor_pt)
        line.label.setFont(font)
        line.setPos(math.log10(value) if plot.log else value)
        line.label_above = not below
        plot.plot_item.addItem(line, ignoreBounds=True)
        plot.floor_lines.append(line)


def legend_lines(label, metrics: QtGui.QFontMetricsF, width: float) -> list[str]:
    """A legend entry's lines within width: its whole text in up to LEGEND_LINES lines, else the name shortened
    to one line above the band's words (the words a plain wrap elided first)."""
    lines = wrap_text(label.full_text, metrics, width, LEGEND_LINES)
    if " ".join(lines) == label.full_text:
        return lines
    name, tail = getattr(label, "short_parts", (label.full_text, ""))
    tail = tail.lstrip(" ·")
    return wrap_text(name, metrics, width, 1) + (wrap_text(tail, metrics, width, LEGEND_LINES) if tail else [])


def fit_legend(plot, style, room: float) -> None:
    """Wrap (at spaces) or elide the legend's labels so that the legend is at most room px wide: a label wider
    than the page widened the panel past the figure's edge, and the export cut it off on the right."""
    legend = plot.legend
    labels = [label for _, label in legend.items if hasattr(label, "full_text")]
    if not labels:
        return
    font = QtGui.QFont(labels[0].item.font())
    font.setPointSizeF(style.legend_pt)
    metrics = QtGui.QFontMetricsF(font)
    columns = max(1, int(legend.columnCount))
    width = room / columns - 48  # a first guess at the sample, spacing and text margins; measured below
    for _ in range(5):
        for label in labels:
            lines = legend_lines(label, metrics, max(width, 24.0))
            label.setText("<br>".join(html.escape(line) for line in lines), size=f"{style.legend_pt}pt", color=INK)
        legend.layout.invalidate()
        over = legend.layout.preferredWidth() - room
        if over <= 0 or width <= 24.0:
            break
        width -= over / columns + 1


def _panel(fig, rows_and_losses, indices, unit, view, last: bool, style):
    from ..plots.plot_base import INK, shorter_labels, style_axes
    plot = panel_class()(fig, controls=False)
    plot.floor_lines = []
    for key, setter in (("log", plot.set_log), ("excess", plot.set_excess), ("x_axis", plot.set_x_axis),
                        ("smoothing", plot.set_smoothing)):
        if view and key in view:
            setter(view[key])
    every = run_colours([row for row, _ in rows_and_losses])  # each run's colour, as in the window
    colours = [every[i] for i in indices]
    rows = [rows_and_losses[i][0] for i in indices]
    plot.set_runs([rows_and_losses[i] for i in indices], colours=colours)
    for i, ((_, label), row) in enumerate(zip(plot.legend.items, rows)):
        marker = plot.zero_markers.get(i)
        note = f" · {zero_note(marker.zero_at)}" if marker is not None else ""
        label.full_text = run_label(row) + note  # wrapped to the page by fit_legend once the axes are laid out
        copies = getattr(row, "copies", 1) or 1
        # Shortened, it keeps what a band shows: the name is elided, never its "N seeds: median, min–max".
        label.short_parts = (row.name, (f"({copies} seeds: median, min–max)" if copies > 1 else "") + note)
        label.setText(html.escape(label.full_text), size=f"{style.legend_pt}pt", color=INK)
    plot.legend.setColumnCount(style.legend_columns)
    shown = SHORT_UNIT.get(unit, unit) if style.inches else unit  # a column's axis has no room for words
    labels = {"color": INK, "font-size": f"{style.label_pt}pt"}
    left = axis_label(shown, plot.excess, plot.floor_titles.get(unit))
    # Registered with the plot's fitting label too: alone, setLabel was reset to the screen's 11 pt on the next
    # resize; and set here as well, since the fitting label keeps the old style when the text is unchanged.
    plot.plot_item.setLabel("left", left, **labels)
    # A shorter form that keeps the unit where the whole one does not fit: an excess figure's MSE panel had none.
    plot._fit_left(plot.plot_item, (left, *shorter_labels(unit, plot.excess, plot.floor_titles.get(unit))), labels)
    plot.plot_item.setLabel("bottom", "" if not last else plot.x_axis, **labels)  # panels share x: one label
    style_axes(plot.plot_item, style.tick_pt)
    draw_floors(plot, rows, colours, style)
    _for_paper(plot, style)
    return plot


class Style:
    """A figure's physical size and type sizes: the screen layout, or a journal column at 8–9 pt."""

    def __init__(self, inches: float | None, title_pt, label_pt, tick_pt, legend_pt, caption_pt, floor_pt,
                 margin: int, legend_columns: int):
        self.inches, self.title_pt, self.label_pt, self.tick_pt = inches, title_pt, label_pt, tick_pt
        self.legend_pt, self.caption_pt, self.floor_pt = legend_pt, caption_pt, floor_pt
        self.margin, self.legend_columns = margin, legend_columns
        self.curve_px = 1.2  # a journal figure's curve: 0.3 mm

    def width_px(self, px_per_inch: float) -> int:
        """The layout width in logical pixels."""
        return LOGICAL_WIDTH if self.inches is None else round(self.inches * px_per_inch)


# Journal widths: one column 3.5 in (89 mm), two columns 7.2 in (183 mm); text 8–9 pt at that size.
SIZES = {"column": 3.5, "two-column": 7.2}
SCREEN = Style(None, 13, 11, 9.5, 9, 9, 8.5, 12, 2)


def figure_style(size: str | None) -> Style:
    """The Style of a size preset (None: the screen layout, LOGICAL_WIDTH px scaled to the PNG width)."""
    if size is None:
        return SCREEN
    if size not in SIZES:
        raise ValueError(f"size {size!r}: must be one of {', '.join(SIZES)}")
    return Style(SIZES[size], 9, 8, 8, 8, 8, 8, 4, 1 if size == "column" else 2)


class FigureWidget(QtWidgets.QWidget):
    """A laid-out figure: its unit panels, top to bottom, and the paper style it was laid out in."""

    def __init__(self):
        super().__init__()
        self.panels: list = []
        self.paper_style: Style | None = None


def build_figure(rows_and_losses, view: dict | None, size: str | None = None, width: int | None = None):
    """The figure widget: title, a panel per unit (x shared), legends under the panels, the caption.

    size: a SIZES preset laid out at its physical width; else the screen layout, width px wide at most
    LOGICAL_WIDTH (a narrower PNG is laid out narrower, so its text keeps its size).
    """
    return run_steps(figure_steps(rows_and_losses, view, size, width))


T = TypeVar("T")


def run_steps(steps: Generator[None, None, T]) -> T:
    """Run a generator of steps to its end; what it returns."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def figure_steps(rows_and_losses, view: dict | None, size: str | None = None,
                 width: int | None = None) -> Generator[None, None, FigureWidget]:
    """build_figure in steps, for the GUI thread: it yields between pieces of work of tens of ms each (a panel,
    a layout pass) and returns the figure widget; the window saves a figure so without freezing 200 ms."""
    style = figure_style(size)
    fig = FigureWidget()
    try:
        fig.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)  # laid out and painted, never on screen
        fig.setStyleSheet("background: white;")
        if FIGURE_FONT in QtGui.QFontDatabase.families():
            fig.setFont(QtGui.QFont(FIGURE_FONT, style.caption_pt))
        logical = style.width_px(fig.logicalDpiX())
        if size is None and width:
            logical = min(logical, max(int(width), MIN_LAYOUT))
        m = style.margin
        layout = QtWidgets.QVBoxLayout(fig)
        layout.setContentsMargins(m, m, m, m)
        inner = logical - 2 * m
        title_font = QtGui.QFont(fig.font())
        title_font.setPointSizeF(style.title_pt)
        title_font.setBold(True)
        # Broken at spaces here, not by QLabel's wrap: it broke a run name at its hyphen ("…-bce-" / "uniform").
        title = QtWidgets.QLabel("\n".join(wrap_text(figure_title(rows_and_losses), QtGui.QFontMetricsF(title_font),
                                                     inner - 2)))
        title.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        title.setFixedWidth(inner)
        title.setStyleSheet(f"color: {INK}; font-size: {style.title_pt}pt; font-weight: bold;")
        layout.addWidget(title)
        groups = unit_groups(rows_and_losses)
        ratio, least = (0.56, 0.32) if size != "column" else (0.75, 0.5)
        panel_h = max(int(logical * ratio / len(groups)), int(logical * least))
        legend_row = round(style.legend_pt * fig.logicalDpiY() / 72 * (1.9 if style.inches is None else 1.5))
        plots = []
        for g, (unit, indices) in enumerate(groups):
            plot = _panel(fig, rows_and_losses, indices, unit, view, g == len(groups) - 1, style)
            plot.setFixedWidth(inner)  # the page's width: nothing inside may widen a panel past it
            rows_of_legend = -(-len(indices) // style.legend_columns)
            plot.setFixedHeight(panel_h + legend_row * rows_of_legend)  # room for its legend rows; refit below
            plots.append(plot)
            layout.addWidget(plot)
            yield
        smoothing, excess = plots[0].smoothing, plots[0].excess
        caption = QtWidgets.QLabel(caption_html(rows_and_losses, smoothing, excess, compact=style.inches is not None))
        caption.setWordWrap(True)
        caption.setFixedWidth(inner)
        caption.setStyleSheet(f"color: {INK}; font-size: {style.caption_pt}pt;")
        layout.addWidget(caption)

        def settle() -> None:
            height = (title.sizeHint().height() + sum(p.height() for p in plots)
                      + caption.heightForWidth(inner) + 2 * m + 8 * (len(plots) + 2))
            fig.resize(logical, height)
            QtWidgets.QApplication.processEvents()  # layout, then the ViewBoxes' auto-range
            _align(plots)

        settle()
        yield
        fig.show()
        settle()
        yield
        # The legends wrap to the room under the view box, known now that the left axes share one width.
        for plot in plots:
            fit_legend(plot, style, plot._legend_room())
            legend_h = plot.legend.layout.preferredHeight()
            plot.setFixedHeight(panel_h + max(round(legend_h) + legend_row // 2, legend_row))
        settle()
        yield
        settle()  # again, now that the axes' widths are settled
        fig.panels = plots
        fig.paper_style = style
        return fig
    except BaseException:  # stopped part-way (a cancelled save) or failed: the widget goes too
        fig.close()
        fig.deleteLater()
        raise


MIN_LAYOUT = 336  # px: a one-column figure's width; narrower PNGs are this layout scaled down


def _align(plots) -> None:
    """One left-axis width for every panel, so their x scales line up, and one x range: 0 to the longest run."""
    for p in plots:
        # The plot fills its view again: the view fits it only when the view is resized, and a plot laid out
        # while its legend was still unwrapped kept that width (374 px on a 328 px panel: the right cut off).
        view = p.plot_widget
        pg.GraphicsView.setRange(view, QtCore.QRectF(0, 0, view.width(), view.height()), padding=0,
                                 disableAutoPixel=False)  # the view's own, not the plot's setRange
    axes = [p.plot_item.getAxis("left") for p in plots]
    width = max(a.width() for a in axes)
    for a in axes:
        a.setWidth(width)
    x_end = x_extent(plots)
    # Not setXLink: linked views map by pixels, and the last one laid out set the others' range.
    for plot in plots:
        plot.plot_item.vb.updateAutoRange()
        fit_y(plot)
        plot.plot_item.enableAutoRange(x=False)
        # pyqtgraph drops a tick label that reaches past its axis' end: 1 % of padding left half the "0" outside.
        axis = plot.plot_item.getAxis("bottom")
        half = QtGui.QFontMetricsF(axis.style["tickFont"] or QtGui.QFont()).horizontalAdvance("0") / 2 + 3
        px = max(plot.plot_item.vb.width(), 4 * half)
        right = x_end * 1.01
        plot.plot_item.setXRange(-right * half / (px - half), right, padding=0)
