"""Render a laid-out widget to a PNG or SVG file that carries its runs: shared by comparisons and grids."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from collections.abc import Callable, Generator

from .atomic import ExportError, atomic_write

META_KEY = "aegui"


def draw_uncached(widget) -> None:
    """Turn off the pixmap caches the on-screen plots use, so a file gets vectors and full-resolution text.

    A cached axis (or the view's cached background) is painted from its pixmap: into an SVG that is an
    embedded PNG, into a wide PNG a blurred one.
    """
    from PySide6 import QtWidgets
    for view in [widget, *widget.findChildren(QtWidgets.QGraphicsView)]:
        if isinstance(view, QtWidgets.QGraphicsView):
            view.setCacheMode(QtWidgets.QGraphicsView.CacheModeFlag.CacheNone)
            if view.scene() is not None:
                for item in view.scene().items():
                    item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)


MIN_WIDTH, MAX_WIDTH = 200, 20000  # PNG width in pixels: the one limit the CLI, the dialog and the renderer share
DEFAULT_WIDTH = 1600  # PNG width when none is asked: the CLI's --width, the save dialog's and every saver's default


def check_width(width) -> int:
    """width as an int when MIN_WIDTH ≤ width ≤ MAX_WIDTH; ExportError otherwise."""
    if isinstance(width, bool) or not isinstance(width, int) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ExportError(f"width {width}: must be a whole number from {MIN_WIDTH} to {MAX_WIDTH} pixels")
    return width


MIN_DPI, MAX_DPI = 72, 2400


def check_dpi(dpi) -> int:
    """dpi as an int when MIN_DPI ≤ dpi ≤ MAX_DPI; ExportError otherwise."""
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise ExportError(f"dpi {dpi}: must be a whole number from {MIN_DPI} to {MAX_DPI}")
    return dpi


def widget_image(widget, width: int | None = None, dpi: int | None = None):
    """The widget painted into a QImage `width` px wide, or at `dpi` dots per inch of its physical size (its
    layout in logical pixels at the screen's logical dpi); the layout is kept, so text keeps its proportion."""
    from PySide6 import QtCore, QtGui
    inches = getattr(getattr(widget, "paper_style", None), "inches", None)
    if dpi is not None and inches:
        scale = round(inches * check_dpi(dpi)) / widget.width()  # exactly 3.5 in × dpi wide
    elif dpi is not None:
        scale = check_dpi(dpi) / widget.logicalDpiX()
    else:
        scale = check_width(width) / widget.width()
    draw_uncached(widget)
    image = QtGui.QImage(max(1, round(widget.width() * scale)), max(1, round(widget.height() * scale)),
                         QtGui.QImage.Format.Format_ARGB32)
    per_metre = round((dpi if dpi is not None else scale * widget.logicalDpiX()) / 0.0254)  # the PNG's pHYs: printed at its physical size
    image.setDotsPerMeterX(per_metre)
    image.setDotsPerMeterY(per_metre)
    image.fill(QtGui.QColor("white"))
    scale_pens(widget, scale)
    painter = QtGui.QPainter(image)
    painter.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
    painter.scale(scale, scale)
    widget.render(painter, QtCore.QPoint(0, 0))
    painter.end()
    return image


def _scaled(pen, scale: float):
    from PySide6 import QtGui
    pen = QtGui.QPen(pen)
    if pen.isCosmetic():
        pen.setWidthF(max(pen.widthF(), 1.0) * scale)
    return pen


def scale_pens(widget, scale: float) -> None:
    """Widen the figure's cosmetic pens by scale: they are drawn in device pixels, so a 2 px curve stayed 2 px
    in a 300 dpi PNG while the text grew; the SVG and the PDF draw them in layout pixels, as this makes the PNG."""
    import pyqtgraph as pg
    from PySide6 import QtWidgets
    if abs(scale - 1.0) < 0.01:
        return
    for view in widget.findChildren(QtWidgets.QGraphicsView):
        for item in view.scene().items() if view.scene() is not None else []:
            if isinstance(item, pg.PlotDataItem) and item.opts.get("pen") is not None:
                item.setPen(_scaled(pg.mkPen(item.opts["pen"]), scale))
            elif isinstance(item, pg.InfiniteLine):
                item.setPen(_scaled(item.pen, scale))
            elif isinstance(item, pg.AxisItem):
                item._pen = _scaled(item.pen(), scale)  # not setPen(): it recolours the axis label too
                item.picture = None
                item.update()


def write_pdf(widget, path: str, title: str, description: str) -> None:
    """Paint the widget into a one-page vector PDF of its physical size, fonts embedded (QPdfWriter)."""
    from PySide6 import QtCore, QtGui
    draw_uncached(widget)
    dpi = widget.logicalDpiX()
    writer = QtGui.QPdfWriter(path)
    writer.setTitle(title)
    writer.setCreator("aegui")
    writer.setResolution(dpi)  # one PDF unit per layout pixel: cosmetic pens stay 1–2 px of the layout, not of 1200 dpi
    page = QtGui.QPageSize(QtCore.QSizeF(widget.width() / dpi * 72, widget.height() / dpi * 72),
                           QtGui.QPageSize.Unit.Point, "aegui figure", QtGui.QPageSize.SizeMatchPolicy.ExactMatch)
    writer.setPageLayout(QtGui.QPageLayout(page, QtGui.QPageLayout.Orientation.Portrait, QtCore.QMarginsF(0, 0, 0, 0)))
    painter = QtGui.QPainter(writer)
    if not painter.isActive():
        raise ExportError(f"cannot write {path}: the PDF writer could not start")
    painter.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
    widget.render(painter, QtCore.QPoint(0, 0))
    painter.end()


def write_svg(widget, path: str, title: str, description: str) -> None:
    """Paint the widget into an SVG file through QSvgGenerator (pyqtgraph's SVG exporter breaks on Qt ≥ 6.11)."""
    from PySide6 import QtCore, QtGui, QtSvg
    draw_uncached(widget)
    gen = QtSvg.QSvgGenerator()
    gen.setFileName(path)
    gen.setSize(widget.size())
    gen.setResolution(widget.logicalDpiX())  # width="89mm" for a column: the text's points are real points
    gen.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), widget.size()))
    gen.setTitle(title)
    gen.setDescription(description)
    painter = QtGui.QPainter(gen)
    widget.render(painter, QtCore.QPoint(0, 0))
    painter.end()
    css_fonts(path)
    device_strokes(path)


