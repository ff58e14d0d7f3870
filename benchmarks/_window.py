"""Drives the real MainWindow offscreen for the GUI benchmarks: open it, train one config, watch it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import _rows  # noqa: F401 - sets QT_QPA_PLATFORM before Qt is imported

from aegui.core.config.config import RunConfig, with_changes

SEED = {"model.kind": "mlp", "model.depth": 1, "model.encoding_dim": 2, "training.tol": 0.0,
        "training.device": "cpu", "data.samples": 30_000}  # the seed answer's toy autoencoder
BATCHES_PER_EPOCH = 235  # 30,000 samples / batch 128, rounded up


def seed_config(batches: int) -> RunConfig:
    """The seed's configuration, with enough epochs for at least `batches` batches."""
    epochs = max(1, -(-batches // BATCHES_PER_EPOCH))
    return with_changes(RunConfig(), **SEED, **{"training.epochs": epochs})


def app():
    """The QApplication, made the way aegui makes it, with QSettings kept in a temporary folder."""
    from PySide6.QtCore import QSettings

    from aegui.gui.app import make_app
    qapp = make_app([])
    folder = tempfile.mkdtemp(prefix="aegui-bench-settings-")
    for f in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(f, QSettings.Scope.UserScope, folder)  # never touch the user's settings
    return qapp


def wait_painted(plot) -> None:
    """Run the event loop until the plot's panels next paint, and that paint has ended. A selection's paint comes
    a turn after it is set (ComparisonPlot._paint_later), so a grab() straight after it would paint nothing."""
    from PySide6 import QtCore
    loop = QtCore.QEventLoop()

    class Watch(QtCore.QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt API)
            if event.type() == QtCore.QEvent.Type.Paint:
                QtCore.QTimer.singleShot(0, loop.quit)  # runs once this paint pass (every dirty panel) is over
            return False
    watch = Watch()
    views = [plot.plot_widget.viewport()] + [w.viewport() for w in plot.extra_panels.values()]
    for view in views:
        view.installEventFilter(watch)
    QtCore.QTimer.singleShot(10_000, loop.quit)
    loop.exec()
    for view in views:
        view.removeEventFilter(watch)


def open_window(data_dir: str | Path | None = None):
    """A shown MainWindow over a fresh (or the given) data folder."""
    from aegui.gui.window.main_window import MainWindow
    qa = app()
    window = MainWindow(data_dir=str(data_dir or tempfile.mkdtemp(prefix="aegui-bench-data-")))
    window.show()
    qa.processEvents()
    return window


def train_in_window(window, config: RunConfig, stop_after: int | None = None, on_progress=None,
                    timeout_s: float = 3600.0) -> str:
    """Run config through the window's Run action; stop it after stop_after batches; return the outcome."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop, outcome = QEventLoop(), []

    def progress(n: int) -> None:
        if on_progress is not None:
            on_progress(n)
        if stop_after is not None and n >= stop_after:
            window.stop_run()

    def ended(how: str) -> None:
        outcome.append(how)
        loop.quit()
    window.sigProgress.connect(progress)
    window.sigRunEnded.connect(ended)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)  # a hung run must not hang the benchmark
    window.panels.set_config(config)
    if window.start_run():
        loop.exec()
    window.sigProgress.disconnect(progress)
    window.sigRunEnded.disconnect(ended)
    return outcome[0] if outcome else "timeout"
