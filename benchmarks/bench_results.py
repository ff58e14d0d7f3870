"""The results pane at 10,000 stored runs (issue 18 §12): how long each action blocks the GUI thread.

A store of 10,000 runs is built in a temporary folder (48 runs through the store API, then copied in SQL
with new names and losses: seconds, not minutes). The pane is opened beside a comparison plot wired as the
window wires them, and each action is timed from the call to the end of the paint it causes: open, a
refresh at a run's start and at its end, one filter keystroke, a sort, selecting 300 runs, selecting all.
Selecting includes reading the compared curves (what the window reads); drawing them is the comparison
plot's own figure, printed apart. The reference is the same action on a 100-run store, in the same run.
Target: ≤ 100 ms each.
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
    from aegui.core.config import RunConfig, with_changes
    from aegui.core.floors import Floor
    from aegui.core.store import RunStore
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
        end = type("End", (), dict(seconds=0.1, batches=500, epochs=1, batches_per_s=5000.0, copy_final=None,
                                   final_loss=float(losses[-1]), eval_loss=float(losses[-1]) - 1e-4))
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


def measure(runs: int) -> dict[str, float]:
    """Each action's blocked milliseconds on a store of `runs` runs; and the comparison's own draw."""
    from _window import app
    from PySide6 import QtCore

    from aegui.core.store import RunStore
    from aegui.gui.plots.comparison_plot import ComparisonPlot
    from aegui.gui.results import TITLES, ResultsPane
    qa = app()
    folder = tempfile.mkdtemp(prefix="aegui-bench-results-")
    fill_store(folder, runs)
    out: dict[str, float] = {}
    compared: list = []
    pane: list = []

    stores: list = []
    out["open the store (its integrity check)"] = timed(qa, lambda: stores.append(RunStore.open(folder)))

    def open_pane():  # as the window does: over the store it opened
        pane.append(ResultsPane(stores[0]))
        pane[0].resize(700, 500)
        pane[0].show()
    out["open the pane"] = timed(qa, open_pane)
    p = pane[0]
    p.sigSelectionChanged.connect(lambda ids: compared.append(p.rows_and_losses(ids)))
    writer = RunStore.open(folder)  # a second connection, as the training process has
    from aegui.core.config import RunConfig
    run_id = writer.create_run(RunConfig(), device="cpu", floors=[])
    out["refresh at a run's start"] = timed(qa, p.refresh)
    writer.finish_run(run_id, "cancelled", "cancelled")
    out["refresh at a run's end"] = timed(qa, p.refresh)
    writer.close()
    keys = [timed(qa, lambda t=t: p.filter_edit.setText(t)) for t in ("m", "ms", "mse")]
    out["filter keystroke"] = max(keys)
    timed(qa, p.filter_edit.clear)
    out["sort"] = timed(qa, lambda: p.view.sortByColumn(TITLES.index("eval loss"), QtCore.Qt.SortOrder.DescendingOrder))
    step = max(1, p.model.rowCount() // 300)
    some = p.model.ids[::step][:300]
    out["select 300 runs"] = timed(qa, lambda: p.select_runs(some))
    p.view.clearSelection()
    out["select all"] = timed(qa, p.view.selectAll)
    assert len(p.selected_run_ids()) == p.model.rowCount() == runs + 1
    plot = ComparisonPlot()
    plot.resize(700, 500)
    plot.show()
    out["comparison plot draws what select all sends"] = timed(qa, lambda: plot.set_runs(compared[-1]))
    p.close_store()
    p.close()
    plot.close()
    return out


def rows(runs: int = 10_000, reference_runs: int = 100) -> list[Row]:
    """One row per action: milliseconds at `runs` runs, against the same action at `reference_runs`."""
    ref, big = measure(reference_runs), measure(runs)
    out = []
    for action, ms in big.items():
        row = at_most(f"results pane, {runs:,} runs: {action}", ms, LIMIT_MS, "ms")
        out.append(Row(row.figure, ms, ref[action], "ms", f"≤ {fmt(LIMIT_MS)} ms; reference: {reference_runs} runs",
                       ms / ref[action] if ref[action] else float("nan"), row.passed))
    return out


def main() -> int:
    """Print one line per action; exit 1 when one blocks longer than the target."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--reference-runs", type=int, default=100)
    args = ap.parse_args()
    result = rows(args.runs, args.reference_runs)
    print_rows(result)
    return 0 if all(r.passed for r in result) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