# Qt writes its own family name ("Sans Serif"), which no browser knows: a CSS stack led by the font Qt laid
# the text out in keeps the words where Qt put them.
FONT_STACK = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif"


def css_fonts(path: str) -> None:
    """Replace every font-family in an SVG file by FONT_STACK."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(re.sub(rb'font-family="[^"]*"', f'font-family="{FONT_STACK}"'.encode(), data))


_GROUP = re.compile(rb'(<g\b[^>]*?) transform="matrix\(([^)]*)\)"([^>]*>)((?:(?!<g\b|</g>).)*)(</g>)', re.S)
_PAIR = re.compile(rb"(-?[0-9.]+(?:e-?[0-9]+)?),(-?[0-9.]+(?:e-?[0-9]+)?)")
_RECT = re.compile(rb'<rect([^>]*?) x="([^"]*)" y="([^"]*)" width="([^"]*)" height="([^"]*)"')


def _num(v: float) -> bytes:
    text = f"{v:.2f}".rstrip("0").rstrip(".")  # a hundredth of a layout pixel
    return (text if text not in ("-0", "") else "0").encode()


def _to_device(match) -> bytes:
    """One of Qt's <g transform=matrix(...)> groups with its shapes' coordinates mapped through the matrix."""
    head, matrix, tail, body, close = match.groups()
    if b"<text" in body or b"<image" in body:
        return match.group(0)  # text keeps its transform: glyphs are not coordinates
    a, b, c, d, e, f = (float(v) for v in matrix.replace(b" ", b"").split(b","))
    if b or c:
        return match.group(0)  # a rotation: not produced for these figures' strokes; left as Qt wrote it

    def pair(m):
        x, y = float(m.group(1)), float(m.group(2))
        return _num(a * x + e) + b"," + _num(d * y + f)

    def rect(m):
        x, y, w, h = (float(v) for v in m.groups()[1:])
        x0, x1 = sorted((a * x + e, a * (x + w) + e))
        y0, y1 = sorted((d * y + f, d * (y + h) + f))
        return (b"<rect" + m.group(1) + b' x="' + _num(x0) + b'" y="' + _num(y0) + b'" width="' + _num(x1 - x0)
                + b'" height="' + _num(y1 - y0) + b'"')

    body = re.sub(rb'(d|points)="([^"]*)"', lambda m: m.group(1) + b'="' + _PAIR.sub(pair, m.group(2)) + b'"', body)
    body = _RECT.sub(rect, body)
    return head + tail + body + close


def device_strokes(path: str) -> None:
    """Map every stroked shape's coordinates into the figure's own, and drop vector-effect="non-scaling-stroke".

    pyqtgraph draws curves with cosmetic pens under the view's scale; Qt writes the scale as a group transform
    and marks the strokes non-scaling, which rsvg-convert and ImageMagick ignore: they drew 1 px lines
    hundreds of px thick. In the figure's coordinates the stroke widths are what Qt drew.
    """
    data = Path(path).read_bytes()
    data = _GROUP.sub(_to_device, data)
    data = data.replace(b' vector-effect="non-scaling-stroke"', b"")
    Path(path).write_bytes(data)


def embed_svg_meta(path: str, text: str) -> None:
    """Insert the runs' JSON as <metadata id="aegui-runs"> right after the <svg> element opens."""
    # '<', '>' and '&' only occur inside JSON strings: escaping them keeps the CDATA section unbreakable.
    safe = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    data = Path(path).read_bytes()
    m = re.search(rb"<svg\b[^>]*>", data)
    if not m:
        raise ExportError(f"{path}: the SVG writer produced no <svg> element")
    block = f'\n<metadata id="aegui-runs"><![CDATA[{safe}]]></metadata>'.encode()
    Path(path).write_bytes(data[: m.end()] + block + data[m.end():])


