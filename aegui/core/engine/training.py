"""The training loop as a generator: the caller drives it and sees every batch, epoch and the end.

    for record in train(config, cancel):
        ...  # RunStart, then LossBlock / EpochSummary (and a FloorsUpdate), then one RunEnd

No Qt here: the GUI worker, the CLI and the tests all drive this same loop.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import dataclass, replace
from typing import Protocol
from collections.abc import Callable, Generator, Iterator

import numpy as np
import torch

from ..data import data as data_mod
from ..config import losses
from . import memory
from .backprop import make_step
from .graphed import GraphedStep, capturable
from ..config.config import ConfigError, Problem, RunConfig, check
from .evaluate import ModelFloorSolve, eval_losses, saturated_share
from ..floors.floors import Floor, floors_for, headline, model_floor_is_slow, row_entropy
from .records import AFTER_RUN_S, EpochSummary, FloorsUpdate, LossBlock, Record, RunStart, Solving
from .run_stats import RunStats
from .models import build, layer_sizes
from .optim import Stepper, make_optimizer

FLUSH_BATCHES = 256     # at most this many losses wait on the device before one fetch
FLUSH_SECONDS = 0.05    # ... or this long, so a slow model still streams 20 times a second
SAMPLE_ROWS = 1000      # the fixed sample kept for reconstruction views


@dataclass(frozen=True)
class Prepared:
    """A validated config with its data on the host, its floors and the device it will train on.

    solve_model: the model floor was left out of floors because its solve is slow; train() solves it
    in the background and yields a FloorsUpdate when it is done.
    """

    config: RunConfig
    x: np.ndarray
    floors: list[Floor]
    device: torch.device
    device_note: str
    solve_model: bool = False

    @property
    def floor(self) -> Floor | None:
        """The tightest exact-or-lower-bound floor known so far."""
        return headline(self.floors)




# Below this, kernel launches cost more than the arithmetic. Measured break-even: the question preset
# (6.1e7 a step) ran at 521 batches/s on an H100 and 459 on its host's CPU; the 3e3-flop presets at
# 954 vs 2,867.
CUDA_MIN_STEP_FLOPS = 6e7


def resolve_device(asked: str, step_flops: float | None = None) -> tuple[torch.device, str]:
    """The torch device for 'auto' / 'cpu' / 'cuda', and a note whenever 'auto' chose the CPU."""
    if asked == "cpu":
        return torch.device("cpu"), ""  # without asking CUDA, which would initialise its driver here
    has_cuda = torch.cuda.is_available()
    if asked == "cuda" and not has_cuda:
        raise ConfigError([Problem("training.device", "cuda", "CUDA is not available here; use cpu or auto")])
    if asked == "cuda":
        return torch.device("cuda"), ""
    if asked == "auto" and has_cuda:
        if step_flops is None or step_flops >= CUDA_MIN_STEP_FLOPS:
            return torch.device("cuda"), ""
        return torch.device("cpu"), (f"auto: this model is small ({step_flops / 1e6:.1f} MFLOP a step), "
                                     "so the CPU is faster than CUDA; choose cuda to force the GPU")
    return torch.device("cpu"), ("CUDA not available: running on the CPU" if asked == "auto" else "")


def prepare(config: RunConfig, copies: int = 1, max_memory: int | None = None) -> Prepared:
    """Validate the config, build its data and check it against the loss; raise ConfigError if unusable.

    copies: how many seeds will train at once, which sets the work per step that 'auto' weighs.
    max_memory: the memory guard's budget in bytes (None: half the physical memory), checked from the
    data's shape before the data is built or read.
    """
    check(config)
    memory.check(config, copies, max_memory, data_mod.shape_of(config.data))
    x = data_mod.generate(config.data, config.training.seed)
    data_mod.check_targets(x, config.loss.kind, config.data.kind)
    n, d = x.shape
    problems = []
    if config.training.batch_size > n:
        problems.append(Problem("training.batch_size", config.training.batch_size, f"must be at most the {n} samples"))
    if d != config.data.features:
        # A file decides its own width; keep the config honest so floors and models agree with the data.
        config = replace(config, data=replace(config.data, features=d, samples=n))
    if problems:
        raise ConfigError(problems)
    device, note = resolve_device(config.training.device, step_flops(config, copies))
    slow = model_floor_is_slow(config, x)
    return Prepared(config, x, floors_for(config, x, solve_model=not slow), device, note, solve_model=slow)


def train(config: RunConfig | Prepared, cancel: Cancel | None = None, *,
          copies: int = 1, threads: int | None = None) -> Iterator[Record]:
    """Train config's model and yield its records; stop at tol, max_epochs, divergence or cancel.

    threads: intra-op threads for this (the consuming) thread; None picks 1 for small models.
    """
    prep = config if isinstance(config, Prepared) else prepare(config, copies)
    return _loop(prep, cancel or threading.Event(), copies, threads)


class Cancel(Protocol):
    """What train() asks to stop: anything with is_set() (a threading.Event, a flag in shared memory)."""

    def is_set(self) -> bool:
        """True once the run should stop."""
        ...


# One intra-op thread below this. Measured on the busy 2-core machine: the question preset (6.1e7)
# ran at 389 batches/s on one thread and 66 on two; the small presets at 4,100 vs 16.
SMALL_STEP_FLOPS = 2e8


def step_flops(config: RunConfig, copies: int = 1) -> float:
    """Rough multiply-adds of one training step (forward + backward ≈ 3 × forward)."""
    sizes, _ = layer_sizes(config)
    return 3.0 * copies * config.training.batch_size * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def _set_threads(prep: Prepared, copies: int, threads: int | None) -> None:
    # Small models gain nothing from intra-op threads, and on a busy 2-core machine a second
    # OpenMP thread that is descheduled stalls every op (seen: 4,100 → 16 batches/s).
    if threads is None and prep.device.type == "cpu" and step_flops(prep.config, copies) < SMALL_STEP_FLOPS:
        threads = 1
    if threads:
        torch.set_num_threads(threads)  # applies to the calling thread only


def _loop(prep: Prepared, cancel: Cancel, copies: int, threads: int | None) -> Iterator[Record]:
    cfg, t = prep.config, prep.config.training
    _set_threads(prep, copies, threads)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        # A large .npy is read memory-mapped and read-only; the loop never writes to x, and a copy to quiet
        # torch's warning would double the data's memory.
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        x = torch.from_numpy(prep.x).to(prep.device)
    n = x.shape[0]
    seeds = [t.seed + i for i in range(copies)]
    model = build(cfg, seeds).to(prep.device)
    step: Callable[[torch.Tensor], torch.Tensor]
    if capturable(prep.device, cfg.optimizer.kind):
        step = GraphedStep(model, make_optimizer(cfg, model.parameters(), capturable=True), cfg.loss.kind,
                           t.batch_size)
    else:
        step = make_step(model, Stepper(make_optimizer(cfg, model.parameters())), cfg.loss.kind)
    order = torch.Generator().manual_seed(t.seed + 7919)  # the batch order's own stream
    sample_idx = torch.randperm(n, generator=torch.Generator().manual_seed(t.seed + 104729))[:SAMPLE_ROWS]
    nb = (n + t.batch_size - 1) // t.batch_size
    solve = ModelFloorSolve(cfg, prep.x) if prep.solve_model else None
    # Each row's entropy, for the BCE batch floors: before RunStart, so no rate counts it (2.5 s at 60,000 × 784).
    h = row_entropy(prep.x) if losses.of(cfg.loss.kind).cross_entropy else None
    yield RunStart(cfg, str(prep.device), prep.device_note, prep.floors, n, nb, copies, model,
                   x[sample_idx.to(prep.device)], solving=solve is not None,
                   step_mode=getattr(step, "mode", "autograd"))
    stats = RunStats(t0, n, t.batch_size)
    reason = "max_epochs"
    for epoch in range(t.epochs):
        perm = torch.randperm(n, generator=order)
        xs = x[perm.to(prep.device)]
        epoch_losses: list[np.ndarray] = []
        floors = batch_floors(h, perm.numpy(), t.batch_size) if h is not None else None
        stopped = yield from _epoch(cfg, step, (xs, floors), epoch, stats, epoch_losses, cancel)
        if solve is not None and solve.done():
            yield from _solved(solve)
            solve = None
        if stopped is not None:
            reason = stopped
            if epoch_losses and stats.last_partial is None:
                stats.last_partial = np.concatenate(epoch_losses)
            break
        yield _summary(epoch, epoch_losses, t.recent_window, stats)
        if t.tol > 0 and float(np.max(stats.epoch_means[-1])) < t.tol:
            reason = "tol"
            break
    if solve is not None and reason != "cancelled":
        # --json and the results pane wait for it, AFTER_RUN_S at most; Stop ends the wait with the bracket it has
        yield from _solved(solve, cancel)
    elif solve is not None:
        solve.stop()  # cancelled: the solve thread quits at its next Newton step instead of burning the CPU
    yield replace(stats.end(reason or "max_epochs", eval_losses(model, x, cfg.loss.kind)),
                  saturated=saturated_share(model, x, cfg.loss.kind))


def _solved(solve: ModelFloorSolve, cancel: Cancel | None = None) -> Iterator[Record]:
    if not solve.done():
        yield Solving(AFTER_RUN_S)  # said before the wait: a window would otherwise look hung at 100%
    floors = solve.wait(after=AFTER_RUN_S, cancel=cancel)
    if floors is not None:
        yield FloorsUpdate(floors)


def batch_floors(h: np.ndarray, perm: np.ndarray, batch_size: int) -> np.ndarray:
    """Each batch's BCE floor for one epoch: the mean of its rows' entropies, in the epoch's order."""
    starts = np.arange(0, len(perm), batch_size)
    sums = np.add.reduceat(h[perm].astype(np.float64), starts)
    return sums / np.diff(np.append(starts, len(perm)))


