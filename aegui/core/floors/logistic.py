"""The best affine + sigmoid autoencoder without a bottleneck: one convex logistic regression per output.

With a code at least as wide as the input, x̂ = σ(A x + c) for any A and c, so the lowest BCE such a
model reaches is, for each output j, the minimum over (a_j, c_j) of mean BCE(x_j, σ(a_j·x + c_j)):
a logistic regression with soft targets, which is convex. It is solved here by damped Newton in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .dual import FEASIBLE, HOLD_SHARE, Projector, backtrack, binary_entropy, dense_bounds

if TYPE_CHECKING:
    import torch

# torch is imported inside the solver: the window imports floors before it paints, and torch takes ~2 s.

# Newton's work is about n·d·(d+1)² multiply-adds an iteration; over this many in all (about 2 s on
# one core of the 2-core build machine) the solve runs in the background.
LOGISTIC_FLOP_BUDGET = 2e9
# Beyond these the solve is not attempted, and the run has no model floor: at 784 columns the Hessians
# alone would take 3.9 GB and Newton hours on two cores.
LOGISTIC_MAX_FEATURES = 256
LOGISTIC_MAX_FLOPS = 5e11  # the question preset (30,000 × 100, 4.6e11) solves in the background during its run (~36 s); 50,000 × 100 bool data (7.7e11) ran for minutes
MAX_ITERATIONS = 400  # a safety cap only: the solve stops on its certificate (a cut-short one keeps a bracket)
GAP_TOL = 1e-9        # "exact": each output's proven bracket (best found − dual bound) is narrower than this


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


def _newton_step(z: torch.Tensor, t: torch.Tensor, params: torch.Tensor,
                 stop: Callable[[], bool] | None = None) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Each output's Newton direction (d, d+1) and half its squared Newton decrement (d,); None once stop()
    is true (asked every 16 outputs: a 256-column step takes seconds, and Stop must not wait for it)."""
    import torch
    n = z.shape[0]
    p = torch.sigmoid(z @ params.T)                      # (n, d)
    grad = ((p - t).T @ z) / n                           # (d, d+1)
    w = (p * (1 - p)).T                                  # (d, n)
    # One (d+1)² Hessian per output; a loop keeps memory at n·(d+1), where one einsum would hold n·d·(d+1).
    blocks = []
    for j in range(w.shape[0]):
        if stop is not None and j % 16 == 0 and stop():
            return None
        blocks.append((z * w[j, :, None]).T @ z)
    hess = torch.stack(blocks) / n  # (d, d+1, d+1)
    ridge = 1e-12 * torch.eye(z.shape[1], dtype=z.dtype)
    step = torch.linalg.solve(hess + ridge, grad.unsqueeze(-1)).squeeze(-1)
    return step, 0.5 * (grad * step).sum(dim=1)


class Bracket:
    """A certified logistic solve: best found (an upper value), a proven lower bound, and whether they meet."""

    def __init__(self, upper: float, lower: float, iterations: int):
        self.upper, self.lower, self.iterations = upper, lower, iterations

    @property
    def converged(self) -> bool:
        """True when the bracket is narrower than GAP_TOL (per output, on average)."""
        return self.upper - self.lower < GAP_TOL


def _dual_bound(z: torch.Tensor, t: torch.Tensor, params: torch.Tensor, step: torch.Tensor,
                floor: torch.Tensor, proj: Projector) -> tuple[torch.Tensor, torch.Tensor]:
    """Each output's lower bound (d,), from the maximum-entropy dual of soft-target logistic regression, and
    whether its Newton point counted (d,).

    softplus(u) = max over a ∈ [0, 1] of a·u + H(a), so for any α ∈ [0, 1]ⁿ and any w,
    f(w) = mean softplus(z·w) − t·(z·w) ≥ mean H(α) + w·r with r = Zᵀ(α − t)/n: where Zᵀα = Zᵀt (r = 0),
    mean H(α) bounds the minimum. α = t is one (the targets' entropy, `floor`); a sharper one is σ(z·w)
    moved by the Newton step's linearisation, α = p − p(1−p)·(z·Δw), for which r is zero up to the solve's
    round-off; the projector removes that too (charging it at the current |w| instead once certified a value
    2e-9 above a loss the wide solve then reached). An α outside [0, 1], or still off its equations, counts
    not at all: near-separable targets at 0 with outputs near it push it out, and dual.dense_bounds is then
    asked.
    """
    import torch
    n = z.shape[0]
    p = torch.sigmoid(z @ params.T)                     # (n, d)
    alpha = p - p * (1 - p) * (z @ step.T)              # Zᵀα = Zᵀp − ZᵀWZΔw = Zᵀt, up to round-off
    alpha = alpha - z @ proj.solve(z.T @ (alpha - t))
    inside = ((alpha >= -FEASIBLE) & (alpha <= 1 + FEASIBLE)).all(dim=0)
    fits = (z.T @ (alpha - t)).abs().amax(dim=0) / n <= FEASIBLE
    bound = binary_entropy(alpha).mean(dim=0)
    ok = inside & fits & torch.isfinite(bound)
    return torch.where(ok, torch.maximum(bound, floor), floor), ok


