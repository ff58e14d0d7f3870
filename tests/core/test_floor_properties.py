"""No run ever beats a floor that claims to be exact or a lower bound, and exact model floors are reached."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegui.core.config import config as c
from aegui.core.floors.floors import BOUNDING, find
from aegui.core.engine.training import prepare, train
from aegui.core.engine.records import FloorsUpdate, RunEnd, RunStart
from tests.core.strategies import choices, sections


@st.composite
def small_runs(draw):
    """Valid configs on small random data: every loss, output, model kind and code activation."""
    loss = draw(choices("loss.kind"))
    bce = loss.startswith("bce")
    features = draw(st.integers(1, 4))
    raw = draw(sections({
        "loss.kind": st.just(loss),
        "data.kind": choices("data.kind", leave_out=("file",) + (("gaussian",) if bce else ())),
        "data.samples": st.integers(8, 200), "data.features": st.just(features), "data.p": st.floats(0.05, 0.95),
        "data.latent_dim": st.integers(1, features), "data.noise": st.just(0.0) if bce else st.sampled_from([0.0, 0.2]),
        "model.encoding_dim": st.one_of(st.none(), st.integers(1, features + 1)), "model.depth": st.integers(1, 2),
        "model.hidden": st.one_of(st.none(), st.integers(1, 8)),
        "model.code_activation": st.sampled_from(["identity", "identity", "relu", "tanh"]),
        "optimizer.lr": st.floats(1e-3, 0.5), "optimizer.momentum": st.just(0.0),
        "training.batch_size": st.integers(1, 64), "training.epochs": st.integers(1, 4), "training.tol": st.just(0.0),
        "training.seed": st.integers(0, 1000), "training.device": st.just("cpu")}))
    # the output the loss needs; either output for MSE and L1
    raw["model"]["output"] = c.output_for(loss, c.RunConfig()) if bce else draw(choices("model.output"))
    raw["training"]["batch_size"] = min(raw["training"]["batch_size"], raw["data"]["samples"])
    from aegui.core.config import config_io
    return config_io.from_dict(raw)


def floors_and_end(cfg):
    """Train cfg; its last floors (with any solved in the background) and its RunEnd."""
    floors, end = None, None
    for r in train(cfg):
        if isinstance(r, (RunStart, FloorsUpdate)):
            floors = r.floors
        elif isinstance(r, RunEnd):
            end = r
    return floors, end


@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=small_runs())
def test_no_exact_or_lower_bound_floor_is_ever_beaten(cfg):
    floors, end = floors_and_end(cfg)
    if not math.isfinite(end.eval_loss):
        return  # diverged: there is no final model to compare
    for f in floors:
        if f.claim in BOUNDING:
            assert end.eval_loss >= f.value - 1e-6 * max(1.0, abs(f.value)), (f, end.eval_loss)


def _long(preset_name: str, **changes):
    from aegui.core.config.presets import PRESETS
    return c.with_changes(PRESETS[preset_name].config, **changes)


@pytest.mark.parametrize("name,changes,tol", [
    ("sigmoid-bce-uniform", {"data.samples": 4096, "optimizer.lr": 0.05, "training.epochs": 60, "training.tol": 0.0}, 2e-4),
    # Redundant data with noise: a clear eigengap. On iid data every 2-d subspace is nearly as good,
    # so gradient descent creeps toward the exact top-2 one for thousands of steps.
    ("bottleneck-iid", {"data.kind": "redundant", "data.latent_dim": 2, "data.noise": 0.1, "data.samples": 4096,
                        "training.batch_size": 4096, "optimizer.lr": 0.02, "training.epochs": 600,
                        "training.tol": 0.0}, 1e-5),
])
def test_exact_model_floors_are_reached_by_long_training(name, changes, tol):
    floors, end = floors_and_end(_long(name, **changes))
    model = find(floors, "model")
    assert model.claim == "exact"
    assert model.value - 1e-6 <= end.eval_loss <= model.value + tol


def test_eval_loss_is_the_final_model_on_every_row():
    import torch
    from aegui.core.config import losses
    cfg = _long("linear-mse-uniform", **{"data.samples": 1000, "training.epochs": 2, "training.batch_size": 300})
    prep = prepare(cfg)
    records = list(train(prep))
    start, end = records[0], records[-1]
    with torch.no_grad():
        x = torch.from_numpy(prep.x)
        expected = float(losses.per_copy("mse", start.model(x), x)[0])
    assert end.eval_loss == pytest.approx(expected, rel=1e-5)


def test_a_slow_model_floor_is_solved_in_the_background_and_arrives_before_the_end(monkeypatch):
    from aegui.core.floors import floors
    from aegui.core.config.presets import PRESETS
    monkeypatch.setattr(floors, "LOGISTIC_FLOP_BUDGET", 0.0)  # every solve counts as slow
    cfg = c.with_changes(PRESETS["sigmoid-bce-uniform"].config, **{"data.samples": 1024, "training.epochs": 2})
    records = list(train(cfg))
    start = records[0]
    assert start.solving and find(start.floors, "model") is None  # the run starts at once, without it
    updates = [r for r in records if isinstance(r, FloorsUpdate)]
    assert len(updates) == 1 and find(updates[0].floors, "model").claim == "exact"
    assert isinstance(records[-1], RunEnd) and records.index(updates[0]) < len(records) - 1


def test_cli_json_waits_for_a_background_model_floor(monkeypatch, tmp_path, capsys):
    import json
    from aegui.cli import main
    from aegui.core.floors import floors
    monkeypatch.setattr(floors, "LOGISTIC_FLOP_BUDGET", 0.0)
    monkeypatch.setenv("AEGUI_DATA_DIR", str(tmp_path))
    assert main(["run", "--preset", "sigmoid-bce-uniform", "--samples", "1024", "--epochs", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {f["name"] for f in out["floors"]} == {"data", "model"} and out["floor_exact"] is True
