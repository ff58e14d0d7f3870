"""A data file's card, before any training: shape, range, where its values lie, its floors, what each loss allows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..config.losses import LOSSES
from ..floors.floors import PCA_MAX_FEATURES, binary_entropy, pca_floors

PCA_MAX_K = 16


@dataclass(frozen=True)
class DataCard:
    """What a user should know about their data before choosing a loss."""

    path: str
    rows: int
    columns: int
    min: float
    max: float
    share_binary: float    # values exactly 0 or 1
    share_inside: float    # values strictly inside (0, 1)
    share_outside: float   # values outside [0, 1]
    bce_floor: float | None  # the targets' mean binary entropy; None when BCE is refused
    pca_floors: list = field(default_factory=list)  # [(k, MSE floor of a linear model with a k-d code)]
    losses: dict = field(default_factory=dict)      # loss kind → "" when allowed, else why not
    header: str | None = None  # a CSV's first line, read as column names and skipped (never a silent drop)

    def to_dict(self) -> dict:
        """JSON-ready."""
        d = asdict(self)
        d["pca_floors"] = [{"k": k, "floor": v} for k, v in self.pca_floors]
        return d

    def lines(self, compact: bool = False) -> list[str]:
        """The card as plain text, one fact a line; compact: the short form the panels show under the file."""
        head = f"{self.rows:,} rows × {self.columns:,} columns, values in [{self.min:.4g}, {self.max:.4g}]"
        out = [head if compact else f"{self.path}: {head}"]
        if self.header is not None:
            out.append(f"first line read as a header and skipped: {self.header[:60]}")
        out += [
               f"values exactly 0 or 1: {self.share_binary:.1%}; inside (0, 1): {self.share_inside:.1%}; "
               f"outside [0, 1]: {self.share_outside:.1%}"]
        if self.bce_floor is not None:
            out.append(f"BCE data floor (mean binary entropy): {self.bce_floor:.4g} nats, a lower bound for any model")
        shown = self.pca_floors[:6] if compact else self.pca_floors
        if shown:
            out.append("MSE floor of a linear model with a k-d code (PCA): " + ", ".join(
                f"k={k}: {v:.4g}" for k, v in shown) + (" …" if len(shown) < len(self.pca_floors) else ""))
        elif self.columns > PCA_MAX_FEATURES:
            out.append(f"PCA floors not computed: more than {PCA_MAX_FEATURES:,} columns")
        for loss, why in self.losses.items():
            if why or not compact:  # the panels name only what is refused
                out.append(f"{loss:10} {'allowed' if not why else 'refused: ' + why}")
        return out


def data_card(x: np.ndarray, path: str = "") -> DataCard:
    """The card of data x (rows are samples)."""
    x = np.asarray(x)
    n, d = x.shape
    lo, hi = float(x.min()), float(x.max())
    binary = float(np.isin(x, (0.0, 1.0)).mean())
    outside = float(((x < 0) | (x > 1)).mean())
    ok = lo >= 0.0 and hi <= 1.0
    why = "" if ok else f"needs targets in [0, 1], but this data spans [{lo:.4g}, {hi:.4g}]; use mse or l1, or rescale"
    ks = list(range(1, min(d, PCA_MAX_K) + 1)) if d <= PCA_MAX_FEATURES else []
    return DataCard(path, n, d, lo, hi, binary, max(0.0, 1.0 - binary - outside), outside,
                    binary_entropy(x) if ok else None, list(zip(ks, pca_floors(x, ks))) if ks else [],
                    {loss.name: why if loss.unit_targets else "" for loss in LOSSES.values()})


def file_card(path: str, budget: int | None = None) -> DataCard:
    """Load a data file safely (see data.load_file) and return its card; raises DataError with the reason, or
    ConfigError (field 'memory') when building the card would need more than budget (memory.check_card)."""
    from dataclasses import replace

    from . import memory
    from ..data.data import csv_header, file_shape, load_file
    shape = file_shape(path)
    memory.check_card(path, shape, budget, pca=shape[1] <= PCA_MAX_FEATURES)  # from the header: nothing read yet
    return replace(data_card(load_file(path), path), header=csv_header(path))
