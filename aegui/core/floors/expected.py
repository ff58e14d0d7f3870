"""What a config's floor will be, from the config alone: population values, no data made.

The banner states it while the user edits (nothing is generated on the GUI thread); the run's own floors,
measured on its data by floors.floors_for, are what the plot draws. Each answer names the floor of
floors_for it predicts, with the same claim; tests/core/test_expected.py checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..config import losses
from ..config.config import RunConfig
from .floors import contains_affine, is_affine
from .logistic import GAP_TOL
from ..config.vocab import Claim, FloorName

UNIFORM_ENTROPY = 0.5  # the mean binary entropy of U(0, 1) targets, in nats: ∫ H(t) dt = 1/2


@dataclass(frozen=True)
class Expected:
    """The floor a config's loss meets on its kind of data: value (None: depends on a file), claim, why, and
    which of floors_for's floors it is (name).

    claim has floors.py's meaning, for this config's model: exact, lower bound or reference.
    """

    value: float | None
    claim: Claim
    why: str
    name: FloorName = FloorName.DATA

    @property
    def exact(self) -> bool:
        """True when this model class attains the value."""
        return self.claim == Claim.EXACT


def covariance_eigenvalues(c: RunConfig) -> np.ndarray:
    """The population covariance's eigenvalues of c's generated data (not a file), ascending."""
    d, kind = c.data.features, c.data.kind
    if kind == "redundant":
        # Feature i copies factor i mod L (U(0, 1), variance 1/12): a factor copied m times gives one eigenvalue
        # m/12 + σ² and m − 1 of σ² (the noise's).
        copies = np.bincount(np.arange(d) % c.data.latent_dim, minlength=c.data.latent_dim)
        s2 = c.data.noise ** 2
        eig = np.concatenate([copies / 12.0 + s2, np.full(d - len(copies), s2)])
        return np.sort(eig)
    per = {"uniform": 1 / 12, "gaussian": 1.0, "bernoulli": c.data.p * (1 - c.data.p)}[kind]
    return np.full(d, per)


def pca_population(c: RunConfig, k: int) -> float:
    """The population's mean per-element variance outside its top-k principal components (floors.pca_floor)."""
    d = c.data.features
    return 0.0 if k >= d else float(covariance_eigenvalues(c)[: d - k].sum() / d)


# A midpoint rule over the standard normal (±10 σ) and U(0, 1), whose cells meet at the distance's kinks (0
# and 1): 4,000 × 200 points cost a few ms and agree with the closed forms for MSE and L1 to 1e-6.
_Z = -10.0 + (np.arange(4000) + 0.5) * (20.0 / 4000)
_Z_WEIGHT = np.exp(-0.5 * _Z ** 2) / np.sqrt(2 * np.pi) * (20.0 / 4000)
_U = (np.arange(200) + 0.5) / 200


def range_population(c: RunConfig) -> float:
    """The population's mean distance of the targets to [0, 1] under c's loss (floors.range_distance)."""
    distance = losses.of(c.loss.kind).distance
    if c.data.kind == "gaussian":
        x, w = _Z, _Z_WEIGHT
    elif c.data.kind == "redundant" and c.data.noise > 0:
        x, w = _U[:, None] + c.data.noise * _Z[None, :], _Z_WEIGHT[None, :] / len(_U)
    else:
        return 0.0  # uniform, bernoulli and noiseless redundant data lie in [0, 1]
    gap = np.maximum(x - 1.0, 0.0) + np.maximum(-x, 0.0)
    assert distance is not None, f"{c.loss.kind} is not a loss of the residual alone"
    return float((distance(gap) * w).sum())


def expected_floor(c: RunConfig, card=None) -> Expected:
    """The floor of c's loss on c's kind of data, from the config alone (population values, no data made);
    for a file, from its data card (datacard.py) once the panels have read it."""
    loss, kind = losses.of(c.loss.kind), c.data.kind
    if kind == "file" and card is not None:
        return _file_floor(c, card)
    if loss.cross_entropy:
        return _entropy_floor(c)
    if loss.distance is not None and c.model.output == "sigmoid" and kind in ("gaussian", "file", "redundant"):
        value = None if kind == "file" else range_population(c)
        if value is None or value > 0:
            return Expected(value, Claim.LOWER_BOUND, f"the targets' {loss.distance_words} distance to [0, 1], "
                            "which a sigmoid output cannot leave", FloorName.OUTPUT_RANGE)
    bound = _hidden_bound(c)
    if not c.has_bottleneck:
        if loss.distance is not None and c.model.output == "identity" and (
                is_affine(c) or c.model.kind == "linear" and loss.squared_error):
            return Expected(0.0, Claim.EXACT, "no bottleneck: a linear model can copy x exactly", FloorName.MODEL)
        if loss.distance is not None and c.model.output == "identity" and contains_affine(c):
            return Expected(0.0, Claim.EXACT, "no bottleneck and every layer as wide as x: this model can pass x "
                            "through (floors.reachable_floor), so it can copy x", FloorName.MODEL)
        return bound or Expected(0.0, Claim.LOWER_BOUND, "no floor above 0 is known for this model")
    if not loss.squared_error:
        return Expected(0.0, Claim.LOWER_BOUND, f"0 is only a lower bound for {loss.label} with a bottleneck")
    return _pca_floor(c)


