"""Certificates for the soft-target logistic floor: points of its maximum-entropy dual, each a proven lower bound.

softplus(u) = max over a ∈ [0, 1] of a·u + H(a), so for every α ∈ [0, 1]ⁿ with Zᵀα = Zᵀt and every w, the mean
BCE on logits f(w) = mean softplus(Zw) − t·Zw ≥ mean H(α). Both solves (logistic.py, logistic_wide.py) make such
points from their Newton steps; this module makes them exact and keeps them inside [0, 1].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

FEASIBLE = 1e-12      # a dual point counts when it lies in [0, 1] to this and fits its equations to it
HELD = 1e-6           # dense_bounds may hold an output this close to its 0 or 1 target at that target: its
#                       entropy (under 1.5e-5 a row) is given up, and its curvature can no longer push the point
#                       out of [0, 1]
HOLD_SHARE = 0.1      # the entropy the held rows may give up, as a share of the output's bracket
DENSE_ROUNDS = 4      # rows dense_bounds' point still pushes out of [0, 1] are held, and it solves again


def binary_entropy(a: torch.Tensor) -> torch.Tensor:
    """Elementwise binary entropy of a in [0, 1] (0·log 0 = 0)."""
    import torch
    a = a.clamp(0.0, 1.0)
    xlogx = torch.where(a > 0, a * torch.log(a.clamp_min(1e-300)), torch.zeros_like(a))
    ylogy = torch.where(a < 1, (1 - a) * torch.log1p(-a.clamp_max(1 - 1e-16)), torch.zeros_like(a))
    return -(xlogx + ylogy)


class Projector:
    """Projects vectors onto the row space of Zᵀ: v ↦ Z G⁺ Zᵀ v with G = ZᵀZ, through G's eigenvectors (a
    constant or empty column makes G singular; its null directions are dropped, as Zᵀ never reaches them)."""

    def __init__(self, z):
        import torch
        g = z.T @ z
        lam, vec = torch.linalg.eigh(g)
        keep = lam > lam.max() * 1e-13
        self.vec, self.inv = vec[:, keep], 1.0 / lam[keep]
        self.z = z

    def solve(self, b):
        """G⁺ b for b (m, k)."""
        return self.vec @ (self.inv[:, None] * (self.vec.T @ b))


def held_rows(t, p, budget):
    """Rows (n, b) to hold at their 0 or 1 target: those within HELD of it, nearest first, while the entropy
    they give up sums to at most `budget` (b,): the bound loses no more than that, and near the optimum,
    where the bracket (and so the budget) is narrow, few rows need holding."""
    import torch
    near = ((t == 0) | (t == 1)) & ((p - t).abs() < HELD)
    cost = torch.where(near, binary_entropy(p), torch.full_like(p, torch.inf))
    order = torch.argsort(cost, dim=0)
    spent = torch.cumsum(torch.gather(cost, 0, order), dim=0)
    held = torch.zeros_like(near)
    held.scatter_(0, order, spent <= budget[None, :])
    return held & near


def dense_bounds(z, z32, t, p, proj, n, give_up):
    """Proven lower bounds for a block of outputs (−inf where none is found) from exact, weighted projections of
    their outputs p (n, b), and each output's Newton step over its free rows (m, b; NaN where none was made).

    The Newton point (p linearised) leaves [0, 1] where targets sit at 0 with outputs near it: its curvature
    weights reach every row. Here such rows are held at their target (those within HELD of it, nearest first,
    giving up at most `give_up` (b,) of each output's mean entropy), and the rest move by
    α = a + c·Zu with c = a(1 − a), where u solves (Zᵀ diag(c) Z) u = −Zᵀ(a − t) over the free rows. Each
    output's (m × m) matrix is formed in float32 from its free rows and factored; float64 refinement makes the
    solve exact to round-off, and the shared projector removes what is left. Rows still pushed out of [0, 1]
    are held at 0 or 1 and the matrix downdated by them, up to DENSE_ROUNDS times. About 0.1 s an output at
    10,000 × 784, most of it forming the matrix; the products with Z are shared by the block.
    """
    import torch
    b = t.shape[1]
    held = held_rows(t, p, give_up * n)
    a = torch.where(held, t, p)
    c = torch.where(held, torch.zeros_like(a), a * (1 - a))
    grams = torch.empty(b, z.shape[1], z.shape[1], dtype=torch.float64)
    for j in range(b):
        free = (~held[:, j]).nonzero().flatten()
        zf = z32[free]
        grams[j] = (zf.T @ (c[free, j].to(torch.float32)[:, None] * zf)).to(torch.float64)
    bounds = torch.full((b,), -torch.inf, dtype=torch.float64)
    newton = torch.full((z.shape[1], b), torch.nan, dtype=torch.float64)
    todo = torch.ones(b, dtype=torch.bool)
    for round_ in range(DENSE_ROUNDS):
        cols = todo.nonzero().flatten()
        if not len(cols):
            break
        g = grams[cols]
        scale = g.diagonal(dim1=1, dim2=2).clamp_min(1e-300).rsqrt()  # (c, m)
        eye = torch.eye(z.shape[1], dtype=torch.float64)
        factor, info = torch.linalg.cholesky_ex(g * scale[:, :, None] * scale[:, None, :] + 1e-6 * eye)
        ac, tc, cc = a[:, cols], t[:, cols], c[:, cols]
        r = z.T @ (ac - tc)
        u = torch.zeros_like(r)
        residual = -r
        for _refine in range(3):  # the float32 factor as a preconditioner for the exact float64 system
            u = u + scale.T * torch.cholesky_solve((scale.T * residual).T[:, :, None], factor)[:, :, 0].T
            residual = -r - z.T @ (cc * (z @ u))
        if round_ == 0:
            newton[:, cols] = torch.where((info == 0)[None, :], u, torch.full_like(u, torch.nan))
        alpha = ac + cc * (z @ u)
        alpha = alpha - z @ proj.solve(z.T @ (alpha - tc))
        out = (alpha < -FEASIBLE) | (alpha > 1 + FEASIBLE)
        fits = (z.T @ (alpha - tc)).abs().amax(dim=0) / n <= FEASIBLE
        inside = ~out.any(dim=0) & (info == 0)
        value = binary_entropy(alpha).mean(dim=0)
        bounds[cols] = torch.where(inside & fits, value, bounds[cols])
        todo[cols] = False
        # Rows pushed out are held at 0 or 1, and their output tries again; only free rows can be (the
        # projector's own push of a held row is round-off, and holding it again would change nothing).
        for j, col in enumerate(cols.tolist()):
            gone = out[:, j] & ~held[:, col]
            if bool(inside[j]) or int(info[j]) or bool((out[:, j] & held[:, col]).any()) or not bool(gone.any()):
                continue
            rows = gone.nonzero().flatten()
            zg = z[rows]
            grams[col] -= zg.T @ (c[rows, col][:, None] * zg)
            a[rows, col] = alpha[rows, j].clamp(0.0, 1.0)
            c[rows, col] = 0.0
            held[rows, col] = True
            todo[col] = True
    return bounds, newton


def backtrack(loss_at, current, made):
    """Each output's step scale (1, ½, ¼, … eight times) at which its loss first drops below `current`, and
    that loss: scale 0 and the current loss where none does or no step was `made`. loss_at(scale) gives the
    block's losses at per-output scales (b,)."""
    import torch
    scale = torch.ones_like(current)
    taken, best = torch.zeros_like(current), current.clone()
    pending = made.clone()
    for _ in range(8):
        if not bool(pending.any()):
            break
        new = loss_at(scale)
        better = pending & (new < current)  # a NaN is never better
        taken, best = torch.where(better, scale, taken), torch.where(better, new, best)
        pending = pending & ~better
        scale = torch.where(pending, scale * 0.5, scale)
    return taken, best
