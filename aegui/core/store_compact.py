"""The run store's end-of-run rewrites: a run's loss chunks joined and packed, its summary columns refreshed."""

from __future__ import annotations

import numpy as np

from .blobs import SHUFFLED_ZLIB, pack
from .store_read import RunReader


def compact(store: RunReader, run_id: int, size: int = 65536) -> None:
    """Rewrite a run's losses (and batch floors) as packed chunks of up to `size` batches."""
    # Slow runs commit small blocks; one rewrite at the end joins them and packs them (blobs.py: about
    # 3 bytes a batch instead of 4).
    losses, floors = store.losses(run_id), store.batch_floors(run_id)
    with store.db:
        store.db.execute("DELETE FROM loss_chunks WHERE run_id=?", (run_id,))
        for start in range(0, len(losses), size):
            block = losses[start:start + size]
            part = floors[start:start + size] if floors is not None else None
            store.db.execute("INSERT INTO loss_chunks(run_id, start_step, n, data, floors, codec) "
                             "VALUES(?,?,?,?,?,?)", (run_id, start, len(block), pack(block), pack(part),
                                                     SHUFFLED_ZLIB))


def summary_values(store: RunReader, run_id: int, end=None) -> dict:
    """A run's final loss, lowest epoch loss and batch count, from end (a RunEnd) or, without one, its curves."""
    means = store.epoch_means(run_id)
    finite = means[np.isfinite(means)]
    final = end.final_loss if end is not None else (float(means[-1]) if len(means) else None)
    if final is None or not np.isfinite(final):
        # No finished epoch: the mean of the batches trained, as the engine's own RunEnd would give.
        losses = store.losses(run_id)
        per_batch = np.median(losses, axis=1) if losses.ndim > 1 else losses
        finite_b = per_batch[np.isfinite(per_batch)]
        final = float(finite_b.astype(np.float64).mean()) if len(finite_b) else None
    low = float(finite.min()) if len(finite) else final
    return {"final_loss": final, "min_epoch_loss": low, "batches": store.batch_count(run_id)}


def refresh_summary(store: RunReader, run_id: int, end=None) -> None:
    """Set a run's final loss, lowest epoch loss and batch count (summary_values)."""
    values = summary_values(store, run_id, end)
    with store.db:
        store.db.execute("UPDATE runs SET final_loss=?, min_epoch_loss=?, batches=? WHERE run_id=?",
                         (values["final_loss"], values["min_epoch_loss"], values["batches"], run_id))