def _entropy_floor(c: RunConfig) -> Expected:
    """BCE's floor: the targets' entropy (a lower bound), or 0 where the model class can fit 0/1 data."""
    kind, affine = c.data.kind, is_affine(c)
    contains = contains_affine(c) and not c.has_bottleneck  # it contains the affine + sigmoid model
    if kind == "file":
        return Expected(None, Claim.LOWER_BOUND, "the mean binary entropy of your file's values")
    if kind == "bernoulli":
        if (affine or contains) and not c.has_bottleneck:  # the logistic solve reaches 0 on separable 0/1 targets
            return Expected(0.0, Claim.EXACT, "0/1 targets have no entropy", FloorName.MODEL)
        return Expected(0.0, Claim.LOWER_BOUND, "0/1 targets have no entropy")
    extra = "; an affine + sigmoid model stays a little above it (the plot draws its exact floor)" \
        if affine and not c.has_bottleneck else \
        "; this model can reach the affine + sigmoid model's floor a little above it (the plot draws that " \
        "reachable value: what the loss has above it is the optimizer's)" if contains else ""
    return Expected(UNIFORM_ENTROPY, Claim.LOWER_BOUND, "the targets' own entropy, which no model can beat" + extra)


def _hidden_bound(c: RunConfig) -> Expected | None:
    """An MLP's bound from its last hidden layer narrower than the data (floors.model_floor's PCA bound)."""
    h, d = c.hidden, c.data.features
    if c.model.kind != "mlp" or c.model.output != "identity" or not losses.of(c.loss.kind).squared_error or h >= d:
        return None
    value = None if c.data.kind == "file" else pca_population(c, h)
    return Expected(value, Claim.LOWER_BOUND, f"x̂ is an affine map of a {h}-wide hidden layer: the variance "
                    f"outside the top {h} principal components", FloorName.MODEL)


def _pca_floor(c: RunConfig) -> Expected:
    """Squared error with a bottleneck: the PCA floor, exact for a linear decoder, else a reference."""
    d, k, kind = c.data.features, c.encoding_dim, c.data.kind
    linear = c.model.kind == "linear" and c.model.output == "identity"  # a linear decoder: PCA bounds it (floors.py)
    reach = c.model.output == "identity" and contains_affine(c)  # it contains the rank-k affine map
    claim, name = (Claim.EXACT, FloorName.MODEL) if linear else (Claim.REACHABLE, FloorName.PCA) if reach else \
        (Claim.REFERENCE, FloorName.PCA)
    if kind == "file":
        return Expected(None, claim, "the variance outside your file's top principal components", name)
    value = pca_population(c, k)
    if reach and value == 0.0:  # reachable and at the data's floor of 0: the model's floor itself
        claim, name = Claim.EXACT, FloorName.MODEL
    if kind == "redundant":
        latent = c.data.latent_dim
        if latent <= k and c.data.noise == 0:
            return Expected(0.0, claim, f"{latent} factor{'s' if latent != 1 else ''} fit in a {k}-wide code", name)
        return Expected(value, claim, "the variance the code cannot hold (factors beyond the code, and noise)", name)
    why = f"iid data won't compress: the variance outside the top {k} of {d} components"
    return Expected(value, claim, why + ("" if linear else "; a linear model's floor, which this model can reach "
                                         "(it contains that model) and may beat" if reach else
                                         "; a linear model's floor, which a nonlinear one may beat"), name)


def _file_floor(c: RunConfig, card) -> Expected:
    """A file's floor from its card: the BCE entropy, or a linear model's PCA floor at the code size."""
    loss = losses.of(c.loss.kind)
    if loss.cross_entropy:
        return Expected(card.bce_floor, Claim.LOWER_BOUND, "your file's mean binary entropy, which no model can beat")
    pca = dict(card.pca_floors).get(c.encoding_dim)
    if loss.squared_error and c.encoding_dim < card.columns and pca is not None:
        linear = c.model.kind == "linear" and c.model.output == "identity"
        reach = c.model.output == "identity" and contains_affine(c, card.columns)
        if reach and pca <= GAP_TOL:  # reachable at the data's floor of 0: the model's floor (floors._settle)
            return Expected(pca, Claim.EXACT, "your file fits in its top principal components", FloorName.MODEL)
        return Expected(pca, Claim.EXACT if linear else Claim.REACHABLE if reach else Claim.REFERENCE,
                        f"the variance outside your file's top {c.encoding_dim} principal components",
                        FloorName.MODEL if linear else FloorName.PCA)
    return expected_floor(replace(c, data=replace(c.data, kind="uniform")))  # 0 or a bound, as for any data
