"""The honest end-of-run numbers: the final model on every row, and epoch means weighted by batch size."""

from __future__ import annotations

import threading
import time

import numpy as np
import torch

from ..config import losses
from ..config.config import RunConfig
from ..floors.floors import Floor, floors_for
from .records import AFTER_RUN_S

EVAL_ELEMENTS = 1 << 24  # outputs per forward pass (64 MB of float32): bounded memory on any data and band


def eval_losses(model, x: torch.Tensor, kind: str) -> np.ndarray:
    """Each copy's mean loss over every row of x, (K,), accumulated in float64."""
    total = torch.zeros(model.copies, dtype=torch.float64, device=x.device)
    with torch.no_grad():
        rows = max(1, EVAL_ELEMENTS // (model.copies * max(model.sizes)))
        for start in range(0, x.shape[0], rows):
            xb = x[start:start + rows]
            total += losses.elements(kind, model(xb), xb).double().sum(dim=(1, 2))
    return (total / x.numel()).cpu().numpy()


SATURATION_ELEMENTS = 2_000_000  # outputs looked at for the saturated share (a sample of rows beyond it)


def saturated_share(model, x: torch.Tensor, kind: str) -> float:
    """The share of outputs a float32 sigmoid rounds to exactly 0 or 1 while their target differs: their
    gradient is exactly zero and their loss sits at BCE's log clamp (−100), so no optimizer can move them.
    The seed's round-off lesson; BCE on logits never rounds so. NaN for a loss without a sigmoid."""
    if not losses.of(kind).log_of_sigmoid:
        return float("nan")
    rows = max(1, min(x.shape[0], SATURATION_ELEMENTS // max(1, model.copies * x.shape[1])))
    xb = x[:rows]
    with torch.no_grad():
        p = model(xb).float()
    t = xb.float().expand_as(p)
    stuck = ((p == 1) & (t < 1)) | ((p == 0) & (t > 0))
    return float(stuck.double().mean())


def batch_weights(n: int, batch_size: int, batches: int) -> np.ndarray:
    """Samples in each of an epoch's first `batches` batches: all full but, possibly, the epoch's last."""
    w = np.full(batches, float(batch_size))
    if batches and batches * batch_size > n:
        w[-1] = n - (batches - 1) * batch_size
    return w


def weighted_mean(block: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean over batches (rows of block, (m, K)) weighted by their samples: a partial batch counts less."""
    return (block * weights[:, None]).sum(axis=0) / weights.sum()


class ModelFloorSolve:
    """Solves a slow model floor in a background thread while the run trains; once the training ends it gets
    AFTER_RUN_S more, then reports the certified bracket it has (a cut-short solve's floor says so)."""

    def __init__(self, config: RunConfig, x: np.ndarray):
        self._config, self._x = config, x
        self.floors: list[Floor] | None = None
        self.error: str | None = None
        self._deadline: float | None = None
        self._thread = threading.Thread(target=self._run, name="aegui-model-floor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.floors = floors_for(self._config, self._x, solve_model=True, stop=self._past_deadline)
        except Exception as exc:  # noqa: BLE001 - a failed solve leaves the run's other floors standing
            self.error = f"{type(exc).__name__}: {exc}"

    def _past_deadline(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def stop(self, after: float = 0.0) -> None:
        """Let the solve run `after` seconds more (from now), then take the bracket it has."""
        self._deadline = time.monotonic() + after

    def done(self) -> bool:
        """True once the solve has finished (or failed)."""
        return not self._thread.is_alive()

    def wait(self, after: float = AFTER_RUN_S, cancel=None) -> list[Floor] | None:
        """Block until the solve is done, at most about `after` seconds more (or until cancel.is_set(): Stop then
        takes the bracket the solve has); the full list of floors, a cut-short solve's bracket among them, or
        None if it failed."""
        self.stop(after)
        while self._thread.is_alive():
            if cancel is not None and cancel.is_set():
                self.stop()
            self._thread.join(0.1)
        return self.floors
