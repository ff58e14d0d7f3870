"""Batches/s of every preset on one device (default: the best available), plus seed bands.

Run on a CUDA machine with `--device cuda` to record GPU figures; CPU figures come from the same
script with `--device cpu`.
"""

from __future__ import annotations

import argparse
import time

import torch

from aegui.core.config.config import with_changes
from aegui.core.config.presets import PRESETS
from aegui.core.engine.training import train
from aegui.core.engine.records import RunEnd, RunStart


def run(cfg, copies: int = 1) -> tuple[RunStart, RunEnd]:
    """Train to the end and return the first and last records."""
    records = list(train(cfg, copies=copies))
    return records[0], records[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    first = next(iter(PRESETS.values())).config
    run(with_changes(first, **{"training.device": args.device, "training.epochs": 1, "data.samples": 1024}))
    print(f"torch {torch.__version__}; device {args.device}; "
          f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU'}")
    print(f"{'preset':28} {'batches/s':>10} {'final':>10} {'floor':>8} {'stop':>10}")
    for p in PRESETS.values():
        cfg = with_changes(p.config, **{"training.device": args.device, "training.epochs": args.epochs,
                                        "training.tol": 0.0})
        start, end = run(cfg)
        print(f"{p.name:28} {end.batches_per_s:10,.0f} {end.final_loss:10.4g} {start.floor.value:8.4f} "
              f"{end.stop_reason:>10}")
    base = with_changes(first, **{"training.device": args.device, "training.epochs": args.epochs,
                                  "training.tol": 0.0, "model.kind": "mlp"})
    for k in (1, 16, 64):
        t = time.perf_counter()
        _, end = run(base, copies=k)
        print(f"seed band K={k:<3} {end.batches_per_s * k:12,.0f} model-steps/s ({time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
