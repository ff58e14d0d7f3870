"""Start-up: the QApplication, the main window, and torch warmed up in the background after first paint."""

from __future__ import annotations

import os
import sys
import time
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import QThread, QTimer, Signal

NO_DISPLAY = ("aegui: no display found (DISPLAY and WAYLAND_DISPLAY are unset); "
              "train and compare runs headless with `aegui run --help`")
ICON = Path(__file__).resolve().parents[2] / "resources" / "aegui.svg"


def has_display(env=os.environ, platform: str = sys.platform) -> bool:
    """False on Linux with no X11 or Wayland display and no Qt platform chosen, where Qt would abort."""
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def warm_up() -> dict:
    """Import torch and take one throwaway Adam step, paying the lazy-import costs before the first Run."""
    t0 = time.perf_counter()
    import torch

    from aegui.core import training  # noqa: F401 - its own imports (models, losses) are part of the cost
    p = torch.zeros(4, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3, fused=True)  # the engine's optimizer, fused as it uses it
    (p * p).sum().backward()
    opt.step()
    return {"torch": torch.__version__, "cuda": bool(torch.cuda.is_available()),
            "seconds": time.perf_counter() - t0}


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


def versions() -> dict:
    """Versions for the About box, read without importing torch."""
    import numpy
    import PySide6
    import pyqtgraph

    from aegui import __version__
    torch = sys.modules.get("torch")
    try:
        torch_version = torch.__version__ if torch else metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "not installed"
    return {"aegui": __version__, "torch": torch_version, "numpy": numpy.__version__,
            "PySide6": PySide6.__version__, "pyqtgraph": pyqtgraph.__version__,
            "Python": sys.version.split()[0]}


def make_app(argv: list[str]):
    """The QApplication (reused if one exists), named so QSettings find their file."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from aegui import __version__
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName("aegui")
    app.setApplicationName("aegui")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("aegui")
    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))
    return app


def main(argv: list[str] | None = None, data_dir: str | None = None) -> int:
    """Open the main window and run the event loop; 2 when there is no display to open it on."""
    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    from aegui.core.store import StoreError
    from .main_window import MainWindow
    app = make_app([] if argv is None else argv)
    try:
        window = MainWindow(data_dir=data_dir)
    except StoreError as exc:
        print(f"aegui: {exc}", file=sys.stderr)
        return 1
    window.show()
    warm = WarmUp()
    warm.sigReady.connect(window.on_warm_up)
    QTimer.singleShot(0, warm.start)  # after the first paint: the event loop draws the window first
    try:
        return app.exec()
    finally:
        warm.wait()  # a QThread still running at exit aborts the process
