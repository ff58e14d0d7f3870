"""A stored 1,000,000-batch × 64-seed run built directly in a store (packed chunks written in SQL): seconds,
not the hours training it would take. Shared by the GUI tests and benchmarks/bench_big_run.py."""

from __future__ import annotations

import zlib
from types import SimpleNamespace

import numpy as np

CHUNK_VALUES = 65536  # what compaction packs per chunk (store_compact.compact): 1,024 batches of 64 seeds


def packed(values: np.ndarray) -> bytes:
    """blobs.pack's layout (byte-shuffled zlib) at level 1: the same bytes on reading, written faster."""
    raw = np.ascontiguousarray(values, dtype=np.float32).view(np.uint8).reshape(-1, 4)
    return zlib.compress(raw.T.tobytes(), 1)


def curve_chunk(start: int, n: int, copies: int, batches: int, floor: float, rng) -> np.ndarray:
    """Batches start..start+n of a decaying noisy seed band (n, copies), float32."""
    steps = np.arange(start, start + n, dtype=np.float64)[:, None]
    decay = 0.4 * np.exp(-steps / (batches / 6)) * (1 + 0.2 * np.arange(copies) / max(copies, 1))
    return (floor + decay + rng.random((n, copies)) * 0.01 * (1 + decay)).astype(np.float32)


def add_big_run(store, batches: int = 1_000_000, copies: int = 64, loss: str = "mse", name: str = "big run",
                seed: int = 0) -> int:
    """Store a finished run of `batches` batches × `copies` seeds as compaction leaves it; its run id."""
    from aegui.core.store.blobs import SHUFFLED_ZLIB
    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.floors.floors import Floor
    output = "sigmoid" if loss == "bce" else "identity"
    cfg = with_changes(RunConfig(), **{"loss.kind": loss, "model.output": output, "name": name})
    floor = 0.5004 if loss == "bce" else 0.0
    run_id = store.create_run(cfg, device="cpu", copies=copies,
                              floors=[Floor("data", floor, "lower bound", "bench")])
    rng = np.random.default_rng(seed)
    per = max(1, CHUNK_VALUES // copies)
    with store.db:
        for start in range(0, batches, per):
            n = min(per, batches - start)
            block = curve_chunk(start, n, copies, batches, floor, rng)
            floors = packed(np.full(n, floor, np.float32)) if loss == "bce" else None
            store.db.execute("INSERT INTO loss_chunks(run_id, start_step, n, data, floors, codec) VALUES(?,?,?,?,?,?)",
                             (run_id, start, n, packed(block.reshape(-1)), floors, SHUFFLED_ZLIB))
        store.db.execute("INSERT INTO epochs VALUES(?,?,?,?,?,?)", (run_id, 0, floor + 0.01, floor + 0.01, batches, 100.0))
        store.db.execute("UPDATE runs SET batches=?, epochs=1, seconds=100.0 WHERE run_id=?", (batches, run_id))
    end = SimpleNamespace(seconds=100.0, batches=batches, epochs=1, batches_per_s=batches / 100.0,
                          final_loss=floor + 0.01, copy_final=np.full(copies, floor + 0.01) if copies > 1 else None,
                          eval_loss=floor + 0.01)
    store.finish_run(run_id, "finished", "max_epochs", end, compact_now=False)
    return run_id
