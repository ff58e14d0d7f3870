"""Config validation: every field's bounds, the cross-field rules and the JSON round trip."""

import json

import pytest

from aegui.core.config import config as c
from aegui.core.config import config_io
from aegui.core.config.config import ConfigError, RunConfig, with_changes


def fields_of(problems):
    return {p.field for p in problems}


def test_defaults_are_valid():
    assert c.validate(RunConfig()) == []


BAD_VALUES = [
    ("data.kind", "images"), ("data.samples", 0), ("data.samples", 2.5), ("data.samples", True),
    ("data.features", 0), ("data.features", 10_001), ("data.p", -0.1), ("data.p", 1.5),
    ("data.p", float("nan")), ("data.noise", -1.0), ("model.kind", "cnn"), ("model.encoding_dim", 0),
    ("model.output", "softmax"), ("loss.kind", "hinge"), ("optimizer.kind", "lbfgs"), ("optimizer.lr", 0.0),
    ("optimizer.lr", -1e-3), ("optimizer.lr", float("inf")), ("optimizer.momentum", 1.0),
    ("training.batch_size", 0), ("training.epochs", 0), ("training.tol", -1.0), ("training.seed", -1),
    ("training.device", "tpu"), ("training.recent_window", 0),
]


@pytest.mark.parametrize("path,value", BAD_VALUES)
def test_each_bad_value_names_field_value_and_allowed(path, value):
    problems = c.validate(with_changes(RunConfig(), **{path: value}))
    assert path in fields_of(problems)
    text = str(next(p for p in problems if p.field == path))
    assert path in text and repr(value) in text and ("must" in text or "needs" in text)


@pytest.mark.parametrize("path,value", [("model.depth", 0), ("model.depth", 65), ("model.hidden", 0),
                                        ("model.activation", "gelu"), ("model.slope", 2.0)])
def test_mlp_fields_are_checked_for_mlp(path, value):
    cfg = with_changes(RunConfig(), **{"model.kind": "mlp", path: value})
    assert path in fields_of(c.validate(cfg))


def test_redundant_latent_dim_at_most_features():
    cfg = with_changes(RunConfig(), **{"data.kind": "redundant", "data.features": 4, "data.latent_dim": 5})
    assert "data.latent_dim" in fields_of(c.validate(cfg))


def test_file_data_needs_a_path():
    assert "data.file" in fields_of(c.validate(with_changes(RunConfig(), **{"data.kind": "file"})))


def test_every_problem_is_reported_at_once():
    cfg = with_changes(RunConfig(), **{"data.samples": 0, "optimizer.lr": 0.0, "training.epochs": 0})
    with pytest.raises(ConfigError) as info:
        c.check(cfg)
    assert {"data.samples", "optimizer.lr", "training.epochs"} <= fields_of(info.value.problems)
    assert len(str(info.value).splitlines()) >= 3


@pytest.mark.parametrize("loss,output,data,bad_field", [
    ("bce", "identity", "uniform", "model.output"),
    ("bce_logits", "sigmoid", "uniform", "model.output"),
    ("bce", "sigmoid", "gaussian", "data.kind"),
    ("bce_logits", "identity", "gaussian", "data.kind"),
])
def test_cross_field_rules(loss, output, data, bad_field):
    cfg = with_changes(RunConfig(), **{"loss.kind": loss, "model.output": output, "data.kind": data})
    assert bad_field in fields_of(c.validate(cfg))


def test_batch_size_at_most_samples():
    cfg = with_changes(RunConfig(), **{"data.samples": 100, "training.batch_size": 101})
    assert "training.batch_size" in fields_of(c.validate(cfg))


def test_valid_bce_combinations_pass():
    for loss, out in (("bce", "sigmoid"), ("bce_logits", "identity")):
        cfg = with_changes(RunConfig(), **{"loss.kind": loss, "model.output": out, "data.kind": "bernoulli"})
        assert c.validate(cfg) == []


def test_json_round_trip_keeps_everything():
    cfg = with_changes(RunConfig(name="x"), **{"model.kind": "mlp", "model.depth": 3, "model.encoding_dim": 1,
                                             "optimizer.lr": 0.25, "training.seed": 7})
    text = config_io.to_json(cfg)
    assert json.loads(text)["schema"] == c.SCHEMA_VERSION
    assert config_io.from_json(text) == cfg


def test_unknown_keys_are_rejected_with_their_names():
    raw = config_io.to_dict(RunConfig())
    raw["model"]["widht"] = 3
    raw["extra"] = 1
    with pytest.raises(ConfigError) as info:
        config_io.from_dict(raw)
    assert {"model.widht", "extra"} <= fields_of(info.value.problems)
    assert "allowed" in str(info.value)


def test_wrong_schema_and_bad_json():
    raw = config_io.to_dict(RunConfig())
    raw["schema"] = 99
    with pytest.raises(ConfigError, match="schema"):
        config_io.from_dict(raw)
    with pytest.raises(ConfigError, match="not valid JSON"):
        config_io.from_json("{nope")
    with pytest.raises(ConfigError, match="at most"):
        config_io.from_json(" " * (c.MAX_CONFIG_BYTES + 1))


def test_json_integers_where_floats_expected():
    raw = config_io.to_dict(RunConfig())
    raw["optimizer"]["lr"] = 1
    raw["data"]["samples"] = 1000.0
    cfg = config_io.from_dict(raw)
    assert cfg.optimizer.lr == 1.0 and cfg.data.samples == 1000


def test_apply_loss_keeps_config_valid():
    base = RunConfig()
    assert c.validate(c.apply_loss(base, "bce")) == []
    assert c.apply_loss(base, "bce").model.output == "sigmoid"
    assert c.apply_loss(c.apply_loss(base, "bce"), "bce_logits").model.output == "identity"
    assert c.validate(c.apply_data(c.apply_loss(base, "bce"), "gaussian")) != []
