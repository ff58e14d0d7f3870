"""The wide (Newton-CG) logistic solve: its bracket is proven, checked against the formed-Hessian solve and
against models trained outside it, on data where the floor is attained, approached, or 0."""

import numpy as np
import pytest
import torch

from aegui.core.floors.logistic import logistic_bracket
from aegui.core.floors.logistic_wide import wide_bracket


def _cases():
    rng = np.random.default_rng(7)
    digits = np.round(np.clip(rng.normal(0.2, 0.4, (400, 16)), 0, 1) * 16) / 16  # many exact 0s, some 1s
    return {
        "uniform": rng.random((300, 12)),
        "sparse": np.where(rng.random((500, 15)) < 0.8, 0.0, rng.random((500, 15))),
        "two levels": (rng.random((200, 40)) > 0.7) * 0.9,  # near-separable: outputs near 0 on the 0 rows
        "digits-like": digits,
        "bernoulli": (rng.random((150, 8)) < 0.5).astype(np.float64),  # separable: the infimum is 0
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_the_wide_bracket_holds_the_formed_hessian_solves_floor(name):
    x = _cases()[name]
    wide, narrow = wide_bracket(x), logistic_bracket(x)
    assert wide.lower <= wide.upper
    # Each bracket is proven, so they overlap; where the narrow one is certified, the wide one contains it.
    assert wide.lower <= narrow.upper + 1e-12 and narrow.lower <= wide.upper + 1e-12
    if narrow.converged:
        assert wide.lower - 1e-12 <= narrow.upper <= wide.upper + 1e-9


def test_separable_data_is_never_certified_above_its_infimum():
    # A 0/1 file: each output copies its own input, so the infimum is 0, approached but never attained (the
    # property that caught an earlier Newton-CG solve certifying 3.4e-8).
    x = (np.random.default_rng(3).random((120, 30)) < 0.4).astype(np.float64)
    b = wide_bracket(x)
    assert b.lower <= 1e-12 and b.upper < 1e-6


def test_a_solve_cut_short_keeps_a_proven_bracket():
    x = _cases()["two levels"]
    full = logistic_bracket(x)
    steps = []
    cut = wide_bracket(x, stop=lambda: len(steps) >= 2, on_bracket=steps.append)
    assert cut.iterations == 2 and not cut.converged
    assert cut.lower <= full.upper + 1e-12 <= cut.upper + 1e-12
    # Each reported bracket is proven, and each is at least as narrow at its lower end as the last.
    assert all(a.lower <= b.lower + 1e-15 for a, b in zip(steps, steps[1:]))


@pytest.mark.parametrize("calls", [1, 5, 40])
def test_a_stop_part_way_through_a_step_ends_the_solve_there(calls):
    # Stop is asked inside each step too (a 784-column step takes seconds; the training process is killed
    # if Stop goes unanswered for 5 s): the bracket is that of the steps completed, and still proven.
    x = _cases()["two levels"]
    full = logistic_bracket(x)
    asked, steps = [], []
    cut = wide_bracket(x, stop=lambda: asked.append(1) or len(asked) >= calls, on_bracket=steps.append)
    assert len(asked) == calls and cut.iterations == len(steps)
    assert cut.lower <= full.upper + 1e-12 <= cut.upper + 1e-12


def test_the_narrow_solve_also_stops_part_way_through_a_step():
    x = _cases()["two levels"]
    full = logistic_bracket(x)
    asked = []
    cut = logistic_bracket(x, stop=lambda: asked.append(1) or len(asked) >= 2)
    assert len(asked) == 2 and cut.lower <= full.upper + 1e-12 <= cut.upper + 1e-12


def test_constant_columns_take_their_entropy():
    rng = np.random.default_rng(1)
    x = rng.random((100, 6))
    x[:, 1], x[:, 3], x[:, 5] = 0.0, 1.0, 0.3
    b = wide_bracket(x)
    h = -(0.3 * np.log(0.3) + 0.7 * np.log(0.7))
    rest = logistic_bracket(x)
    assert b.converged and rest.converged
    assert abs(b.upper - rest.upper) < 1e-9
    # The three constant outputs contribute 0, 0 and H(0.3) to the mean.
    assert b.upper >= h / 6


def test_no_trained_affine_sigmoid_map_goes_under_the_lower_bound():
    # A model trained outside the solve (Adam in float64 on all of x) never beats the proven lower end.
    x = np.round(np.random.default_rng(5).random((300, 280)) ** 3 * 8) / 8  # 280 columns: the wide solve's
    b = wide_bracket(x, max_iterations=8)
    t = torch.from_numpy(x)
    lin = torch.nn.Linear(280, 280).double()
    opt = torch.optim.Adam(lin.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(lin(t), t)
        loss.backward()
        opt.step()
    with torch.no_grad():
        trained = float(torch.nn.functional.binary_cross_entropy_with_logits(lin(t), t))
    assert b.lower <= trained and b.lower <= b.upper
    assert b.lower > float(-(torch.xlogy(t, t) + torch.xlogy(1 - t, 1 - t)).mean()) - 1e-12


def _strokes(n, side, seed):
    """Stroke images as MNIST's: anti-aliased lines, mostly exact 0s (the benchmark's own maker)."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_floors_wide import strokes
    return strokes(n, side, seed).astype(np.float64)


def test_near_separable_images_are_certified_exact_by_both_solves_and_they_agree():
    # Stroke images: most outputs sit near 0 on most rows, where the Newton point's projection used to leave
    # [0, 1] (the wide solve never certified them), and where charging the residual at the current |w| let the
    # formed-Hessian solve certify a value 2e-9 above a loss the wide one then reached.
    x = _strokes(150, 8, 1)
    wide, narrow = wide_bracket(x), logistic_bracket(x)
    assert wide.converged and narrow.converged
    assert wide.lower <= narrow.upper + 1e-12 and narrow.lower <= wide.upper + 1e-12


def test_the_dense_bound_is_proven_and_its_newton_step_lowers_the_loss():
    from aegui.core.floors.dual import Projector, binary_entropy, dense_bounds
    x = _strokes(150, 8, 2)
    t = torch.from_numpy(x)
    keep = t.amax(dim=0) > t.amin(dim=0)
    t = t[:, keep]
    z = torch.cat([t, torch.ones(len(t), 1, dtype=torch.float64)], dim=1)
    w = torch.zeros(z.shape[1], t.shape[1], dtype=torch.float64)
    loss = torch.nn.functional.softplus(z @ w).mean(dim=0) - (t * (z @ w)).mean(dim=0)
    bounds, u = dense_bounds(z, z.float(), t, torch.sigmoid(z @ w), Projector(z), len(t),
                             torch.full((t.shape[1],), 1e-3, dtype=torch.float64))
    # An affine + sigmoid map trained outside the solve (L-BFGS in float64) never goes under an output's bound.
    lin = torch.nn.Linear(t.shape[1], t.shape[1]).double()
    opt = torch.optim.LBFGS(lin.parameters(), max_iter=500, tolerance_grad=1e-12, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(lin(t), t)
        value.backward()
        return value
    opt.step(closure)
    with torch.no_grad():
        trained = torch.nn.functional.binary_cross_entropy_with_logits(lin(t), t, reduction="none").mean(dim=0)
        near, _ = dense_bounds(z, z.float(), t, torch.sigmoid(lin(t)), Projector(z), len(t),
                               trained - binary_entropy(t).mean(dim=0))
    for b in (bounds, near):
        found = torch.isfinite(b)
        assert bool((b[found] <= trained[found] + 1e-12).all())
    # From near the optimum it proves something: above the targets' entropy (the bound without it) on a good
    # share of outputs (28 of 58 here from L-BFGS's point, measured; from w = 0, none).
    assert int((near > binary_entropy(t).mean(dim=0) + 1e-6).sum()) >= t.shape[1] // 3
    stepped = w + u.nan_to_num()
    new = torch.nn.functional.softplus(z @ stepped).mean(dim=0) - (t * (z @ stepped)).mean(dim=0)
    made = ~torch.isnan(u).any(dim=0)
    assert bool(made.any()) and bool((new[made] < loss[made]).all())


def test_the_starting_fit_is_never_worse_than_zero_weights():
    from aegui.core.floors.dual import Projector
    from aegui.core.floors.logistic_wide import _start
    for x in list(_cases().values()) + [_strokes(200, 8, 3)]:
        t = torch.from_numpy(x)
        t = t[:, t.amax(dim=0) > t.amin(dim=0)]
        z = torch.cat([t, torch.ones(len(t), 1, dtype=torch.float64)], dim=1)
        w, logits, loss = _start(z, t, Projector(z))
        assert bool((loss <= np.log(2) + 1e-15).all())
        assert torch.allclose(logits, z @ w)
