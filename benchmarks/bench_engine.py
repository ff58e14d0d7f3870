"""Engine vs the seed answer's own fit loop: batches/s on the same config, alternating in one run.

The engine's figure is what `aegui run --json` itself reports (batches_per_s, timed after its 20
warm-up batches), run as a child process with the store in a temporary folder. Each round runs, in
turn: the seed's loop in this process; `aegui run` with the hand-written backward; `aegui run` with
AEGUI_AUTOGRAD=1 (today's engine, the reference path); and the engine in this process, its clock
started when the first batch is requested (before it, clocks that started at the first batch record
counted batches trained before them and overstated the rate by 13-21%).

Targets (issue 13): the engine ≥ 5x the seed loop, and ≥ 1.8x the autograd engine.
Start-up (import torch, the first Adam's lazy imports) is paid before anything is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from aegui.core.config.config import RunConfig, with_changes
from aegui.core.engine.training import train
from aegui.core.engine.records import LossBlock, RunStart

TARGET = 5.0            # x the seed's loop
TARGET_AUTOGRAD = 1.8   # x the engine on autograd's backward
ROOT = Path(__file__).resolve().parent.parent
SEED_ARGS = ["--model", "mlp", "--depth", "1", "--encoding-dim", "2", "--samples", "30000", "--tol", "0",
             "--device", "cpu"]  # the seed answer's toy autoencoder, as `aegui run` flags


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
    """aegui's engine in this process, timed from the request for its first batch; returns batches/s."""
    n, t = 0, None
    for r in train(cfg):
        if isinstance(r, RunStart):
            t = time.perf_counter()  # the next request trains the first batch
        elif isinstance(r, LossBlock):
            n += len(r)
    return n / (time.perf_counter() - t)


def cli_rate(epochs: int, autograd: bool, data_dir: str) -> float:
    """batches_per_s as `aegui run --json` reports it, on the seed's model; autograd: the reference path."""
    env = {**os.environ, "AEGUI_AUTOGRAD": "1" if autograd else "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "aegui", "run", *SEED_ARGS, "--epochs", str(epochs), "--json", "--data-dir", data_dir]
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True)
    return float(json.loads(out.stdout)["batches_per_s"])


def measure(rounds: int = 5, epochs: int = 3, engine_epochs: int = 15) -> dict[str, list[float]]:
    """Each loop's batches/s per round, alternating in this run: seed, cli, cli_autograd, in_process."""
    torch.set_num_threads(1)
    cfg = with_changes(RunConfig(), **{"model.kind": "mlp", "model.depth": 1, "model.encoding_dim": 2,
                                       "training.epochs": engine_epochs, "training.tol": 0.0,
                                       "training.device": "cpu", "data.samples": 30_000})
    x = torch.rand(30_000, 2)
    seed_loop(x[:1024], 1)  # pay the first Adam's lazy imports outside the timings
    engine_loop(with_changes(cfg, **{"data.samples": 1024, "training.epochs": 1}))
    rates: dict[str, list[float]] = {"seed": [], "cli": [], "cli_autograd": [], "in_process": []}
    with tempfile.TemporaryDirectory(prefix="aegui-bench-engine-") as store:
        for _ in range(rounds):  # alternate so machine noise hits all alike
            rates["seed"].append(seed_loop(x, epochs))
            rates["cli"].append(cli_rate(engine_epochs, False, store))
            rates["cli_autograd"].append(cli_rate(engine_epochs, True, store))
            rates["in_process"].append(engine_loop(cfg))
    return rates


def ratio(rates: dict[str, list[float]], figure: str, reference: str) -> float:
    """Median over rounds of figure / reference: each round's pair ran seconds apart, so bursts of load
    from other processes on this shared machine hit both alike, where they skew the medians of each."""
    return statistics.median(f / r for f, r in zip(rates[figure], rates[reference]))


def rows(rounds: int = 5, epochs: int = 3) -> list:
    """The engine-vs-seed and engine-vs-autograd figures as rows for run_all."""
    from _rows import Row
    rates = measure(rounds, epochs)
    med = {k: statistics.median(v) for k, v in rates.items()}
    vs_seed, vs_autograd = ratio(rates, "cli", "seed"), ratio(rates, "cli", "cli_autograd")
    return [Row("engine (aegui run --json) vs the seed's fit loop (CPU)", med["cli"], med["seed"], "batches/s",
                f"≥ {TARGET:g}× reference", vs_seed, vs_seed >= TARGET),
            Row("engine, hand-written backward vs autograd's (aegui run --json, CPU)", med["cli"],
                med["cli_autograd"], "batches/s", f"≥ {TARGET_AUTOGRAD:g}× reference", vs_autograd,
                vs_autograd >= TARGET_AUTOGRAD)]


def main() -> int:
    """Print each loop's rate per round, the medians and the ratios; exit 1 when a target fails."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3, help="epochs of the seed loop (the engine runs 15)")
    args = ap.parse_args()
    rates = measure(args.rounds, args.epochs)
    labels = {"seed": "seed fit loop", "cli": "aegui run --json", "cli_autograd": "  same, AEGUI_AUTOGRAD=1",
              "in_process": "engine in-process"}
    for key, label in labels.items():
        per_round = " ".join(f"{v:,.0f}" for v in rates[key])
        print(f"{label:24s}: {statistics.median(rates[key]):9,.0f} batches/s median  (rounds: {per_round})")
    vs_seed, vs_autograd = ratio(rates, "cli", "seed"), ratio(rates, "cli", "cli_autograd")
    print(f"vs the seed loop        : {vs_seed:9.2f}x  median of per-round ratios (target >= {TARGET:g}x)")
    print(f"vs autograd's backward  : {vs_autograd:9.2f}x  median of per-round ratios (target >= {TARGET_AUTOGRAD:g}x)")
    ok = vs_seed >= TARGET and vs_autograd >= TARGET_AUTOGRAD
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
