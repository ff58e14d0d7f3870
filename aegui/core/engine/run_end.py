"""A run's final loss, defined once, and the RunEnd of a run whose training process had to be killed.

final_loss is what README promises: the last finished epoch's mean; with no finished epoch, the mean of
the batches trained. The engine's RunEnd (run_stats), the store's summary of a run that ended without one
(store_compact) and the window's RunEnd for a killed training process (Tally) all compute it here.
Numpy only: the window's process imports this without torch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from .records import EpochSummary, LossChunk, RunEnd


def copy_finals(epoch_means: Sequence, trained: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Each copy's final loss: the last finished epoch's mean (a number, or one per copy); with none finished,
    each copy's mean over the batches trained (rows of trained, (m,) or (m, K)) up to the first non-finite
    one, weighted by their samples when weights (one per row) are given. [NaN] when there is nothing."""
    if len(epoch_means):
        return np.atleast_1d(np.asarray(epoch_means[-1], dtype=np.float64))
    block = np.asarray(trained, dtype=np.float64)
    block = block.reshape(len(block), -1) if block.size else np.zeros((0, 1))
    bad = ~np.isfinite(block).all(axis=1)
    m = int(np.argmax(bad)) if bad.any() else len(block)  # a diverged run's curve ends at its first bad batch
    if m == 0:
        return np.array([float("nan")])
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)[:m]
    return (block[:m] * w[:, None]).sum(axis=0) / w.sum()


def final_loss(epoch_means: Sequence, trained: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The run's final loss: the median over copies of copy_finals (the value itself for one copy)."""
    return float(np.median(copy_finals(epoch_means, trained, weights)))


class Tally:
    """What a viewer has seen of a run (its chunks and epoch summaries), for the RunEnd of a run whose
    process was killed after Stop and so never sent its own."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.batches = 0
        self.epoch_means: list[float] = []
        self._first_epoch: list[np.ndarray] = []  # until an epoch finishes, the batches trained define final_loss

    def see(self, record) -> None:
        """Count one record the stream sent (chunks and epoch summaries; the rest says nothing of the loss)."""
        if isinstance(record, LossChunk):
            self.batches += len(record)
            if not self.epoch_means:
                self._first_epoch.append(record.copy_losses if record.copy_losses is not None else record.loss)
        elif isinstance(record, EpochSummary):
            self.epoch_means.append(record.epoch_mean)
            self._first_epoch = []

    def end(self, stop_reason: str) -> RunEnd:
        """A RunEnd from what was seen: its final loss by final_loss(), as the engine's own would have it."""
        seconds = time.monotonic() - self.t0
        trained = np.concatenate(self._first_epoch) if self._first_epoch else np.zeros(0)
        finite = [m for m in self.epoch_means if np.isfinite(m)]
        return RunEnd(stop_reason, len(self.epoch_means), self.batches, final_loss(self.epoch_means, trained),
                      min(finite) if finite else float("nan"), seconds,
                      self.batches / seconds if seconds > 0 else 0.0)
