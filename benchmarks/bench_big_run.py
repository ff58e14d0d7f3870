"""A 1,000,000-batch × 64-seed run (issue 18 §11), and 40 runs drawn at once in the comparison (§12).

The run is built directly in a temporary store as compaction leaves it (packed chunks of 1,024 batches ×
64 seeds, tests/gui/big_run.py): seconds, not the hours training it would take.

- select it: the comparison plot wired to the store as the window wires it (results_curves.StoredComparison).
  A 5 ms QTimer ticks on the GUI thread from the selection to the curve shown; the longest gap between ticks
  is the GUI thread's longest stall. Reference, in the same run: reading the whole curve on the GUI thread
  (store.losses, what selecting did before; drawing it came on top). Target: ≤ 100 ms stall.
- export it: `aegui export ID --out big.png` (and .svg) in a child process; its peak RSS (ru_maxrss) against
  exporting a 1,000-batch single run from the same store, the figure's own cost. Target: ≤ 1.5× that.
- save its comparison from the window: the Save comparison dialog as the window makes it, a 1600 px PNG; the
  longest stall of a 5 ms QTimer from Save to the file written. Reference: the same save with the curve read
  on the GUI thread (what saving did before). Target: ≤ 100 ms stall.
- draw 40 runs: a selection of 40 stored runs of two units (MSE and nats, two panels), from set to painted,
  alternating two selections; the first selection apart. The GUI thread's longest stall (5 ms QTimer ticks, as
  above), and the time to the paint. Reference: one run. Target: stall ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]

from _rows import Row, at_most, fmt, print_rows  # noqa: E402

LIMIT_MS = 100.0
CHILD = """
import runpy, sys
sys.argv = ["aegui"] + sys.argv[1:]
try:
    runpy.run_module("aegui", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
# VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's (this benchmark held the whole curve)
print("MAXRSS_KB", next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def build(folder: str, batches: int, copies: int) -> tuple[int, int]:
    """The big run and a 1,000-batch single run (the export's reference), in a store in folder."""
    from aegui.core.store.store import RunStore
    from tests.gui.big_run import add_big_run
    store = RunStore.open(folder)
    t0 = time.perf_counter()
    big = add_big_run(store, batches=batches, copies=copies, name="big run")
    small = add_big_run(store, batches=1_000, copies=1, name="small run", seed=1)
    print(f"  built {batches:,} batches × {copies} seeds in {time.perf_counter() - t0:.1f} s", flush=True)
    store.close()
    return big, small


def select_rounds(folder: str, run_id: int, rounds: int) -> dict[str, list[float]]:
    """Per round: the GUI thread's longest stall (ms) and the time to the curve shown (s), selecting the big run;
    and the reference: the whole curve read on the GUI thread (ms)."""
    from _window import app, wait_painted

    from aegui.core.store.store import RunStore
    from aegui.gui.plots.comparison_plot import ComparisonPlot
    from aegui.gui.results_curves import StoredComparison
    qa = app()
    store = RunStore.open(folder)
    plot = ComparisonPlot()
    plot.resize(900, 500)
    plot.show()
    stored = StoredComparison(plot, store)
    settle = time.perf_counter()
    while time.perf_counter() - settle < 1.5:  # the plot's idle preparation
        qa.processEvents()
    out: dict[str, list[float]] = {"stall": [], "shown": [], "reference": [], "idle": []}
    for _ in range(rounds):
        out["idle"].append(idle_stall(qa, 1.0))  # the machine's own: the same ticks with nothing to do
        t0 = time.perf_counter()
        losses = store.losses(run_id)  # the reference: what selecting read before, on the GUI thread
        out["reference"].append((time.perf_counter() - t0) * 1000)
        del losses
        stored.show([])  # an empty selection between rounds
        qa.processEvents()
        # A run small enough to read at once is shown before show() returns; then the paint of the curve shown.
        stall, seconds = stalled_until(stored.sigShown, lambda: stored.show([run_id]),
                                       after=lambda: wait_painted(plot))
        stored.sigShown.disconnect()
        out["stall"].append(stall)
        out["shown"].append(seconds)
        assert not getattr(plot.runs[0][1], "pending", False) and stored.error is None
    stored.shutdown()
    store.close()
    plot.close()  # a window left open kept the next benchmark's plot from being painted (offscreen)
    return out


def save_rounds(folder: str, run_id: int, rounds: int) -> dict[str, list[float]]:
    """Per round: the GUI thread's longest stall (ms) and the time to the file written (s), saving the big run's
    comparison as a 1600 px PNG from the Save comparison dialog as the window makes it (its curve read in the
    background); and once, the reference: the same save with the curve read on the GUI thread (as before)."""
    from _window import app

    from aegui.core.store.store import RunStore
    from aegui.gui.figures.export import chunked_curve
    from aegui.gui.figures.save_dialog import SaveComparisonDialog
    from aegui.gui.results_curves import figure_envelopes
    qa = app()
    store = RunStore.open(folder)
    view = {"log": True, "excess": False, "x_axis": "batch", "smoothing": 1}
    out: dict[str, list[float]] = {"stall": [], "saved": [], "reference": []}
    for i in range(rounds + 1):
        reader = None if i == rounds else figure_envelopes  # the last round: the reference
        dialog = SaveComparisonDialog([chunked_curve(store, run_id)], view, reader=reader)
        dialog.path_edit.setText(str(Path(folder) / f"save{i}.png"))
        stall, seconds = stalled_until(dialog.sigSaved, dialog.save)
        if reader is None:
            out["reference"].append(stall)
        else:
            out["stall"].append(stall)
            out["saved"].append(seconds)
        dialog.deleteLater()
        qa.processEvents()
    store.close()
    return out


def stalled_until(signal, start, after=None) -> tuple[float, float]:
    """Call start(), run the event loop until signal is emitted (then after(), if given), and return the GUI
    thread's longest stall (ms: the longest gap between 5 ms QTimer ticks) and the seconds it all took."""
    from PySide6 import QtCore
    ticks: list[float] = []
    done: list = []
    loop = QtCore.QEventLoop()
    timer = QtCore.QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    signal.connect(lambda *_: (done.append(1), loop.quit()))
    timer.start()
    t0 = time.perf_counter()
    start()
    QtCore.QTimer.singleShot(600_000, loop.quit)
    if not done:
        loop.exec()
    if after is not None:
        after()
    t1 = time.perf_counter()
    timer.stop()
    assert done, "it did not finish within 600 s"
    marks = [t0] + [t for t in ticks if t0 <= t <= t1] + [t1]
    return max(b - a for a, b in zip(marks, marks[1:])) * 1000, t1 - t0


def idle_stall(qa, seconds: float) -> float:
    """The longest gap (ms) between 5 ms timer ticks on an idle GUI thread: what the machine's load alone costs."""
    from PySide6 import QtCore
    ticks: list[float] = []
    timer = QtCore.QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    timer.start()
    loop.exec()
    timer.stop()
    return max((b - a for a, b in zip(ticks, ticks[1:])), default=0.0) * 1000


def export_rss(folder: str, run_id: int, suffix: str) -> tuple[float, int]:
    """Peak RSS (MB) of `aegui export run_id --out F.suffix` in a child process, and the file's size."""
    out = Path(tempfile.mkdtemp(prefix="aegui-bench-export-")) / f"figure{suffix}"
    done = subprocess.run([sys.executable, "-c", CHILD, "export", str(run_id), "--out", str(out), "--data-dir", folder],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)})
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    kb = next(int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("MAXRSS_KB"))
    return kb / 1024.0, out.stat().st_size


