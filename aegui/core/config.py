"""Run configuration: frozen dataclasses, validation that names every problem, JSON round trip."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

SCHEMA_VERSION = 1
MAX_CONFIG_BYTES = 1_000_000

DATA_KINDS = ("uniform", "bernoulli", "redundant", "gaussian", "file")
MODEL_KINDS = ("linear", "mlp")
ACTIVATIONS = ("identity", "relu", "leaky_relu", "tanh", "sigmoid")
OUTPUTS = ("identity", "sigmoid")
LOSSES = ("mse", "bce", "bce_logits", "l1")
OPTIMIZERS = ("adam", "sgd")
DEVICES = ("auto", "cpu", "cuda")

# Generous upper bounds: they stop typos (1e9 samples) from eating the machine, not real work.
MAX_SAMPLES = 10_000_000
MAX_FEATURES = 10_000
MAX_WIDTH = 10_000
MAX_DEPTH = 64
MAX_EPOCHS = 1_000_000
MAX_ELEMENTS = 200_000_000


@dataclass(frozen=True)
class DataConfig:
    """Where the training data comes from."""

    kind: str = "uniform"
    samples: int = 30_000
    features: int = 2
    p: float = 0.5
    latent_dim: int = 1
    noise: float = 0.0
    file: str | None = None


@dataclass(frozen=True)
class ModelConfig:
    """The autoencoder's architecture; None for encoding_dim or hidden means 'as many as features'."""

    kind: str = "linear"
    encoding_dim: int | None = None
    depth: int = 1
    hidden: int | None = None
    activation: str = "leaky_relu"
    slope: float = 0.1
    output: str = "identity"
    code_activation: str = "identity"  # the question's Keras model puts a ReLU on its code layer


@dataclass(frozen=True)
class LossConfig:
    """The reconstruction loss."""

    kind: str = "mse"


@dataclass(frozen=True)
class OptimizerConfig:
    """The optimizer and its step size."""

    kind: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0


@dataclass(frozen=True)
class TrainingConfig:
    """How long to train, in what batches, on which device, from which seed."""

    batch_size: int = 128
    epochs: int = 20
    tol: float = 1e-5
    seed: int = 0
    device: str = "auto"
    recent_window: int = 50


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run."""

    name: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    @property
    def encoding_dim(self) -> int:
        """The code size actually used (features when the model config leaves it open)."""
        return self.model.encoding_dim or self.data.features

    @property
    def hidden(self) -> int:
        """The hidden width actually used (features when the model config leaves it open)."""
        return self.model.hidden or self.data.features

    @property
    def has_bottleneck(self) -> bool:
        """True when the code is narrower than the input."""
        return self.encoding_dim < self.data.features

    def label(self) -> str:
        """A short human description: 'linear mse uniform'."""
        return self.name or f"{self.model.kind} {self.loss.kind} {self.data.kind}"


SECTIONS = {"data": DataConfig, "model": ModelConfig, "loss": LossConfig,
            "optimizer": OptimizerConfig, "training": TrainingConfig}


@dataclass(frozen=True)
class Problem:
    """One invalid field: its dotted path, the offending value and what is allowed."""

    field: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        try:
            shown = repr(self.value)
        except ValueError:  # an int too long for str(): Python refuses past 4,300 digits
            shown = f"an integer of {self.value.bit_length():,} bits"
        if len(shown) > 80:  # a value from a hostile file: say what it is, never echo all of it
            shown = f"{shown[:60]}… ({len(shown):,} characters)"
        return f"{self.field} = {shown}: {self.allowed}"


class ConfigError(ValueError):
    """Raised with every problem found, one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def _int_in(out: list, path: str, v: Any, lo: int, hi: int) -> None:
    if not _is_int(v) or not lo <= v <= hi:
        out.append(Problem(path, v, f"must be a whole number from {lo:,} to {hi:,}"))


def _num_in(out: list, path: str, v: Any, lo: float, hi: float, lo_open: bool = False) -> None:
    ok = _is_num(v) and (lo < v if lo_open else lo <= v) and v <= hi
    if not ok:
        left = "(" if lo_open else "["
        out.append(Problem(path, v, f"must be a finite number in {left}{lo:g}, {hi:g}]"))


def _choice(out: list, path: str, v: Any, choices: tuple) -> None:
    if v not in choices:
        out.append(Problem(path, v, "must be one of " + ", ".join(choices)))


def _validate_data(d: DataConfig, out: list) -> None:
    _choice(out, "data.kind", d.kind, DATA_KINDS)
    if d.kind == "file" and (not isinstance(d.file, str) or not d.file.strip()):
        out.append(Problem("data.file", d.file, "a CSV or .npy path is required when data.kind is 'file'"))
    elif d.file is not None and not isinstance(d.file, str):
        out.append(Problem("data.file", d.file, "must be a path (text) or null"))
    # Every field is checked whatever the kind, so a config is valid as a whole (see _validate_model).
    _int_in(out, "data.samples", d.samples, 1, MAX_SAMPLES)
    _int_in(out, "data.features", d.features, 1, MAX_FEATURES)
    _num_in(out, "data.p", d.p, 0.0, 1.0)
    _num_in(out, "data.noise", d.noise, 0.0, 1e6)
    if d.kind == "redundant":
        _int_in(out, "data.latent_dim", d.latent_dim, 1, d.features if _is_int(d.features) else MAX_FEATURES)
    else:
        _int_in(out, "data.latent_dim", d.latent_dim, 1, MAX_FEATURES)
    if _is_int(d.samples) and _is_int(d.features) and d.samples * d.features > MAX_ELEMENTS:
        out.append(Problem("data.samples", d.samples,
                           f"samples × features must be at most {MAX_ELEMENTS:,} (got {d.samples * d.features:,})"))


