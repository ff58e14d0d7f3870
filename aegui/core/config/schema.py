"""The config's fields, each declared once as a typed dataclass field: FIELDS is derived from the dataclasses, and
validation, CLI flags, panels and tests derive from FIELDS."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any, Literal, get_args, get_origin, get_type_hints
from collections.abc import Callable

from .losses import LOSSES as LOSS_RECORDS
from .losses import LossKind

# Each choice field's values, as a type: mypy checks what code assigns and compares, the validator what
# files and flags bring (its messages name the field, the value and what is allowed).
DataKind = Literal["uniform", "bernoulli", "redundant", "gaussian", "file"]
ModelKind = Literal["linear", "mlp"]
Activation = Literal["identity", "relu", "leaky_relu", "tanh", "sigmoid"]
Output = Literal["identity", "sigmoid"]
OptimizerKind = Literal["adam", "sgd"]
Device = Literal["auto", "cpu", "cuda"]
Init = Literal["torch", "glorot"]

DATA_KINDS: tuple[str, ...] = get_args(DataKind)
MODEL_KINDS: tuple[str, ...] = get_args(ModelKind)
ACTIVATIONS: tuple[str, ...] = get_args(Activation)
OUTPUTS: tuple[str, ...] = get_args(Output)
LOSSES: tuple[str, ...] = get_args(LossKind)
OPTIMIZERS: tuple[str, ...] = get_args(OptimizerKind)
DEVICES: tuple[str, ...] = get_args(Device)
INITS: tuple[str, ...] = get_args(Init)

# Generous upper bounds: they stop typos (1e9 samples) from eating the machine, not real work.
MAX_SAMPLES = 10_000_000
MAX_FEATURES = 10_000
MAX_WIDTH = 10_000
MAX_DEPTH = 64
MAX_EPOCHS = 1_000_000
MAX_ELEMENTS = 200_000_000
MAX_NAME = 200
MAX_SEEDS = 64  # seeds of one run, trained as one batched model: the CLI's --seeds and the window's Repeat

# The panels' groups, in display order; a field names its group.
GROUPS = ("Run", "Data", "Model", "Loss and output", "Optimizer and training", "Device")


@dataclass(frozen=True)
class Field:
    """One config field: where it lives, what it holds, how it is shown, flagged and checked.

    Derived from the section dataclasses below (dataclasses.fields() and their annotations):
    kind: choice (a Literal: one of choices), int or float (within bounds), optint (int | None: None means
    'as many as features'), text (str, at most bounds[1] characters), path (str | None).
    bounds: (lo, hi), or (lo, hi, "open") for a float whose lower end is excluded.
    relevant: given a RunConfig, whether the field matters for it (the panels grey it out when not).
    """

    path: str
    kind: str
    default: Any
    group: str
    tip: str
    choices: tuple = ()
    bounds: tuple = ()
    relevant: Callable[[Any], bool] | None = None
    metavar: str | None = None
    help: str | None = None
    flag_name: str | None = None
    choice_tips: tuple = ()  # (value, tooltip) pairs: a choice's own tooltip

    @property
    def section(self) -> str:
        """The RunConfig attribute that holds the field ('' for top-level fields such as name)."""
        return self.path.rpartition(".")[0]

    @property
    def attr(self) -> str:
        """The field's own name inside its section."""
        return self.path.rpartition(".")[2]

    @property
    def flag(self) -> str:
        """The CLI flag: a section's kind is named after the section (--loss), the rest after the field."""
        name = self.flag_name or (self.section if self.attr == "kind" else self.attr)
        return "--" + name.replace("_", "-")

    @property
    def dest(self) -> str:
        """The flag's attribute on argparse's namespace."""
        return self.flag[2:].replace("-", "_")

    @property
    def label(self) -> str:
        """The panels' row label."""
        return self.attr.replace("_", " ")

    def is_relevant(self, config) -> bool:
        """Whether the field matters for config."""
        return self.relevant is None or bool(self.relevant(config))


def spec(default: Any, group: str, tip: str, *, bounds: tuple = (), relevant: Callable[[Any], bool] | None = None,
         metavar: str | None = None, help: str | None = None, flag_name: str | None = None,  # noqa: A002
         after: str | None = None, choice_tips: tuple = ()) -> Any:
    """A dataclass field with its default and the rest of its schema entry as metadata (after: the path of
    the field it follows in the panels and the CLI help, where that is not its section's order)."""
    meta = {"group": group, "tip": tip, "bounds": bounds, "relevant": relevant, "metavar": metavar,
            "help": help, "flag_name": flag_name, "after": after, "choice_tips": choice_tips}
    return field(default=default, metadata={"aegui": meta})


def _mlp(c) -> bool:
    return c.model.kind == "mlp"




