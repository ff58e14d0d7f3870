"""A model class that contains one whose floor aegui solves can reach that floor: an upper value of its own,
never a bound, so what a run keeps above it is provably the optimizer's (the practitioner's review)."""


import pytest
import torch

from aegui.core.data import data
from aegui.core.config.config import RunConfig, with_changes
from aegui.core.floors.explain import why_not_zero
from aegui.core.floors.floors import (Floor, contained_words, contains_affine, describe_model, find, floors_for, headline,
                               logistic_floor, model_floor_is_slow, reachable_floor)
from aegui.core.config.presets import PRESETS
from aegui.core.engine.records import FloorsUpdate, RunEnd, RunStart
from aegui.core.engine.training import train
from aegui.core.config.vocab import Claim, FloorName

QUESTION = PRESETS["question-relu-bce-uniform"].config


def _mlp(**changes) -> RunConfig:
    base = {"data.samples": 400, "data.features": 6, "model.kind": "mlp", "training.device": "cpu"}
    return with_changes(RunConfig(), **{**base, **changes})


def _reachable(floors):
    return [f for f in floors if f.claim == Claim.REACHABLE]


def test_the_question_presets_model_contains_the_affine_sigmoid_model():
    assert contains_affine(QUESTION) and QUESTION.hidden == QUESTION.data.features
    small = with_changes(QUESTION, **{"data.samples": 2000})
    # Solved in the background (a FloorsUpdate), as the affine model's floor is.
    assert model_floor_is_slow(small, data.generate(small.data, 0))


@pytest.mark.parametrize("changes, contains", [
    ({}, True),                                         # hidden = d
    ({"model.hidden": 9}, True),                        # wider still
    ({"model.hidden": 5}, False),                       # one layer narrower than x: no pass-through
    ({"model.depth": 3, "model.activation": "tanh"}, True),
    ({"model.kind": "linear", "model.code_activation": "relu"}, True),  # d → k → d with a code activation
    ({"model.kind": "linear"}, False),                  # the affine model itself: model_floor states its floor
])
def test_containment_needs_every_hidden_layer_as_wide_as_x(changes, contains):
    assert contains_affine(_mlp(**changes)) is contains


def test_bce_no_bottleneck_reaches_the_logistic_floor_an_upper_value_never_the_headline():
    c = _mlp(**{"loss.kind": "bce", "model.output": "sigmoid", "model.activation": "relu",
                "model.code_activation": "relu"})
    x = data.generate(c.data, 0)
    floors = floors_for(c, x)
    [reached] = _reachable(floors)
    affine = logistic_floor(with_changes(c, **{"model.kind": "linear", "model.code_activation": "identity"}), x)
    assert reached.name == FloorName.REACHED and reached.value == pytest.approx(affine.value, abs=1e-6)
    assert headline(floors).name == FloorName.DATA and find(floors, FloorName.MODEL) is None
    assert contained_words(reached) == "the affine + sigmoid model" and "reaches" in reached.basis
    # Left out of the quick floors when the solve is asked for later (the background path), like the affine one.
    assert _reachable(floors_for(c, x, solve_model=False)) == []


@pytest.mark.parametrize("changes", [
    {"model.hidden": 5},                                  # narrower than x
    {"model.encoding_dim": 3},                            # BCE with a bottleneck: affine rank-k + sigmoid, unsolved
    {"model.output": "identity", "loss.kind": "bce_logits", "model.encoding_dim": 3},
])
def test_no_reachable_value_is_claimed_where_the_contained_models_floor_is_unknown(changes):
    c = _mlp(**{"loss.kind": "bce", "model.output": "sigmoid", **changes})
    assert _reachable(floors_for(c, data.generate(c.data, 0))) == []


@pytest.mark.parametrize("act, attained", [("leaky_relu", True), ("relu", True), ("tanh", False),
                                           ("sigmoid", False)])
def test_deep_mse_without_a_bottleneck_has_model_floor_zero_exact(act, attained):
    c = _mlp(**{"model.depth": 3, "model.activation": act, "model.code_activation": act})
    floors = floors_for(c, data.generate(c.data, 0))
    model = find(floors, FloorName.MODEL)
    assert model.value == 0.0 and model.claim == Claim.EXACT and _reachable(floors) == []
    assert ("approaches (an infimum)" in model.basis) is not attained


def test_mse_with_a_bottleneck_reaches_pca_the_reference_becomes_reachable():
    c = _mlp(**{"model.encoding_dim": 2, "model.activation": "relu"})
    x = data.generate(c.data, 0)
    floors = floors_for(c, x)
    [pca] = _reachable(floors)
    assert pca.name == FloorName.PCA and pca.value > 0 and headline(floors).name == FloorName.DATA
    assert [f.name for f in floors].count(FloorName.PCA) == 1
    # A sigmoid output does not contain the identity-output linear model: PCA stays a reference.
    sig = floors_for(with_changes(c, **{"model.output": "sigmoid"}), x)
    assert find(sig, FloorName.PCA).claim == Claim.REFERENCE and _reachable(sig) == []
    assert reachable_floor(with_changes(c, **{"model.hidden": 5}), x) is None


def _train(cfg):
    floors, end, model = None, None, None
    for r in train(cfg):
        if isinstance(r, (RunStart, FloorsUpdate)):
            floors = r.floors
            model = getattr(r, "model", model)
        elif isinstance(r, RunEnd):
            end = r
    return floors, end, model


