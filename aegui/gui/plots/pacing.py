"""Paced redraws: at most 30 a second, slower when frames cost more, none while the view is hidden."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore

REDRAW_MS = 33     # ≤ 30 redraws a second, however fast chunks arrive
DUTY = 0.03        # redraw + paint may take at most this share of the GUI thread's time while a run trains
SLOWEST_MS = 500   # however costly a frame, the view still moves twice a second


class PacedRedraw(QtCore.QObject):
    """Calls redraw() for a widget when data changed, paced so the GUI thread (and the GIL the training
    thread needs between torch ops) spends at most DUTY of its time on it."""

    def __init__(self, widget, redraw: Callable[[], None], cost: Callable[[], float]):
        super().__init__(widget)
        self.widget, self._redraw, self._cost = widget, redraw, cost
        self.dirty = False
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._tick)

    def schedule(self) -> None:
        """Mark the view stale; it is redrawn at the next paced tick."""
        self.dirty = True
        if not self.timer.isActive():
            self.timer.start()

    def reset_rate(self) -> None:
        """Back to the full rate: a new run's first points should not wait on the last run's pace."""
        self.timer.setInterval(REDRAW_MS)

    def flush(self) -> None:
        """Redraw now if anything is pending (a run's end should show at once)."""
        if self.dirty:
            self.timer.stop()
            self._redraw()

    def shown(self) -> None:
        """Catch up on what arrived while the view was hidden (call from showEvent)."""
        if self.dirty:
            self.schedule()

    def _hidden(self) -> bool:
        # The window shows but this view does not (another tab): its redraws can wait.
        return self.widget.window().isVisible() and not self.widget.isVisible()

    def _tick(self) -> None:
        if not self.dirty or self._hidden():
            self.timer.stop()  # idle or hidden: no wake-ups; shown() or the next chunk restarts it
            return
        self._redraw()
        self.timer.setInterval(int(min(SLOWEST_MS, max(REDRAW_MS, 1000 * self._cost() / DUTY))))