def draw_rounds(rounds: int) -> dict[str, list[float]]:
    """The GUI thread's longest stall (ms) from setting a selection of 40 stored runs of two units to its paint
    (and of one run, the reference), and the time (ms) to that paint."""
    from _window import app, wait_painted
    from bench_results import fill_store

    from aegui.core.store.store import RunStore
    from aegui.gui.app import freeze_heap
    from aegui.gui.plots.comparison_plot import ComparisonPlot
    from aegui.gui.results_curves import StoredComparison
    qa = app()
    folder = tempfile.mkdtemp(prefix="aegui-bench-forty-")
    fill_store(folder, 48)
    store = RunStore.open(folder)
    ids = [r.run_id for r in store.list_runs()]
    plot = ComparisonPlot()
    plot.resize(900, 500)
    plot.show()
    stored = StoredComparison(plot, store)
    settle = time.perf_counter()
    while time.perf_counter() - settle < 1.5:  # the plot's idle preparation, as in the window
        qa.processEvents()
    freeze_heap()  # as the window does once it is up
    out: dict[str, list[float]] = {"first": [], "forty": [], "one": [], "forty painted": [], "one painted": []}

    def timed(key: str, selection) -> None:
        qa.processEvents()
        stall, seconds = stalled_until(stored.sigShown, lambda: stored.show(selection),
                                       after=lambda: wait_painted(plot))
        stored.sigShown.disconnect()
        out[key].append(stall)
        if key != "first":
            out[f"{key} painted"].append(seconds * 1000)
    timed("first", ids[:40])
    assert len(plot.curves) == 40 and all(c.isVisible() for c in plot.curves) and len(plot.extra_panels) == 1
    for i in range(rounds):
        timed("one", ids[40 + i % 8:41 + i % 8])
        timed("forty", ids[i % 2 * 8:i % 2 * 8 + 40])
    stored.shutdown()
    store.close()
    plot.close()
    return out


