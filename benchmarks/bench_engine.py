"""Engine vs the seed answer's own fit loop: batches/s on the same config, alternating in one process.

Target (issue 2): the engine at >= 2.5x the seed loop on CPU. Start-up (import torch, the first
Adam's lazy imports) is paid before either is timed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from aegui.core.config import RunConfig, with_changes
from aegui.core.training import BatchRecord, train

TARGET = 2.5


class ToyAutoEncoder(nn.Module):
    """The seed answer's model, verbatim."""

    def __init__(self, n_features, encoding_dim):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_features, n_features), nn.LeakyReLU(0.1),
                                     nn.Linear(n_features, encoding_dim))
        self.decoder = nn.Sequential(nn.Linear(encoding_dim, n_features), nn.LeakyReLU(0.1),
                                     nn.Linear(n_features, n_features))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def seed_loop(x: torch.Tensor, epochs: int) -> float:
    """The seed's fit(): DataLoader shuffle, per-batch .numpy(); returns batches/s."""
    model = ToyAutoEncoder(2, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss(reduction="mean")
    queue = DataLoader(TensorDataset(x), batch_size=128, shuffle=True)
    n = 0
    t = time.perf_counter()
    for _ in range(epochs):
        loss_epoch = np.zeros(len(queue))
        for i, (xb,) in enumerate(queue):
            opt.zero_grad()
            loss = loss_fn(input=model(xb), target=xb)
            loss.backward()
            opt.step()
            loss_epoch[i] = loss.detach().numpy()
            n += 1
    return n / (time.perf_counter() - t)


def engine_loop(cfg: RunConfig) -> float:
    """aegui's engine on the same config, timed from the first batch; returns batches/s."""
    n, t = 0, None
    for r in train(cfg):
        if isinstance(r, BatchRecord):
            if t is None:
                t = time.perf_counter()
            n += 1
    return (n - 1) / (time.perf_counter() - t)


def measure(rounds: int = 5, epochs: int = 3) -> tuple[float, float]:
    """Median batches/s of the seed loop and of the engine, alternating in this process."""
    torch.set_num_threads(1)
    cfg = with_changes(RunConfig(), **{"model.kind": "mlp", "model.depth": 1, "model.encoding_dim": 2,
                                       "training.epochs": epochs, "training.tol": 0.0,
                                       "training.device": "cpu", "data.samples": 30_000})
    x = torch.rand(30_000, 2)
    seed_loop(x[:1024], 1)  # pay the first Adam's lazy imports outside the timings
    engine_loop(with_changes(cfg, **{"data.samples": 1024, "training.epochs": 1}))
    seed, engine = [], []
    for _ in range(rounds):  # alternate so machine noise hits both alike
        seed.append(seed_loop(x, epochs))
        engine.append(engine_loop(cfg))
    return statistics.median(seed), statistics.median(engine)


def rows(rounds: int = 5, epochs: int = 3) -> list:
    """The engine-vs-seed figure as a row for run_all."""
    from _rows import Row
    s, e = measure(rounds, epochs)
    return [Row("engine vs the seed's fit loop (headless, CPU)", e, s, "batches/s", f"≥ {TARGET}× reference",
                e / s, e / s >= TARGET)]


def main() -> None:
    """Print both rates and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    s, e = measure(args.rounds, args.epochs)
    print(f"seed fit loop : {s:9,.0f} batches/s (median of {args.rounds})")
    print(f"aegui engine  : {e:9,.0f} batches/s (median of {args.rounds})")
    print(f"ratio         : {e / s:9.2f}x   (target >= {TARGET}x: {'PASS' if e / s >= TARGET else 'FAIL'})")


if __name__ == "__main__":
    main()