def with_widget(make_widget: Callable, use: Callable):
    """Build a throwaway figure widget, use it, and always close it."""
    widget = make_widget()
    try:
        return use(widget)
    finally:
        widget.close()
        widget.deleteLater()


FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def save_figure(path, make_widget: Callable, meta_json: str, width: int | None, title: str, description: str,
                dpi: int | None = None) -> Path:
    """Save make_widget()'s figure as PNG (width px, or dpi of its physical size), SVG or PDF by suffix, its
    runs embedded (PNG, SVG), written atomically."""
    from .layout import run_steps
    finish = run_steps(figure_file_steps(path, make_widget, meta_json, width, title, description, dpi))
    return finish()


def figure_file_steps(path, make_widget: Callable, meta_json: str, width: int | None, title: str,
                      description: str, dpi: int | None = None) -> Generator[None, None, Callable[[], Path]]:
    """save_figure in steps for the GUI thread: a generator that yields between pieces of work (building the
    figure, each layout pass, painting it) and returns finish(), which writes the file and may run on any thread
    (a PNG's encoding, 80 ms at 1600 px, then leaves the GUI thread free).

    make_widget() returns the figure widget, or a generator of steps that returns it (layout.figure_steps).
    """
    from .headless import ensure_app
    suffix = Path(path).suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise ExportError(f"cannot write {path}: the name must end in .png, .svg or .pdf")
    ensure_app()
    widget = make_widget()
    if inspect.isgenerator(widget):
        widget = yield from widget
    try:
        yield  # laid out; painting it is a step of its own
        if suffix == ".svg":
            def write(tmp):
                write_svg(widget, tmp, title, description)
                embed_svg_meta(tmp, meta_json)
            done = atomic_write(path, write)
            return lambda: done
        if suffix == ".pdf":
            done = atomic_write(path, lambda tmp: write_pdf(widget, tmp, title, description))
            return lambda: done
        image = widget_image(widget, width, dpi)
    finally:
        widget.close()
        widget.deleteLater()
    image.setText(META_KEY, meta_json)

    def write_png(tmp):
        if not image.save(tmp, "PNG"):
            raise ExportError(f"cannot write {path}: the PNG encoder failed")
    return lambda: atomic_write(path, write_png)