def rows(batches: int = 1_000_000, copies: int = 64, rounds: int = 3) -> list[Row]:
    """The rows: selecting the big run, exporting it, drawing 40 runs."""
    folder = tempfile.mkdtemp(prefix="aegui-bench-big-")
    try:
        return _rows_in(folder, batches, copies, rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # 180 MB of store


def _rows_in(folder: str, batches: int, copies: int, rounds: int) -> list[Row]:
    big, small = build(folder, batches, copies)
    label = f"{batches:,} batches × {copies} seeds"
    sel = select_rounds(folder, big, rounds)
    ref_ms = statistics.median(sel["reference"])
    stall, shown = statistics.median(sel["stall"]), statistics.median(sel["shown"])
    print(f"  select: stalls {', '.join(f'{v:.0f}' for v in sel['stall'])} ms; shown after "
          f"{', '.join(f'{v:.1f}' for v in sel['shown'])} s; whole curve read in "
          f"{', '.join(f'{v:.0f}' for v in sel['reference'])} ms; idle GUI thread's longest gap "
          f"{', '.join(f'{v:.0f}' for v in sel['idle'])} ms (the machine's load)", flush=True)
    out = [Row(f"select a {label} run: GUI thread's longest stall", stall, ref_ms, "ms",
               f"≤ {fmt(LIMIT_MS)} ms; reference: its whole curve read on the GUI thread",
               stall / ref_ms, stall <= LIMIT_MS),
           Row(f"select a {label} run: time to the curve shown (read in the background)", shown * 1000, ref_ms,
               "ms", "reference: its whole curve read on the GUI thread (then drawn, before)", shown * 1000 / ref_ms,
               True)]
    save = save_rounds(folder, big, rounds)
    save_stall, save_ref = statistics.median(save["stall"]), save["reference"][0]
    print(f"  save comparison (PNG) from the window's dialog: stalls {', '.join(f'{v:.0f}' for v in save['stall'])} ms;"
          f" saved after {', '.join(f'{v:.1f}' for v in save['saved'])} s; read on the GUI thread instead: "
          f"{save_ref:.0f} ms", flush=True)
    out.append(Row(f"save a {label} run's comparison from the window: GUI thread's longest stall", save_stall,
                   save_ref, "ms", f"≤ {fmt(LIMIT_MS)} ms; reference: the same save reading it on the GUI thread",
                   save_stall / save_ref, save_stall <= LIMIT_MS))
    for suffix in (".png", ".svg"):
        rss, size = [], []
        ref_rss, ref_size = [], []
        for _ in range(max(1, rounds // 2)):  # alternating: the machine's load moves both alike
            r, s = export_rss(folder, big, suffix)
            rss.append(r)
            size.append(s)
            r, s = export_rss(folder, small, suffix)
            ref_rss.append(r)
            ref_size.append(s)
        m, ref = statistics.median(rss), statistics.median(ref_rss)
        print(f"  export {suffix}: peak RSS {m:.0f} MB (a 1,000-batch run's {ref:.0f} MB); file "
              f"{statistics.median(size) / 1024:.0f} KB (a 1,000-batch run's {statistics.median(ref_size) / 1024:.0f} KB)",
              flush=True)
        out.append(Row(f"export a {label} run as {suffix[1:].upper()}: peak RSS", m, ref, "MB",
                       "≤ 1.5× reference; reference: exporting a 1,000-batch run", m / ref, m <= 1.5 * ref))
        if suffix == ".svg":
            kb, ref_kb = statistics.median(size) / 1024, statistics.median(ref_size) / 1024
            out.append(Row(f"export a {label} run as SVG: file size", kb, ref_kb, "KB",
                           "≤ 5× reference (a band draws 3 series); reference: a 1,000-batch run's", kb / ref_kb,
                           kb <= 5 * ref_kb))
    draw = draw_rounds(max(rounds, 5))
    one = statistics.median(draw["one"])
    print(f"  draw 40 runs: longest stall, first {draw['first'][0]:.0f} ms; then "
          f"{', '.join(f'{v:.0f}' for v in draw['forty'])} ms; one run {', '.join(f'{v:.0f}' for v in draw['one'])} ms;"
          f" painted after {', '.join(f'{v:.0f}' for v in draw['forty painted'])} ms (one run: "
          f"{', '.join(f'{v:.0f}' for v in draw['one painted'])} ms)", flush=True)
    for name, ms in (("the first selection", draw["first"][0]),
                     ("another selection", statistics.median(draw["forty"]))):
        row = at_most(f"comparison: draw 40 stored runs (two panels), {name}: GUI thread's longest stall", ms,
                      LIMIT_MS, "ms")
        out.append(Row(row.figure, ms, one, "ms", f"≤ {fmt(LIMIT_MS)} ms; reference: one run's", ms / one, row.passed))
    painted, one_painted = statistics.median(draw["forty painted"]), statistics.median(draw["one painted"])
    out.append(Row("comparison: draw 40 stored runs (two panels): time to the selection painted", painted,
                   one_painted, "ms", "reference: one run's", painted / one_painted, True))
    return out


def main() -> int:
    """Print one line per figure; exit 1 when one misses its target."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batches", type=int, default=1_000_000)
    ap.add_argument("--copies", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    result = rows(args.batches, args.copies, args.rounds)
    print_rows(result)
    return 0 if all(r.passed for r in result) else 1


if __name__ == "__main__":
    sys.exit(main())
