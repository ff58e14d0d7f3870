"""Comparison curves as CSV: a step column, one column per run, and each BCE run's per-batch floor."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from ..plots.curves import curve_floors


def csv_columns(rows_and_losses) -> tuple[list[str], list[np.ndarray]]:
    """Header and columns: step, then per run its curve (median, min, max for seed bands) and batch floor if any."""
    header, cols = ["step"], []
    for item in rows_and_losses:
        row, losses = item
        losses = np.asarray(losses, dtype=np.float64)
        name = f"#{row.run_id} {row.name}"
        if losses.ndim == 2:
            with np.errstate(all="ignore"):
                parts = {"median": np.nanmedian(losses, 1), "min": np.nanmin(losses, 1), "max": np.nanmax(losses, 1)}
            header += [f"{name} {k}" for k in parts]
            cols += list(parts.values())
        else:
            header.append(name)
            cols.append(losses)
        floors = curve_floors(item)
        if floors is not None:
            # BCE: each batch's own floor, so loss − floor (≥ 0) can be computed per row without the data.
            header.append(f"{name} batch floor")
            cols.append(floors)
    return header, cols


def save_csv(rows_and_losses, path) -> Path:
    """Write the curves as CSV (step column + one per run; shorter runs leave cells empty), atomically."""
    header, cols = csv_columns(rows_and_losses)
    n = max((len(c) for c in cols), default=0)

    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            text = [[f"{v:.9g}" for v in c] + [""] * (n - len(c)) for c in cols]
            out.writerows(zip(map(str, range(n)), *text))
    return atomic_write(path, write)
