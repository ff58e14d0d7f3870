"""Reconstruction snapshots: x, x̂ and codes of one model copy on the fixed sample, as numpy arrays (no Qt)."""

from __future__ import annotations

import numpy as np
import torch

from ..config import losses
from .models import StackedAutoencoder


def reconstruct(model: StackedAutoencoder, sample: torch.Tensor, loss_kind: str,
                copy: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """x (N, d), x̂ (N, d) in data units and codes (N, k) for copy `copy`; codes is None without a bottleneck."""
    if not 0 <= copy < model.copies:
        raise IndexError(f"copy {copy}: the model has copies 0 to {model.copies - 1}")
    with torch.no_grad():
        z = model.encode(sample)
        out = model.decode_raw(z)
        if model.sigmoid_output:
            out = torch.sigmoid(out)
        xhat = losses.reconstruction(loss_kind, out)[copy]
        # Copies, not views: the arrays go to another thread while training keeps updating the tensors.
        x = sample.detach().to("cpu", torch.float64).numpy().copy()
        xhat_np = xhat.to("cpu", torch.float64).numpy().copy()
        k = z.shape[-1]
        codes = z[copy].to("cpu", torch.float64).numpy().copy() if k < x.shape[1] else None
    return x, xhat_np, codes
