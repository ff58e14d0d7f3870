"""The field schema: the dataclasses, validation, CLI flags and the loss → output rule all follow it."""

import dataclasses

import pytest

from aegui.cli.parser import build_parser
from aegui.cli.common import RUN_FLAGS, config_from_args, flag_value
from aegui.core.config import config as c
from aegui.core.config import schema
from aegui.core.config.config import RunConfig


def test_the_dataclasses_hold_exactly_the_schemas_fields_and_defaults():
    declared = {"name": ""} | {f"{s}.{f.name}": f.default for s, cls in c.SECTIONS.items()
                               for f in dataclasses.fields(cls)}
    assert declared == {f.path: f.default for f in schema.FIELDS}
    assert list(c.SECTIONS) == list(schema.SECTION_DOCS)
    assert c.validate(RunConfig()) == []


def test_every_field_has_one_flag_a_group_and_a_tip():
    flags = [f.flag for f in schema.FIELDS]
    assert len(set(flags)) == len(flags) == len(schema.FIELDS)
    from aegui.cli.common import number, whole  # int and float, strict: `1_0` is no number (issue 18, 16)
    assert set(RUN_FLAGS.values()) == {(f.path, {"int": whole, "optint": whole, "float": number}.get(f.kind, str))
                                       for f in schema.FIELDS}
    for f in schema.FIELDS:
        assert f.group in schema.GROUPS and len(f.tip) > 20
        assert bool(f.choices) == (f.kind == "choice") and (f.metavar is None) == (f.kind == "choice")


@pytest.mark.parametrize("command", ["run", "grid"])
def test_every_field_is_set_by_its_flag(command):
    other = {"choice": None, "int": 3, "optint": 3, "float": 0.25, "text": "x", "path": "/tmp/x.csv"}
    for f in schema.FIELDS:
        value = (f.choices[-1] if f.kind == "choice" else other[f.kind])
        args = build_parser().parse_args([command, f.flag, str(value)])
        # Numbers are read when the config is built (so every bad one is named at once): read them as it does.
        assert flag_value(getattr(args, f.dest), RUN_FLAGS[f.dest][1]) == value, f.flag


def test_recent_window_and_code_activation_have_flags():
    args = build_parser().parse_args(["run", "--recent-window", "7", "--code-activation", "relu"])
    config = config_from_args(args)
    assert config.training.recent_window == 7 and config.model.code_activation == "relu"


def _own_problems(path, value):
    return [str(p) for p in c.validate(c.with_changes(RunConfig(), **{path: value})) if p.field == path]


@pytest.mark.parametrize("f", [f for f in schema.FIELDS if f.bounds and f.kind != "text"], ids=lambda f: f.path)
def test_validation_refuses_just_outside_the_schemas_bounds(f):
    lo, hi = f.bounds[:2]
    step = 1 if f.kind in ("int", "optint") else 1e-9
    below = lo if "open" in f.bounds[2:] else lo - step
    for bad in (below, hi + step * max(1, abs(hi))):
        text = " ".join(_own_problems(f.path, bad))
        assert f.path in text and repr(bad) in text and "must" in text, (f.path, bad)
    inside = lo + step if "open" in f.bounds[2:] else lo
    assert _own_problems(f.path, inside) == []


@pytest.mark.parametrize("f", [f for f in schema.FIELDS if f.kind == "choice"], ids=lambda f: f.path)
def test_validation_takes_exactly_the_schemas_choices(f):
    for value in f.choices:
        assert not [p for p in _own_problems(f.path, value) if "one of" in p]
    assert _own_problems(f.path, "nope") == [f"{f.path} = 'nope': must be one of " + ", ".join(f.choices)]


def test_name_and_file_keep_their_messages():
    assert _own_problems("name", "x" * 201)[0].endswith("must be text of at most 200 characters")
    assert _own_problems("data.file", 5) == ["data.file = 5: must be a path (text) or null"]
    redundant = c.with_changes(RunConfig(), **{"data.kind": "redundant", "data.features": 4, "data.latent_dim": 5})
    assert [str(p) for p in c.validate(redundant)] == ["data.latent_dim = 5: must be a whole number from 1 to 4"]


def test_one_loss_output_rule_keeps_the_users_output_where_it_is_valid():
    mse_sigmoid = c.with_changes(RunConfig(), **{"model.output": "sigmoid"})
    assert c.apply_loss(mse_sigmoid, "l1").model.output == "sigmoid"  # a sigmoid chosen for MSE stays
    assert c.apply_loss(mse_sigmoid, "bce_logits").model.output == "identity"
    bce = c.apply_loss(RunConfig(), "bce")
    assert bce.model.output == "sigmoid"
    assert c.apply_loss(bce, "mse").model.output == "identity"  # the sigmoid was BCE's
    for start in (RunConfig(), mse_sigmoid, bce):
        for loss in schema.LOSSES:
            assert c.validate(c.apply_loss(start, loss)) == [], (start, loss)


def test_validation_names_the_output_each_bce_needs():
    def problems(loss, output):
        return [str(p) for p in c.validate(c.with_changes(RunConfig(), **{"loss.kind": loss, "model.output": output}))]
    assert problems("bce", "identity") == [
        "model.output = 'identity': loss 'bce' needs the 'sigmoid' output (use bce_logits for raw outputs)"]
    assert problems("bce_logits", "sigmoid") == [
        "model.output = 'sigmoid': loss 'bce_logits' needs the 'identity' output: the model emits logits"]
