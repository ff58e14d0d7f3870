"""Long runs (issue 5 §3): 1,000,000 batches of the seed's config headless and in the window, RSS and bytes.

Figures: RSS growth from after warm-up to the end (≤ 50 MB) headless and in the GUI (offscreen), the
store's pages in use per batch (≤ 4 bytes: float32 losses and little else), and the results pane listing
1,000 stored runs (≤ 0.5 s). Rates are timed from the first batch requested.
`--batches N` runs shorter; the default is the full million (minutes at a few thousand batches/s).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import threading
import time

from _rows import Row, at_most, print_rows, rss_mb
from _window import seed_config

RSS_LIMIT_MB = 50.0
BYTES_LIMIT = 4.0
LIST_LIMIT_S = 0.5
FULL = 1_000_000


def warm_point(batches: int) -> int:
    """Batches after which RSS is first read: past the first Adam step, buffers and the first epochs."""
    return max(1, min(20_000, batches // 10))


def headless(batches: int = FULL) -> list[Row]:
    """Train + RunRecorder into a fresh store for `batches` batches; RSS growth, and the store's pages in use
    per batch (curve, epoch rows, row and overflow-page overhead: what the run costs on disk)."""
    from aegui.core.store.recorder import RunRecorder
    from aegui.core.store.store import RunStore
    from aegui.core.engine.training import train
    from aegui.core.engine.records import LossBlock
    folder = tempfile.mkdtemp(prefix="aegui-long-")
    store = RunStore.open(folder)
    rec, cancel = RunRecorder(store), threading.Event()
    warm, rss0, n, t0, t_last, size0 = warm_point(batches), None, 0, None, None, None
    for r in train(seed_config(batches), cancel):
        rec.feed(r)
        now = time.perf_counter()
        if t0 is None:
            t0, size0 = now, _bytes_in_use(store.db)  # RunStart: the run's row exists; the first batch is next
        if isinstance(r, LossBlock):
            n, t_last = n + len(r), now
            if rss0 is None and n >= warm:
                gc.collect()
                rss0 = rss_mb()
            if n >= batches:
                cancel.set()  # the engine stops before its next batch; the run is stored as cancelled
    gc.collect()
    rss1 = rss_mb()
    row = store.get_run(rec.run_id)
    grown = _bytes_in_use(store.db) - size0
    store.close()
    tag = f"{row.batches:,} batches headless, {n / (t_last - t0):,.0f}/s"
    return [at_most(f"RSS growth, {tag}", rss1 - rss0, RSS_LIMIT_MB, "MB"),
            at_most(f"store pages in use per batch, {row.batches:,} batches", grown / row.batches, BYTES_LIMIT,
                    "bytes/batch")]


def _bytes_in_use(db) -> int:
    """Bytes of the store's pages in use. Free pages (the small chunks the end-of-run compaction replaced)
    are left out: the file keeps them, but the next run's writes reuse them."""
    pages, free, size = (db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
    return (pages - free) * size


def in_window(batches: int = FULL) -> list[Row]:
    """The same run through the real MainWindow offscreen (live plot on); RSS growth of the window's process
    and of the process that trains it."""
    from _window import open_window, train_in_window

    from aegui.core.engine.records import LossChunk
    from aegui.gui.app import warm_up
    warm_up()  # as the app does after its first paint: the training processes' server, warmed
    window = open_window()
    warm, seen = warm_point(batches), {}

    def child_rss() -> float:
        worker = window.runner._worker
        pid = getattr(worker, "child_pid", None)
        try:
            return rss_mb(pid) if pid else float("nan")
        except OSError:  # the child has just exited
            return float("nan")

    def progress(n: int) -> None:
        if "rss0" not in seen and n >= warm:
            gc.collect()
            seen["rss0"], seen["child0"] = rss_mb(), child_rss()
        if n >= 0.95 * batches and "child1" not in seen:
            seen["child1"] = child_rss()  # before the end: the child exits with the run
    def chunk(record):
        if isinstance(record, LossChunk) and len(record):
            seen["seconds"] = float(record.seconds[-1])  # the stream's clock: from the first batch requested
    window.runner.sigRecord.connect(chunk)
    outcome = train_in_window(window, seed_config(batches), stop_after=batches, on_progress=progress)
    window.runner.sigRecord.disconnect(chunk)
    shown = window.live.point_count()
    gc.collect()
    rss1 = rss_mb()
    window.close()
    tag = f"{shown:,} batches in the window ({outcome}), {shown / seen['seconds']:,.0f}/s"
    out = [at_most(f"RSS growth, {tag}", rss1 - seen.get("rss0", float("nan")), RSS_LIMIT_MB, "MB")]
    if seen.get("child0") == seen.get("child0"):  # not NaN: the run trained in a training process
        out.append(at_most(f"RSS growth of its training process, {shown:,} batches",
                           seen.get("child1", float("nan")) - seen["child0"], RSS_LIMIT_MB, "MB"))
    return out


def fill_store(folder: str, runs: int = 1000) -> None:
    """Store `runs` small finished runs straight through RunStore (no training: seconds, not minutes)."""
    import numpy as np

    from aegui.core.config.config import with_changes
    from aegui.core.floors.floors import Floor
    from aegui.core.store.store import RunStore
    store, rng = RunStore.open(folder), np.random.default_rng(0)
    for i in range(runs):
        cfg = with_changes(seed_config(235), **{"optimizer.lr": 1e-3 * (1 + i % 7), "name": f"run {i}"})
        run_id = store.create_run(cfg, device="cpu", floors=[Floor("model", 0.0, "exact", "bench")])
        losses = rng.random(235).astype(np.float32)
        store.write_progress(run_id, 0, losses, [(0, float(losses.mean()), float(losses[-50:].mean()), 235, 0.1)], 0.1)
        store.finish_run(run_id, "finished", "max_epochs")
    store.close()


def results_listing(runs: int = 1000, rounds: int = 5) -> list[Row]:
    """Time the results pane listing `runs` stored runs: build + first paint, and a refresh."""
    from _window import app

    from aegui.gui.results import ResultsPane
    qa = app()
    folder = tempfile.mkdtemp(prefix="aegui-list-")
    fill_store(folder, runs)
    build, refresh = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        pane = ResultsPane(folder)
        pane.resize(1000, 500)
        pane.show()
        qa.processEvents()  # the first paint of the table
        build.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        pane.refresh()
        qa.processEvents()
        refresh.append(time.perf_counter() - t0)
        assert pane.model.rowCount() == runs
        pane.close_store()
        pane.close()
    return [at_most(f"results pane: open + paint {runs:,} runs", statistics.median(build), LIST_LIMIT_S, "s"),
            at_most(f"results pane: refresh {runs:,} runs", statistics.median(refresh), LIST_LIMIT_S, "s")]


def rows(batches: int = FULL, gui: bool = True, headless_run: bool = True) -> list[Row]:
    """Every long-run figure, as rows for run_all."""
    out = headless(batches) if headless_run else []
    if gui:
        out += in_window(batches)
    return out + results_listing()


def main() -> int:
    """Parse flags, run, print one line per figure; exit 1 when a target fails."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batches", type=int, default=FULL, help="batches per long run (default 1,000,000)")
    ap.add_argument("--no-gui", action="store_true", help="skip the run in the window")
    ap.add_argument("--no-headless", action="store_true", help="skip the headless run")
    args = ap.parse_args()
    result = rows(args.batches, gui=not args.no_gui, headless_run=not args.no_headless)
    print_rows(result)
    return 0 if all(r.passed for r in result) else 1


if __name__ == "__main__":
    sys.exit(main())
