"""README screenshots from the real app in a real window (an X display with a window manager).

    Xvfb :99 -screen 0 1600x1000x24 &  DISPLAY=:99 openbox &
    DISPLAY=:99 python resources/make_screenshots.py

It drives the window the way a user does (preset, Run, select runs, excess on, Grid) through the
window's own slots, and grabs the screen from the X server, not from an offscreen render.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def wait_for(app, predicate, timeout_s: float = 300.0) -> None:
    """Spin the event loop until predicate() holds (a run ending, a grid finishing)."""
    import time
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.01)  # a driver script, not a test: yield the CPU between event-loop turns


def run_preset(app, window, key: str) -> None:
    """Choose a preset in the panels, press Run and wait for the end."""
    window.panels.apply_preset(key)
    window.start_run()
    wait_for(app, lambda: not window.is_running())


def grab(app, path: Path) -> None:
    """Save what the X server shows."""
    for _ in range(20):
        app.processEvents()
    app.primaryScreen().grabWindow(0).save(str(path))
    print(f"saved {path}")


def main() -> int:
    """Make resources/screenshot.png (comparison with excess) and resources/grid.png (the Grid tab)."""
    from PySide6.QtCore import QSettings
    from aegui.gui.app import make_app, open_window
    app = make_app(sys.argv[:1])
    settings = tempfile.mkdtemp(prefix="aegui-shot-settings-")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, settings)  # a fresh window, not the user's
    window = open_window(data_dir=tempfile.mkdtemp(prefix="aegui-shot-data-"))
    window.showMaximized()
    wait_for(app, lambda: window.isVisible())
    for key in ("linear-mse-uniform", "sigmoid-bce-bernoulli", "sigmoid-bce-uniform"):
        run_preset(app, window, key)
    window.results.select_runs([r.run_id for r in window.results.store.list_runs()])
    window.comparison.set_excess(True)
    grab(app, HERE / "screenshot.png")
    from aegui.gui.grid_dialog import GridDialog
    cells = GridDialog(window.panels.config(), 8, window).accepted_cells()
    window.seeds_spin.setValue(8)
    window.start_grid(cells)
    wait_for(app, lambda: window.grid_run is None)
    grab(app, HERE / "grid.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
