"""Running totals of a training run: batches, epoch means weighted by batch size, the steady rate."""

from __future__ import annotations

import time

import numpy as np

from .evaluate import batch_weights, weighted_mean
from .records import EpochSummary, RunEnd
from .run_end import copy_finals

WARMUP_BATCHES = 20  # excluded from the steady-state batches/s


class RunStats:
    """What the loop has trained so far, and the RunEnd it adds up to."""

    def __init__(self, t0: float, samples: int, batch_size: int):
        self.t0, self.samples, self.batch_size = t0, samples, batch_size
        self.batches = 0
        self.epochs = 0
        self.warm_t: float | None = None
        self.first_t: float | None = None  # after the first block: the first optimizer step's lazy imports
        self.epoch_means: list[np.ndarray] = []
        self.last_partial: np.ndarray | None = None  # (m, K) the unfinished epoch's batches, when a run stops in one

    def count(self, k: int) -> None:
        """k more batches were trained."""
        self.batches += k
        if self.first_t is None:
            self.first_t, self.first_b = time.perf_counter(), self.batches
        if self.warm_t is None and self.batches >= WARMUP_BATCHES:
            self.warm_t, self.warm_b = time.perf_counter(), self.batches

    def partial_mean(self, block: np.ndarray) -> np.ndarray:
        """Each copy's mean over an epoch's first len(block) batches (rows of block), weighted by samples."""
        return weighted_mean(block, batch_weights(self.samples, self.batch_size, len(block)))

    def summary(self, epoch: int, block: np.ndarray, window: int) -> EpochSummary:
        """Close a finished epoch whose batch losses are block (m, K)."""
        means = self.partial_mean(block)
        recent = block[-window:].mean(axis=0)
        self.epochs = epoch + 1
        self.epoch_means.append(means)
        return EpochSummary(epoch, float(np.median(means)), float(np.median(recent)), self.batches,
                            time.perf_counter() - self.t0)

    def rate(self, now: float) -> float:
        """Steady batches/s: after the warm-up batches, else after the first block, else overall."""
        if self.warm_t is not None and self.batches - self.warm_b >= WARMUP_BATCHES and now > self.warm_t:
            return (self.batches - self.warm_b) / (now - self.warm_t)
        if self.first_t is not None and self.batches > self.first_b and now > self.first_t:
            return (self.batches - self.first_b) / (now - self.first_t)
        seconds = now - self.t0
        return self.batches / seconds if seconds > 0 else 0.0

    def end(self, reason: str, copy_eval: np.ndarray | None = None) -> RunEnd:
        """The RunEnd: final_loss as run_end.final_loss defines it, whatever the reason."""
        now = time.perf_counter()
        partial = self.last_partial if self.last_partial is not None else np.zeros(0)
        final = copy_finals(self.epoch_means, partial, batch_weights(self.samples, self.batch_size, len(partial)))
        means = self.epoch_means or ([final] if self.last_partial is not None else [])
        medians = [float(np.median(m)) for m in means]
        finite = [m for m in medians if np.isfinite(m)]
        many = final.size > 1
        ev = float(np.median(copy_eval)) if copy_eval is not None else float("nan")
        return RunEnd(reason, self.epochs, self.batches, float(np.median(final)),
                      min(finite) if finite else float("nan"), now - self.t0, self.rate(now),
                      final if many else None, ev, copy_eval if (many and copy_eval is not None) else None)
