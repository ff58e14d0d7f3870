"""Run configuration: frozen dataclasses, validation that names every problem, JSON round trip."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from . import losses, schema
from .schema import MAX_ELEMENTS, MAX_FEATURES
from .schema import DataConfig, LossConfig, ModelConfig, OptimizerConfig, TrainingConfig

SCHEMA_VERSION = 1
MAX_CONFIG_BYTES = 1_000_000


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


SECTIONS = schema.SECTION_CLASSES


@dataclass(frozen=True)
class Problem:
    """One invalid field: its dotted path, the offending value and what is allowed."""

    field: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        if self.value is None:  # "data.file = None: …" read as a value called None
            return f"{self.field} is not set: {self.allowed}"
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


def _check_field(f: schema.Field, v: Any, out: list) -> None:
    """The field's own rule from the schema: its choices, bounds or type."""
    if f.kind == "choice":
        _choice(out, f.path, v, f.choices)
    elif f.kind == "int" or (f.kind == "optint" and v is not None):
        _int_in(out, f.path, v, *f.bounds)
    elif f.kind == "float":
        _num_in(out, f.path, v, f.bounds[0], f.bounds[1], lo_open="open" in f.bounds[2:])
    elif f.kind == "text" and (not isinstance(v, str) or len(v) > f.bounds[1]):
        out.append(Problem(f.path, v, f"must be text of at most {f.bounds[1]:,} characters"))
    elif f.kind == "path" and v is not None and not isinstance(v, str):
        out.append(Problem(f.path, v, "must be a path (text) or null"))
    if isinstance(v, str) and f.kind in ("text", "path"):
        if "\x00" in v:
            out.append(Problem(f.path, v, "must not hold a NUL byte"))
        elif not _encodes(v):
            out.append(Problem(f.path, v, "must be valid Unicode text (it holds a lone surrogate, \\ud800-\\udfff)"))


def _encodes(text: str) -> bool:
    """Whether text is valid Unicode (a lone surrogate, e.g. from a mis-decoded file name, is not: it cannot be
    stored or printed)."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _validate_data(d: DataConfig, out: list) -> None:
    """The data rules that read more than one field."""
    if d.kind == "file" and (d.file is None or isinstance(d.file, str) and not d.file.strip()):
        out.append(Problem("data.file", d.file, "a CSV or .npy path is required when data.kind is 'file'"))
    # The schema bounds latent_dim by MAX_FEATURES; redundant data also needs it within features.
    if d.kind == "redundant" and _is_int(d.features) and _is_int(d.latent_dim) and d.features < d.latent_dim:
        if d.latent_dim <= MAX_FEATURES:  # above, the schema's own bound has named it already
            _int_in(out, "data.latent_dim", d.latent_dim, 1, d.features)
    if _is_int(d.samples) and _is_int(d.features) and d.samples * d.features > MAX_ELEMENTS:
        out.append(Problem("data.samples", d.samples,
                           f"samples × features must be at most {MAX_ELEMENTS:,} (got {d.samples * d.features:,})"))


# The one output a loss may need (BCE's), from the registry: validate() refuses any other, apply_loss() switches
# to it.
OUTPUT_FOR_LOSS = {loss.name: loss.output for loss in losses.LOSSES.values() if loss.output}


def _validate_cross(c: RunConfig, out: list) -> None:
    loss, output = c.loss.kind, c.model.output
    # An unknown loss has been named by the schema's check; it asks nothing here.
    known = losses.LOSSES.get(loss, losses.UNKNOWN) if isinstance(loss, str) else losses.UNKNOWN
    if known.output and output != known.output:
        out.append(Problem("model.output", output, f"loss '{loss}' needs the '{known.output}' output"
                           f"{known.output_why}"))
    if known.unit_targets and c.data.kind == "gaussian":
        out.append(Problem("data.kind", "gaussian",
                           f"loss '{loss}' needs targets in [0, 1]; gaussian data spans about [-4, 4]"))
    if known.unit_targets and c.data.kind == "redundant" and _is_num(c.data.noise) and c.data.noise > 0:
        out.append(Problem("data.noise", c.data.noise,
                           f"loss '{loss}' needs targets in [0, 1]; noise > 0 pushes redundant data outside it"))
    d, t = c.data, c.training
    if d.kind != "file" and _is_int(t.batch_size) and _is_int(d.samples) and 1 <= d.samples < t.batch_size:
        out.append(Problem("training.batch_size", t.batch_size, f"must be at most data.samples ({d.samples})"))


def validate(config: RunConfig) -> list[Problem]:
    """Every problem with the config, without looking at data files; [] when valid."""
    out: list[Problem] = []
    # Every field is checked whatever the kinds, so a config is valid as a whole: switching the model or
    # data kind later never uncovers a hidden bad value.
    for f in schema.FIELDS:
        _check_field(f, get(config, f.path), out)
    _validate_data(config.data, out)
    _validate_cross(config, out)
    return out


def check(config: RunConfig) -> RunConfig:
    """Return the config unchanged, or raise ConfigError listing every problem."""
    problems = validate(config)
    if problems:
        raise ConfigError(problems)
    return config


def get(config: RunConfig, path: str) -> Any:
    """The value at a dotted path, e.g. get(c, 'loss.kind')."""
    section, _, attr = path.rpartition(".")
    return getattr(getattr(config, section) if section else config, attr)


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


def output_for(loss: str, config: RunConfig) -> str:
    """The output a switch to loss needs: BCE's own, identity in place of BCE's sigmoid, else the one chosen."""
    if loss in OUTPUT_FOR_LOSS:
        return OUTPUT_FOR_LOSS[loss]
    # The sigmoid was BCE's; MSE and L1 fit raw outputs. A sigmoid chosen for MSE is the user's to keep.
    was = losses.LOSSES.get(config.loss.kind)
    return "identity" if was is not None and was.output == "sigmoid" else config.model.output


def apply_loss(config: RunConfig, loss: str) -> RunConfig:
    """Switch the loss and keep the output valid for it (output_for's rule), as the toolbar and both grids do."""
    return with_changes(config, **{"loss.kind": loss, "model.output": output_for(loss, config)})


def apply_data(config: RunConfig, kind: str) -> RunConfig:
    """Switch the data kind, keeping every other field."""
    return with_changes(config, **{"data.kind": kind})

