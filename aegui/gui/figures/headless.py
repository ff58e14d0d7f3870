"""The QApplication headless exports use: offscreen platform, without the offscreen plugin's size-hint notice."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

# The offscreen plugin says this on every window it lays out: harmless, and noise on a CLI user's terminal.
NOISE = ("This plugin does not support propagateSizeHints()",)
_previous: Callable[..., Any] | None = None
_installed = False


def _filter(mode, context, message: str) -> None:
    """Qt message handler: drop the offscreen plugin's notice, pass every other message on unchanged."""
    if any(text in message for text in NOISE):
        return
    if _previous is not None:
        _previous(mode, context, message)
        return
    from PySide6 import QtCore
    sys.stderr.write(QtCore.qFormatLogMessage(mode, context, message) + "\n")


def quiet_offscreen_notice() -> None:
    """Install the filtering message handler (once), chained in front of whatever handler was there."""
    global _previous, _installed
    from PySide6 import QtCore
    if _installed:
        return
    _previous = QtCore.qInstallMessageHandler(_filter)  # type: ignore[assignment]  # typed object; it is the handler or None
    _installed = True


def ensure_app():
    """The running QApplication, or a new one on the offscreen platform (export never shows a window)."""
    if not os.environ.get("QT_QPA_PLATFORM"):
        # Offscreen needs no display, so `aegui export` works over ssh and in CI; it is set before Qt starts.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6 import QtWidgets
    app = QtWidgets.QApplication.instance()
    if app is None:
        # Only for an application made here (the CLI): a running GUI or test keeps its own handler.
        quiet_offscreen_notice()
        app = QtWidgets.QApplication([sys.argv[0] if sys.argv else "aegui"])
    return app
