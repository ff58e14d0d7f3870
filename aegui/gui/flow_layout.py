"""A layout that lines widgets up left to right and wraps onto a new line when the width runs out.

A plot's controls row (Log y, Excess over floor, x, smoothing, readout) in one QHBoxLayout made the plot's
pane at least ~560 px wide: the window would not shrink below 1,399 px, and at 2× the plot was cut on the
right. Wrapped, the controls take a second line in a narrow pane instead.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget, QWidgetItem


class FlowLayout(QLayout):
    """Widgets in reading order, wrapped at the layout's width; one widget may fill the rest of its line.

    Takes addWidget / insertWidget like a QHBoxLayout; addStretch is accepted and does nothing (the filler,
    set with set_filler, takes what is left of its line, never less than its minimum width).
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 6):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._filler: QWidget | None = None
        self._filler_min = 0
        self.setSpacing(spacing)

    # ---- QLayout's interface

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt API)
        """Append an item (Qt calls this from addWidget)."""
        self._items.append(item)

    def insertWidget(self, index: int, widget: QWidget) -> None:  # noqa: N802 (QBoxLayout's name)
        """Insert widget at index, as QBoxLayout.insertWidget does."""
        self.addChildWidget(widget)
        self._items.insert(max(0, min(index, len(self._items))), QWidgetItem(widget))
        self.invalidate()

    def addStretch(self, _stretch: int = 0) -> None:  # noqa: N802 (QBoxLayout's name)
        """Accepted for QHBoxLayout's callers; the filler takes the spare width instead."""

    def set_filler(self, widget: QWidget, min_width: int) -> None:
        """widget takes the rest of its line (at least min_width); its own size hint never moves the others."""
        self._filler, self._filler_min = widget, min_width

    def count(self) -> int:
        """Number of items."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt API)
        """The item at index, or None."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt API)
        """Remove and return the item at index."""
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt API)
        """Grows in neither direction by itself."""
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        """Its height depends on its width (the lines wrap)."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        """Height of the wrapped lines at width."""
        return self._do_layout(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt API)
        """Place the items in rect."""
        super().setGeometry(rect)
        self._do_layout(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Everything on one line."""
        m = self.contentsMargins()
        shown = [self._width(i) for i in self._visible()]
        width = sum(shown) + self.spacing() * max(len(shown) - 1, 0)
        height = max((i.sizeHint().height() for i in self._visible()), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt API)
        """The widest single item: narrower than that, one item would be cut."""
        m = self.contentsMargins()
        width = max((self._width(i) for i in self._visible()), default=0)
        height = max((i.minimumSize().height() for i in self._visible()), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    # ---- placing

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def _width(self, item: QLayoutItem) -> int:
        if self._filler is not None and item.widget() is self._filler:
            return self._filler_min
        return item.sizeHint().width()

    def _do_layout(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_height, gap = area.x(), area.y(), 0, self.spacing()
        for item in self._visible():
            w, h = self._width(item), item.sizeHint().height()
            if x > area.x() and x + w > area.right() + 1:  # wrap: this item does not fit on the line
                x, y, line_height = area.x(), y + line_height + gap, 0
            if self._filler is not None and item.widget() is self._filler:
                w = max(w, area.right() + 1 - x)  # the rest of the line
            if apply:
                item.setGeometry(QRect(QPoint(x, y), QSize(w, h)))
            x += w + gap
            line_height = max(line_height, h)
        return y + line_height - rect.y() + m.bottom()

