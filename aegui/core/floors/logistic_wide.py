"""The affine + sigmoid model's floor on wide data (hundreds of columns): Newton-CG with a certificate.

logistic.py forms each output's (d+1)² Hessian every step, which at 784 columns costs hours. Here the weights
start from a least-squares fit of the targets' logits, and every output's Newton direction comes from conjugate
gradients on Hessian-vector products, all outputs at once (two matrix products a CG step), preconditioned by
the data's own Gram matrix scaled to each output's curvature. Each step also yields points of the
maximum-entropy dual, made exactly feasible by a projection (dual.py): their mean entropy is a proven lower
bound. Near-separable outputs (images: targets at 0, outputs near 0) push those points out of [0, 1], so once
the lower end holds the bracket open, the widest outputs get dual.dense_bounds (their own matrix, formed once,
rows at 0 held there) and its exact Newton step. A solve cut short (by its caller's stop, at the end of the run)
still returns a proven bracket, and "exact" means the bracket is narrower than GAP_TOL.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from .dual import FEASIBLE, HOLD_SHARE, Projector, backtrack, dense_bounds
from .dual import binary_entropy as _entropy  # one definition of H for both solves
from .logistic import GAP_TOL, Bracket

WIDE_MAX_CELLS = 2e7     # rows × (columns + 1): at BYTES_PER_CELL, 2.4 GB (25,000 × 784 fits; MNIST's 60,000 not)
NEWTON_CAP = 200         # a safety cap only: the solve stops on its certificate, or when its caller stops it
CG_CAP = 15              # CG steps per Newton step; a cut-short direction is still a descent direction (at
#                          784 × 10,000, 60 took twice as long a step for the same loss)
START_CLIP = 3e-3        # the starting fit's targets are clipped to [START_CLIP, 1 − START_CLIP] before their logit
DENSE_AFTER = 0.5        # dense bounds follow a Newton-CG step that gained less than this share of the bracket
DENSE_SHARE = 1.0        # the dense bounds' time after a Newton-CG step, as a multiple of that step's
DENSE_BLOCK = 16         # outputs whose dense bounds share their products with Z (16 matrices of (m × m): 79 MB)
BYTES_PER_CELL = 120     # peak bytes per data value, measured: 72 at 50,000 × 100, 103 at 20,000 × 300, 109
#                          at 5,000 × 784 (float64 targets, inputs, logits, outputs, curvature, step; float32
#                          copies for CG; the line search's and the dual bound's temporaries)


def wide_cost_ok(x: np.ndarray) -> bool:
    """True when a wide solve of x fits its memory cap (WIDE_MAX_CELLS)."""
    return float(x.shape[0]) * (x.shape[1] + 1) <= WIDE_MAX_CELLS


def _losses(logits, t):
    """Mean BCE on logits of each output column."""
    import torch
    return (torch.nn.functional.softplus(logits) - t * logits).mean(dim=0)


def wide_bracket(x: np.ndarray, stop: Callable[[], bool] | None = None,
                 on_bracket: Callable[[Bracket], None] | None = None,
                 max_iterations: int = NEWTON_CAP) -> Bracket:
    """The lowest mean BCE an affine + sigmoid map of x reaches on targets x, as a proven bracket.

    stop: asked between Newton steps; once true the solve returns the bracket it has. on_bracket: called with
    each step's bracket (its upper end the loss of the current weights, its lower end the best dual bound).
    """
    import torch
    t_all = torch.from_numpy(np.asarray(x, dtype=np.float64))
    n, d = t_all.shape
    lo_col, hi_col = t_all.min(dim=0).values, t_all.max(dim=0).values
    constant = lo_col == hi_col
    # A constant target column is fitted exactly by its bias: floor = its entropy (0 at 0 or 1, an infimum).
    upper = _entropy(t_all[0].clone())
    lower = upper.clone()
    active = (~constant).nonzero().flatten()
    # Inputs that vary; a constant input is the bias again and only makes the Gram matrix singular.
    z = torch.cat([t_all[:, active], torch.ones(n, 1, dtype=torch.float64)], dim=1)
    t = t_all if len(active) == d else t_all[:, active]  # no copy when every column varies
    k = t.shape[1]
    iterations = 0
    if k:
        floor = _entropy(t).mean(dim=0)
        proj = Projector(z)
        z32 = z.to(torch.float32)  # CG's products in float32 (2.4× faster); the certificate's stay in float64
        w, logits, loss = _start(z, t, proj)
        best_lower = floor.clone()
        halted = False  # stop() said so in a step's dense bounds: not asked again
        for iterations in range(1, max_iterations + 1):
            started = time.perf_counter()
            p = torch.sigmoid(logits)
            curv = p * (1 - p)
            grad = z.T @ (p - t) / n
            step = _cg(z32, curv, grad, proj, n, stop)
            if step is None:  # stopped part-way through a step (one takes seconds at 784 columns)
                iterations -= 1
                break
            z_step = z @ step
            bound = torch.cat([_dual_bound(z, t[:, c], proj, [p[:, c] - curv[:, c] * z_step[:, c],
                                                              torch.sigmoid(logits[:, c] - z_step[:, c])], n)
                               for c in _column_blocks(k)])
            best_lower = torch.maximum(best_lower, bound)
            del p, curv, grad, bound  # n × k each: freed before the line search's own temporaries
            before = loss
            w, loss = _line_search(logits, w, z_step, step, t, loss)
            logits = z @ w  # afresh each step, so the line search's losses are those of the weights
            width = loss - torch.minimum(best_lower, loss)
            # Once a Newton step gains less than half the bracket, the lower end holds it open: spend
            # DENSE_SHARE times as long on exact dual points (and Newton steps), widest bracket first.
            if float((before - loss).sum()) < DENSE_AFTER * float(width.sum()):
                deadline = time.perf_counter() + DENSE_SHARE * (time.perf_counter() - started)
                halted = _dense_phase(z, z32, t, w, logits, loss, proj, n, best_lower, deadline, stop)
            bracket = _bracket(upper, lower, active, loss, best_lower, floor, iterations)
            if on_bracket is not None:
                on_bracket(bracket)
            if bracket.converged or halted or (stop is not None and stop()):
                break
        # The upper end is the loss of these weights, computed afresh (the logits were updated step by step).
        return _bracket(upper, lower, active, _losses(z @ w, t), best_lower, floor, iterations)
    return Bracket(float(upper.mean()), float(lower.mean()), 0)


def _start(z, t, proj):
    """Starting weights, their logits and losses: each output's least-squares fit of its targets' logits
    (clipped to [START_CLIP, 1 − START_CLIP]), through the projector already made; zero weights where that fit
    is worse. On 784 × 10,000 strokes it starts at 0.059 for 0.5 s, where three Newton steps from zero take 13 s."""
    import torch
    clipped = t.clamp(START_CLIP, 1 - START_CLIP)
    w = proj.solve(proj.z.T @ (torch.log(clipped) - torch.log1p(-clipped)))
    del clipped
    logits = z @ w
    loss = _losses(logits, t)
    worse = ~(loss <= math.log(2))  # zero weights give log 2 on every output; a NaN counts as worse
    if bool(worse.any()):
        w[:, worse], logits[:, worse] = 0.0, 0.0
        loss = torch.where(worse, torch.full_like(loss, math.log(2)), loss)
    return w, logits, loss


def _column_blocks(k: int, blocks: int = 8, least: int = 16):
    """About `blocks` slices of the k outputs (at least `least` wide): the dual bound's dozen n × block
    temporaries then add ~12 bytes per data value, while each block's products still stream Z efficiently
    (16-wide blocks at 784 columns doubled the step's time; 64-wide at 100 columns doubled the solve's peak)."""
    size = max(least, -(-k // blocks))
    return [slice(start, min(start + size, k)) for start in range(0, k, size)]


def _dual_bound(z, t, proj, points, n):
    """Each output's proven lower bound from the maximum-entropy dual (−inf where none is found).

    softplus(u) = max over a ∈ [0, 1] of a·u + H(a), so for every α ∈ [0, 1]ⁿ with Zᵀα = Zᵀt and every w,
    f(w) ≥ mean H(α): each such α bounds the minimum. The candidates are the Newton step's two predictions
    of the optimum's outputs, p linearised (p − p(1−p)·ZΔ, off its equations only by CG's residual) and the
    outputs at the full step (σ(logits − ZΔ), always in (0, 1)), each projected onto the equations' solution
    set. A projection can push an output a little past 0 or 1 (targets at 0 with outputs near it): a mix of
    the two that stays in [0, 1] is then sought, as any mix still solves the equations.
    """
    import torch
    fixed = []
    for alpha in points:
        alpha = alpha - z @ proj.solve(z.T @ (alpha - t))
        fits = (z.T @ (alpha - t) / n).abs().amax(dim=0) <= FEASIBLE
        fixed.append((alpha, fits))
    (a, fits_a), (b, fits_b) = fixed
    # λa + (1 − λ)b ∈ [0, 1] elementwise: each row bounds λ from one side or the other.
    diff = a - b
    with torch.no_grad():
        lo_lim = torch.where(diff > 0, (-FEASIBLE - b) / diff, torch.where(diff < 0, (1 + FEASIBLE - b) / diff,
                                                                           torch.full_like(b, -torch.inf)))
        hi_lim = torch.where(diff > 0, (1 + FEASIBLE - b) / diff, torch.where(diff < 0, (-FEASIBLE - b) / diff,
                                                                             torch.full_like(b, torch.inf)))
        outside_both = ((b < -FEASIBLE) | (b > 1 + FEASIBLE)) & (diff == 0)
    lam_lo = lo_lim.amax(dim=0).clamp_min(0.0)  # not clamped above: a lower limit past 1 means no mix fits
    lam_hi = hi_lim.amin(dim=0).clamp_max(1.0)
    possible = (lam_lo <= lam_hi) & ~outside_both.any(dim=0) & fits_a & fits_b
    best = torch.full((t.shape[1],), -torch.inf, dtype=t.dtype)
    for f in (0.0, 0.25, 0.5, 0.75, 1.0):  # H is concave along the segment: a few points find most of its top
        lam = lam_lo + f * (lam_hi - lam_lo)
        mix = lam * a + (1 - lam) * b
        value = _entropy(mix).mean(dim=0)
        inside = ((mix >= -FEASIBLE) & (mix <= 1 + FEASIBLE)).all(dim=0)  # checked, not trusted to the algebra
        best = torch.where(possible & inside, torch.maximum(best, value), best)
    return best


def _dense_phase(z, z32, t, w, logits, loss, proj, n, best_lower, deadline: float,
                 stop: Callable[[], bool] | None, block: int = DENSE_BLOCK) -> bool:
    """dense_bounds for the widest brackets, a block at a time until the deadline (time.perf_counter()): raises
    best_lower, and takes each output's exact Newton step where it lowers the loss (w, logits and loss change in
    place). An output may come round twice: a Newton step from a far point moves it much, and its next bound is
    then close. True when stop() said to end the solve (it is asked before each block)."""
    import torch
    visits = torch.zeros(len(loss), dtype=torch.int64)
    while time.perf_counter() < deadline:
        if stop is not None and stop():
            return True
        width = torch.where(visits < 2, loss - torch.minimum(best_lower, loss), torch.zeros_like(loss))
        cols = torch.argsort(width, descending=True)[:block]
        cols = cols[width[cols] > GAP_TOL]
        if not len(cols):
            break
        visits[cols] += 1
        bounds, u = dense_bounds(z, z32, t[:, cols], torch.sigmoid(logits[:, cols]), proj, n,
                                  HOLD_SHARE * width[cols])
        best_lower[cols] = torch.maximum(best_lower[cols], bounds)
        made = ~torch.isnan(u).any(dim=0)
        u = torch.where(made, u, torch.zeros_like(u))
        w_cols, t_cols = w[:, cols], t[:, cols]
        taken, loss[cols] = backtrack(lambda scale, w0=w_cols, u=u, tc=t_cols: _losses(z @ (w0 + u * scale), tc),
                                      loss[cols], made)  # called here, so the defaults only satisfy the linter
        w[:, cols] = w_cols + u * taken
        logits[:, cols] = z @ w[:, cols]
    return False


def _bracket(upper, lower, active, loss, best_lower, floor, iterations) -> Bracket:
    """The mean bracket over all outputs, constant ones included; an output within GAP_TOL of its entropy has
    reached its infimum (separable 0/1 targets only approach it)."""
    import torch
    at_entropy = loss - floor < GAP_TOL
    up, lo = upper.clone(), lower.clone()
    up[active] = torch.where(at_entropy, floor, loss)
    lo[active] = torch.where(at_entropy, floor, torch.minimum(best_lower, loss))
    return Bracket(float(up.mean()), float(lo.mean()), iterations)


def _cg(z32, curv, grad, proj, n, stop=None):
    """Each output's Newton direction (m, k) by preconditioned CG, all outputs at once, its products in float32;
    None once stop() is true (asked every CG step, so Stop ends a solve within about a second).

    Preconditioner: the output's mean curvature times ZᵀZ/n (its Hessian if the curvature were the same on every
    row), applied through the projector's eigendecomposition."""
    import torch
    scale = curv.mean(dim=0).clamp_min(1e-30)  # (k,); an output all but saturated keeps a finite direction

    def precondition(r):
        return proj.solve(r) * (n / scale)

    step = torch.zeros_like(grad)
    curv32 = curv.to(torch.float32)
    r = grad.clone()
    g_norm = grad.norm(dim=0).clamp_min(1e-300)
    s = precondition(r)
    direction = s
    rs = (r * s).sum(dim=0)
    for _ in range(CG_CAP):
        if stop is not None and stop():
            return None
        h_dir = (z32.T @ (curv32 * (z32 @ direction.to(torch.float32)))).to(torch.float64) / n
        denom = (direction * h_dir).sum(dim=0)
        a = torch.where(denom > 0, rs / denom.clamp_min(1e-300), torch.zeros_like(rs))
        step += a * direction
        r -= a * h_dir
        if bool((r.norm(dim=0) <= 1e-6 * g_norm + 1e-15).all()):
            break
        s = precondition(r)
        rs_new = (r * s).sum(dim=0)
        direction = s + (rs_new / rs.clamp_min(1e-300)) * direction
        rs = rs_new
    finite = torch.isfinite(step).all(dim=0)
    return torch.where(finite, step, torch.zeros_like(step))  # an output whose direction broke down rests


def _line_search(logits, w, z_step, step, t, loss):
    """Backtrack each output's Newton step until its loss does not rise; the logits move with the weights."""
    import torch
    scale = torch.ones(w.shape[1], dtype=w.dtype)
    for _ in range(40):
        new = _losses(logits - scale * z_step, t)
        worse = ~(new <= loss)  # a NaN counts as worse
        if not bool(worse.any()):
            break
        scale = torch.where(worse, scale * 0.5, scale)
    keep = new <= loss
    s = torch.where(keep, scale, torch.zeros_like(scale))
    return w - s * step, torch.where(keep, new, loss)


def timed_bracket(x: np.ndarray, seconds: float) -> Bracket:
    """wide_bracket stopped after about `seconds` (for benchmarks and tests)."""
    t0 = time.perf_counter()
    return wide_bracket(x, stop=lambda: time.perf_counter() - t0 > seconds)
