"""The wheel edits a field only once the field has focus; otherwise it scrolls whatever holds the field.

A QScrollArea of spin boxes and combo boxes hands the wheel to the widget under the pointer, so scrolling
the panels changed values (seen: loss mse → l1, features 2 → 0) with no click.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QAbstractSpinBox, QComboBox)


class WheelGuard(QObject):
    """Event filter: a wheel over an unfocused field goes to the scroll area around it, not to the field."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        """Hand an unfocused field's wheel to the enclosing scroll area (or let it propagate when there is none)."""
        if event.type() != QEvent.Type.Wheel or not isinstance(obj, QWidget) or obj.hasFocus():
            return False
        area = obj.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is None:
            event.ignore()  # unaccepted: Qt offers a real wheel to the parent next
            return True
        # Sent on explicitly: Qt propagates only spontaneous wheel events, and this must work for both.
        QApplication.sendEvent(area.viewport(), event)
        event.accept()
        return True


def guard_wheel(root: QWidget) -> WheelGuard:
    """Give every spin box and combo box under root StrongFocus (no focus by wheel) and the WheelGuard."""
    guard = getattr(root, "_wheel_guard", None) or WheelGuard(root)
    root._wheel_guard = guard  # type: ignore[attr-defined]  # kept alive with the widget it guards
    for widget in root.findChildren(QWidget):
        if isinstance(widget, GUARDED):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.removeEventFilter(guard)
            widget.installEventFilter(guard)
    return guard
