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
    expect: str  # 'zero': ends near 0; 'floor': stalls at its exact floor; 'stuck': sticks far above its
    #              floor; 'above': stays above the data floor (above any reachable value: the optimizer's)


GRID_LOSSES, GRID_DATA = ("mse", "bce"), ("uniform", "bernoulli")  # the seed answer's grid: both grids' default


def _cfg(name, data=None, model=None, loss="mse", lr=1e-2, epochs=20, tol=1e-5, batch_size=128) -> RunConfig:
    return RunConfig(name=name, data=data or DataConfig(), model=model or ModelConfig(),
                     loss=LossConfig(loss), optimizer=OptimizerConfig("adam", lr),
                     training=TrainingConfig(batch_size=batch_size, epochs=epochs, tol=tol))


_SIGMOID = ModelConfig(kind="linear", output="sigmoid")
_BERNOULLI = DataConfig(kind="bernoulli", p=0.5)
# Two LeakyReLU layers each side: "deeper" as the seed says. With Glorot init seeds 0-2 reach 4e-7 to 3e-6 in
# 8-12 epochs; with PyTorch's default, a width-2 stack of two often stalled near 0.04.
_TOY = ModelConfig(kind="mlp", depth=2, activation="leaky_relu", slope=0.1, init="glorot")
# The question's Keras model: Dense(100, relu) ×2, a relu code layer of 100, Dense(100, relu) ×2, Dense(100, sigmoid).
# Keras's Dense starts from Glorot-uniform weights and zero biases: with PyTorch's default init the 5th
# epoch's mean was 0.630 (seeds 0-2), with Keras's 0.597, against the question's 0.5992.
_QUESTION = ModelConfig(kind="mlp", depth=2, hidden=100, activation="relu", encoding_dim=100,
                        code_activation="relu", output="sigmoid", init="glorot")
# lr 10 throws the logits far past where float32 sigmoid rounds to exactly 0 or 1 (|z| > ~17); measured on
# seeds 0-5, sigmoid + BCE sticks near 50 nats on every one, BCE on logits reaches 0.
_SATURATING_LR = 10.0

_LIST = [
    Preset("linear-mse-uniform", "Linear, MSE, uniform",
           "A linear autoencoder with MSE on U(0,1) data trains to almost zero loss.",
           _cfg("linear-mse-uniform"), "zero"),
    Preset("sigmoid-bce-uniform", "Sigmoid, BCE, uniform",
           "Sigmoid + BCE on U(0,1) data stalls near 0.5 nats: the targets' own entropy, plus the 0.005 an "
           "affine + sigmoid model cannot fit. Not a bug.",
           _cfg("sigmoid-bce-uniform", model=_SIGMOID, loss="bce"), "floor"),
    Preset("sigmoid-bce-bernoulli", "Sigmoid, BCE, Bernoulli",
           "The same sigmoid + BCE on Bernoulli(0.5) data goes to zero: its targets have no entropy.",
           _cfg("sigmoid-bce-bernoulli", data=_BERNOULLI, model=_SIGMOID, loss="bce"), "zero"),
    Preset("sigmoid-bce-saturated", "Sigmoid, BCE, saturated (round-off)",
           "At lr 10 the sigmoid saturates: its outputs round to exactly 0 or 1, log is clamped at −100, the "
           "gradient through the clamp is zero, and the loss sticks near 50 nats though the floor is 0.",
           _cfg("sigmoid-bce-saturated", data=_BERNOULLI, model=_SIGMOID, loss="bce", lr=_SATURATING_LR,
                epochs=5, tol=0.0), "stuck"),
    Preset("logits-bce-bernoulli", "BCE on logits, Bernoulli (same lr 10)",
           "The saturated preset's model and step size with the loss on the logit scale: log-sigmoid never "
           "rounds to log(0), so it trains to zero where sigmoid + BCE stuck.",
           _cfg("logits-bce-bernoulli", data=_BERNOULLI, loss="bce_logits", lr=_SATURATING_LR, epochs=5,
                tol=0.0), "zero"),
    Preset("deep-leaky-mse-uniform", "Deep LeakyReLU, MSE, uniform",
           "A deeper LeakyReLU autoencoder (two hidden layers each side, Glorot init) with MSE on U(0,1) also "
           "trains to near zero: depth changes no floor, and none above 0 is known for it.",
           _cfg("deep-leaky-mse-uniform", model=_TOY), "zero"),
    Preset("bottleneck-iid", "Bottleneck on iid data",
           "A 4→2 bottleneck on iid U(0,1) data stalls at the PCA floor, about (d−k)/(12d) = 1/24: iid data won't compress.",
           _cfg("bottleneck-iid", data=DataConfig(features=4), model=ModelConfig(encoding_dim=2)), "floor"),
    Preset("bottleneck-redundant", "Bottleneck on redundant data",
           "A 4→1 bottleneck on redundant rows like [a, a, a, a] trains to zero: redundancy compresses.",
           _cfg("bottleneck-redundant", data=DataConfig(kind="redundant", features=4, latent_dim=1),
                model=ModelConfig(encoding_dim=1)), "zero"),
    Preset("question-relu-bce-uniform", "The question: 100-feature ReLU stack, BCE, uniform",
           "The question's Keras model (30,000 × 100 U(0,1); ReLU layers of 100 with a ReLU code; sigmoid; "
           "BCE; Adam lr 1e-3; batch 32; Keras's Glorot-uniform init) stays above the 0.5-nat entropy floor. "
           "Its 5th epoch's mean is 0.597 (seeds 0-2), the question's 0.5992. Still not the original: the data "
           "are drawn here, Adam's epsilon is 1e-8 (Keras 1e-7: it moved that mean by 0.001, inside the seeds' "
           "spread), and Keras's 1e-7 clip of probabilities is absent (it changes only outputs within 1e-7 of 0 "
           "or 1). Its layers are as wide as its input, so it contains the affine + sigmoid model and can reach that "
           "model's floor (about 0.505, the dotted 'reachable' line): at least what it has above that is the "
           "optimizer's.",
           _cfg("question-relu-bce-uniform", data=DataConfig(samples=30_000, features=100), model=_QUESTION,
                loss="bce", lr=1e-3, epochs=10, tol=0.0, batch_size=32), "above"),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _LIST}
