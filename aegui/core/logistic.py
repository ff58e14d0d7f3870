"""The best affine + sigmoid autoencoder without a bottleneck: one convex logistic regression per output.

With a code at least as wide as the input, x̂ = σ(A x + c) for any A and c, so the lowest BCE such a
model reaches is, for each output j, the minimum over (a_j, c_j) of mean BCE(x_j, σ(a_j·x + c_j)):
a logistic regression with soft targets, which is convex. It is solved here by damped Newton in float64.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

# torch is imported inside the solver: the window imports floors before it paints, and torch takes ~2 s.

# Newton's work is about n·d·(d+1)² multiply-adds an iteration; over this many in all (about 2 s on
# one core of the 2-core build machine) the solve runs in the background.
LOGISTIC_FLOP_BUDGET = 2e9
# Beyond these the solve is not attempted, and the run has no model floor: at 784 columns the Hessians
# alone would take 3.9 GB and Newton hours on two cores.
LOGISTIC_MAX_FEATURES = 256
LOGISTIC_MAX_FLOPS = 2e11  # about a minute or two in the background on the build machine
NEWTON_ITERATIONS = 60
DECREMENT_TOL = 1e-12  # half the squared Newton decrement: the standard bound on f − f*, per output
ENTROPY_TOL = 1e-10    # within this of the targets' entropy (a proven lower bound), the solve is done


def solvable(x: np.ndarray) -> bool:
    """True when a full solve on x fits the caps above (memory and time)."""
    return x.shape[1] <= LOGISTIC_MAX_FEATURES and logistic_cost(x) <= LOGISTIC_MAX_FLOPS


def logistic_cost(x: np.ndarray) -> float:
    """Rough multiply-adds of a full solve on x (n × d), at a typical 15 Newton iterations."""
    n, d = x.shape
    return 15.0 * n * d * (d + 1) ** 2


def _losses(z: torch.Tensor, t: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Mean BCE on logits of each output, (d,), for design z (n, d+1), targets t (n, d), params (d, d+1)."""
    import torch
    logits = z @ params.T
    return (torch.nn.functional.softplus(logits) - t * logits).mean(dim=0)


def _entropy(t: torch.Tensor) -> torch.Tensor:
    """Each column's mean binary entropy (the lower bound each output's solve approaches)."""
    import torch
    xlogx = torch.where(t > 0, t * torch.log(t.clamp_min(1e-300)), torch.zeros_like(t))
    ylogy = torch.where(t < 1, (1 - t) * torch.log1p(-t.clamp_max(1 - 1e-16)), torch.zeros_like(t))
    return -(xlogx + ylogy).mean(dim=0)


def _newton_step(z: torch.Tensor, t: torch.Tensor, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each output's Newton direction (d, d+1) and half its squared Newton decrement (d,)."""
    import torch
    n = z.shape[0]
    p = torch.sigmoid(z @ params.T)                      # (n, d)
    grad = ((p - t).T @ z) / n                           # (d, d+1)
    w = (p * (1 - p)).T                                  # (d, n)
    # One (d+1)² Hessian per output; a loop keeps memory at n·(d+1), where one einsum would hold n·d·(d+1).
    hess = torch.stack([(z * w[j, :, None]).T @ z for j in range(w.shape[0])]) / n  # (d, d+1, d+1)
    ridge = 1e-12 * torch.eye(z.shape[1], dtype=z.dtype)
    step = torch.linalg.solve(hess + ridge, grad.unsqueeze(-1)).squeeze(-1)
    return step, 0.5 * (grad * step).sum(dim=1)


def soft_logistic_floor(x: np.ndarray, iterations: int = NEWTON_ITERATIONS) -> tuple[float, bool]:
    """The lowest mean BCE an affine + sigmoid map of x reaches on targets x, and whether it converged.

    Each output is solved on its own: it has converged when half its squared Newton decrement (which
    bounds how far its loss is above its minimum) is under 1e-12, or when its loss is within 1e-10 of
    its targets' entropy, a proven lower bound (separable 0/1 targets only approach that limit).
    """
    import torch
    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    n, d = t.shape
    z = torch.cat([t, torch.ones(n, 1, dtype=torch.float64)], dim=1)
    params = torch.zeros(d, d + 1, dtype=torch.float64)
    floor = _entropy(t)
    with torch.no_grad():
        loss = _losses(z, t, params)
        done = torch.zeros(d, dtype=torch.bool)
        for _ in range(iterations):
            step, decrement = _newton_step(z, t, params)
            done = (decrement < DECREMENT_TOL) | (loss - floor < ENTROPY_TOL)
            if bool(done.all()):
                break
            params, loss = _line_search(z, t, params, step, loss)
        else:
            _, decrement = _newton_step(z, t, params)
            done = (decrement < DECREMENT_TOL) | (loss - floor < ENTROPY_TOL)
    # An output within ENTROPY_TOL of its entropy has reached its infimum to tolerance: report the entropy
    # itself, so separable 0/1 targets show no model gap (4e-11 read as "what the model cannot fit").
    loss = torch.where(loss - floor < ENTROPY_TOL, floor, loss)
    return float(loss.mean()), bool(done.all())


def _line_search(z, t, params, step, loss) -> tuple[torch.Tensor, torch.Tensor]:
    """Backtrack each output's step until its loss does not rise (Newton on logistic loss can overshoot)."""
    import torch
    scale = torch.ones(params.shape[0], dtype=params.dtype)
    for _ in range(40):
        trial = params - scale[:, None] * step
        new = _losses(z, t, trial)
        worse = new > loss
        if not bool(worse.any()):
            break
        scale = torch.where(worse, scale * 0.5, scale)
    keep = new <= loss
    params = torch.where(keep[:, None], trial, params)
    return params, torch.where(keep, new, loss)
