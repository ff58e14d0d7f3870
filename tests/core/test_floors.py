"""Floors: values against closed forms and an independent solver, claims relative to the run's model."""

import numpy as np
import pytest
import torch

from aegui.core.data import data
from aegui.core.config.config import DataConfig, RunConfig, with_changes
from aegui.core.floors.floors import (Floor, binary_entropy, find, floors_for, headline, pca_floor, pca_floors,
                               range_distance)
from aegui.core.floors.logistic import soft_logistic_floor


def _cfg(**changes) -> RunConfig:
    return with_changes(RunConfig(), **{"data.samples": 4000, **changes})


def test_uniform_bce_floor_is_half_a_nat():
    x = data.generate(DataConfig(samples=200_000, features=2), 0)
    assert binary_entropy(x) == pytest.approx(0.5, abs=0.003)


def test_binary_targets_have_zero_entropy():
    assert binary_entropy(np.array([[0.0, 1.0], [1.0, 1.0]])) == 0.0


@pytest.mark.parametrize("d,k", [(4, 2), (8, 3), (5, 1)])
def test_iid_uniform_bottleneck_floor(d, k):
    x = data.generate(DataConfig(samples=200_000, features=d), 1)
    assert pca_floor(x, k) == pytest.approx((d - k) / (12 * d), rel=0.02)


def test_pca_floors_fall_with_k_and_reach_zero():
    x = data.generate(DataConfig(samples=5000, features=6), 0)
    values = pca_floors(x, range(1, 7))
    assert all(a > b for a, b in zip(values, values[1:-1])) and values[-1] == 0.0


