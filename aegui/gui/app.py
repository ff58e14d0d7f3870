"""Start-up: the QApplication, the main window, and the training processes' server warmed up after first paint."""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QTimer, Signal

NO_DISPLAY = ("aegui: no display found (DISPLAY and WAYLAND_DISPLAY are unset); "
              "train and compare runs headless with `aegui run --help`")
ICON = Path(__file__).resolve().parents[2] / "resources" / "aegui.svg"


def has_display(env=os.environ, platform: str = sys.platform) -> bool:
    """False on Linux with no X11 or Wayland display and no Qt platform chosen, where Qt would abort."""
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def warm_up() -> dict:
    """Start the training processes' server (it imports and warms torch in its own process), import the
    engine here too (the recorder and the messages need it), and ask a training process what torch found.

    CUDA is never asked here: the window's process must not initialise it (see core/run/child.py).
    """
    from ..core.run import child, standby
    t0 = time.perf_counter()
    standby.start_server()  # first: its import of torch runs beside ours
    from ..core.store import recorder  # noqa: F401 - a run's messages carry the engine's records
    from ..core.engine import training  # noqa: F401 - a run's messages carry the engine's records
    info = child.probe()  # returns once the server has warmed up
    return {**info, "seconds": time.perf_counter() - t0}


class WarmUp(QThread):
    """Runs warm_up() off the GUI thread and reports what torch found."""

    sigReady = Signal(object)  # dict from warm_up(), or {"error": message}

    def run(self) -> None:
        """The thread body."""
        try:
            info = warm_up()
        except Exception as exc:  # noqa: BLE001 - a broken torch must not take the window down
            info = {"error": f"{type(exc).__name__}: {exc}", "cuda": False}
        self.sigReady.emit(info)


class AfterFirstPaint(QObject):
    """Calls back once, right after the window's first paint, or after fallback_ms if it never paints."""

    def __init__(self, window, callback, fallback_ms: int = 1500):
        super().__init__(window)
        self.window, self.callback, self.done = window, callback, False
        app = QCoreApplication.instance()
        assert app is not None, "AfterFirstPaint needs the QApplication"
        self.app: QCoreApplication = app
        self.app.installEventFilter(self)  # paint events go to the child widgets, so watch them all until the first
        QTimer.singleShot(fallback_ms, self.fire)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        """Schedule the callback after the first paint of a widget in the window."""
        if event.type() == QEvent.Type.Paint and obj.isWidgetType() and obj.window() is self.window:
            self.app.removeEventFilter(self)
            QTimer.singleShot(0, self.fire)  # once this paint has been drawn
        return False

    def fire(self) -> None:
        """Run the callback, once."""
        if not self.done:
            self.done = True
            self.app.removeEventFilter(self)
            self.callback()


GUI_SWITCH_S = 0.0005  # the GIL's switch interval while the window runs (see make_app)


def make_app(argv: list[str]):
    """The QApplication (reused if one exists), named so QSettings find their file."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from .. import __version__
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    assert isinstance(app, QApplication), "a QCoreApplication without widgets cannot hold the window"
    # A thread reading a long curve holds the GIL until the switch interval forces it off (5 ms by default).
    # Painting, the GUI thread gives the GIL up in many Qt calls and waited up to that long for each: selecting a
    # 1,000,000-batch run stalled the window 171 ms in one round of three.
    sys.setswitchinterval(GUI_SWITCH_S)
    app.setOrganizationName("aegui")
    app.setApplicationName("aegui")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("aegui")
    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))
    return app


def open_window(data_dir: str | None = None):
    """The main window, shown; a damaged store is moved aside first and the user told. Raises StoreError."""
    from PySide6.QtWidgets import QMessageBox

    from ..core.store.store import RunStore
    from .window.main_window import MainWindow
    # Moves a file aside only for real corruption; a full or read-only disk opens it read-only instead.
    store = RunStore.open(data_dir, read_only_ok=True)  # the window keeps this one connection
    notice = store.notice
    window = MainWindow(store=store)
    window.show()
    if notice:
        print(f"aegui: warning: {notice}", file=sys.stderr)
        window.statusBar().showMessage(f"Warning: {notice}")
        title, tail = (("Run store read-only", "Free space or fix the permission, then restart aegui to run again.")
                       if store.read_only else
                       ("Run store repaired", "Nothing was deleted: the damaged file is kept for recovery."))
        window.store_notice = QMessageBox(QMessageBox.Icon.Warning, title, f"{notice}. {tail}",
                                          QMessageBox.StandardButton.Ok, window)
        window.store_notice.open()  # not exec(): the window starts behind it
    return window


def freeze_heap(*_args) -> None:
    """Collect once, then keep what is alive now out of later collections: with the window up and torch loaded
    (74,000 objects: modules, Qt's wrappers), each full collection paused the GUI thread 27-30 ms, and one fell
    inside a 40-run selection now and then."""
    gc.collect()
    gc.freeze()


def say_cannot_start(message: str) -> None:
    """Tell the user, on stderr and in a message box, why the window cannot open."""
    from PySide6.QtWidgets import QMessageBox
    print(f"aegui: {message}", file=sys.stderr)
    QMessageBox.critical(None, "aegui cannot start", message)


def main(argv: list[str] | None = None, data_dir: str | None = None) -> int:
    """Open the main window and run the event loop; 2 with no display, 1 when the data folder is unusable."""
    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    from ..core.store.store import StoreError
    app = make_app([] if argv is None else argv)
    try:
        window = open_window(data_dir)
    except StoreError as exc:
        say_cannot_start(str(exc))
        return 1
    warm = WarmUp()
    warm.sigReady.connect(window.on_warm_up)
    warm.sigReady.connect(freeze_heap)  # once torch is in too
    # A zero timer can fire before the first paint; torch's import then holds the GIL through it.
    window.warm_starter = AfterFirstPaint(window, warm.start)
    try:
        return app.exec()
    finally:
        warm.wait()  # a QThread still running at exit aborts the process
