"""Render a laid-out widget to a PNG or SVG file that carries its runs: shared by comparisons and grids."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

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


def check_width(width) -> int:
    """width as an int when MIN_WIDTH ≤ width ≤ MAX_WIDTH; ExportError otherwise."""
    if isinstance(width, bool) or not isinstance(width, int) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ExportError(f"width {width}: must be a whole number from {MIN_WIDTH} to {MAX_WIDTH} pixels")
    return width


def widget_image(widget, width: int):
    """The widget painted into a QImage `width` px wide (layout size kept, so fonts scale with it)."""
    from PySide6 import QtCore, QtGui
    check_width(width)
    draw_uncached(widget)
    scale = int(width) / widget.width()
    image = QtGui.QImage(int(width), round(widget.height() * scale), QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
    painter.scale(scale, scale)
    widget.render(painter, QtCore.QPoint(0, 0))
    painter.end()
    return image


def write_svg(widget, path: str, title: str, description: str) -> None:
    """Paint the widget into an SVG file through QSvgGenerator (pyqtgraph's SVG exporter breaks on Qt ≥ 6.11)."""
    from PySide6 import QtCore, QtGui, QtSvg
    draw_uncached(widget)
    gen = QtSvg.QSvgGenerator()
    gen.setFileName(path)
    gen.setSize(widget.size())
    gen.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), widget.size()))
    gen.setTitle(title)
    gen.setDescription(description)
    painter = QtGui.QPainter(gen)
    widget.render(painter, QtCore.QPoint(0, 0))
    painter.end()
    css_fonts(path)


# Qt writes its own family name ("Sans Serif"), which no browser knows: a CSS stack led by the font Qt laid
# the text out in keeps the words where Qt put them.
FONT_STACK = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif"


def css_fonts(path: str) -> None:
    """Replace every font-family in an SVG file by FONT_STACK."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(re.sub(rb'font-family="[^"]*"', f'font-family="{FONT_STACK}"'.encode(), data))


def embed_svg_meta(path: str, text: str) -> None:
    """Insert the runs' JSON as <metadata id="aegui-runs"> right after the <svg> element opens."""
    # '<', '>' and '&' only occur inside JSON strings: escaping them keeps the CDATA section unbreakable.
    safe = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    data = Path(path).read_bytes()
    m = re.search(rb"<svg\b[^>]*>", data)
    if not m:
        raise ExportError(f"{path}: the SVG writer produced no <svg> element")
    block = f'\n<metadata id="aegui-runs"><![CDATA[{safe}]]></metadata>'.encode("utf-8")
    Path(path).write_bytes(data[: m.end()] + block + data[m.end():])


def with_widget(make_widget: Callable, use: Callable):
    """Build a throwaway figure widget, use it, and always close it."""
    widget = make_widget()
    try:
        return use(widget)
    finally:
        widget.close()
        widget.deleteLater()


def save_figure(path, make_widget: Callable, meta_json: str, width: int, title: str, description: str) -> Path:
    """Save make_widget()'s figure as PNG (width px) or SVG by suffix, its runs embedded, written atomically."""
    from .headless import ensure_app
    suffix = Path(path).suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ExportError(f"cannot write {path}: the name must end in .png or .svg")
    ensure_app()
    if suffix == ".svg":
        def write(tmp):
            with_widget(make_widget, lambda w: write_svg(w, tmp, title, description))
            embed_svg_meta(tmp, meta_json)
        return atomic_write(path, write)
    image = with_widget(make_widget, lambda w: widget_image(w, width))
    image.setText(META_KEY, meta_json)

    def write_png(tmp):
        if not image.save(tmp, "PNG"):
            raise ExportError(f"cannot write {path}: the PNG encoder failed")
    return atomic_write(path, write_png)
