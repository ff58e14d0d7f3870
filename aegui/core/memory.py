"""The memory guard: a run's peak memory, estimated from its config and its data's shape before anything is
allocated, and refused when it is over the budget (half the physical memory unless told otherwise)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .config import ConfigError, Problem, RunConfig

FALLBACK_BUDGET = 8 * 2**30  # where the physical memory cannot be read
_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6, "mib": 2**20,
          "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12, "tib": 2**40}


def physical_memory() -> int | None:
    """This machine's physical memory in bytes, or None where it cannot be read."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def default_budget() -> int:
    """AEGUI_MAX_MEMORY if set, else half the physical memory."""
    env = os.environ.get("AEGUI_MAX_MEMORY")
    if env:
        try:
            return parse_size(env)
        except ValueError:
            pass
    total = physical_memory()
    return total // 2 if total else FALLBACK_BUDGET


def parse_size(text: str) -> int:
    """Bytes from '8G', '512MiB', '1.5GB' or '1000000'; ValueError naming what is allowed."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", str(text)[:40])
    unit = m.group(2).lower() if m else None
    if not m or unit not in _UNITS or float(m.group(1)) <= 0:
        raise ValueError(f"--max-memory = {str(text)[:40]!r}: a size such as 512M, 8G or 16GiB")
    return int(float(m.group(1)) * _UNITS[unit])


def human(n: float) -> str:
    """A byte count for people: '205.3 GB'."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"


@dataclass(frozen=True)
class Estimate:
    """A run's peak memory in bytes, in its three parts."""

    data: int
    model: int
    activations: int

    @property
    def total(self) -> int:
        """All three parts together."""
        return self.data + self.model + self.activations

    def __str__(self) -> str:
        return (f"about {human(self.total)} (data {human(self.data)}, model {human(self.model)}, "
                f"activations {human(self.activations)})")


def _optimizer_states(config: RunConfig) -> int:
    if config.optimizer.kind == "adam":
        return 2  # exp_avg and exp_avg_sq
    return 1 if config.optimizer.momentum > 0 else 0


def estimate(config: RunConfig, copies: int = 1, shape: tuple[int, int] | None = None) -> Estimate:
    """The peak memory of training config as `copies` seeds on data of shape (rows, columns)."""
    from dataclasses import replace
    n, d = shape or (config.data.samples, config.data.features)
    if d != config.data.features:
        config = replace(config, data=replace(config.data, features=d))
    from .models import layer_sizes
    sizes, _ = layer_sizes(config)
    cells = n * d
    # Generated data passes through float64 (8 B) before its float32 copy (4 B); a file is parsed straight
    # into float32 plus a finiteness mask (1 B). Each epoch shuffles a float32 copy; BCE keeps row entropies.
    data = cells * ((8 + 4) if config.data.kind != "file" else 5) + cells * 4
    if config.loss.kind in ("bce", "bce_logits"):
        data += cells * 8
    if config.encoding_dim < d:
        data += cells * 8 + 3 * d * d * 8  # the PCA floor: a centred copy, the covariance and its factors
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    model = copies * params * 4 * (2 + _optimizer_states(config))  # weights, gradients, optimizer state
    batch = min(config.training.batch_size, n)
    activations = copies * batch * sum(sizes) * 4 * 3  # outputs kept for backward, pre-activations, gradients
    return Estimate(int(data), int(model), int(activations))


def check(config: RunConfig, copies: int = 1, budget: int | None = None,
          shape: tuple[int, int] | None = None) -> Estimate:
    """The estimate, or ConfigError (field 'memory') when it is over budget (default_budget() when None)."""
    est = estimate(config, copies, shape)
    limit = default_budget() if budget is None else budget
    if est.total > limit:
        told = "--max-memory" if budget is not None else "half the physical memory; --max-memory changes it"
        raise ConfigError([Problem("memory", human(est.total),
                                   f"this run needs {est}, over the budget of {human(limit)} ({told}); "
                                   "use fewer samples, features, seeds or a smaller model")])
    return est