def _epoch(cfg, step: Callable[[torch.Tensor], torch.Tensor], data, epoch, stats: RunStats, epoch_losses: list,
           cancel) -> Generator[Record, None, str | None]:
    """One pass over the shuffled data; returns a stop reason, or None when the epoch completed."""
    xs, floors = data
    bs = cfg.training.batch_size
    n = xs.shape[0]
    pending: list[torch.Tensor] = []
    first_batch = 0
    last_flush = time.perf_counter()
    for b, start in enumerate(range(0, n, bs)):
        if cancel.is_set():
            yield from _flush(pending, floors, epoch, first_batch, stats, epoch_losses)
            return "cancelled"
        xb = xs[start:start + bs]
        pending.append(step(xb))  # per-copy losses stay on the device: no host sync per batch on CUDA
        now = time.perf_counter()
        if len(pending) >= FLUSH_BATCHES or now - last_flush >= FLUSH_SECONDS:
            diverged = yield from _flush(pending, floors, epoch, first_batch, stats, epoch_losses)
            first_batch, last_flush = b + 1, now
            if diverged:
                return "diverged"
    diverged = yield from _flush(pending, floors, epoch, first_batch, stats, epoch_losses)
    return "diverged" if diverged else None


def _flush(pending: list, floors: np.ndarray | None, epoch: int, first_batch: int, stats: RunStats,
           epoch_losses: list) -> Generator[Record, None, bool]:
    """Fetch the pending losses in one transfer and yield them; True when one is not finite."""
    if not pending:
        return False
    block = torch.stack(pending).cpu().numpy().astype(np.float64)  # (m, K)
    pending.clear()
    bad = ~np.isfinite(block).all(axis=1)
    stop = int(np.argmax(bad)) + 1 if bad.any() else len(block)
    block = block[:stop]  # keep the curve up to and including the first non-finite loss
    part = floors[first_batch:first_batch + len(block)] if floors is not None else None
    yield LossBlock(stats.batches, epoch, first_batch, block, part)
    stats.count(len(block))
    epoch_losses.append(block)
    if bad.any():
        stats.last_partial = np.concatenate(epoch_losses)  # run_end.copy_finals ends it at the bad batch
    return bool(bad.any())


def _summary(epoch: int, epoch_losses: list, window: int, stats: RunStats) -> EpochSummary:
    return stats.summary(epoch, np.concatenate(epoch_losses), window)