def _validate_model(m: ModelConfig, out: list) -> None:
    _choice(out, "model.kind", m.kind, MODEL_KINDS)
    if m.encoding_dim is not None:
        _int_in(out, "model.encoding_dim", m.encoding_dim, 1, MAX_WIDTH)
    # The MLP's fields are checked for linear models too: a config must be valid as a whole, so that
    # switching the model kind later never uncovers a hidden bad value.
    _int_in(out, "model.depth", m.depth, 1, MAX_DEPTH)
    if m.hidden is not None:
        _int_in(out, "model.hidden", m.hidden, 1, MAX_WIDTH)
    _choice(out, "model.activation", m.activation, ACTIVATIONS)
    _num_in(out, "model.slope", m.slope, 0.0, 1.0)
    _choice(out, "model.output", m.output, OUTPUTS)
    _choice(out, "model.code_activation", m.code_activation, ACTIVATIONS)


def _validate_rest(c: RunConfig, out: list) -> None:
    _choice(out, "loss.kind", c.loss.kind, LOSSES)
    o, t = c.optimizer, c.training
    _choice(out, "optimizer.kind", o.kind, OPTIMIZERS)
    _num_in(out, "optimizer.lr", o.lr, 0.0, 10.0, lo_open=True)
    _num_in(out, "optimizer.momentum", o.momentum, 0.0, 0.999)
    _int_in(out, "training.batch_size", t.batch_size, 1, MAX_SAMPLES)
    _int_in(out, "training.epochs", t.epochs, 1, MAX_EPOCHS)
    _num_in(out, "training.tol", t.tol, 0.0, 1e6)
    _int_in(out, "training.seed", t.seed, 0, 2**31 - 1)
    _choice(out, "training.device", t.device, DEVICES)
    _int_in(out, "training.recent_window", t.recent_window, 1, 1_000_000)
    if not isinstance(c.name, str) or len(c.name) > 200:
        out.append(Problem("name", c.name, "must be text of at most 200 characters"))


def _validate_cross(c: RunConfig, out: list) -> None:
    loss, output = c.loss.kind, c.model.output
    if loss == "bce" and output != "sigmoid":
        out.append(Problem("model.output", output, "loss 'bce' needs the 'sigmoid' output (use bce_logits for raw outputs)"))
    if loss == "bce_logits" and output != "identity":
        out.append(Problem("model.output", output, "loss 'bce_logits' needs the 'identity' output: the model emits logits"))
    if loss in ("bce", "bce_logits") and c.data.kind == "gaussian":
        out.append(Problem("data.kind", "gaussian",
                           f"loss '{loss}' needs targets in [0, 1]; gaussian data spans about [-4, 4]"))
    if loss in ("bce", "bce_logits") and c.data.kind == "redundant" and _is_num(c.data.noise) and c.data.noise > 0:
        out.append(Problem("data.noise", c.data.noise,
                           f"loss '{loss}' needs targets in [0, 1]; noise > 0 pushes redundant data outside it"))
    d, t = c.data, c.training
    if d.kind != "file" and _is_int(t.batch_size) and _is_int(d.samples) and 1 <= d.samples < t.batch_size:
        out.append(Problem("training.batch_size", t.batch_size, f"must be at most data.samples ({d.samples})"))


def validate(config: RunConfig) -> list[Problem]:
    """Every problem with the config, without looking at data files; [] when valid."""
    out: list[Problem] = []
    _validate_data(config.data, out)
    _validate_model(config.model, out)
    _validate_rest(config, out)
    _validate_cross(config, out)
    return out


def check(config: RunConfig) -> RunConfig:
    """Return the config unchanged, or raise ConfigError listing every problem."""
    problems = validate(config)
    if problems:
        raise ConfigError(problems)
    return config


def with_changes(config: RunConfig, **dotted: Any) -> RunConfig:
    """Copy with dotted-path changes, e.g. with_changes(c, **{'loss.kind': 'bce'})."""
    sections = {k: getattr(config, k) for k in SECTIONS}
    name = config.name
    for path, value in dotted.items():
        if path == "name":
            name = value
            continue
        section, _, attr = path.partition(".")
        if section not in sections or attr not in {f.name for f in fields(sections[section])}:
            raise KeyError(path)
        sections[section] = replace(sections[section], **{attr: value})
    return RunConfig(name=name, **sections)


def apply_loss(config: RunConfig, loss: str) -> RunConfig:
    """Switch the loss and the output it needs: bce → sigmoid output, anything else → identity (logits for bce_logits)."""
    output = "sigmoid" if loss == "bce" else "identity"
    return with_changes(config, **{"loss.kind": loss, "model.output": output})


def apply_data(config: RunConfig, kind: str) -> RunConfig:
    """Switch the data kind, keeping every other field."""
    return with_changes(config, **{"data.kind": kind})

