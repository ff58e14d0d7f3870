"""The run store's end-of-run rewrites: a run's loss chunks joined and packed, its summary columns refreshed.

Compaction is an optimisation, never part of a run's end: the run's status and summary are committed first
(store.finish_run), then the chunks are joined a group at a time, each group in its own transaction. Every
committed state holds the whole curve, so a kill -9, a full disk or Ctrl-C mid-compaction leaves a readable
run (SQLite rolls the interrupted group back at the next open); a later compaction picks up where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .blobs import SHUFFLED_ZLIB, floats, pack
from ..engine.run_end import final_loss
from .store_read import RunReader


def _groups(chunks: list[tuple], size: int) -> list[list[tuple]]:
    """Consecutive (start_step, n, codec) chunks gathered into groups of up to `size` batches; a group that is
    already one packed chunk is left out (nothing to do)."""
    groups: list[list[tuple]] = []
    current: list[tuple] = []
    total = 0
    for chunk in chunks:
        if current and total + chunk[1] > size:
            groups.append(current)
            current, total = [], 0
        current.append(chunk)
        total += chunk[1]
    if current:
        groups.append(current)
    return [g for g in groups if not (len(g) == 1 and g[0][2] == SHUFFLED_ZLIB)]


def compact(store: RunReader, run_id: int, size: int = 65536,
            progress: Callable[[int, int], None] | None = None, stop: Callable[[], bool] | None = None) -> bool:
    """Rewrite a run's losses (and batch floors) as packed chunks of about `size` values; True when done.

    One transaction per group (see the module docstring). progress(done, total) is called after each group,
    in batches; stop() is asked before each group and ends the compaction early (False is returned).
    """
    # Slow runs commit small blocks; the rewrite joins them and packs them (blobs.py: about 3 bytes a batch
    # instead of 4).
    k = store.copies(run_id)
    size = max(1024, size // k)  # about `size` values a chunk: a seed band's groups stay small, progress steady
    chunks = [(c["start_step"], c["n"], c["codec"]) for c in store.db.execute(
        "SELECT start_step, n, codec FROM loss_chunks WHERE run_id=? ORDER BY start_step", (run_id,))]
    groups = _groups(chunks, size)
    total, done = sum(c[1] for g in groups for c in g), 0
    if progress is not None and groups:
        progress(0, total)
    for group in groups:
        if stop is not None and stop():
            return False
        steps = [c[0] for c in group]
        marks = ",".join("?" * len(steps))
        rows = store.db.execute(f"SELECT data, codec, floors FROM loss_chunks WHERE run_id=? AND start_step IN "
                                f"({marks}) ORDER BY start_step", (run_id, *steps)).fetchall()
        losses = floats([(r["data"], r["codec"]) for r in rows])
        part = None if any(r["floors"] is None for r in rows) else floats([(r["floors"], r["codec"]) for r in rows])
        n = sum(c[1] for c in group)
        with store.db:
            store.db.execute(f"DELETE FROM loss_chunks WHERE run_id=? AND start_step IN ({marks})", (run_id, *steps))
            store.db.execute("INSERT INTO loss_chunks(run_id, start_step, n, data, floors, codec) "
                             "VALUES(?,?,?,?,?,?)", (run_id, steps[0], n, pack(losses), pack(part), SHUFFLED_ZLIB))
        done += n
        if progress is not None:
            progress(done, total)
    return True


def summary_values(store: RunReader, run_id: int, end=None) -> dict:
    """A run's final loss, lowest epoch loss and batch count, from end (a RunEnd) or, without one, its curves."""
    means = store.epoch_means(run_id)
    finite = means[np.isfinite(means)]
    final = end.final_loss if end is not None else None
    if final is None or not np.isfinite(final):
        # Without the engine's RunEnd: the same definition, from the stored curves (the batches are read only
        # when no epoch finished).
        final = final_loss(finite, np.zeros(0) if len(finite) else store.losses(run_id))
        final = final if np.isfinite(final) else None
    low = float(finite.min()) if len(finite) else final
    return {"final_loss": final, "min_epoch_loss": low, "batches": store.batch_count(run_id)}


def refresh_summary(store: RunReader, run_id: int, end=None) -> None:
    """Set a run's final loss, lowest epoch loss and batch count (summary_values)."""
    values = summary_values(store, run_id, end)
    with store.db:
        store.db.execute("UPDATE runs SET final_loss=?, min_epoch_loss=?, batches=? WHERE run_id=?",
                         (values["final_loss"], values["min_epoch_loss"], values["batches"], run_id))
