"""The loss registry: each reconstruction loss declared once, with what every part of aegui needs to know of it.

A loss's formula, gradient, unit, target range, required output and words live in one `Loss` record; the
config's choices, validation, floors, memory estimate, training, explanations, banner, plots and CLI ask
the record instead of testing the loss's name. Adding a loss is one record here (and its floors' tests).

Importing this module does not import torch (the GUI process reads the registry before torch is warm): the
formulas import torch.nn.functional when first called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

# The config's loss values, as a type for mypy; LOSSES below must hold exactly these (checked at import).
LossKind = Literal["mse", "bce", "bce_logits", "l1", "huber"]

NATS = "nats"
HUBER_DELTA = 1.0  # torch's default: quadratic within 1 of the target, linear beyond (smooth L1 with beta 1)


@dataclass(frozen=True)
class Loss:
    """One loss kind and what it means.

    name: the config's and the CLI's value. label: how the GUI names it ('BCE on logits'); short: where
    room is scarce ('BCE (logits)'). words: what a sentence calls a value of it ('an MSE'), '' for a loss
    whose unit says it ('0.69 nats'). unit: NATS or '' (the data's own units, squared for MSE); axis_unit:
    a plot axis's unit ('mean squared error'), short_unit its abbreviation. unit_targets: targets must lie
    in [0, 1]. output: the model output the loss needs ('sigmoid', 'identity' for logits, None: any), and
    output_why why. cross_entropy: BCE = entropy + KL, so the data floor is the targets' binary entropy.
    sigmoid_inside: the loss applies the sigmoid itself (x̂ = sigmoid(output)). log_of_sigmoid: it takes the
    log of a float32 sigmoid output, whose round-off saturates. distance: for a loss of the residual alone,
    its elementwise penalty of |residual| (numpy), which prices the targets' distance to a sigmoid's [0, 1];
    distance_words names that distance. squared_error: PCA's floors are this loss's own. formula: the
    elementwise loss (torch, outputs (K, B, d) against targets expanded to them). grad: d formula/d output
    times scale, as autograd computes it (None: the hand-written backward leaves the loss to autograd).
    """

    name: str
    label: str
    short: str
    words: str
    unit: str
    axis_unit: str
    short_unit: str
    tip: str
    formula: Callable
    grad: Callable | None = None
    unit_targets: bool = False
    output: str | None = None
    output_why: str = ""
    cross_entropy: bool = False
    sigmoid_inside: bool = False
    log_of_sigmoid: bool = False
    distance: Callable[[np.ndarray], np.ndarray] | None = None
    distance_words: str = ""
    squared_error: bool = False

    @property
    def unit_suffix(self) -> str:
        """' nats' after a value, or '' for a loss in the data's own units."""
        return f" {self.unit}" if self.unit else ""

    @property
    def reaches_sigmoid(self) -> bool:
        """True when x̂ passes through a sigmoid, in the model (sigmoid output) or in the loss (logits)."""
        return self.output == "sigmoid" or self.sigmoid_inside


def _bce(out, t):
    import torch.nn.functional as F
    # F.binary_cross_entropy clamps log at -100, like nn.BCELoss, so saturated outputs stay finite.
    return F.binary_cross_entropy(out, t, reduction="none")


def _bce_grad(out, t, scale):
    import torch
    s = torch.full((), scale, dtype=out.dtype, device=out.device).expand_as(out)
    return torch.ops.aten.binary_cross_entropy_backward(s, out, t, None, 0)


def _bce_logits(out, t):
    import torch.nn.functional as F
    # The seed's advice: on the logit scale log-sigmoid never rounds to log(0).
    return F.binary_cross_entropy_with_logits(out, t, reduction="none")


def _huber(out, t):
    import torch.nn.functional as F
    return F.huber_loss(out, t, reduction="none", delta=HUBER_DELTA)


def _huber_distance(r: np.ndarray) -> np.ndarray:
    return np.where(r <= HUBER_DELTA, 0.5 * r * r, HUBER_DELTA * (r - 0.5 * HUBER_DELTA))


_ALL = (
    Loss("mse", "MSE", "MSE", "an MSE", "", "mean squared error", "MSE",
         "fits continuous data; reaches ~0 on uniform data without a bottleneck.",
         formula=lambda out, t: (out - t).square(),
         grad=lambda out, t, scale: (out - t).mul_(2.0 * scale),
         distance=lambda r: r * r, distance_words="squared", squared_error=True),
    Loss("bce", "BCE", "BCE", "", NATS, NATS, NATS,
         "binary cross-entropy on a sigmoid output; fits binary data, stalls near 0.5 on uniform data (their "
         "entropy).", formula=_bce, grad=_bce_grad, unit_targets=True, output="sigmoid",
         output_why=" (use bce_logits for raw outputs)", cross_entropy=True, log_of_sigmoid=True),
    Loss("bce_logits", "BCE on logits", "BCE (logits)", "", NATS, NATS, NATS,
         "BCE on the logit scale (identity output), free of round-off.",
         formula=_bce_logits, grad=lambda out, t, scale: out.sigmoid().sub_(t).mul_(scale), unit_targets=True,
         output="identity", output_why=": the model emits logits", cross_entropy=True, sigmoid_inside=True),
    Loss("l1", "L1", "L1", "an L1 loss", "", "mean absolute error", "MAE",
         "mean |error|; pulled less by outliers than MSE.",
         formula=lambda out, t: (out - t).abs(), grad=lambda out, t, scale: (out - t).sign_().mul_(scale),
         distance=lambda r: r, distance_words="absolute"),
    Loss("huber", "Huber", "Huber", "a Huber loss", "", "mean Huber loss", "Huber",
         "smooth L1 (δ = 1): squared within 1 of the target, absolute beyond; MSE near 0, L1 for outliers.",
         formula=_huber, grad=lambda out, t, scale: (out - t).clamp_(-HUBER_DELTA, HUBER_DELTA).mul_(scale),
         distance=_huber_distance, distance_words="Huber"),
)

LOSSES: dict[str, Loss] = {loss.name: loss for loss in _ALL}
if tuple(LOSSES) != get_args(LossKind):  # one list of names: the type mypy checks and the records
    raise RuntimeError(f"LossKind {get_args(LossKind)} and the registry {tuple(LOSSES)} differ")


def _unknown(out, t):
    raise ValueError("unknown loss")


UNKNOWN = Loss("?", "?", "?", "", "", "loss", "loss", "", formula=_unknown)  # asks nothing: for invalid configs


def of(kind: str) -> Loss:
    """The record of a loss kind; raises ValueError for an unknown one."""
    try:
        return LOSSES[kind]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {kind!r}") from None


def per_copy(kind: str, out, target):
    """Loss per copy, shape (K,), for outputs (K, B, d) and targets (B, d)."""
    return elements(kind, out, target).mean(dim=(1, 2))


def elements(kind: str, out, target):
    """The loss of each element, (K, B, d), for outputs (K, B, d) and targets (B, d)."""
    return of(kind).formula(out, target.expand_as(out))


def reconstruction(kind: str, out):
    """x̂ in data units: sigmoid(logits) for a loss that applies the sigmoid itself, the model output otherwise."""
    return out.sigmoid() if of(kind).sigmoid_inside else out