SMALL_QUESTION = with_changes(QUESTION, **{
    "data.features": 20, "model.hidden": 20, "model.encoding_dim": 20, "data.samples": 2000,
    "training.epochs": 300, "training.batch_size": 200, "optimizer.lr": 1e-2, "training.device": "cpu"})


def _pass_through(mlp_cfg, affine_model):
    """The question's MLP given the pass-through weights around a trained affine + sigmoid model's map:
    identity layers with a shift that keeps every ReLU on its linear side, undone by the next layer."""
    from aegui.core.engine.models import build
    shift = 1.0  # uniform data lie in [0, 1], so x + 1 > 0: every ReLU after the first layer is the identity
    model = build(mlp_cfg)
    w_a, b_a = _compose(affine_model)
    d = mlp_cfg.data.features
    with torch.no_grad():
        n = len(model.weights)
        for j in range(n):
            model.weights[j][0] = torch.eye(d)  # (in, out) layout: identity
            model.biases[j][0, 0] = torch.full((d,), shift) if j == 0 else 0.0
        # Layer j > 0 sees x + 1 (never negative, so each ReLU is the identity); the last layer undoes the shift
        # and applies the affine map: W_a (x + 1 − 1) + b_a.
        model.weights[n - 1][0] = w_a.T
        model.biases[n - 1][0, 0] = b_a - w_a @ torch.full((d,), shift)
    return model


def _compose(affine_model):
    """The one affine map (W, b) of a linear model's two layers, in nn.Linear's (out × in) layout."""
    (w1, b1), (w2, b2) = affine_model.copy_state(0)
    return w2 @ w1, w2 @ b1 + b2


def test_the_question_model_reaches_its_reachable_value_and_the_optimizer_owns_the_rest():
    import torch.nn.functional as F

    x = data.generate(SMALL_QUESTION.data, SMALL_QUESTION.training.seed)
    floors = floors_for(SMALL_QUESTION, x)
    [reached] = _reachable(floors)
    data_floor = find(floors, FloorName.DATA).value
    # Reachable: train the contained affine + sigmoid model, then set the MLP's own weights to pass x through to
    # it. The MLP (aegui's model, ReLU code included) then has exactly the affine model's loss, near the value.
    affine_cfg = with_changes(SMALL_QUESTION, **{"model.kind": "linear", "model.code_activation": "identity",
                                                 "training.epochs": 200})
    _, affine_end, affine_model = _train(affine_cfg)
    mlp = _pass_through(SMALL_QUESTION, affine_model)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        loss = float(F.binary_cross_entropy(mlp(xt)[0], xt))
    assert loss == pytest.approx(affine_end.eval_loss, abs=1e-5)
    assert reached.value - 1e-6 <= loss <= reached.value + 0.003 and loss >= data_floor
    # Trained by Adam from the question's init, the same MLP stays well above it: never under the data floor,
    # and the sentence names at least that much as the optimizer's.
    trained, end, _ = _train(SMALL_QUESTION)
    assert data_floor - 1e-6 <= end.eval_loss and end.eval_loss > reached.value
    text = why_not_zero(trained, end.eval_loss, SMALL_QUESTION.loss.kind, describe_model(SMALL_QUESTION))
    assert f"at least {end.eval_loss - reached.value:.3g}" in text and "left to the optimizer" in text
    assert "it contains the affine + sigmoid model" in text and "no floor is known" not in text


def test_a_reachable_value_words_the_split_as_at_most_and_at_least():
    floors = [Floor("data", 0.5, "lower bound", ""),
              Floor("reachable", 0.505, "reachable",
                                              "contains the affine + sigmoid model: because")]
    text = why_not_zero(floors, 0.5856, "bce", "this depth-1 relu MLP")
    assert text == ("Of 0.5856 nats, 0.5 is the data's entropy (no model can do better), at most 0.005 is what "
                    "this depth-1 relu MLP cannot fit (it can reach 0.505: it contains the affine + sigmoid "
                    "model), and at least 0.0806 is left to the optimizer.")
    under = why_not_zero(floors, 0.503, "bce", "m")
    assert "none is proven left to the optimizer" in under and "at least" not in under


def test_a_slow_reachable_value_arrives_in_the_background_and_json_keeps_measuring_from_a_bound(monkeypatch):
    from aegui.core.floors import floors as floors_module
    from aegui.core.floors.summary import floor_fields
    monkeypatch.setattr(floors_module, "LOGISTIC_FLOP_BUDGET", 0.0)  # every solve counts as slow
    cfg = with_changes(SMALL_QUESTION, **{"data.samples": 512, "training.epochs": 2})
    records = list(train(cfg))
    assert records[0].solving and _reachable(records[0].floors) == []
    [update] = [r for r in records if isinstance(r, FloorsUpdate)]
    [reached] = _reachable(update.floors)
    end = records[-1]
    fields = floor_fields(cfg, update.floors, end.eval_loss)
    data_floor = find(update.floors, FloorName.DATA).value
    # floor, gap, model_floor and optimizer_gap stay what they were: a reachable value is no bound and no model floor.
    assert fields["floor"] == data_floor and fields["gap"] == pytest.approx(end.eval_loss - data_floor)
    assert fields["model_floor"] is None and fields["optimizer_gap"] is None
    assert {"name": "reachable", "value": reached.value, "claim": "reachable", "basis": reached.basis} \
        in fields["floors"]
    assert "left to the optimizer" in fields["why_not_zero"]
