"""Stored loss curves with their BCE batch floors, and the excess (loss − floor) the plots draw from them."""

from __future__ import annotations

import math

import numpy as np


MAX_MARKERS = 60  # markers show where clamping happens (the curve keeps every point); thousands made a heavy red bar


class RunCurve(tuple):
    """A (row, losses) pair that also carries `floors`: each batch's own floor, or None.

    A 2-tuple, so every `for row, losses in pairs` keeps working; code that knows about batch floors
    reads them with curve_floors().
    """

    def __new__(cls, row, losses, floors=None):
        """Pair row and losses; floors ((n,) or None) rides along as an attribute."""
        obj = super().__new__(cls, (row, losses))
        obj.floors = floors
        return obj


def curve_floors(item) -> np.ndarray | None:
    """The batch floors an item of rows_and_losses carries (None for plain tuples and non-BCE runs)."""
    floors = getattr(item, "floors", None)
    return None if floors is None else np.asarray(floors, dtype=np.float64)


def stored_curve(store, run_id: int) -> RunCurve:
    """One stored run as a RunCurve: row, losses and (BCE) batch floors."""
    return RunCurve(store.get_run(run_id), store.losses(run_id), store.batch_floors(run_id))


def excess(losses, floors: np.ndarray | None, floor: float | None) -> np.ndarray:
    """losses − each batch's floor when floors match the losses, else losses − floor (constant)."""
    y = np.asarray(losses, dtype=np.float64)
    if floors is not None and len(floors) == len(y):
        return y - (floors[:, None] if y.ndim == 2 else floors)
    if floor is not None and math.isfinite(floor):
        return y - floor
    return y


def thin_markers(x: np.ndarray, y: np.ndarray, mask: np.ndarray,
                 limit: int = MAX_MARKERS) -> tuple[np.ndarray, np.ndarray]:
    """Clamped points to mark, evenly thinned to `limit`: half a million symbols would stall the GUI."""
    idx = np.flatnonzero(mask)
    if len(idx) > limit:
        idx = idx[np.linspace(0, len(idx) - 1, limit).astype(np.int64)]
    return x[idx], y[idx]
