"""GUI tests run offscreen, each with its own data folder and settings, and fail on any Qt warning."""

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import picks a platform

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Every GUI test fails on a Qt warning, except the offscreen plugin's harmless size-hint notice."""
    for item in items:
        if "tests/gui" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore("propagateSizeHints", "This plugin does not support"))


@pytest.fixture(autouse=True)
def no_collection_mid_paint():
    """Python's cyclic collector off during each GUI test, run between tests instead. A collection that starts
    inside a paint (pyqtgraph's paintEvent allocates) can delete a Qt object the paint is still using: the full
    suite segfaulted in GraphicsView.paintEvent about once in several runs, never the same test twice."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """A fresh AEGUI_DATA_DIR, so no test sees another's runs."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("AEGUI_DATA_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def settings_dir(tmp_path, qapp):
    """QSettings written under tmp_path, never the user's real settings."""
    from PySide6.QtCore import QSettings
    folder = tmp_path / "settings"
    folder.mkdir()
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture
def make_live_plot(qtbot):
    """make_live_plot(info): a shown 800×500 LivePlot started on a run described by info."""
    def make(info: dict):
        from aegui.gui.plots.loss_plot import LivePlot
        plot = LivePlot()
        qtbot.addWidget(plot)
        plot.resize(800, 500)
        plot.show()
        plot.start_run(info)
        return plot
    return make


@pytest.fixture
def window(qtbot, data_dir):
    """A shown MainWindow over this test's data folder; closing it stops and joins any worker."""
    from aegui.gui.window.main_window import MainWindow
    w = MainWindow(data_dir=str(data_dir))
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()
    assert not w.is_running()


@pytest.fixture
def stuck_training(monkeypatch):
    """training.train replaced by one whose 11th record never comes: a step that never returns and never
    looks at the stop flag. Only a training process can be ended from it (it is handed the stand-in)."""
    import aegui.core.engine.training as training
    from tests.training_faults import stuck_after_ten
    monkeypatch.setattr(training, "train", stuck_after_ten)