def _dense_where_needed(z, t, params, proj, loss, lower, counted, block: int = 16) -> None:
    """For each output whose Newton point did not count and whose bracket is still open, a block at a time (it
    holds a block's (d+1)² matrices): raises `lower` by dual.dense_bounds, and takes its Newton step over the
    free rows where that lowers the loss (params and loss change in place). Near-separable outputs crawl under
    the full Newton step, whose rows at 0 make the Hessian all but singular; this one converges."""
    import torch
    todo = (~counted & (loss - lower >= GAP_TOL)).nonzero().flatten()
    if not len(todo):
        return
    z32 = z.to(torch.float32)
    for start in range(0, len(todo), block):
        cols = todo[start:start + block]
        p = torch.sigmoid(z @ params[cols].T)
        bounds, u = dense_bounds(z, z32, t[:, cols], p, proj, z.shape[0], HOLD_SHARE * (loss[cols] - lower[cols]))
        lower[cols] = torch.maximum(lower[cols], bounds)
        made = ~torch.isnan(u).any(dim=0)
        step = torch.where(made, u, torch.zeros_like(u)).T  # (b, d+1)
        p_cols, t_cols = params[cols], t[:, cols]
        taken, loss[cols] = backtrack(lambda scale, p0=p_cols, s=step, tc=t_cols: _losses(z, tc, p0 + scale[:, None] * s),
                                      loss[cols], made)  # called here, so the defaults only satisfy the linter
        params[cols] = p_cols + taken[:, None] * step


def logistic_bracket(x: np.ndarray, max_iterations: int = MAX_ITERATIONS,
                     stop: Callable[[], bool] | None = None) -> Bracket:
    """The lowest mean BCE an affine + sigmoid map of x reaches on targets x, certified: damped Newton per
    output in float64, stopped when every output's best value is within GAP_TOL of its dual bound (the
    targets' entropy among them, which separable 0/1 targets only approach). Cut short by max_iterations or
    by stop (asked between Newton steps: near-separable images crawl for hundreds), it still returns a proven
    bracket."""
    import torch
    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    n, d = t.shape
    z = torch.cat([t, torch.ones(n, 1, dtype=torch.float64)], dim=1)
    params = torch.zeros(d, d + 1, dtype=torch.float64)
    floor = _entropy(t)
    lower = floor.clone()
    proj = Projector(z)
    done_at = max_iterations
    with torch.no_grad():
        loss = _losses(z, t, params)
        for i in range(max_iterations + 1):
            newton = _newton_step(z, t, params, stop)
            if newton is None:  # stopped part-way through a step: the bracket of the steps taken
                done_at = i
                break
            step, _ = newton
            bound, counted = _dual_bound(z, t, params, step, floor, proj)
            lower = torch.maximum(lower, bound)
            _dense_where_needed(z, t, params, proj, loss, lower, counted)
            done = loss - lower < GAP_TOL
            if bool(done.all()) or i == max_iterations or (stop is not None and stop()):
                done_at = i
                break
            params, loss = _line_search(z, t, params, step, loss)
    # An output within GAP_TOL of its entropy (itself a proven bound) has reached its infimum to tolerance:
    # report the entropy, so separable 0/1 targets show no model gap (4e-11 read as "what the model cannot fit").
    at_entropy = loss - floor < GAP_TOL
    loss = torch.where(at_entropy, floor, loss)
    lower = torch.where(at_entropy, floor, torch.minimum(lower, loss))
    return Bracket(float(loss.mean()), float(lower.mean()), done_at)


def soft_logistic_floor(x: np.ndarray, max_iterations: int = MAX_ITERATIONS) -> tuple[float, bool]:
    """(best value found, whether it is certified to GAP_TOL): logistic_bracket's upper end."""
    b = logistic_bracket(x, max_iterations)
    return b.upper, b.converged


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
