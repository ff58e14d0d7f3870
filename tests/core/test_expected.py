"""The floor a config promises from population values (core.expected) is the floor its data then has (floors_for)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from aegui.core.config import config as cfg
from aegui.core.data import data
from aegui.core.floors import floors
from aegui.core.floors.expected import expected_floor, pca_population, range_population
from aegui.core.config.vocab import Claim, FloorName
from tests.core.strategies import choices, sections

ROWS = 4000  # enough rows that a sample's floors sit near the population's (tolerance below)


def _config(raw: dict) -> cfg.RunConfig:
    return cfg.RunConfig(name="", **{k: getattr(cfg, f"{k.capitalize()}Config")(**v) for k, v in raw.items()})


def tolerance(c: cfg.RunConfig, expected: float) -> float:
    """How far a sample of ROWS rows may sit from the population value.

    A mean over n·d iid elements moves by about σ/√(n·d); a PCA floor's smallest eigenvalues of a sample
    covariance spread by about λ·2√(d/n) (Marchenko-Pastur's edge), the largest cause of difference here.
    The bound is six of the larger of those (no draw seen reached half of it) plus float32 rounding.
    """
    d = c.data.features
    scale = max(expected, float(np.max(np.abs(_variance(c)))), 1e-3)
    return 6 * scale * 2 * math.sqrt(d / ROWS) + 1e-6


def _variance(c):
    from aegui.core.floors.expected import covariance_eigenvalues
    return covariance_eigenvalues(c)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(sections({"data.kind": choices("data.kind", leave_out=("file",)), "data.samples": st.just(ROWS),
                 "data.features": st.integers(1, 8), "data.latent_dim": st.integers(1, 8),
                 "data.noise": st.sampled_from([0.0, 0.3, 1.0]), "data.p": st.sampled_from([0.5, 0.2, 0.9]),
                 "model.hidden": st.one_of(st.none(), st.integers(1, 8)),
                 "model.encoding_dim": st.one_of(st.none(), st.integers(1, 8), st.integers(1, 3)),
                 "training.batch_size": st.just(128)}),
       st.integers(0, 2**16))
def test_the_banners_floor_is_the_runs_floor(raw, seed):
    c = _config(raw)
    assume(not cfg.validate(c))
    e = expected_floor(c)
    event(f"{e.name} floor, {e.claim}")
    found = floors.find(floors.floors_for(c, data.generate(c.data, seed)), e.name)
    if found is None:  # a floor of 0 that the run leaves unstated: its data floor of 0 says the same
        assert e.value == 0 and e.claim == Claim.LOWER_BOUND, (e, c)
        return
    assert found.claim == e.claim, (e, found, c)
    assert e.value is not None, "only a file's floor depends on what is in it"
    assert abs(found.value - e.value) <= tolerance(c, e.value), (e, found, c)


def test_a_files_floor_depends_on_the_file_until_its_card_is_read():
    c = cfg.with_changes(cfg.RunConfig(), **{"data.kind": "file", "data.file": "x.csv", "model.encoding_dim": 1})
    assert expected_floor(c).value is None and expected_floor(c).name == FloorName.MODEL


def test_population_values_have_closed_forms_where_known():
    c = cfg.with_changes(cfg.RunConfig(), **{"data.kind": "gaussian", "model.output": "sigmoid"})
    # E[(x − 1)₊²] + E[(−x)₊²] for x ~ N(0, 1): 2(1 − Φ(1)) − φ(1) + 1/2.
    phi1, tail1 = math.exp(-0.5) / math.sqrt(2 * math.pi), 0.5 * math.erfc(1 / math.sqrt(2))
    assert abs(range_population(c) - (2 * tail1 - phi1 + 0.5)) < 1e-5
    l1 = cfg.with_changes(c, **{"loss.kind": "l1"})  # E[(x − 1)₊] + E[(−x)₊] = φ(1) − (1 − Φ(1)) + φ(0)
    assert abs(range_population(l1) - (phi1 - tail1 + 1 / math.sqrt(2 * math.pi))) < 1e-5
    red = cfg.with_changes(cfg.RunConfig(), **{"data.kind": "redundant", "data.features": 4, "data.latent_dim": 2,
                                               "data.noise": 0.5})
    # Two factors copied twice: eigenvalues 2/12 + σ² (twice) and σ² (twice); the top one kept.
    assert abs(pca_population(red, 1) - (2 / 12 + 0.25 + 2 * 0.25) / 4) < 1e-12