@dataclass(frozen=True)
class DataConfig:
    """Where the training data comes from."""

    kind: DataKind = spec(
        "uniform", "Data",
        "uniform: iid U(0,1), MSE's home; bernoulli: 0/1, BCE's home; redundant: copies a bottleneck can "
        "compress; gaussian: N(0,1), outside BCE's [0, 1]; file: your CSV/.npy.")
    samples: int = spec(30_000, "Data", "Rows to generate (the seed used 30,000); more rows do not lower the floor.",
                        bounds=(1, MAX_SAMPLES), relevant=lambda c: c.data.kind != "file", metavar="N")
    features: int = spec(2, "Data",
                         "Columns per row (the seed used 2); iid features are the least compressible data there is.",
                         bounds=(1, MAX_FEATURES), relevant=lambda c: c.data.kind != "file", metavar="N")
    p: float = spec(0.5, "Data", "Chance of a 1 in Bernoulli data: binary targets are what BCE assumes, so its floor "
                    "is 0.", bounds=(0.0, 1.0), relevant=lambda c: c.data.kind == "bernoulli", metavar="P")
    # Above features only for redundant data: config.validate adds that rule, since it reads another field.
    latent_dim: int = spec(1, "Data", "Independent factors behind redundant data: a code this wide can reach zero "
                           "loss.", bounds=(1, MAX_FEATURES), relevant=lambda c: c.data.kind == "redundant",
                           metavar="K")
    noise: float = spec(0.0, "Data", "Gaussian noise on redundant data: noise is incompressible, so it raises a "
                        "bottleneck's floor.", bounds=(0.0, 1e6), relevant=lambda c: c.data.kind == "redundant",
                        metavar="S")
    file: str | None = spec(None, "Data", "A CSV or .npy matrix, rows are samples; BCE needs every value in [0, 1].",
                            relevant=lambda c: c.data.kind == "file", metavar="PATH",
                            help="CSV or .npy matrix, rows are samples (with --data file)")


@dataclass(frozen=True)
class ModelConfig:
    """The autoencoder's architecture; None for encoding_dim or hidden means 'as many as features'."""

    kind: ModelKind = spec("linear", "Model", "linear: the seed's dirt-simple model, try it first; mlp: deeper and "
                           "nonlinear, same lessons.")
    encoding_dim: int | None = spec(None, "Model", "Code size; '= features' is no bottleneck, so zero loss is "
                                    "reachable if loss fits data.", bounds=(1, MAX_WIDTH), metavar="K")
    # The MLP's fields are checked for linear models too: a config must be valid as a whole, so that
    # switching the model kind later never uncovers a hidden bad value.
    depth: int = spec(1, "Model", "Hidden layers in encoder and decoder (mlp): depth never removes a floor set by "
                      "data and loss.", bounds=(1, MAX_DEPTH), relevant=_mlp, metavar="N")
    hidden: int | None = spec(None, "Model", "Hidden width (mlp); '= features' like the seed's ToyAutoEncoder.",
                              bounds=(1, MAX_WIDTH), relevant=_mlp, metavar="N")
    activation: Activation = spec("leaky_relu", "Model", "Hidden nonlinearity (mlp); the seed used leaky ReLU.",
                                  relevant=_mlp)
    slope: float = spec(0.1, "Model", "Leaky ReLU's negative slope; the seed used 0.1.", bounds=(0.0, 1.0),
                        relevant=lambda c: _mlp(c) and c.model.activation == "leaky_relu", metavar="S")
    output: Output = spec("identity", "Loss and output",
                          "Final activation: sigmoid for BCE; identity for MSE, L1 and BCE on logits.")
    # The question's Keras model puts a ReLU on its code layer.
    code_activation: Activation = spec("identity", "Model",
                                       "Nonlinearity on the code layer; the question's Keras model used ReLU there.")
    # Keras's Dense and PyTorch's nn.Linear start from different weights; on the question's model that alone
    # moved the 5th epoch's mean from 0.593 to 0.630 (NOTES.md). Stored runs without it ran torch's.
    init: Init = spec("torch", "Model",
                      "Initial weights. torch: nn.Linear's default, U(±1/√fan_in) weights and biases; glorot: "
                      "Keras's Dense, Glorot-uniform weights U(±√(6/(fan_in+fan_out))) and zero biases.")


@dataclass(frozen=True)
class LossConfig:
    """The reconstruction loss."""

    kind: LossKind = spec("mse", "Loss and output",
                          "; ".join(f"{loss.name}: {loss.tip.rstrip('.')}" for loss in LOSS_RECORDS.values()) + ".",
                          after="model.slope", choice_tips=tuple((loss.name, loss.tip) for loss in LOSS_RECORDS.values()))
    # (the loss's row sits before model.output, its row-mate)


