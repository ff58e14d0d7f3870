"""The best affine + sigmoid autoencoder without a bottleneck: one convex logistic regression per output.

With a code at least as wide as the input, x̂ = σ(A x + c) for any A and c, so the lowest BCE such a
model reaches is, for each output j, the minimum over (a_j, c_j) of mean BCE(x_j, σ(a_j·x + c_j)):
a logistic regression with soft targets, which is convex. It is solved here by Newton in float64, every output
at once, each Newton system by conjugate gradients (no ridge: a ridge caps the steps along an optimum at
infinity, and its residual spoils the certificate), and certified by the maximum-entropy dual. Up to
LOGISTIC_MAX_FEATURES columns the Hessians are formed (one (d+1)² matrix per output); wider files use
Hessian-vector products Zᵀ(w ⊙ (Z Vᵀ)) across all outputs, matmuls only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

# torch is imported inside the solver: the window imports floors before it paints, and torch takes ~2 s.

# The formed-Hessian solve's work is about n·d·(d+1)² multiply-adds an iteration; over this many in all (about
# 2 s on one core of the 2-core build machine) the solve runs in the background.
LOGISTIC_FLOP_BUDGET = 2e9
# Beyond this many columns the Hessians are not formed (at 784 columns they alone would take 3.9 GB): the
# solve uses Hessian-vector products instead (wide_bracket), memory a few n·d float64 matrices.
LOGISTIC_MAX_FEATURES = 256
LOGISTIC_MAX_FLOPS = 1e12  # the question preset (30,000 × 100, 4.6e11) solved in 8.9 s in the background here
WIDE_MAX_FEATURES = 4096   # the wide solve keeps a few d × (d+1) matrices too: 134 MB each at 4,096
WIDE_MAX_FLOPS = 1e14      # about 40 matmul passes a Newton step: hours past this on the build machine
MAX_ITERATIONS = 400  # a safety cap only: the solve stops on its certificate (a cut-short one keeps a bracket)
GAP_TOL = 1e-9        # "exact": each output's proven bracket (best found − dual bound) is narrower than this
SNAP = 1e-10  # a row whose 0/1 target an output already meets to this is taken at its target by the dual
CG_ITERATIONS = 200  # per Newton step, a cap; CG stops on its residual (a forcing term that tightens with the gradient)


def is_wide(x: np.ndarray) -> bool:
    """True when x is solved by Hessian-vector products (wide_bracket) rather than formed Hessians."""
    return x.shape[1] > LOGISTIC_MAX_FEATURES or 15.0 * x.shape[0] * x.shape[1] * (x.shape[1] + 1) ** 2 > LOGISTIC_MAX_FLOPS


def solvable(x: np.ndarray) -> bool:
    """True when a run solves x's floor: within the formed-Hessian caps above. A wide file's solve (wide_bracket)
    is not started by a run: 784 × 10,000 took ~515 s to a 1% bracket on the build machine, 18× a 10-epoch run,
    and the run's end waits for its floors."""
    return not is_wide(x)


def logistic_cost(x: np.ndarray) -> float:
    """Rough multiply-adds of a full solve on x (n × d): 15 Newton iterations of formed Hessians, or for a wide
    file about 40 n·d·(d+1) matmuls an iteration."""
    n, d = x.shape
    if is_wide(x):
        return 15.0 * 40.0 * n * d * (d + 1)
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


class Bracket:
    """A certified logistic solve: best found (an upper value), a proven lower bound, and whether they meet."""

    def __init__(self, upper: float, lower: float, iterations: int):
        self.upper, self.lower, self.iterations = upper, lower, iterations

    @property
    def converged(self) -> bool:
        """True when the bracket is narrower than GAP_TOL (per output, on average)."""
        return self.upper - self.lower < GAP_TOL


