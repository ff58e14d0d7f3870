"""The lowest loss the data allows: what 'zero' really means for a given loss and data set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import RunConfig


@dataclass(frozen=True)
class Floor:
    """A loss floor, whether it is exact for this model, and how it was found."""

    value: float
    exact: bool
    basis: str


def entropy_elements(x: np.ndarray) -> np.ndarray:
    """Binary entropy in nats of each target in [0, 1], with 0·log 0 = 0."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(np.where(x > 0, x * np.log(x), 0.0) + np.where(x < 1, (1 - x) * np.log1p(-x), 0.0))


def binary_entropy(x: np.ndarray) -> float:
    """Mean binary entropy in nats of targets in [0, 1]."""
    return float(entropy_elements(x).mean())


def row_entropy(x: np.ndarray) -> np.ndarray:
    """Each sample's mean binary entropy: a minibatch's BCE floor is the mean of its rows' values.

    BCE(x, x̂) = H(x) + KL(x‖x̂), so loss − floor of the very batch trained on is ≥ 0 exactly; the data
    set's floor alone would let a lucky low-entropy batch dip below it.
    """
    return entropy_elements(x).mean(axis=1).astype(np.float32)


def pca_floor(x: np.ndarray, k: int) -> float:
    """Mean per-element variance left outside the top-k principal components (MSE of the best rank-k affine map)."""
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    if k >= d:
        return 0.0
    xc = x - x.mean(axis=0)
    eig = np.linalg.eigvalsh(xc.T @ xc / n)  # ascending
    return float(max(eig[: d - k].sum(), 0.0) / d)


def floor_for(config: RunConfig, x: np.ndarray) -> Floor:
    """The floor of config's loss on data x, and whether it is exact for config's model."""
    loss, k, d = config.loss.kind, config.encoding_dim, x.shape[1]
    bottleneck = k < d
    if loss in ("bce", "bce_logits"):
        # BCE(x, x̂) = H(x) + KL(x‖x̂) ≥ H(x): equality needs x̂ = x, so a bottleneck makes it a bound.
        return Floor(binary_entropy(x), not bottleneck,
                     "mean binary entropy of the targets" + (" (a lower bound with a bottleneck)" if bottleneck else ""))
    if not bottleneck:
        return Floor(0.0, True, "no bottleneck: x̂ = x is reachable")
    if loss == "mse":
        linear = config.model.kind == "linear" and config.model.output == "identity"
        return Floor(pca_floor(x, k), linear,
                     f"variance outside the top {k} principal components"
                     + ("" if linear else " (exact for a linear model; a reference for this one)"))
    return Floor(0.0, False, "no closed form for l1 with a bottleneck; 0 is a lower bound")
