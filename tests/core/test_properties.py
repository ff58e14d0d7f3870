"""Property-based: any generated config or CLI line trains a batch or is refused with a clear message."""

import math
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegui.cli import main
from aegui.core.config import config as c
from aegui.core.config import config_io
from aegui.core.config import schema
from aegui.core.engine.records import LossBlock
from aegui.core.engine.training import prepare, train
from tests.core.strategies import choices, sections


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

JUNK = st.one_of(st.integers(-3, 0), st.sampled_from([10**9, -1.5, math.nan, math.inf, True, "x", None, ""]))


# Test-sized draws: small data that trains a batch in milliseconds. Every other field, and every choice,
# comes from the schema (tests/core/strategies.py).
SMALL = {
    "data.kind": choices("data.kind", leave_out=("file",)), "data.samples": st.integers(1, 600),
    "data.features": st.integers(1, 8), "data.p": st.floats(0, 1), "data.noise": st.sampled_from([0.0, 0.0, 0.1]),
    "model.encoding_dim": st.one_of(st.none(), st.integers(1, 10)), "model.depth": st.integers(1, 3),
    "model.hidden": st.one_of(st.none(), st.integers(1, 16)), "model.slope": st.floats(0, 1),
    "optimizer.lr": st.floats(1e-4, 1.0), "optimizer.momentum": st.floats(0, 0.9),
    "training.batch_size": st.integers(1, 256), "training.epochs": st.integers(1, 3),
    "training.tol": st.floats(0, 1e-3), "training.seed": st.integers(0, 10**6), "training.device": st.just("cpu"),
}


@st.composite
def raw_configs(draw):
    """Mostly valid configs, some with a few fields replaced by junk, as a dict for from_dict."""
    raw = draw(sections(SMALL))
    raw["data"]["latent_dim"] = draw(st.integers(1, raw["data"]["features"]))
    # usually the output the loss needs, sometimes the wrong one
    loss = raw["loss"]["kind"]
    raw["model"]["output"] = draw(st.sampled_from(["sigmoid" if loss == "bce" else "identity"] * 3 + list(schema.OUTPUTS)))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        section = draw(st.sampled_from(sorted(raw)))
        key = draw(st.sampled_from(sorted(raw[section])))
        raw[section][key] = draw(JUNK)
    return raw


def one_batch(cfg_or_prep) -> bool:
    cancel = threading.Event()
    for r in train(cfg_or_prep, cancel):
        if isinstance(r, LossBlock):
            cancel.set()
            return True
    return False


@settings(max_examples=1000, **SETTINGS)
@given(raw=raw_configs())
def test_generated_config_trains_a_batch_or_is_refused_clearly(raw):
    try:
        cfg = config_io.from_dict(raw)
        prep = prepare(cfg)
    except c.ConfigError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.field and str(p).startswith(p.field) and len(str(p)) < 400
        return
    assert one_batch(prep)


# Every section field's flag, from the schema: a field without a flag could not be written here.
FLAGS = {f.path: f.flag for f in schema.FIELDS if f.section}


@st.composite
def cli_lines(draw):
    """A command line carrying a generated config's fields (junk included) as flags."""
    raw = draw(raw_configs())
    argv = []
    for path, flag in FLAGS.items():
        section, key = path.split(".")
        value = raw[section][key]
        if value is not None:
            argv += [flag, str(value)]
    return argv


@settings(max_examples=300, **SETTINGS)
@given(argv=cli_lines())
def test_generated_cli_line_runs_or_exits_2(argv, capsys, tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    code = main(["--data-dir", str(d), "run", *argv, "--epochs", "1", "--device", "cpu"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 2:
        assert err.strip() and all(line.strip() for line in err.strip().splitlines())
    else:
        assert code == 0, err
