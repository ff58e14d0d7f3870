"""Reconstruction losses, each returning one mean per stacked copy: mse, bce, bce_logits, l1."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def per_copy(kind: str, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Loss per copy, shape (K,), for outputs (K, B, d) and targets (B, d)."""
    return elements(kind, out, target).mean(dim=(1, 2))


def elements(kind: str, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The loss of each element, (K, B, d), for outputs (K, B, d) and targets (B, d)."""
    t = target.expand_as(out)
    if kind == "mse":
        e = (out - t).square()
    elif kind == "l1":
        e = (out - t).abs()
    elif kind == "bce":
        # F.binary_cross_entropy clamps log at -100, like nn.BCELoss, so saturated outputs stay finite.
        e = F.binary_cross_entropy(out, t, reduction="none")
    elif kind == "bce_logits":
        # The seed's advice: on the logit scale log-sigmoid never rounds to log(0).
        e = F.binary_cross_entropy_with_logits(out, t, reduction="none")
    else:
        raise ValueError(f"unknown loss {kind!r}")
    return e


def reconstruction(kind: str, out: torch.Tensor) -> torch.Tensor:
    """x̂ in data units: sigmoid(logits) for bce_logits, the model output otherwise."""
    return torch.sigmoid(out) if kind == "bce_logits" else out
