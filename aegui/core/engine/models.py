"""Linear and MLP autoencoders, stored as K independent copies stacked on a leading axis.

One code path serves a single run (K = 1) and a seed band (K = N): each layer is a weight of
shape (K, in, out) applied with ``torch.baddbmm``, so N copies cost one kernel per layer.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..config.config import RunConfig

_ACTIVATIONS = {
    "identity": lambda x, slope: x,
    "relu": lambda x, slope: torch.relu(x),
    "leaky_relu": lambda x, slope: torch.nn.functional.leaky_relu(x, slope),
    "tanh": lambda x, slope: torch.tanh(x),
    "sigmoid": lambda x, slope: torch.sigmoid(x),
}


def layer_sizes(config: RunConfig) -> tuple[list[int], int]:
    """Widths from input to output, and the index of the code layer in that list."""
    d, k, h = config.data.features, config.encoding_dim, config.hidden
    if config.model.kind == "linear":
        return [d, k, d], 1
    depth = config.model.depth
    sizes = [d] + [h] * depth + [k] + [h] * depth + [d]
    return sizes, depth + 1


def layer_activations(config: RunConfig) -> list[str]:
    """The activation after each affine layer; the last is 'identity' (the output activation is separate).

    Hidden layers take model.activation (mlp only), the code layer model.code_activation, and the
    decoder's last layer none: a sigmoid output is applied by forward(), so BCE on logits can skip it.
    """
    sizes, code = layer_sizes(config)
    hidden = config.model.activation if config.model.kind == "mlp" else "identity"
    acts: list[str] = [hidden] * (len(sizes) - 1)
    acts[code - 1] = config.model.code_activation
    acts[-1] = "identity"
    return acts


class StackedAutoencoder(nn.Module):
    """K copies of one autoencoder; copy i is initialised from seeds[i] as nn.Linear (init torch) or Keras's Dense
    (init glorot) would be."""

    def __init__(self, config: RunConfig, seeds: list[int]):
        super().__init__()
        self.copies = len(seeds)
        self.sizes, self.code_index = layer_sizes(config)
        self.slope = config.model.slope
        self.activations = layer_activations(config)
        self.sigmoid_output = config.model.output == "sigmoid"
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        ws = [torch.empty(self.copies, i, o) for i, o in pairs]
        bs = [torch.empty(self.copies, 1, o) for i, o in pairs]
        glorot = config.model.init == "glorot"
        for c, seed in enumerate(seeds):
            gen = torch.Generator().manual_seed(int(seed))
            for (i, o), w, b in zip(pairs, ws, bs):
                if glorot:  # Keras's Dense: glorot_uniform weights, zero biases
                    bound = math.sqrt(6.0 / (i + o))
                    w[c] = (torch.rand(o, i, generator=gen) * 2 - 1).mul_(bound).T
                    b[c, 0] = 0.0
                    continue
                # nn.Linear's default: kaiming_uniform(a=√5) on W and U(±1/√fan_in) on b, both = U(±1/√in).
                bound = 1.0 / math.sqrt(i)
                w[c] = (torch.rand(o, i, generator=gen) * 2 - 1).mul_(bound).T
                b[c, 0] = (torch.rand(o, generator=gen) * 2 - 1).mul_(bound)
        for w, b in zip(ws, bs):
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b))
        # ParameterList indexing costs microseconds per call; .to() keeps these same Parameter objects.
        self._pairs = list(zip(self.weights, self.biases))

    def _layers(self, h: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        for j in range(start, stop):
            w, b = self._pairs[j]
            h = torch.baddbmm(b, h, w)
            if self.activations[j] != "identity":
                h = _ACTIVATIONS[self.activations[j]](h, self.slope)
        return h

    def _stack(self, x: torch.Tensor) -> torch.Tensor:
        return x.expand(self.copies, *x.shape) if x.dim() == 2 else x

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes (K, B, encoding_dim) for inputs (B, d) shared by all copies, or (K, B, d)."""
        return self._layers(self._stack(x), 0, self.code_index)

    def decode_raw(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's last affine output, before any output activation (logits for BCE)."""
        return self._layers(z, self.code_index, len(self.weights))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """What the loss sees: the sigmoid output, or the raw (identity) output / logits."""
        out = self.decode_raw(self.encode(x))
        return torch.sigmoid(out) if self.sigmoid_output else out

    def copy_state(self, index: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Copy index's (W, b) per layer in nn.Linear's layout (out × in, out)."""
        return [(w[index].detach().T.clone(), b[index, 0].detach().clone())
                for w, b in zip(self.weights, self.biases)]


def build(config: RunConfig, seeds: list[int] | None = None) -> StackedAutoencoder:
    """The model the config describes, with one copy per seed (default: the config's seed)."""
    return StackedAutoencoder(config, seeds if seeds is not None else [config.training.seed])
