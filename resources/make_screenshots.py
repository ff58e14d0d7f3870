"""README screenshots from the real app in a real window (an X display; no window manager needed).

    Xvfb :99 -screen 0 1600x1000x24 &  DISPLAY=:99 python resources/make_screenshots.py
    Xvfb :98 -screen 0 1280x800x24 &   DISPLAY=:98 python resources/make_screenshots.py

The window fills the screen. It drives the window the way a user does (preset, Run, the toolbar's
toggles with Rerun on toggle, select runs, Grid) through the window's own slots, and grabs the screen
from the X server, not from an offscreen render. At 1600 × 1000 it writes screenshot.png, the toggle
session toggle-1-mse.png, toggle-2-bce.png, toggle-3-bernoulli.png (the live plot with the earlier runs'
ghosts) and grid.png; on a smaller screen, screenshot-WIDTH.png. screenshot.png shows the Compare tab,
the smaller one the live plot.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SESSION = (("toggle-1-mse.png", None), ("toggle-2-bce.png", ("loss.kind", "bce")),
           ("toggle-3-bernoulli.png", ("data.kind", "bernoulli")))


def wait_for(app, predicate, timeout_s: float = 300.0) -> None:
    """Spin the event loop until predicate() holds (a run ending, a grid finishing)."""
    import time
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.01)  # a driver script, not a test: yield the CPU between event-loop turns


def grab(app, path: Path, widget=None) -> None:
    """Save what the X server shows: the whole screen, or the part under widget."""
    for _ in range(20):
        app.processEvents()
    if widget is None:
        app.primaryScreen().grabWindow(0).save(str(path))
    else:
        top_left = widget.mapToGlobal(widget.rect().topLeft())
        app.primaryScreen().grabWindow(0, top_left.x(), top_left.y(), widget.width(), widget.height()).save(str(path))
    print(f"saved {path}")


def toggle_session(app, window, keep: bool) -> None:
    """Linear MSE on uniform data, then the toolbar's BCE, then Bernoulli, each rerun on toggle."""
    window.acts.rerun.setChecked(True)
    window.panels.apply_preset("linear-mse-uniform")
    for name, toggle in SESSION:
        if toggle is None:
            window.start_run()
        else:
            window.apply_toggle(*toggle)
        wait_for(app, lambda: not window.is_running())
        if keep:
            grab(app, HERE / name, window.ui.tabs.currentWidget())


def main() -> int:
    """Make the screenshots this screen's size calls for (see the module's docstring)."""
    from PySide6.QtCore import QSettings
    from aegui.gui.app import make_app, open_window
    app = make_app(sys.argv[:1])
    settings = tempfile.mkdtemp(prefix="aegui-shot-settings-")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, settings)  # a fresh window, not the user's
    window = open_window(data_dir=tempfile.mkdtemp(prefix="aegui-shot-data-"))
    area = app.primaryScreen().availableGeometry()
    window.setGeometry(area)
    from aegui.gui.window.layout import size_parts
    size_parts(window, area.width(), area.height())
    wait_for(app, lambda: window.isVisible())
    wide = area.width() >= 1600
    toggle_session(app, window, keep=wide)
    window.results.select_runs([r.run_id for r in window.results.store.list_runs()])
    if wide:  # the comparison of the session's runs; the smaller one shows the live plot
        window.ui.tabs.setCurrentWidget(window.comparison)
    grab(app, HERE / ("screenshot.png" if wide else f"screenshot-{area.width()}.png"))
    if wide:
        from aegui.gui.grid.dialog import GridDialog
        cells = GridDialog(window.panels.config(), 8, window).accepted_cells()
        window.acts.seeds.setValue(8)
        window.queue.start_grid(cells)
        wait_for(app, lambda: window.queue.grid_run is None)
        grab(app, HERE / "grid.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
