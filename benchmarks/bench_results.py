"""The results pane at 10,000 stored runs (issue 18 §12): how long each action blocks the GUI thread.

A store of 10,000 runs is built in a temporary folder (48 runs through the store API, then copied in SQL
with new names and losses: seconds, not minutes). The pane is opened beside a comparison plot wired as the
window wires them, and each action is timed from the call to the end of the paint it causes: open, a
refresh at a run's start and at its end, one filter keystroke, a sort, selecting 300 runs, selecting all.
Selecting includes reading the compared curves (what the window reads); drawing them is the comparison
plot's own figure (the views' work), printed apart. Each action runs 5 times; the figure is the median, the
longest is printed too. The filter index is built in slices while idle: its longest slice is a figure.
The reference is the same action on a 100-run store, in the same run. Target: ≤ 100 ms each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _rows import Row, at_most, fmt, print_rows

LIMIT_MS = 100.0
BASE_RUNS = 48


def fill_store(folder: str, runs: int) -> None:
    """A store of `runs` finished runs of several losses, data and floors, with short curves."""
    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.floors.floors import Floor
    from aegui.core.store.store import RunStore
    store, rng = RunStore.open(folder), np.random.default_rng(0)
    kinds = [("mse", "uniform", "identity"), ("bce", "uniform", "sigmoid"), ("bce", "bernoulli", "sigmoid"),
             ("bce_logits", "bernoulli", "identity")]
    for i in range(min(runs, BASE_RUNS)):
        loss, data, output = kinds[i % len(kinds)]
        cfg = with_changes(RunConfig(), **{"loss.kind": loss, "data.kind": data, "model.output": output,
                                           "optimizer.lr": 1e-3 * (1 + i % 7), "name": f"run {i}"})
        floor = 0.5004 if loss != "mse" else 0.0
        run_id = store.create_run(cfg, device="cpu", floors=[Floor("data", floor, "lower bound", "bench"),
                                                             Floor("model", floor + 0.005, "exact", "bench")])
        losses = (floor + 0.3 * np.exp(-np.arange(500) / 80) + rng.random(500) * 0.01).astype(np.float32)
        store.write_progress(run_id, 0, losses, [(0, float(losses.mean()), float(losses[-50:].mean()), 500, 0.1)], 0.1)
        end = type("End", (), {"seconds": 0.1, "batches": 500, "epochs": 1, "batches_per_s": 5000.0,
                               "copy_final": None, "final_loss": float(losses[-1]),
                               "eval_loss": float(losses[-1]) - 1e-4})
        store.finish_run(run_id, "finished", "max_epochs", end)
    cols = [r[1] for r in store.db.execute("PRAGMA table_info(runs)") if r[1] != "run_id"]
    plain = ", ".join(c for c in cols if c not in ("name", "final_loss", "eval_loss"))
    with store.db:  # copies: each a new run id, name and losses; its curve copied with it
        for i in range(BASE_RUNS, runs):
            src = 1 + i % BASE_RUNS
            cur = store.db.execute(
                f"INSERT INTO runs(name, final_loss, eval_loss, {plain}) "
                f"SELECT ?, final_loss * ?, eval_loss * ?, {plain} FROM runs WHERE run_id=?",
                (f"run {i}", 1 + i / runs, 1 + i / runs, src))
            store.db.execute("INSERT INTO loss_chunks SELECT ?, start_step, n, data, floors, codec FROM loss_chunks "
                             "WHERE run_id=?", (cur.lastrowid, src))
            store.db.execute("INSERT INTO epochs SELECT ?, epoch, epoch_mean, recent_mean, step, seconds FROM epochs "
                             "WHERE run_id=?", (cur.lastrowid, src))
    store.close()


def timed(qa, action) -> float:
    """Milliseconds the GUI thread is blocked by action() and the events (paint) it leaves behind."""
    qa.processEvents()
    t0 = time.perf_counter()
    action()
    qa.processEvents()
    return (time.perf_counter() - t0) * 1000.0


def measure(runs: int, rounds: int = 5) -> dict[str, list[float]]:
    """Each action's blocked milliseconds, `rounds` times, on a store of `runs` runs; and the comparison's draw."""
    from _window import app, wait_painted
    from PySide6 import QtCore

    from aegui.core.config.config import RunConfig
    from aegui.core.store.store import RunStore
    from aegui.gui.plots.comparison_plot import ComparisonPlot
    from aegui.gui.results import ResultsPane
    from aegui.gui.results_model import TITLES
    qa = app()
    folder = tempfile.mkdtemp(prefix="aegui-bench-results-")
    fill_store(folder, runs)
    out: dict[str, list[float]] = {}

    def add(action: str, ms: float) -> None:
        out.setdefault(action, []).append(ms)
    stores: list = []
    panes: list = []
    for _ in range(rounds):
        add("open the store (its integrity check)", timed(qa, lambda: stores.append(RunStore.open(folder))))

        def open_pane():  # as the window does: over the store it opened
            panes.append(ResultsPane(stores[-1]))
            panes[-1].resize(700, 500)
            panes[-1].show()
        add("open the pane", timed(qa, open_pane))
        p = panes[-1]
        while not p.model.index_done:  # the filter index builds in slices while the window is idle
            add("one slice of the filter index (idle time)", timed(qa, lambda: None))
        if len(panes) < rounds:
            p.close_store()
            p.close()
    compared: list = []
    p.sigSelectionChanged.connect(lambda ids: compared.append(p.rows_and_losses(ids)))
    writer = RunStore.open(folder)  # a second connection, as the training process has
    for _ in range(rounds):
        run_id = writer.create_run(RunConfig(), device="cpu", floors=[])
        add("refresh at a run's start", timed(qa, p.refresh))
        writer.finish_run(run_id, "cancelled", "cancelled")
        add("refresh at a run's end", timed(qa, p.refresh))
    writer.close()
    for _ in range(rounds):
        for text in ("m", "ms", "mse", "ms", "m", ""):
            add("filter keystroke", timed(qa, lambda t=text: p.filter_edit.setText(t)))
    for i in range(rounds):
        column = TITLES.index(("eval loss", "gap to floor", "name", "data", "model floor")[i % 5])
        add("sort", timed(qa, lambda c=column, d=i: p.view.sortByColumn(c, QtCore.Qt.SortOrder(d % 2))))
    step = max(1, p.model.rowCount() // 300)
    for i in range(rounds):
        some = p.model.ids[i % step::step][:300]
        add("select 300 runs", timed(qa, lambda s=some: p.select_runs(s)))
        p.view.clearSelection()
        add("select all", timed(qa, p.view.selectAll))
    assert len(p.selected_run_ids()) == p.model.rowCount() == runs + rounds
    plot = ComparisonPlot()
    plot.resize(700, 500)
    plot.show()
    plot.prepare()  # as the window's: its items made while idle (results_curves.StoredComparison)
    settle = time.perf_counter()
    while time.perf_counter() - settle < 1.5:
        qa.processEvents()
    forties = [c for c in compared if len(c) == 40]  # select all's 40 and select 300's first 40, alternating
    for i in range(rounds):
        sent = forties[-1 - i % 2]
        add("comparison plot draws what select all sends (views' part)",
            timed(qa, lambda s=sent: (plot.set_runs(s), wait_painted(plot))))
    p.close_store()
    p.close()
    plot.close()
    return out


def rows(runs: int = 10_000, reference_runs: int = 100, rounds: int = 5) -> list[Row]:
    """One row per action: median milliseconds at `runs` runs, against the same action at `reference_runs`."""
    ref, big = measure(reference_runs, rounds), measure(runs, rounds)
    out = []
    for action, times in big.items():
        ms, worst = statistics.median(times), max(times)
        print(f"  {action}: median {ms:.1f} ms, longest {worst:.1f} ms of {len(times)}"
              + (f"; at {reference_runs} runs {statistics.median(ref[action]):.1f} ms" if action in ref else ""))
        row = at_most(f"results pane, {runs:,} runs: {action}", ms, LIMIT_MS, "ms")
        if action in ref:  # (at 100 runs the filter index is one slice, taken while the pane opens)
            ref_ms = statistics.median(ref[action])
            row = Row(row.figure, ms, ref_ms, "ms", f"≤ {fmt(LIMIT_MS)} ms; reference: {reference_runs} runs",
                      ms / ref_ms if ref_ms else float("nan"), row.passed)
        out.append(row)
    return out


def main() -> int:
    """Print one line per action; exit 1 when one blocks longer than the target."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--reference-runs", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    result = rows(args.runs, args.reference_runs, args.rounds)
    print_rows(result)
    return 0 if all(r.passed for r in result) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
