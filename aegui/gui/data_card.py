"""The data card under the file field: what a chosen file's values allow, shown before Run."""

from __future__ import annotations

import html
import os
import threading

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel

from .palette import ERROR_RED, INK

CARD_STYLE = ("QLabel { background: #F7F9FB; color: " + INK + "; border: 1px solid #dde5ec; border-radius: 3px;"
              " padding: 4px 6px; }")
DEBOUNCE_MS = 300  # typing a path asks for one card, not one per keystroke


def card_html(card) -> str:
    """The card's compact lines (datacard.py) as rich text: the shape in bold, refusals in red."""
    lines = [html.escape(line.strip()) for line in card.lines(compact=True)]
    lines[0] = f"<b>{lines[0]}</b>"
    return "<br>".join(f"<span style='color:{ERROR_RED}'>{x}</span>" if "refused:" in x else x for x in lines)


class WrappedLabel(QLabel):
    """A word-wrapped label that asks for the height its text needs at its width.

    In the panels' scroll area a wrapped label got the height of its unwrapped size hint: red inline errors
    were cut at top and bottom.
    """

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        """Set the text and the height it needs."""
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Refit the height to the new width."""
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        need = self.heightForWidth(self.width()) if self.text() else 0
        if need != self.minimumHeight():
            self.setMinimumHeight(max(need, 0))


class DataCardLabel(WrappedLabel):
    """Loads a data file's card off the GUI thread and shows it whole (its height follows its wrapped text: a
    plain QLabel in the panels' form was cut at '…(PCA): k=1:'); card is the last one for the shown path."""

    sigCard = Signal(object)  # the DataCard for the current path, or None when it could not be read
    _sigArrived = Signal(object, object, str)  # key, card or None, error text

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet(CARD_STYLE)
        self.setVisible(False)
        self.card = None
        self._path: str | None = None
        self._key = None
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._load)
        self._sigArrived.connect(self._arrived)  # queued: emitted from the loading thread

    def request(self, path: str | None) -> None:
        """Show the card of path (None hides it); loads once per file version, after typing pauses."""
        if not path:
            self._path, self.card = None, None
            self.setVisible(False)
            return
        if path == self._path and self._key == _version(path):
            return
        self._path = path
        self._timer.start()

    def _load(self) -> None:
        path, key = self._path, _version(self._path)
        self._key = key
        self.setText("Reading the file…")
        self.setVisible(True)

        def work():
            from ..core.engine.datacard import file_card
            from ..core.config.config import ConfigError
            try:
                self._sigArrived.emit(key, file_card(path), "")
            except ConfigError as exc:
                self._sigArrived.emit(key, None, "; ".join(p.allowed for p in exc.problems))
            except Exception as exc:  # noqa: BLE001 - the card only informs; Run reports the real error
                self._sigArrived.emit(key, None, f"{type(exc).__name__}: {exc}")
        threading.Thread(target=work, name="aegui-data-card", daemon=True).start()

    def _arrived(self, key, card, error: str) -> None:
        if key != self._key:
            return  # a later path was chosen meanwhile
        self.card = card
        if card is None:
            self.setText(f"<span style='color:{ERROR_RED}'>Cannot read this file: {html.escape(error)}</span>")
        else:
            self.setText(card_html(card))
        self.setVisible(True)
        self.sigCard.emit(card)


def _version(path: str | None):
    """(path, size, mtime): a changed file gets a new card."""
    if path is None:
        return (path, None, None)
    try:
        st = os.stat(path)
        return (path, st.st_size, st.st_mtime_ns)
    except (OSError, TypeError):
        return (path, None, None)
