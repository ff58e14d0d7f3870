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


def _timed_batches(config, copies: int = 1) -> tuple[int, float]:
    """(batches, seconds) of one run, timed from the first batch requested (just after RunStart) to the last."""
    from aegui.core.engine.training import train
    from aegui.core.engine.records import LossBlock
    t0 = last = None
    batches = 0
    for r in train(config, copies=copies):
        now = time.perf_counter()
        if t0 is None:
            t0 = now  # RunStart: model, data and optimizer are built; the next request is the first batch's
        elif isinstance(r, LossBlock):
            batches, last = batches + len(r), now
    return batches, last - t0


def model_steps_per_s(config, copies: int) -> float:
    """Model-steps/s of one run of `copies` copies: copies × batches / seconds of batches."""
    batches, seconds = _timed_batches(config, copies)
    return copies * batches / seconds


def sequential_steps_per_s(config, runs: int) -> float:
    """Model-steps/s of `runs` plain runs one after another (each timed the same way, seconds summed)."""
    timed = [_timed_batches(config) for _ in range(runs)]
    return sum(b for b, _ in timed) / sum(s for _, s in timed)


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
