"""Seed bands (issue 4 §3): N = 16 copies trained as one batched model vs 16 plain runs one after another.

Same config (the seed's toy model: mlp depth 1, 2 features, 30,000 samples, batch 128), model-steps/s
from wall time of the whole run (set-up included), alternating the two, medians. Target ≥ 8×.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from _rows import Row, print_rows
from _window import seed_config

TARGET = 8.0
COPIES = 16


def model_steps_per_s(config, copies: int) -> float:
    """Model-steps/s of one run of `copies` copies: copies × batches / wall seconds."""
    from aegui.core.training import RunEnd, train
    t0 = time.perf_counter()
    end = [r for r in train(config, copies=copies) if isinstance(r, RunEnd)][0]
    return copies * end.batches / (time.perf_counter() - t0)


def sequential_steps_per_s(config, runs: int) -> float:
    """Model-steps/s of `runs` plain runs one after another."""
    from aegui.core.training import RunEnd, train
    t0, steps = time.perf_counter(), 0
    for _ in range(runs):
        steps += [r for r in train(config) if isinstance(r, RunEnd)][0].batches
    return steps / (time.perf_counter() - t0)


def rows(rounds: int = 3, epochs: int = 2) -> list[Row]:
    """Batched vs sequential model-steps/s, alternating; one row for run_all."""
    config = seed_config(epochs * 235)
    model_steps_per_s(seed_config(235), COPIES)  # the first Adam's lazy imports outside the timings
    sequential_steps_per_s(seed_config(235), 1)
    batched, plain = [], []
    for _ in range(rounds):  # alternate so the machine's noise hits both alike
        batched.append(model_steps_per_s(config, COPIES))
        plain.append(sequential_steps_per_s(config, COPIES))
    b, p = statistics.median(batched), statistics.median(plain)
    return [Row(f"seed band N={COPIES} batched vs {COPIES} plain runs in turn", b, p, "model-steps/s",
                f"≥ {TARGET:g}× reference", b / p, b / p >= TARGET)]


def main() -> int:
    """Print the figure, its reference and the ratio; exit 1 when below target."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    result = rows(args.rounds, args.epochs)
    print_rows(result)
    return 0 if all(r.passed for r in result) else 1


if __name__ == "__main__":
    sys.exit(main())