def _binary_entropy(a: torch.Tensor) -> torch.Tensor:
    """Elementwise binary entropy of a in [0, 1] (0·log 0 = 0)."""
    import torch
    a = a.clamp(0.0, 1.0)
    xlogx = torch.where(a > 0, a * torch.log(a.clamp_min(1e-300)), torch.zeros_like(a))
    ylogy = torch.where(a < 1, (1 - a) * torch.log1p(-a.clamp_max(1 - 1e-16)), torch.zeros_like(a))
    return -(xlogx + ylogy)


def soft_logistic_floor(x: np.ndarray, max_iterations: int = MAX_ITERATIONS) -> tuple[float, bool]:
    """(best value found, whether it is certified to GAP_TOL): logistic_bracket's upper end."""
    b = logistic_bracket(x, max_iterations)
    return b.upper, b.converged


def _own_column_start(xj: torch.Tensor, iterations: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Each output's best σ(a·x_j + c) on its own column alone: (a, c), by elementwise Newton in 2-d."""
    import torch
    n = xj.shape[0]
    a = torch.zeros(xj.shape[1], dtype=xj.dtype, device=xj.device)
    c = torch.zeros_like(a)
    for _ in range(iterations):
        p = torch.sigmoid(a * xj + c)
        e, w = p - xj, p * (1 - p)
        ga, gc = (e * xj).sum(0) / n, e.sum(0) / n
        haa, hac, hcc = (w * xj * xj).sum(0) / n + 1e-12, (w * xj).sum(0) / n, w.sum(0) / n + 1e-12
        det = haa * hcc - hac * hac
        da, dc = (hcc * ga - hac * gc) / det, (haa * gc - hac * ga) / det
        ok = torch.isfinite(da) & torch.isfinite(dc)
        step = torch.ones_like(a)
        base = (torch.nn.functional.softplus(a * xj + c) - xj * (a * xj + c)).mean(0)
        for _ in range(12):
            na, nc = a - step * da, c - step * dc
            trial = (torch.nn.functional.softplus(na * xj + nc) - xj * (na * xj + nc)).mean(0)
            worse = ~(trial <= base) & ok
            if not bool(worse.any()):
                break
            step = torch.where(worse, step * 0.5, step)
        good = ok & (trial <= base)
        a, c = torch.where(good, na, a), torch.where(good, nc, c)
    return a, c


def _cg(hvp, rhs: torch.Tensor, precond: torch.Tensor, tol: torch.Tensor, iterations: int) -> torch.Tensor:
    """Preconditioned conjugate gradients on every output's system at once: rows of rhs (m, D); hvp(V) applies
    each output's own matrix to its row. Stops when every row's residual is under its tol (m,)."""
    import torch
    x = torch.zeros_like(rhs)
    r = rhs.clone()
    y = r / precond
    p = y.clone()
    ry = (r * y).sum(1)
    for _ in range(iterations):
        if bool((r.norm(dim=1) <= tol).all()):
            return x
        hp = hvp(p)
        php = (p * hp).sum(1)
        step = torch.where(php > 0, ry / php, torch.zeros_like(ry))
        x = x + step[:, None] * p
        r = r - step[:, None] * hp
        y = r / precond
        ry_new = (r * y).sum(1)
        beta = torch.where(ry > 0, ry_new / ry, torch.zeros_like(ry))
        p = y + beta[:, None] * p
        ry = ry_new
    return x


def logistic_bracket(x: np.ndarray, max_iterations: int = MAX_ITERATIONS, *, on_bracket=None, stop=None,
                     device: str | None = None) -> Bracket:
    """The lowest mean BCE an affine + sigmoid map of x reaches on targets x, certified: Newton in float64, every
    output at once, stopped when every output's best value is within GAP_TOL of its dual bound (the targets'
    entropy among them, which separable 0/1 targets only approach). Cut short by max_iterations or stop(), it
    still returns a proven bracket. A wide file (is_wide) is solved by wide_bracket."""
    return _solve(x, max_iterations, formed=not is_wide(x), on_bracket=on_bracket, stop=stop, device=device)


def _one_thread(solve):
    """Run solve on one intra-op thread: on the busy 2-core build machine a descheduled second OpenMP thread
    stalls every elementwise op (the own-column start took 242 s on two threads, 24 s on one)."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return solve()
    finally:
        torch.set_num_threads(before)


def wide_bracket(x: np.ndarray, max_iterations: int = MAX_ITERATIONS, *, on_bracket=None, stop=None,
                 device: str | None = None) -> Bracket:
    """logistic_bracket without formed Hessians, for wide files: Hessian-vector products Zᵀ(w ⊙ (Z Vᵀ)) for all
    outputs at once, memory a few n·d matrices. device: a torch device (None: CUDA when present, else the CPU)."""
    if device is None:
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return _solve(x, max_iterations, formed=False, on_bracket=on_bracket, stop=stop, device=device)


def _solve(x: np.ndarray, max_iterations: int, *, formed: bool, on_bracket=None, stop=None,
           device: str | None = None) -> Bracket:
    return _one_thread(lambda: _solve_here(x, max_iterations, formed=formed, on_bracket=on_bracket, stop=stop,
                                           device=device))


def _solve_here(x: np.ndarray, max_iterations: int, *, formed: bool, on_bracket=None, stop=None,
                device: str | None = None) -> Bracket:
    """The certified solve behind logistic_bracket and wide_bracket.

    Constant columns are exact at once (the bias alone meets them; as inputs they repeat the bias). Each output
    starts from its best fit on its own column; each Newton step solves every output's system by Jacobi-
    preconditioned CG, with formed Hessians or with Hessian-vector products. Rows whose 0/1 target an output
    already meets to SNAP (moving to an optimum at infinity: the row is separable) leave that output's system.

    The dual point: softplus(u) = max over a ∈ [0, 1] of a·u + H(a), so for any α ∈ [0, 1]ⁿ and any w,
    f(w) = mean softplus(z·w) − t·(z·w) ≥ mean H(α) + w·r with r = Zᵀ(α − t)/n: where Zᵀα = Zᵀt (r = 0), mean H(α)
    bounds the minimum. α = t is one (the targets' entropy). The sharper one used: σ(z·w) moved by the Newton
    step's linearisation, α = p − p(1−p)·(z·Δw) (Zᵀα = Zᵀt up to CG's residual), clipped to [0, 1], with the
    separable rows at their targets. What is left of r is charged at |w|₁·max|r| (the current w standing in
    for the optimum's). on_bracket(Bracket) is called after every step; stop() ends the solve early.
    """
    import torch
    dev = torch.device(device or "cpu")
    dt = torch.float64
    t_all = torch.from_numpy(np.asarray(x, dtype=np.float64)).to(dev)
    n, d = t_all.shape
    floor_all = _entropy(t_all)
    live = (t_all.amax(dim=0) > t_all.amin(dim=0)).nonzero().flatten()
    upper_all, lower_all = floor_all.clone(), floor_all.clone()  # a constant column: exact at its entropy
    m = len(live)
    if m == 0:
        return Bracket(float(upper_all.mean()), float(lower_all.mean()), 0)
    t = t_all[:, live].contiguous()
    del t_all
    z = torch.cat([t, torch.ones(n, 1, dtype=dt, device=dev)], dim=1)  # (n, D): the live columns and the bias
    z2 = z * z if not formed else z[:0]  # the diagonal preconditioner's squares, for the wide path only
    a, c = _own_column_start(t)
    params = torch.zeros(m, m + 1, dtype=dt, device=dev)
    params[torch.arange(m), torch.arange(m)] = a
    params[:, -1] = c
    floor = floor_all[live]
    lower = floor.clone()
    act = torch.arange(m, device=dev)  # the outputs still being solved
    tt, ff = t, floor
    loss = _losses(z, tt, params)
    done_at = max_iterations

    def publish(i: int) -> Bracket:
        # An output within GAP_TOL of its entropy (itself a proven bound) has reached its infimum to tolerance:
        # report the entropy, so separable 0/1 targets show no model gap (4e-11 read as "what the model cannot fit").
        at_entropy = loss - floor < GAP_TOL
        up, lo = upper_all.clone(), lower_all.clone()
        up[live] = torch.where(at_entropy, floor, loss)
        lo[live] = torch.where(at_entropy, floor, torch.minimum(lower, loss))
        return Bracket(float(up.mean()), float(lo.mean()), i)

    with torch.no_grad():
        for i in range(max_iterations + 1):
            w_act = params[act]
            logits = z @ w_act.T                                           # (n, k)
            p = torch.sigmoid(logits)
            snapped = ((tt == 0) & (p < SNAP)) | ((tt == 1) & (p > 1 - SNAP))
            wts = torch.where(snapped, 0.0, p * (1 - p))
            grad = (torch.where(snapped, 0.0, p - tt).T @ z) / n          # (k, D): the unsnapped rows' gradient
            gnorm = grad.norm(dim=1)
            if formed:
                # One (d+1)² Hessian per output; a loop keeps memory at n·(d+1), where one einsum would hold n·d·(d+1).
                hess = torch.stack([(z * wts[:, j, None]).T @ z for j in range(wts.shape[1])]) / n
                precond = torch.diagonal(hess, dim1=1, dim2=2) + 1e-30

                def hvp(v, hess=hess):
                    return torch.bmm(hess, v.unsqueeze(-1)).squeeze(-1)
            else:
                precond = (wts.T @ z2) / n + 1e-30

                def hvp(v, wts=wts):
                    return ((wts * (z @ v.T)).T @ z) / n
            # Truncated Newton: a few CG steps while far off (each is two passes over the data when wide), more
            # as the gradient falls; the forcing term makes the last steps' residual, the dual's, tiny.
            cap = CG_ITERATIONS if formed else min(CG_ITERATIONS, 8 * (i + 1))
            step = _cg(hvp, grad, precond, gnorm * torch.clamp(gnorm.sqrt(), max=0.1), cap)
            if formed:
                del hess, hvp  # the formed Hessians (k·(d+1)² floats) go before the dual point's n × k temporaries
            zs = z @ step.T                                                # (n, k): each row's logit step
            alpha = torch.where(snapped, tt, (p - wts * zs).clamp(0.0, 1.0))
            r = ((alpha - tt).T @ z) / n
            bound = _binary_entropy(alpha).mean(dim=0) - w_act.abs().sum(dim=1) * r.abs().amax(dim=1)
            lower[act] = torch.maximum(lower[act], torch.where(torch.isfinite(bound), bound, ff))
            cur = loss[act]
            done = cur - lower[act] < GAP_TOL
            if on_bracket is not None:
                on_bracket(publish(i))
            if bool(done.all()) or i == max_iterations or (stop is not None and stop()):
                done_at = i
                break
            # Backtrack each output's step until its loss does not rise (Newton on logistic loss can overshoot).
            scale = torch.ones(len(act), dtype=dt, device=dev)
            for _ in range(40):
                trial = logits - scale * zs
                new = (torch.nn.functional.softplus(trial) - tt * trial).mean(dim=0)
                worse = ~(new <= cur)
                if not bool(worse.any()):
                    break
                scale = torch.where(worse, scale * 0.5, scale)
            keep = new <= cur
            params[act] = torch.where(keep[:, None], w_act - scale[:, None] * step, w_act)
            loss[act] = torch.where(keep, new, cur)
            del logits, p, snapped, wts, zs, alpha, trial
            still = ~done
            if int(still.sum()) < 0.75 * len(act):  # drop finished outputs: smaller products from here on
                act, tt, ff = act[still], tt[:, still].contiguous(), ff[still]
    return publish(done_at)
