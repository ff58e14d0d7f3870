"""The seed answer's experiments as named configs, each with the claim it demonstrates."""

from __future__ import annotations

from dataclasses import dataclass

from .config import DataConfig, LossConfig, ModelConfig, OptimizerConfig, RunConfig, TrainingConfig


@dataclass(frozen=True)
class Preset:
    """A named config and the one-line claim a run of it makes visible."""

    name: str
    title: str
    claim: str
    config: RunConfig
    expect: str  # 'zero': ends near 0; 'floor': stalls at a floor above 0


def _cfg(name, data=None, model=None, loss="mse", lr=1e-2, epochs=20, tol=1e-5) -> RunConfig:
    return RunConfig(name=name, data=data or DataConfig(), model=model or ModelConfig(),
                     loss=LossConfig(loss), optimizer=OptimizerConfig("adam", lr),
                     training=TrainingConfig(batch_size=128, epochs=epochs, tol=tol))


_SIGMOID = ModelConfig(kind="linear", output="sigmoid")
_BERNOULLI = DataConfig(kind="bernoulli", p=0.5)
_TOY = ModelConfig(kind="mlp", depth=1, activation="leaky_relu", slope=0.1)

_LIST = [
    Preset("linear-mse-uniform", "Linear, MSE, uniform",
           "A linear autoencoder with MSE on U(0,1) data trains to almost zero loss.",
           _cfg("linear-mse-uniform"), "zero"),
    Preset("sigmoid-bce-uniform", "Sigmoid, BCE, uniform",
           "Sigmoid + BCE on U(0,1) data stalls near 0.5 nats: the targets' own entropy, not a bug.",
           _cfg("sigmoid-bce-uniform", model=_SIGMOID, loss="bce"), "floor"),
    Preset("sigmoid-bce-bernoulli", "Sigmoid, BCE, Bernoulli",
           "The same sigmoid + BCE on Bernoulli(0.5) data goes to zero: its targets have no entropy.",
           _cfg("sigmoid-bce-bernoulli", data=_BERNOULLI, model=_SIGMOID, loss="bce"), "zero"),
    Preset("logits-bce-bernoulli", "BCE on logits, Bernoulli",
           "BCE on the logit scale also goes to zero, and stays exact where saturated sigmoids round off.",
           _cfg("logits-bce-bernoulli", data=_BERNOULLI, loss="bce_logits", tol=0.0), "zero"),
    Preset("deep-leaky-mse-uniform", "Deep LeakyReLU, MSE, uniform",
           "The seed's deeper LeakyReLU autoencoder with MSE on U(0,1) also trains to near zero.",
           _cfg("deep-leaky-mse-uniform", model=_TOY), "zero"),
    Preset("bottleneck-iid", "Bottleneck on iid data",
           "A 4→2 bottleneck on iid U(0,1) data stalls at the PCA floor (d−k)/(12d) = 1/24: iid data won't compress.",
           _cfg("bottleneck-iid", data=DataConfig(features=4), model=ModelConfig(encoding_dim=2)), "floor"),
    Preset("bottleneck-redundant", "Bottleneck on redundant data",
           "A 4→1 bottleneck on redundant rows like [a, a, a, a] trains to zero: redundancy compresses.",
           _cfg("bottleneck-redundant", data=DataConfig(kind="redundant", features=4, latent_dim=1),
                model=ModelConfig(encoding_dim=1)), "zero"),
    Preset("question-relu-bce-uniform", "The question: 100-feature ReLU stack, BCE, uniform",
           "The question's deep ReLU + sigmoid + BCE model on U(0,1) stalls above 0.5 nats: no size gets under the entropy floor.",
           _cfg("question-relu-bce-uniform", data=DataConfig(samples=10_000, features=100),
                model=ModelConfig(kind="mlp", depth=2, hidden=200, activation="relu", output="sigmoid"),
                loss="bce", lr=1e-3), "floor"),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _LIST}
