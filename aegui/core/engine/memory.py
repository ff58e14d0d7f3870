"""The memory guard: a run's peak memory, estimated from its config and its data's shape before anything is
allocated, and refused when it is over the budget (half the physical memory unless told otherwise)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..config import losses
from ..config.config import ConfigError, Problem, RunConfig

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


# What each stage holds, in bytes per data value, measured as the peak RSS over the stage's start (VmHWM
# reset through /proc/self/clear_refs) on 20 M-value files of 200,000 × 100 and 2,000,000 × 10:
KEPT = 4         # the float32 matrix, for the whole run (a float32 .npy is mapped, not copied: the same 4)
LOADING = 1      # the finiteness mask while a file is checked (and 1 B more per source byte of a mapped .npy)
CSV_PARSING = 5  # a CSV parsed line by line into the preallocated float32 matrix
GENERATING = 20  # generated data: float64 draws and their temporaries, then the float32 copy
TRAINING = 4     # each epoch's shuffled float32 copy, beside the kept matrix
# The end-of-run evaluation runs over chunks of EVAL_ELEMENTS outputs (evaluate.EVAL_ELEMENTS; not imported:
# that would load torch here): the output, the layer before it, each element's loss and its float64 copy,
# about EVAL_BYTES each. Measured with BCE on bool .npy files of 100 columns: 200,000 rows (20 M values)
# peaked at 704 MB RSS, 1,000,000 rows at 1.35 GB: 8 bytes a value and a fixed ~320 MB, not 19 bytes a value.
EVAL_ELEMENTS = 1 << 24
EVAL_BYTES = 20
# BCE's entropies and a PCA's covariance run over blocks of rows (floors.ROWS_AT_ONCE): 41 and 16 bytes a value
# before (a 400,000 × 100 bool file with BCE peaked at 2.0 GB), now a fixed block (0.82 GB at that size).
ENTROPY = 0
BLOCK_VALUES = 4096  # rows per block (floors.ROWS_AT_ONCE), times the columns: about 4 float64 temporaries live at once
LOGISTIC = 85    # the soft-logistic model floor's float64 solve, beside the training (measured 85 with BCE)
WIDE_MATRICES = 8  # the logistic solve's d × (d+1) float64 matrices: parameters, gradient, CG's four, a step
PCA = 0          # a PCA floor: its covariance, a block of rows at a time
RUNTIME = 250 * 2**20  # Python with torch and numpy loaded, before any data: 225 MB RSS measured
CARD_RUNTIME = 40 * 2**20  # `aegui data`: Python and numpy, no torch (33 MB measured)


@dataclass(frozen=True)
class Estimate:
    """A run's peak memory in bytes, in its parts."""

    data: int
    model: int
    activations: int
    runtime: int = 0

    @property
    def total(self) -> int:
        """All the parts together."""
        return self.data + self.model + self.activations + self.runtime

    def __str__(self) -> str:
        parts = [("data", self.data), ("model", self.model), ("activations", self.activations),
                 ("runtime", self.runtime)]
        shown = ", ".join(f"{name} {human(n)}" for name, n in parts if n or name == "data")  # a card has no model
        return f"about {human(self.total)} ({shown})"


def _optimizer_states(config: RunConfig) -> int:
    if config.optimizer.kind == "adam":
        return 2  # exp_avg and exp_avg_sq
    return 1 if config.optimizer.momentum > 0 else 0


def _loading(config: RunConfig) -> int:
    """Bytes per value while the data is built or read, the float32 matrix included."""
    if config.data.kind != "file":
        return GENERATING
    path = config.data.file or ""
    if not path.lower().endswith(".npy"):
        return CSV_PARSING
    from ..data.data import npy_itemsize
    itemsize = npy_itemsize(path)
    return KEPT + LOADING + (0 if itemsize is None else itemsize)  # the mapped source's pages are resident too


def _logistic_bytes(config: RunConfig, n: int, d: int) -> int:
    """Bytes per data value of the soft logistic regression the floors solve on the data (0: none), by the solve
    that fits its size (floors.solve_bracket's choice): formed Hessians up to 256 columns, Newton-CG beyond."""
    from ..floors.floors import needs_logistic
    from ..floors.logistic import LOGISTIC_MAX_FEATURES, LOGISTIC_MAX_FLOPS
    from ..floors.logistic_wide import BYTES_PER_CELL, WIDE_MAX_CELLS
    if not needs_logistic(config):
        return 0
    if d <= LOGISTIC_MAX_FEATURES and 15.0 * n * d * (d + 1) ** 2 <= LOGISTIC_MAX_FLOPS:
        return LOGISTIC
    return BYTES_PER_CELL if float(n) * (d + 1) <= WIDE_MAX_CELLS else 0


