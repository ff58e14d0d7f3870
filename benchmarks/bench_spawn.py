"""Run → first point under spawn (macOS's and Windows's start method) against the forkserver (Linux's),
alternating in the same window and the same minutes (issue 20 part 1).

- spawn, warm standby: the window's standby has imported torch and warmed the engine before Run;
  target ≤ 0.5 s, the forkserver's figure beside it as the reference;
- spawn, cold: no standby (each Run spawns a process that imports torch first): what macOS and Windows
  paid before, shown for the ratio.
Each is the time from Run to the first point drawn on the live plot, the first run of each kind excluded.
"""

from __future__ import annotations

import os
import statistics
import time

from _rows import Row, rounds_main
from _window import open_window, seed_config

TARGET_S = 0.5


def first_point(window, config) -> float:
    """Seconds from Run to the first point drawn on the live plot, then Stop and wait for the end."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop, mark = QEventLoop(), {}

    def drawn(*_a):
        x = window.live.raw_curve.xData
        if "t" not in mark and x is not None and len(x):
            mark["seen"] = True
            QTimer.singleShot(0, painted)  # after the paint this setData scheduled

    def painted():
        mark.setdefault("t", time.perf_counter())
        window.stop_run()
    window.live.raw_curve.sigPlotChanged.connect(drawn)
    window.sigRunEnded.connect(loop.quit)
    QTimer.singleShot(120_000, loop.quit)
    window.panels.set_config(config)
    t0 = time.perf_counter()
    if window.start_run():
        loop.exec()
    window.live.raw_curve.sigPlotChanged.disconnect(drawn)
    window.sigRunEnded.disconnect(loop.quit)
    return mark.get("t", float("nan")) - t0


def wait_for(condition, seconds: float) -> None:
    """Spin Qt's events until condition() holds (the standby warms in its own process)."""
    from PySide6.QtWidgets import QApplication
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.05)


def measure(rounds: int) -> dict[str, list[float]]:
    """Alternate forkserver, warm-standby spawn and cold spawn; each Run's seconds to its first point."""
    from aegui.core.run import child
    from aegui.core.run.standby import STANDBY
    window = open_window()
    config = seed_config(235 * 50)
    times: dict[str, list[float]] = {"forkserver": [], "spawn-standby": [], "spawn-cold": []}
    for i in range(rounds + 1):  # round 0 pays each path's one-off costs and is not counted
        for kind in times:
            os.environ["AEGUI_START_METHOD"] = "forkserver" if kind == "forkserver" else "spawn"
            if kind == "forkserver":
                child.start_forkserver()
                child.probe()  # the server warm, as after the window's warm-up
            elif kind == "spawn-standby":
                STANDBY.start()
                wait_for(lambda: STANDBY.ready() is not None and STANDBY.ready().is_warm(), 120)
            else:
                STANDBY.close()
            seconds = first_point(window, config)
            if kind == "spawn-standby":
                STANDBY.close()  # the replacement it started is not the next kind's business
            if i:
                times[kind].append(seconds)
    window.close()
    return times


def rows(rounds: int = 5) -> list[Row]:
    """The spawn rows for run_all."""
    t = {k: statistics.median(v) for k, v in measure(rounds).items()}
    warm, fork, cold = t["spawn-standby"], t["forkserver"], t["spawn-cold"]
    return [Row("Run → first point, spawn with a warm standby (vs forkserver)", warm, fork, "s",
                f"≤ {TARGET_S} s", warm / fork, warm <= TARGET_S),
            Row("Run → first point, spawn without a standby (before; vs the standby)", cold, warm, "s",
                "none (shown)", cold / warm, True)]


def main() -> int:
    """Print each figure with its reference and ratio; exit 1 when a target fails."""
    return rounds_main(__doc__, rows)


if __name__ == "__main__":
    raise SystemExit(main())