def _independent_logistic(x: np.ndarray) -> float:
    """Per output, L-BFGS on the mean soft-target BCE of σ(a·x + c): autograd, float64, its own code."""
    t = torch.from_numpy(x.astype(np.float64))
    total = 0.0
    for j in range(t.shape[1]):
        w = torch.zeros(t.shape[1] + 1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([w], lr=1, max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15,
                                line_search_fn="strong_wolfe")

        def closure(opt=opt, w=w, j=j):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(t @ w[:-1] + w[-1], t[:, j])
            loss.backward()
            return loss

        opt.step(closure)
        total += float(closure().detach())
    return total / t.shape[1]


@pytest.mark.parametrize("kind", ["uniform", "beta"])
def test_convex_solver_matches_an_independent_solver(kind):
    rng = np.random.default_rng(3)
    x = rng.random((3000, 3)) if kind == "uniform" else rng.beta(0.5, 0.5, (3000, 3))
    value, converged = soft_logistic_floor(x)
    assert converged
    assert value == pytest.approx(_independent_logistic(x), abs=1e-6)
    assert value > binary_entropy(x) + 1e-3  # an affine + sigmoid model cannot fit soft targets exactly


def test_separable_binary_targets_converge_to_their_zero_entropy():
    x = data.generate(DataConfig(kind="bernoulli", samples=2000, features=3), 0)
    value, converged = soft_logistic_floor(x)
    assert converged and value == 0.0  # the infimum, reached to tolerance: no model gap is reported


def test_sigmoid_bce_floor_is_the_models_not_the_datas():
    cfg = _cfg(**{"loss.kind": "bce", "model.output": "sigmoid"})
    x = data.generate(cfg.data, 0)
    floors = floors_for(cfg, x)
    assert find(floors, "data").claim == "lower bound"
    model = find(floors, "model")
    assert model.claim == "exact" and model.value > find(floors, "data").value + 1e-3
    assert headline(floors) is model


def test_sigmoid_output_under_mse_is_bounded_by_the_range():
    cfg = _cfg(**{"data.kind": "gaussian", "model.output": "sigmoid"})
    x = data.generate(cfg.data, 0)
    floors = floors_for(cfg, x)
    bound = find(floors, "output range")
    assert bound.claim == "lower bound" and bound.value == pytest.approx(range_distance(x, "mse"))
    assert bound.value > 0.3 and headline(floors) is bound and find(floors, "model") is None


def test_pca_is_only_a_reference_for_a_nonlinear_decoder():
    linear = _cfg(**{"data.features": 4, "model.encoding_dim": 2})
    x = data.generate(linear.data, 0)
    assert find(floors_for(linear, x), "model").claim == "exact"
    # A sigmoid output does not contain the linear model: PCA is only a number to compare with.
    floors = floors_for(with_changes(linear, **{"model.kind": "mlp", "model.output": "sigmoid"}), x)
    assert find(floors, "model") is None
    assert find(floors, "linear (PCA)").claim == "reference"
    assert headline(floors).name == "data" and headline(floors).value == 0.0
    # An identity output on layers as wide as x contains it: PCA is reachable, an upper value, never the headline.
    floors = floors_for(with_changes(linear, **{"model.kind": "mlp"}), x)
    assert find(floors, "model") is None
    assert find(floors, "linear (PCA)").claim == "reachable"
    assert headline(floors).name == "data" and headline(floors).value == 0.0


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_a_linear_decoder_is_bounded_by_pca_whatever_its_code_activation(act):
    # x̂ = W2·act(W1x + b1) + b2 lies in a k-d affine subspace: the lattice's "linear decoder ⊂ rank-k affine"
    cfg = _cfg(**{"data.features": 4, "model.encoding_dim": 1, "model.code_activation": act})
    x = data.generate(cfg.data, 0)
    floors = floors_for(cfg, x)
    model = find(floors, "model")
    assert model.claim == "exact" and model.value == pytest.approx(pca_floor(x, 1))
    assert find(floors, "linear (PCA)") is None and headline(floors) is model
    assert "whatever the code activation" in model.basis


def test_relu_codes_reach_the_pca_floor_and_never_beat_it():
    from tests.core.test_floor_properties import floors_and_end
    # Seed 2 escapes the dead-unit local minimum that seeds 0, 1 and 3 stall in (near 0.0835 on this data):
    # the floor is the class's infimum, and what a stalled run leaves above it is the optimizer's.
    cfg = _cfg(**{"data.samples": 2000, "data.features": 3, "model.encoding_dim": 1,
                  "model.code_activation": "relu", "optimizer.lr": 1e-2, "training.epochs": 400,
                  "training.tol": 0.0, "training.device": "cpu", "training.seed": 2})
    floors, end = floors_and_end(cfg)
    model = find(floors, "model")
    assert model.value - 1e-6 <= end.eval_loss <= model.value + 1e-3  # reached: within 2% of a 0.0556 floor


def test_a_linear_bottleneck_under_bce_is_bounded_by_the_logistic_floor_without_one():
    wide = _cfg(**{"data.features": 6, "loss.kind": "bce", "model.output": "sigmoid"})
    x = data.generate(wide.data, 0)
    free = find(floors_for(wide, x), "model")
    narrow = find(floors_for(with_changes(wide, **{"model.encoding_dim": 2}), x), "model")
    assert free.claim == "exact" and narrow.claim == "lower bound"
    assert narrow.value == pytest.approx(free.value, abs=1e-9) and "subset" in narrow.basis
    from tests.core.test_floor_properties import floors_and_end
    _, end = floors_and_end(with_changes(wide, **{"model.encoding_dim": 2, "training.epochs": 3,
                                                  "training.device": "cpu", "optimizer.lr": 1e-2}))
    assert end.eval_loss >= narrow.value - 1e-7


def test_a_cut_short_logistic_solve_keeps_a_proven_bracket_and_a_full_one_certifies_itself():
    from aegui.core.floors.floors import logistic_floor
    from aegui.core.floors.logistic import GAP_TOL, logistic_bracket
    rng = np.random.default_rng(0)
    x = (rng.random((2000, 12)) < 0.15) * rng.random((2000, 12))  # sparse, many exact zeros, as images are
    full = logistic_bracket(x)
    assert full.converged and full.upper - full.lower < GAP_TOL and full.iterations < 100
    for cut in (1, 2, 4):
        b = logistic_bracket(x, cut)
        assert b.lower - 1e-12 <= full.lower <= full.upper <= b.upper + 1e-12  # the bracket holds the optimum
        if not b.converged:
            f = logistic_floor(_cfg(**{"loss.kind": "bce", "model.output": "sigmoid"}), x, b)
            assert f.claim == "lower bound" and f.value == b.lower and "cut short" in f.basis


def test_no_bottleneck_linear_model_floor_is_zero_and_exact():
    for loss in ("mse", "l1"):
        floors = floors_for(_cfg(**{"loss.kind": loss}), data.generate(DataConfig(samples=500), 0))
        assert find(floors, "model") == Floor("model", 0.0, "exact", find(floors, "model").basis)


def test_redundant_data_has_no_floor_at_its_latent_dim():
    cfg = with_changes(RunConfig(), **{"data.kind": "redundant", "data.features": 4, "model.encoding_dim": 1})
    x = data.generate(cfg.data, 0)
    assert headline(floors_for(cfg, x)).value < 1e-9


def test_floor_round_trips_through_its_dict():
    f = Floor("model", 0.5054, "exact", "solved")
    assert Floor.from_dict(f.to_dict()) == f
    with pytest.raises(ValueError):
        Floor.from_dict({"name": "model", "value": 1.0, "claim": "guess"})


def test_a_logistic_solve_too_big_for_memory_or_time_is_left_out(monkeypatch):
    from aegui.core.floors import logistic_wide
    # 300 columns: past the formed Hessians' cap (LOGISTIC_MAX_FEATURES), and here past the wide solve's memory
    cfg = _cfg(**{"loss.kind": "bce", "model.output": "sigmoid", "data.features": 300, "data.samples": 50})
    x = data.generate(cfg.data, 0)
    monkeypatch.setattr(logistic_wide, "WIDE_MAX_CELLS", 50 * 300)
    floors = floors_for(cfg, x)
    assert find(floors, "model") is None and headline(floors).name == "data"
    monkeypatch.undo()  # within it, the wide solve gives the model floor (50 rows: the entropy, approached)
    model = find(floors_for(cfg, x), "model")
    assert model is not None and model.value == pytest.approx(headline(floors).value, abs=1e-9)


def test_an_mlp_narrower_than_its_data_is_bounded_by_pca_at_its_hidden_width():
    cfg = _cfg(**{"data.features": 6, "model.kind": "mlp", "model.hidden": 3, "model.encoding_dim": 4,
                  "training.epochs": 5, "training.device": "cpu"})
    x = data.generate(cfg.data, 0)
    model = find(floors_for(cfg, x), "model")
    assert model.claim == "lower bound" and model.value == pytest.approx(pca_floor(x, 3))
    from tests.core.test_floor_properties import floors_and_end
    _, end = floors_and_end(cfg)
    assert end.eval_loss >= model.value - 1e-6
    assert find(floors_for(with_changes(cfg, **{"model.hidden": 6}), x), "model") is None
