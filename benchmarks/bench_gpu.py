"""CUDA throughput: aegui's captured steps against its eager steps and plain eager PyTorch, in one run.

The MNIST-sized MLP of issue 13 (784 → 512 → 512 → 32 → 512 → 512 → 784, ReLU, BCE on logits, batch 256,
60,000 Bernoulli rows), and its ×64 seed band. Rates are timed from the first batch requested, after a
warm-up run of each, and the three are alternated over the rounds (the medians are reported).

Targets (issue 13): captured ≥ 3 × 683 batches/s (the engine before) and ≥ 2.5 × plain eager PyTorch in
the same run; the ×64 band ≥ 1.5 × 12,882 model-steps/s.

    python benchmarks/bench_gpu.py [--rounds 3] [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from aegui.core.config.config import RunConfig, with_changes  # noqa: E402
from aegui.core.engine.training import train  # noqa: E402
from aegui.core.engine.records import LossBlock, RunStart  # noqa: E402

BEFORE_BATCHES = 683.0        # the engine on an H100 before captured steps (issue 13)
BEFORE_BAND = 12_882.0        # ×64 band model-steps/s before
TARGET_BEFORE, TARGET_EAGER, TARGET_BAND = 3.0, 2.5, 1.5


def mnist_config(epochs: int) -> RunConfig:
    """The MNIST-sized MLP on 60,000 × 784 Bernoulli rows, BCE on logits, batch 256, on CUDA."""
    return with_changes(RunConfig(), **{
        "data.kind": "bernoulli", "data.samples": 60_000, "data.features": 784, "model.kind": "mlp",
        "model.depth": 2, "model.hidden": 512, "model.encoding_dim": 32, "model.activation": "relu",
        "loss.kind": "bce_logits", "optimizer.lr": 1e-3, "training.batch_size": 256, "training.epochs": epochs,
        "training.tol": 0.0, "training.device": "cuda"})


def engine_rate(config: RunConfig, copies: int = 1, graphs: bool = True) -> float:
    """Batches/s of train(), from the first batch requested to the last block (the device synced there)."""
    os.environ["AEGUI_CUDA_GRAPHS"] = "1" if graphs else "0"
    t0, n, last = None, 0, None
    for r in train(config, copies=copies):
        now = time.perf_counter()
        if isinstance(r, RunStart):
            t0 = now
        elif isinstance(r, LossBlock):
            n, last = n + len(r), now  # a block is fetched to the host: its steps have run
    return n / (last - t0)


def plain_eager_rate(epochs: int) -> float:
    """The same model and data in plain eager PyTorch: nn.Sequential, fused Adam, losses kept on the device."""
    dev = torch.device("cuda")
    x = (torch.rand(60_000, 784, device=dev) < 0.5).float()
    sizes = [784, 512, 512, 32, 512, 512, 784]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i not in (2, len(sizes) - 2):  # the code layer and the output stay linear, as in aegui
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    n, losses = 0, []
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(60_000, device=dev)
        for start in range(0, 60_000, 256):
            xb = x[perm[start:start + 256]]
            loss = loss_fn(model(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
            n += 1
        torch.stack(losses).cpu()  # fetched once an epoch, as the engine fetches in blocks
        losses.clear()
    torch.cuda.synchronize()
    return n / (time.perf_counter() - t0)


def main() -> int:
    """Print each figure, its reference and the ratio; exit 1 if a target is missed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure")
        return 0
    cfg = mnist_config(args.epochs)
    band_cfg = with_changes(cfg, **{"data.samples": 15_360, "training.epochs": 1})
    engine_rate(with_changes(cfg, **{"training.epochs": 1}))  # warm-up: CUDA context, kernels, allocator
    plain_eager_rate(1)
    graphed, eager, plain, band_g, band_e = [], [], [], [], []
    for _ in range(args.rounds):
        graphed.append(engine_rate(cfg))
        eager.append(engine_rate(cfg, graphs=False))
        plain.append(plain_eager_rate(args.epochs))
        band_g.append(64 * engine_rate(band_cfg, copies=64))
        band_e.append(64 * engine_rate(band_cfg, copies=64, graphs=False))
    med = statistics.median
    g, e, pl, bg, be = med(graphed), med(eager), med(plain), med(band_g), med(band_e)
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, {args.rounds} rounds (medians)")
    rows = [("MNIST MLP, captured vs plain eager PyTorch (batches/s)", g, pl, TARGET_EAGER),
            ("MNIST MLP, captured vs the engine before (683 batches/s)", g, BEFORE_BATCHES, TARGET_BEFORE),
            ("MNIST MLP, captured vs the engine's own eager steps", g, e, None),
            ("x64 band, captured vs before (12,882 model-steps/s)", bg, BEFORE_BAND, TARGET_BAND),
            ("x64 band, captured vs eager steps (model-steps/s)", bg, be, None)]
    ok = True
    for name, value, ref, target in rows:
        ratio = value / ref
        verdict = "" if target is None else ("PASS" if ratio >= target else "FAIL")
        ok &= verdict != "FAIL"
        print(f"{name:62} {value:12,.0f} {ref:12,.0f} {ratio:6.2f}x {verdict}")
    print("rounds:", [round(v) for v in graphed], [round(v) for v in eager], [round(v) for v in plain],
          [round(v) for v in band_g], [round(v) for v in band_e])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