def estimate(config: RunConfig, copies: int = 1, shape: tuple[int, int] | None = None) -> Estimate:
    """The peak memory of training config as `copies` seeds on data of shape (rows, columns)."""
    from dataclasses import replace
    n, d = shape or (config.data.samples, config.data.features)
    if d != config.data.features:
        config = replace(config, data=replace(config.data, features=d))
    from .models import layer_sizes
    sizes, _ = layer_sizes(config)
    cells = n * d
    # The float32 matrix stays; on top of it, one stage at a time, the largest of the temporaries: the
    # floors' float64 work (BCE's entropies, a PCA, a logistic solve running beside the training) or the
    # training's own copies. Loading peaks apart from them.
    extra = TRAINING
    if losses.of(config.loss.kind).cross_entropy:
        extra = max(extra, ENTROPY)
        extra = max(extra, _logistic_bytes(config, n, d))
    if config.encoding_dim < d:
        extra = max(extra, PCA)
    data = cells * max(_loading(config), KEPT + extra) + 4 * 8 * min(n, BLOCK_VALUES) * d
    if config.loss.kind in ("bce", "bce_logits") and _logistic_bytes(config, n, d):
        data += WIDE_MATRICES * 8 * d * (d + 1)  # the wide solve's d × (d+1) matrices (parameters, CG's vectors)
    if config.encoding_dim < d:
        data += 3 * d * d * 8  # the PCA's covariance and its factors
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    model = copies * params * 4 * (2 + _optimizer_states(config))  # weights, gradients, optimizer state
    batch = min(config.training.batch_size, n)
    activations = copies * batch * sum(sizes) * 4 * 3  # outputs kept for backward, pre-activations, gradients
    # After training, the evaluation's chunk (the two never overlap).
    activations = max(activations, EVAL_BYTES * min(EVAL_ELEMENTS, n * copies * max(sizes)))
    return Estimate(int(data), int(model), int(activations), RUNTIME)


def card_estimate(path: str, shape: tuple[int, int], pca: bool = True) -> Estimate:
    """The peak memory of a data file's card (datacard.file_card): loading, then the entropy or, when pca, the
    PCA floors."""
    from ..config.config import with_changes
    n, d = shape
    loading = _loading(with_changes(RunConfig(), **{"data.kind": "file", "data.file": path}))
    work = max(ENTROPY, PCA if pca else 0)  # the entropy only when values lie in [0, 1]
    return Estimate(int(n * d * max(loading, KEPT + work) + (3 * d * d * 8 if pca else 0)
                        + 4 * 8 * min(n, BLOCK_VALUES) * d), 0, 0, CARD_RUNTIME)


def _refuse(est: Estimate, budget: int | None, what: str, advice: str) -> Estimate:
    limit = default_budget() if budget is None else budget
    if est.total > limit:
        told = ("--max-memory" if budget is not None else
                "AEGUI_MAX_MEMORY; --max-memory changes it" if os.environ.get("AEGUI_MAX_MEMORY") else
                "half the physical memory; --max-memory changes it")
        raise ConfigError([Problem("memory", human(est.total),
                                   f"{what} needs {est}, over the budget of {human(limit)} ({told}); {advice}")])
    return est


def check(config: RunConfig, copies: int = 1, budget: int | None = None,
          shape: tuple[int, int] | None = None) -> Estimate:
    """The estimate, or ConfigError (field 'memory') when it is over budget (default_budget() when None)."""
    return _refuse(estimate(config, copies, shape), budget, "this run",
                   "use fewer samples, features, seeds or a smaller model")


def check_card(path: str, shape: tuple[int, int], budget: int | None = None, pca: bool = True) -> Estimate:
    """card_estimate, or ConfigError (field 'memory') when it is over budget (default_budget() when None)."""
    return _refuse(card_estimate(path, shape, pca), budget, "reading this file",
                   "use a smaller file, or raise the budget")