@dataclass(frozen=True)
class OptimizerConfig:
    """The optimizer and its step size."""

    kind: OptimizerKind = spec("adam", "Optimizer and training",
                               "adam: the seed's choice; sgd (with momentum) as a baseline.")
    lr: float = spec(1e-3, "Optimizer and training",
                     "Step size (the seed: 1e-5 for MSE, 1e-4 for BCE); no learning rate moves a floor.",
                     bounds=(0.0, 10.0, "open"), metavar="LR")
    momentum: float = spec(0.0, "Optimizer and training", "SGD momentum (sgd only).", bounds=(0.0, 0.999),
                           relevant=lambda c: c.optimizer.kind == "sgd", metavar="M")


@dataclass(frozen=True)
class TrainingConfig:
    """How long to train, in what batches, on which device, from which seed."""

    batch_size: int = spec(128, "Optimizer and training", "Samples per optimizer step; the seed used 128.",
                           bounds=(1, MAX_SAMPLES), metavar="B")
    epochs: int = spec(20, "Optimizer and training", "Most passes over the data.", bounds=(1, MAX_EPOCHS),
                       metavar="E")
    tol: float = spec(1e-5, "Optimizer and training", "Stop when an epoch's mean loss drops below this; the seed's "
                      "1e-5 is unreachable above a floor.", bounds=(0.0, 1e6), metavar="T")
    seed: int = spec(0, "Optimizer and training", "Seeds data, weights and batch order: the same seed gives the "
                     "same run.", bounds=(0, 2**31 - 1), metavar="S")
    # 'cuda' is declared here; the window offers it only once torch has said CUDA exists.
    device: Device = spec("auto", "Device", "auto takes CUDA when present; models this small are often faster on "
                          "the CPU.")
    recent_window: int = spec(50, "Optimizer and training", "Batches in the recent-mean curve, like the seed's "
                              "print_freq.", bounds=(1, 1_000_000), metavar="N")


# RunConfig (config.py) holds one attribute per section, in this order, after its name.
SECTION_CLASSES: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "loss": LossConfig,
                                    "optimizer": OptimizerConfig, "training": TrainingConfig}
SECTION_DOCS = {name: cls.__doc__ for name, cls in SECTION_CLASSES.items()}
NAME = Field("name", "text", "", "Run", "A label for this run in the results table; empty means 'model loss data'.",
             bounds=(0, MAX_NAME), metavar="TEXT", help="a display name for the run")


def _kind_of(annotation: Any) -> tuple[str, tuple]:
    """The schema's kind of a field, and its choices, from its type annotation."""
    if get_origin(annotation) is Literal:
        return "choice", get_args(annotation)
    optional = type(None) in get_args(annotation)
    base = next((a for a in get_args(annotation) if a is not type(None)), annotation) if optional else annotation
    kinds = {(int, False): "int", (int, True): "optint", (float, False): "float", (str, False): "text",
             (str, True): "path"}
    return kinds[(base, optional)], ()


def _derive() -> tuple[Field, ...]:
    """Every field: the name, then each section's dataclass fields in order, moved where `after` says."""
    out = [NAME]
    moved = []
    for section, cls in SECTION_CLASSES.items():
        hints = get_type_hints(cls)
        for f in dataclass_fields(cls):
            meta = dict(f.metadata["aegui"])
            after = meta.pop("after")
            kind, choices = _kind_of(hints[f.name])
            entry = Field(f"{section}.{f.name}", kind, f.default, choices=choices, **meta)
            (moved.append((after, entry)) if after else out.append(entry))
    for after, entry in moved:
        out.insert([g.path for g in out].index(after) + 1, entry)
    return tuple(out)


# Order: fields of one section keep the order of their dataclass (and of their JSON keys); across sections
# it is the panels' and the CLI help's order (loss.kind sits before model.output, its row-mate).
FIELDS: tuple[Field, ...] = _derive()

BY_PATH: dict[str, Field] = {f.path: f for f in FIELDS}

def section_fields(section: str) -> tuple[Field, ...]:
    """The fields of one section, in dataclass order ('' for the top-level ones)."""
    return tuple(f for f in FIELDS if f.section == section)


def group_fields(group: str) -> tuple[Field, ...]:
    """The fields one panel group shows, in display order."""
    return tuple(f for f in FIELDS if f.group == group)


def flag_text(f: Field) -> str:
    """How the README and `--help` write a flag: '--loss {mse,bce,bce_logits,l1}' or '--lr LR'."""
    return f"{f.flag} {{{','.join(f.choices)}}}" if f.kind == "choice" else f"{f.flag} {f.metavar}"
